import { describe, expect, it } from 'vitest';
import {
  FunctionSpace,
  applyDirichletValues,
  assembleLoad,
  assembleMass,
  assembleStiffness,
  createFemSolver,
  EnergyWorkspace,
  eliminateDirichlet,
  femEnergy,
  h1Error,
  interpolate,
  l2Error,
  makeLinearSolver,
  type FemScheme,
} from '../src/fem/index.js';
import type { CsrMatrix } from '../src/linalg/csr.js';
import { spmv } from '../src/linalg/csr.js';
import { intervalMesh, rectangleMesh, type Mesh } from '../src/mesh/index.js';
import { EnergyFunctional } from '../src/physics/step-functional.js';
import { pointFunction, sourceTerm, stepCount, type ProblemConfig } from '../src/physics/problems.js';

const PI = Math.PI;

/** Least-squares slope of log(err) against log(h). */
function slope(h: number[], err: number[]): number {
  const x = h.map(Math.log);
  const y = err.map(Math.log);
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Move interior nodes by (0.06 sin 2πx sin 2πy, −0.05 sin 2πx sin 2πy): boundary nodes stay on
 * the unit square's sides, and most cells become general (non-parallelogram) quadrilaterals.
 */
function distort(mesh: Mesh): Mesh {
  const nodes = mesh.nodes as Float64Array;
  for (let i = 0; i < nodes.length; i += 2) {
    const s = Math.sin(2 * PI * nodes[i]) * Math.sin(2 * PI * nodes[i + 1]);
    nodes[i] += 0.06 * s;
    nodes[i + 1] -= 0.05 * s;
  }
  return mesh;
}

/** A zero array with one entry per quadrature point (layout [c·nQ + q]). */
function quadratureArray(space: FunctionSpace): Float64Array {
  return new Float64Array(space.basis.nCells * space.basis.nQ);
}

/** Solve (K + c M) u = ∫ g φ with u = exact on Dirichlet dofs (symmetric elimination of the lift). */
function solveReaction(space: FunctionSpace, c: number, g: (x: number, y: number) => number): Float64Array {
  const M = assembleMass(space);
  const K = assembleStiffness(space);
  const A: CsrMatrix = { pattern: M.pattern, values: new Float64Array(M.values.length) };
  for (let k = 0; k < A.values.length; k++) A.values[k] = K.values[k] + c * M.values[k];
  const xq = space.basis.quadraturePoints();
  const gq = quadratureArray(space);
  const dim = space.mesh.dim;
  for (let i = 0; i < gq.length; i++) gq[i] = g(xq[i * dim], dim === 2 ? xq[i * dim + 1] : 0);
  const b = assembleLoad(new Float64Array(space.nDofs), space, space.basis, gq);
  // lift: u0 = Dirichlet values, solve for d = u − u0 with d = 0 on Dirichlet dofs
  const u0 = applyDirichletValues(space, new Float64Array(space.nDofs));
  const Au0 = spmv(new Float64Array(space.nDofs), A, u0);
  for (let i = 0; i < b.length; i++) b[i] -= Au0[i];
  eliminateDirichlet(space, A, b); // also zeroes b on the Dirichlet dofs
  const d = new Float64Array(space.nDofs);
  const solver = makeLinearSolver('pcg-jacobi', space.nDofs, 1e-13);
  solver.setup(A);
  const res = solver.solve(b, d);
  expect(res.converged).toBe(true);
  for (let i = 0; i < d.length; i++) d[i] += u0[i];
  return d;
}

describe('mass and stiffness exactness', () => {
  const meshes: [string, Mesh, number][] = [
    ['P1 triangles, right diagonal', rectangleMesh({ nx: 5, ny: 3, min: [0, 0], max: [2, 1.5] }), 3],
    ['P1 triangles, crossed-alternating', rectangleMesh({ nx: 4, ny: 6, min: [-1, 0], max: [1, 1.5], diagonal: 'crossed-alternating' }), 3],
    ['Q1 quadrilaterals', rectangleMesh({ nx: 5, ny: 3, min: [0, 0], max: [2, 1.5], cellType: 'quadrilateral' }), 3],
  ];
  for (const [name, mesh, area] of meshes) {
    it(`${name}: 1ᵀM1 = area, K1 = 0, uᵀKu and uᵀMu exact for u = 2x + 3y`, () => {
      const space = new FunctionSpace(mesh);
      const M = assembleMass(space);
      const K = assembleStiffness(space);
      const one = new Float64Array(space.nDofs).fill(1);
      const M1 = spmv(new Float64Array(space.nDofs), M, one);
      expect(M1.reduce((a, b) => a + b)).toBeCloseTo(area, 13);
      const K1 = spmv(new Float64Array(space.nDofs), K, one);
      expect(Math.max(...K1.map(Math.abs))).toBeLessThan(1e-13);
      const u = interpolate(space, (x) => 2 * x[0] + 3 * x[1]);
      const Ku = spmv(new Float64Array(space.nDofs), K, u);
      let uKu = 0;
      for (let i = 0; i < u.length; i++) uKu += u[i] * Ku[i];
      expect(uKu).toBeCloseTo(13 * area, 11); // ∫ |∇u|² = 13·area
      // ∫ (2x + 3y)² over the box, exact: the interpolant is u itself (linear ⊂ P1, Q1).
      const bb = mesh.nodes;
      const [x0, x1] = [Math.min(...bb.filter((_, i) => i % 2 === 0)), Math.max(...bb.filter((_, i) => i % 2 === 0))];
      const [y0, y1] = [Math.min(...bb.filter((_, i) => i % 2 === 1)), Math.max(...bb.filter((_, i) => i % 2 === 1))];
      const X2 = (x1 ** 3 - x0 ** 3) / 3;
      const X1 = (x1 ** 2 - x0 ** 2) / 2;
      const Y2 = (y1 ** 3 - y0 ** 3) / 3;
      const Y1 = (y1 ** 2 - y0 ** 2) / 2;
      const exact = 4 * X2 * (y1 - y0) + 12 * X1 * Y1 + 9 * (x1 - x0) * Y2;
      const Mu = spmv(new Float64Array(space.nDofs), M, u);
      let uMu = 0;
      for (let i = 0; i < u.length; i++) uMu += u[i] * Mu[i];
      expect(uMu).toBeCloseTo(exact, 11);
    });
  }

  it('Q1: uᵀKu exact for the bilinear u = xy on [0,1]² (∫ x² + y² = 2/3)', () => {
    const space = new FunctionSpace(rectangleMesh({ nx: 4, ny: 7, cellType: 'quadrilateral' }));
    const K = assembleStiffness(space);
    const u = interpolate(space, (x) => x[0] * x[1]);
    const Ku = spmv(new Float64Array(space.nDofs), K, u);
    let s = 0;
    for (let i = 0; i < u.length; i++) s += u[i] * Ku[i];
    expect(s).toBeCloseTo(2 / 3, 13);
  });

  it('the energy E(u_h) is exact for u = x on [0,1]²: ½ + ε⁻² ∫ ¼(x² − 1)² = ½ + (2/15) ε⁻² (P1 and Q1, shared energy functions)', () => {
    const eps = 0.1;
    for (const mesh of [rectangleMesh({ nx: 3, ny: 5 }), rectangleMesh({ nx: 4, ny: 2, diagonal: 'crossed-alternating' }), rectangleMesh({ nx: 3, ny: 3, cellType: 'quadrilateral' })]) {
      const space = new FunctionSpace(mesh);
      const u = interpolate(space, (x) => x[0]);
      expect(femEnergy(space, u, new EnergyFunctional(eps), new EnergyWorkspace(space.basis))).toBeCloseTo(0.5 + 2 / 15 / (eps * eps), 12);
    }
    const line = new FunctionSpace(intervalMesh(0, 1, 3));
    expect(femEnergy(line, interpolate(line, (x) => x[0]), new EnergyFunctional(eps), new EnergyWorkspace(line.basis))).toBeCloseTo(0.5 + 2 / 15 / (eps * eps), 12);
  });

  it('1D P1: 1ᵀM1 = length, K1 = 0, uᵀKu = 9·length for u = 3x', () => {
    const space = new FunctionSpace(intervalMesh(-1, 2, 7));
    const M = assembleMass(space);
    const K = assembleStiffness(space);
    const one = new Float64Array(space.nDofs).fill(1);
    expect(spmv(new Float64Array(space.nDofs), M, one).reduce((a, b) => a + b)).toBeCloseTo(3, 13);
    expect(Math.max(...spmv(new Float64Array(space.nDofs), K, one).map(Math.abs))).toBeLessThan(1e-13);
    const u = interpolate(space, (x) => 3 * x[0]);
    const Ku = spmv(new Float64Array(space.nDofs), K, u);
    let s = 0;
    for (let i = 0; i < u.length; i++) s += u[i] * Ku[i];
    expect(s).toBeCloseTo(27, 12);
  });
});

/**
 * Manufactured solutions of −Δu + c u = g, refined 3 times (N = 8, 16, 32, 64): fitted L2 rate
 * 2 ± 0.1 and H1 rate 1 ± 0.1, plus a ceiling on the finest-mesh errors.
 */
describe('convergence on manufactured solutions', () => {
  const Ns = [8, 16, 32, 64];
  const cases = [
    {
      name: 'P1 triangles, Neumann, u = cos πx cos πy, −Δu + u = (2π² + 1) u',
      mesh: (n: number) => rectangleMesh({ nx: n, ny: n }),
      bc: 'neumann' as const,
      c: 1,
      ceilings: [4e-4, 6.5e-2],
    },
    {
      name: 'Q1 quadrilaterals, Neumann, u = cos πx cos πy',
      mesh: (n: number) => rectangleMesh({ nx: n, ny: n, cellType: 'quadrilateral' }),
      bc: 'neumann' as const,
      c: 1,
      ceilings: [1.4e-4, 3.8e-2],
    },
    {
      name: 'Q1 on a smoothly distorted (non-affine) quadrilateral mesh, Neumann, u = cos πx cos πy',
      mesh: (n: number) => distort(rectangleMesh({ nx: n, ny: n, cellType: 'quadrilateral' })),
      bc: 'neumann' as const,
      c: 1,
      ceilings: [2e-4, 4.3e-2], // measured 1.59e-4, 3.60e-2
    },
    {
      name: 'P1 triangles (crossed), Dirichlet u = 1 + sin πx sin πy, −Δu + u',
      mesh: (n: number) => rectangleMesh({ nx: n, ny: n, diagonal: 'crossed-alternating' }),
      bc: 'dirichlet' as const,
      c: 1,
      ceilings: [3.5e-4, 6.2e-2],
    },
    {
      name: 'Q1 quadrilaterals, Dirichlet u = 1 + sin πx sin πy',
      mesh: (n: number) => rectangleMesh({ nx: n, ny: n, cellType: 'quadrilateral' }),
      bc: 'dirichlet' as const,
      c: 1,
      ceilings: [1.4e-4, 3.8e-2],
    },
  ];
  for (const cs of cases) {
    it(cs.name, () => {
      const neumann = cs.bc === 'neumann';
      const exact = neumann ? (x: number, y: number) => Math.cos(PI * x) * Math.cos(PI * y) : (x: number, y: number) => 1 + Math.sin(PI * x) * Math.sin(PI * y);
      const grad = neumann
        ? (x: number, y: number, o: Float64Array) => {
            o[0] = -PI * Math.sin(PI * x) * Math.cos(PI * y);
            o[1] = -PI * Math.cos(PI * x) * Math.sin(PI * y);
          }
        : (x: number, y: number, o: Float64Array) => {
            o[0] = PI * Math.cos(PI * x) * Math.sin(PI * y);
            o[1] = PI * Math.sin(PI * x) * Math.cos(PI * y);
          };
      const g = neumann
        ? (x: number, y: number) => (2 * PI * PI + cs.c) * exact(x, y)
        : (x: number, y: number) => 2 * PI * PI * Math.sin(PI * x) * Math.sin(PI * y) + cs.c * exact(x, y);
      const bcValue = neumann ? { kind: 'neumann' as const } : { kind: 'dirichlet' as const, value: 1 };
      const boundary = { domain: { min: [0, 0], max: [1, 1] }, boundary: { xmin: bcValue, xmax: bcValue, ymin: bcValue, ymax: bcValue } };
      const l2: number[] = [];
      const h1: number[] = [];
      for (const n of Ns) {
        const space = new FunctionSpace(cs.mesh(n), boundary);
        const u = solveReaction(space, cs.c, g);
        l2.push(l2Error(space, u, exact));
        h1.push(h1Error(space, u, grad));
      }
      const h = Ns.map((n) => 1 / n);
      expect(slope(h, l2)).toBeGreaterThan(1.9);
      expect(slope(h, l2)).toBeLessThan(2.1);
      expect(slope(h, h1)).toBeGreaterThan(0.9);
      expect(slope(h, h1)).toBeLessThan(1.1);
      expect(l2[l2.length - 1]).toBeLessThan(cs.ceilings[0]);
      expect(h1[h1.length - 1]).toBeLessThan(cs.ceilings[1]);
    });
  }

  it('1D P1, Neumann, u = cos πx on [−1, 1], −u″ + u = (π² + 1) u', () => {
    const exact = (x: number) => Math.cos(PI * x);
    const l2: number[] = [];
    const h1: number[] = [];
    for (const n of Ns) {
      const space = new FunctionSpace(intervalMesh(-1, 1, n));
      const u = solveReaction(space, 1, (x) => (PI * PI + 1) * exact(x));
      l2.push(l2Error(space, u, exact));
      h1.push(h1Error(space, u, (x, _y, o) => (o[0] = -PI * Math.sin(PI * x))));
    }
    const h = Ns.map((n) => 2 / n);
    expect(Math.abs(slope(h, l2) - 2)).toBeLessThan(0.1);
    expect(Math.abs(slope(h, h1) - 1)).toBeLessThan(0.1);
    expect(l2[l2.length - 1]).toBeLessThan(CEILING_1D[0]);
    expect(h1[h1.length - 1]).toBeLessThan(CEILING_1D[1]);
  });
});

/** 1D finest-mesh (N = 64, h = 1/32) ceilings; measured 8.13e-4 and 8.90e-2. */
const CEILING_1D = [1e-3, 0.107];

/**
 * The time-dependent problem through createFemSolver, with mobility, a source and a Dirichlet
 * value: the manufactured solution u(x, t) = ½ + 0.3 e⁻ᵗ sin πx on [0, 1], u = ½ at both ends,
 * m = 0.5, ε = 0.2, and s = u_t − m(u_xx − ε⁻² f(u)). Each scheme is first order in τ: with
 * h small (N = 256, spatial error ~1e-6) the error at T = 0.2 halves when τ halves.
 */
describe('manufactured time-dependent solution (mobility, source, Dirichlet value)', () => {
  const m = 0.5;
  const eps = 0.2;
  const exact = (x: number, t: number) => 0.5 + 0.3 * Math.exp(-t) * Math.sin(PI * x);
  const source = (x: number, _y: number, t: number) => {
    const u = exact(x, t);
    const ut = -0.3 * Math.exp(-t) * Math.sin(PI * x);
    const uxx = -PI * PI * 0.3 * Math.exp(-t) * Math.sin(PI * x);
    return ut - m * (uxx - (u * u * u - u) / (eps * eps));
  };
  const problem = (tau: number): ProblemConfig => ({
    name: 'manufactured',
    scale: 'reduced',
    dim: 1,
    domain: { min: [0], max: [1] },
    boundary: { xmin: { kind: 'dirichlet', value: 0.5 }, xmax: { kind: 'dirichlet', value: 0.5 } },
    epsilon: eps,
    mobility: m,
    tau,
    tEnd: 0.2,
    n: 256,
    seed: 1,
    initial: pointFunction((x) => exact(x[0], 0)),
    source: sourceTerm((x, t) => source(x[0], 0, t)),
  });
  /** Max-norm error ceilings at τ = 0.005 (measured: 4.9e-5, 5.1e-4, 1.22e-3). */
  const TIME_CEILING: Record<FemScheme, number> = { 'mms-newton': 7e-5, stabilized: 7e-4, 'convex-split': 1.6e-3 };
  for (const scheme of ['mms-newton', 'stabilized', 'convex-split'] as FemScheme[]) {
    it(`${scheme}: error at T = 0.2 is first order in τ`, async () => {
      const errors: number[] = [];
      for (const tau of [0.02, 0.01, 0.005]) {
        const p = problem(tau);
        const solver = createFemSolver(p, { scheme });
        await solver.initialise();
        const steps = stepCount(p);
        for (let i = 0; i < steps; i++) await solver.step();
        const x = new Float64Array(101).map((_, i) => i / 100);
        const u = solver.sample(x);
        expect(u[0]).toBe(0.5);
        expect(u[100]).toBe(0.5);
        errors.push(Math.max(...Array.from(u, (v, i) => Math.abs(v - exact(x[i], p.tEnd)))));
      }
      expect(errors[errors.length - 1]).toBeLessThan(TIME_CEILING[scheme]);
      const rate = slope([0.02, 0.01, 0.005], errors);
      expect(rate).toBeGreaterThan(0.9);
      expect(rate).toBeLessThan(1.15);
    });
  }
});
