import { positiveAreaLinearTriangle, positiveLengthLinearInterval } from '../mesh/phase.js';
import { valuesAtQuadrature } from './assembly.js';
import type { CellBasis } from './basis.js';
import type { FunctionSpace } from './space.js';

/** Number of sub-squares per axis of the Q1 sub-cell rule in `phaseArea`. */
export const Q1_PHASE_SUBDIVISION = 8;

/**
 * Measure of the phase {u_h > 0} (area in 2D, length in 1D).
 *
 * - P1 intervals and triangles: exact, by clipping each cell at the zero level of the linear
 *   interpolant (src/mesh/phase.ts).
 * - Q1 quadrilaterals: a sub-cell rule: each cell is split into s × s sub-squares
 *   (s = Q1_PHASE_SUBDIVISION = 8) of the reference square, each into two triangles whose
 *   vertices are mapped to the real cell; u_h (bilinear) is evaluated exactly at the sub-vertices
 *   and the linear interpolant on each sub-triangle is clipped exactly. The error is
 *   O((h/s)²) times the level set's curvature (zero where u_h is linear along the cut).
 */
export function phaseArea(space: FunctionSpace, u: Float64Array): number {
  const { mesh, cellDofs, nCells, nLoc } = space;
  const nodes = mesh.nodes;
  const cells = mesh.cells;
  let total = 0;
  if (mesh.cellType === 'interval') {
    for (let c = 0; c < nCells; c++) {
      total += positiveLengthLinearInterval(u[cellDofs[2 * c]], u[cellDofs[2 * c + 1]], nodes[cells[2 * c + 1]] - nodes[cells[2 * c]]);
    }
    return total;
  }
  if (mesh.cellType === 'triangle') {
    for (let c = 0; c < nCells; c++) {
      const i0 = cells[3 * c];
      const i1 = cells[3 * c + 1];
      const i2 = cells[3 * c + 2];
      const x0 = nodes[2 * i0];
      const y0 = nodes[2 * i0 + 1];
      const area = 0.5 * ((nodes[2 * i1] - x0) * (nodes[2 * i2 + 1] - y0) - (nodes[2 * i2] - x0) * (nodes[2 * i1 + 1] - y0));
      total += positiveAreaLinearTriangle(u[cellDofs[3 * c]], u[cellDofs[3 * c + 1]], u[cellDofs[3 * c + 2]], area);
    }
    return total;
  }
  // Q1 sub-cell rule.
  const s = Q1_PHASE_SUBDIVISION;
  const m = s + 1;
  const vx = new Float64Array(m * m);
  const vy = new Float64Array(m * m);
  const vu = new Float64Array(m * m);
  const phi = new Float64Array(4);
  const xi = new Float64Array(2);
  const table = new Float64Array(m * m * 4);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) {
      xi[0] = -1 + (2 * i) / s;
      xi[1] = -1 + (2 * j) / s;
      space.element.values(xi, phi);
      table.set(phi, (j * m + i) * 4);
    }
  }
  for (let c = 0; c < nCells; c++) {
    for (let k = 0; k < m * m; k++) {
      let x = 0;
      let y = 0;
      let v = 0;
      for (let a = 0; a < nLoc; a++) {
        const w = table[k * 4 + a];
        const n = cells[c * nLoc + a];
        x += w * nodes[2 * n];
        y += w * nodes[2 * n + 1];
        v += w * u[cellDofs[c * nLoc + a]];
      }
      vx[k] = x;
      vy[k] = y;
      vu[k] = v;
    }
    for (let j = 0; j < s; j++) {
      for (let i = 0; i < s; i++) {
        const a = j * m + i;
        const b = a + 1;
        const cc = a + m + 1;
        const d = a + m;
        const t1 = 0.5 * ((vx[b] - vx[a]) * (vy[cc] - vy[a]) - (vx[cc] - vx[a]) * (vy[b] - vy[a]));
        const t2 = 0.5 * ((vx[cc] - vx[a]) * (vy[d] - vy[a]) - (vx[d] - vx[a]) * (vy[cc] - vy[a]));
        total += positiveAreaLinearTriangle(vu[a], vu[b], vu[cc], t1) + positiveAreaLinearTriangle(vu[a], vu[cc], vu[d], t2);
      }
    }
  }
  return total;
}

/** Default degree of the error-norm rules: well above the degree of the FE functions. */
const ERROR_RULE_DEGREE = 8;

function errorBasis(space: FunctionSpace, degree: number): CellBasis {
  return space.basisWithRule(space.element.rule(degree));
}

/**
 * ‖u − u_h‖_{L²(Ω)} by quadrature of the given degree (default 8) on every cell, with
 * `exact(x, y)` (y = 0 in 1D).
 */
export function l2Error(space: FunctionSpace, u: Float64Array, exact: (x: number, y: number) => number, degree = ERROR_RULE_DEGREE): number {
  const b = errorBasis(space, degree);
  const uq = valuesAtQuadrature(new Float64Array(b.nCells * b.nQ), space, b, u);
  const xq = b.quadraturePoints();
  const dim = b.dim;
  let s = 0;
  for (let i = 0; i < uq.length; i++) {
    const e = exact(xq[i * dim], dim === 2 ? xq[i * dim + 1] : 0) - uq[i];
    s += b.detJw[i] * e * e;
  }
  return Math.sqrt(s);
}

/**
 * The H¹ seminorm error |u − u_h|_{H¹} = ‖∇u − ∇u_h‖_{L²} by quadrature of the given degree,
 * with `exactGradient(x, y, out)` writing ∂u/∂x (and ∂u/∂y in 2D) into out.
 */
export function h1Error(
  space: FunctionSpace,
  u: Float64Array,
  exactGradient: (x: number, y: number, out: Float64Array) => void,
  degree = ERROR_RULE_DEGREE,
): number {
  const b = errorBasis(space, degree);
  const xq = b.quadraturePoints();
  const { dim, nQ, nLoc, nCells, gradPointsPerCell: gp, dphi } = b;
  const cd = space.cellDofs;
  const g = new Float64Array(dim);
  let s = 0;
  for (let c = 0; c < nCells; c++) {
    for (let q = 0; q < nQ; q++) {
      const i = c * nQ + q;
      exactGradient(xq[i * dim], dim === 2 ? xq[i * dim + 1] : 0, g);
      const p = c * gp + (gp > 1 ? q : 0);
      for (let k = 0; k < dim; k++) {
        let gh = 0;
        for (let a = 0; a < nLoc; a++) gh += dphi[(p * nLoc + a) * dim + k] * u[cd[c * nLoc + a]];
        const e = g[k] - gh;
        s += b.detJw[i] * e * e;
      }
    }
  }
  return Math.sqrt(s);
}
