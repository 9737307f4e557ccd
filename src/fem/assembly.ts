import { type CsrMatrix, zeroMatrix } from '../linalg/csr.js';
import type { CellBasis } from './basis.js';
import type { FunctionSpace } from './space.js';

/**
 * Assembly on a FunctionSpace. Every matrix shares `space.pattern`; local contributions are
 * added through the precomputed `space.scatter` map (no search in the loops). Quadrature-point
 * arrays are laid out `[c·nQ + q]` as in CellBasis; gradient-point arrays `[p]` as
 * CellBasis.dphi. All kernels take `out` first, return it, and do not allocate.
 *
 * Matrices assembled on a basis with a rule other than space.basis must use the same mesh.
 */

/** Consistent mass M_ij = ∫ φ_i φ_j (exact with the default rules). */
export function assembleMass(space: FunctionSpace, basis: CellBasis = space.basis): CsrMatrix {
  const M = zeroMatrix(space.pattern);
  const ones = new Float64Array(basis.nCells * basis.nQ).fill(1);
  return addWeightedMass(M, space, basis, ones, 1);
}

/** Stiffness K_ij = ∫ ∇φ_i · ∇φ_j. */
export function assembleStiffness(space: FunctionSpace, basis: CellBasis = space.basis): CsrMatrix {
  const K = zeroMatrix(space.pattern);
  const { nLoc, dim, gradPointsPerCell: gp, gradWeights, dphi, nCells } = basis;
  const v = K.values;
  const scatter = space.scatter;
  for (let c = 0; c < nCells; c++) {
    for (let p = c * gp; p < (c + 1) * gp; p++) {
      const w = gradWeights[p];
      for (let a = 0; a < nLoc; a++) {
        for (let b = 0; b < nLoc; b++) {
          let s = 0;
          for (let k = 0; k < dim; k++) s += dphi[(p * nLoc + a) * dim + k] * dphi[(p * nLoc + b) * dim + k];
          v[scatter[(c * nLoc + a) * nLoc + b]] += w * s;
        }
      }
    }
  }
  return K;
}

/**
 * out += α · M_g with (M_g)_ij = ∫ g φ_i φ_j ≈ Σ_q |det J| w_q g_q φ_i(q) φ_j(q), g given at the
 * quadrature points (`g[c·nQ + q]`). The hot kernel of the Newton Jacobian.
 */
export function addWeightedMass(out: CsrMatrix, space: FunctionSpace, basis: CellBasis, g: Float64Array, alpha: number): CsrMatrix {
  const { nLoc, nQ, nCells, detJw, phiPhi } = basis;
  const v = out.values;
  const scatter = space.scatter;
  const nn = nLoc * nLoc;
  if (nLoc === 3 && basis.phiW) {
    // P1 triangles (always affine), unrolled: |det J| w_q = |cell| ŵ_q; phiW[q, a] = ŵ_q φ_a(q).
    // Every other element takes the generic loop below.
    const phi = basis.phi;
    const phiW = basis.phiW;
    const area = basis.gradWeights;
    for (let c = 0; c < nCells; c++) {
      let m00 = 0, m01 = 0, m02 = 0, m11 = 0, m12 = 0, m22 = 0;
      const q0 = c * nQ;
      for (let q = 0; q < nQ; q++) {
        const w = g[q0 + q];
        const w0 = w * phiW[3 * q];
        const w1 = w * phiW[3 * q + 1];
        const w2 = w * phiW[3 * q + 2];
        const p1 = phi[3 * q + 1];
        const p2 = phi[3 * q + 2];
        m00 += w0 * phi[3 * q];
        m01 += w0 * p1;
        m02 += w0 * p2;
        m11 += w1 * p1;
        m12 += w1 * p2;
        m22 += w2 * p2;
      }
      const s0 = 9 * c;
      const a = alpha * area[c];
      v[scatter[s0]] += a * m00;
      v[scatter[s0 + 1]] += a * m01;
      v[scatter[s0 + 2]] += a * m02;
      v[scatter[s0 + 3]] += a * m01;
      v[scatter[s0 + 4]] += a * m11;
      v[scatter[s0 + 5]] += a * m12;
      v[scatter[s0 + 6]] += a * m02;
      v[scatter[s0 + 7]] += a * m12;
      v[scatter[s0 + 8]] += a * m22;
    }
    return out;
  }
  const loc = scratch(nn);
  for (let c = 0; c < nCells; c++) {
    loc.fill(0, 0, nn);
    const q0 = c * nQ;
    for (let q = 0; q < nQ; q++) {
      const w = alpha * detJw[q0 + q] * g[q0 + q];
      const pp = q * nn;
      // symmetric: upper triangle only
      for (let a = 0; a < nLoc; a++) for (let b = a; b < nLoc; b++) loc[a * nLoc + b] += w * phiPhi[pp + a * nLoc + b];
    }
    const s0 = c * nn;
    for (let a = 0; a < nLoc; a++) {
      v[scatter[s0 + a * nLoc + a]] += loc[a * nLoc + a];
      for (let b = a + 1; b < nLoc; b++) {
        const x = loc[a * nLoc + b];
        v[scatter[s0 + a * nLoc + b]] += x;
        v[scatter[s0 + b * nLoc + a]] += x;
      }
    }
  }
  return out;
}

/** Module scratch for local element matrices/vectors (no allocation per call). */
let scratchBuffer = new Float64Array(64);
function scratch(n: number): Float64Array {
  if (scratchBuffer.length < n) scratchBuffer = new Float64Array(n);
  return scratchBuffer;
}

/** Load vector out_i = ∫ r φ_i ≈ Σ_q |det J| w_q r_q φ_i(q), r given at the quadrature points. */
export function assembleLoad(out: Float64Array, space: FunctionSpace, basis: CellBasis, r: Float64Array): Float64Array {
  const { nLoc, nQ, nCells, detJw, phi } = basis;
  const cd = space.cellDofs;
  out.fill(0);
  const phiW = basis.phiW;
  if (nLoc === 3 && phiW) {
    // P1 triangles (always affine), unrolled: |det J| w_q φ_a(q) = |cell| · phiW[q, a]
    const area = basis.gradWeights;
    for (let c = 0; c < nCells; c++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      const q0 = c * nQ;
      for (let q = 0; q < nQ; q++) {
        const v = r[q0 + q];
        s0 += v * phiW[3 * q];
        s1 += v * phiW[3 * q + 1];
        s2 += v * phiW[3 * q + 2];
      }
      const a = area[c];
      out[cd[3 * c]] += a * s0;
      out[cd[3 * c + 1]] += a * s1;
      out[cd[3 * c + 2]] += a * s2;
    }
    return out;
  }
  const loc = scratch(nLoc);
  for (let c = 0; c < nCells; c++) {
    loc.fill(0, 0, nLoc);
    const q0 = c * nQ;
    for (let q = 0; q < nQ; q++) {
      const w = detJw[q0 + q] * r[q0 + q];
      for (let a = 0; a < nLoc; a++) loc[a] += w * phi[q * nLoc + a];
    }
    for (let a = 0; a < nLoc; a++) out[cd[c * nLoc + a]] += loc[a];
  }
  return out;
}

/** u_h at the quadrature points: out[c·nQ + q] = Σ_a φ_a(q) u[cellDofs[c·nLoc + a]]. */
export function valuesAtQuadrature(out: Float64Array, space: FunctionSpace, basis: CellBasis, u: Float64Array): Float64Array {
  const { nLoc, nQ, nCells, phi } = basis;
  const cd = space.cellDofs;
  if (nLoc === 3) {
    for (let c = 0; c < nCells; c++) {
      const u0 = u[cd[3 * c]];
      const u1 = u[cd[3 * c + 1]];
      const u2 = u[cd[3 * c + 2]];
      for (let q = 0; q < nQ; q++) out[c * nQ + q] = phi[3 * q] * u0 + phi[3 * q + 1] * u1 + phi[3 * q + 2] * u2;
    }
    return out;
  }
  for (let c = 0; c < nCells; c++) {
    for (let q = 0; q < nQ; q++) {
      let s = 0;
      for (let a = 0; a < nLoc; a++) s += phi[q * nLoc + a] * u[cd[c * nLoc + a]];
      out[c * nQ + q] = s;
    }
  }
  return out;
}

/**
 * ∇u_h at the gradient points of the basis (one per cell for P1, one per quadrature point for
 * Q1): out[k][p] = Σ_a ∂φ_a/∂x_k(p) u_a. `out` holds `basis.dim` arrays of length nGradPoints.
 */
export function gradientsAtPoints(out: Float64Array[], space: FunctionSpace, basis: CellBasis, u: Float64Array): Float64Array[] {
  const { nLoc, dim, gradPointsPerCell: gp, nGradPoints, dphi } = basis;
  const cd = space.cellDofs;
  if (nLoc === 3 && dim === 2 && gp === 1) {
    const gx = out[0];
    const gy = out[1];
    for (let c = 0; c < nGradPoints; c++) {
      const u0 = u[cd[3 * c]];
      const u1 = u[cd[3 * c + 1]];
      const u2 = u[cd[3 * c + 2]];
      const o = 6 * c;
      gx[c] = dphi[o] * u0 + dphi[o + 2] * u1 + dphi[o + 4] * u2;
      gy[c] = dphi[o + 1] * u0 + dphi[o + 3] * u1 + dphi[o + 5] * u2;
    }
    return out;
  }
  for (let p = 0; p < nGradPoints; p++) {
    const c = (p / gp) | 0;
    for (let k = 0; k < dim; k++) {
      let s = 0;
      for (let a = 0; a < nLoc; a++) s += dphi[(p * nLoc + a) * dim + k] * u[cd[c * nLoc + a]];
      out[k][p] = s;
    }
  }
  return out;
}

/**
 * Nodal interpolation: out[dof] = fn(x) at the node x of each dof (a point: x[k], k < dim; one
 * scratch point, no allocation per node). Returns out.
 */
export function interpolate(space: FunctionSpace, fn: (x: ArrayLike<number>) => number, out: Float64Array = new Float64Array(space.nDofs)): Float64Array {
  const { nodes, dim } = space.mesh;
  const point = new Float64Array(dim);
  for (let d = 0; d < space.nDofs; d++) {
    const n = space.nodeOfDof[d];
    for (let k = 0; k < dim; k++) point[k] = nodes[n * dim + k];
    out[d] = fn(point);
  }
  return out;
}

/** Set u to the prescribed values on the Dirichlet dofs. Returns u. */
export function applyDirichletValues(space: FunctionSpace, u: Float64Array): Float64Array {
  const dd = space.dirichletDofs;
  for (let i = 0; i < dd.length; i++) u[dd[i]] = space.dirichletValue[dd[i]];
  return u;
}

/**
 * Impose homogeneous Dirichlet conditions on a system for an increment d (d = 0 on Dirichlet
 * dofs) by symmetric elimination: zero the off-diagonal entries of Dirichlet rows and columns
 * (the diagonal is kept, so Jacobi scaling is unchanged) and zero the right-hand side there.
 * `rhs` may be omitted. Returns A.
 */
export function eliminateDirichlet(space: FunctionSpace, A: CsrMatrix, rhs?: Float64Array): CsrMatrix {
  const off = space.dirichletOffDiagonal;
  const v = A.values;
  for (let i = 0; i < off.length; i++) v[off[i]] = 0;
  if (rhs) zeroDirichlet(space, rhs);
  return A;
}

/** r[d] = 0 on every Dirichlet dof. Returns r. */
export function zeroDirichlet(space: FunctionSpace, r: Float64Array): Float64Array {
  const dd = space.dirichletDofs;
  for (let i = 0; i < dd.length; i++) r[dd[i]] = 0;
  return r;
}
