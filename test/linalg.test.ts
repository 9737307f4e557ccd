import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  type CsrMatrix,
  type CsrPattern,
  type Preconditioner,
  CholeskyPreconditioner,
  Ic0Preconditioner,
  JacobiPreconditioner,
  PcgWorkspace,
  SparseCholesky,
  SsorPreconditioner,
  analyseCholesky,
  entryIndex,
  inversePermutation,
  naturalOrdering,
  nestedDissection,
  patternFromCells,
  pcg,
  reverseCuthillMcKee,
  spmv,
  transposeIndex,
  zeroMatrix,
} from '../src/linalg/index.js';
import { readGmshFile } from '../src/io/gmsh.js';
import { mulberry32 } from '../src/physics/index.js';

/** 1D chain of n nodes: cells (i, i+1). Matrix tridiag(−1, 2 + c, −1): SPD for c ≥ 0. */
function chainMatrix(n: number, c: number) {
  const cells = new Uint32Array(2 * (n - 1));
  for (let i = 0; i < n - 1; i++) {
    cells[2 * i] = i;
    cells[2 * i + 1] = i + 1;
  }
  const pattern = patternFromCells(n, cells, 2);
  const A = zeroMatrix(pattern);
  for (let i = 0; i < n; i++) {
    A.values[entryIndex(pattern, i, i)] = 2 + c;
    if (i > 0) A.values[entryIndex(pattern, i, i - 1)] = -1;
    if (i < n - 1) A.values[entryIndex(pattern, i, i + 1)] = -1;
  }
  return A;
}

/**
 * 5-point Laplacian plus c·I on an n×n grid of nodes (Dirichlet-like rows: diagonal 4 + c
 * everywhere), node (i, j) at index j·n + i, built from the grid edges as 2-node cells.
 * `relabel[old] = new` renumbers the nodes (to test orderings on a scrambled numbering).
 */
function gridMatrix(n: number, c: number, relabel?: Int32Array) {
  const N = n * n;
  const id = (i: number, j: number) => (relabel ? relabel[j * n + i] : j * n + i);
  const edges: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      if (i + 1 < n) edges.push(id(i, j), id(i + 1, j));
      if (j + 1 < n) edges.push(id(i, j), id(i, j + 1));
    }
  }
  const pattern = patternFromCells(N, Uint32Array.from(edges), 2);
  const A = zeroMatrix(pattern);
  for (let k = 0; k < pattern.n; k++) A.values[pattern.diagIdx[k]] = 4 + c;
  for (let e = 0; e < edges.length; e += 2) {
    A.values[entryIndex(pattern, edges[e], edges[e + 1])] = -1;
    A.values[entryIndex(pattern, edges[e + 1], edges[e])] = -1;
  }
  const coordinates = new Float64Array(2 * N);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      coordinates[2 * id(i, j)] = i / (n - 1);
      coordinates[2 * id(i, j) + 1] = j / (n - 1);
    }
  }
  return { A, coordinates };
}

/**
 * Seeded random sparse SPD matrix: `nEdges` random couplings with values in [−1, 1], diagonal
 * Σ_j |a_ij| + delta (strictly diagonally dominant with positive diagonal ⇒ SPD).
 */
function randomSpd(n: number, nEdges: number, delta: number, seed: number) {
  const rand = mulberry32(seed);
  const cells = new Uint32Array(2 * nEdges);
  for (let e = 0; e < nEdges; e++) {
    const a = Math.floor(rand() * n);
    let b = Math.floor(rand() * n);
    if (b === a) b = (a + 1) % n;
    cells[2 * e] = a;
    cells[2 * e + 1] = b;
  }
  const pattern = patternFromCells(n, cells, 2);
  const A = zeroMatrix(pattern);
  const t = transposeIndex(pattern);
  const { rowPtr, colIdx } = pattern;
  for (let i = 0; i < n; i++) {
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
      if (colIdx[k] > i) {
        const v = 2 * rand() - 1;
        A.values[k] = v;
        A.values[t[k]] = v;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    let s = delta;
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) if (colIdx[k] !== i) s += Math.abs(A.values[k]);
    A.values[pattern.diagIdx[i]] = s;
  }
  return A;
}

function knownSolution(n: number) {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(0.37 * i) + 0.01 * (i % 17));
}

function relResidual(A: CsrMatrix, x: Float64Array, b: Float64Array): number {
  const r = spmv(new Float64Array(b.length), A, x);
  let rr = 0;
  let bb = 0;
  for (let i = 0; i < b.length; i++) {
    rr += (b[i] - r[i]) ** 2;
    bb += b[i] ** 2;
  }
  return Math.sqrt(rr / bb);
}

function maxError(x: Float64Array, y: Float64Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]));
  return e;
}

/** Solve A x = A x* by PCG from x = 0; returns the result and the max error against x*. */
function solveKnown(A: CsrMatrix, P: Preconditioner, rtol = 1e-12, maxIterations?: number) {
  const n = A.pattern.n;
  const xExact = knownSolution(n);
  const b = spmv(new Float64Array(n), A, xExact);
  const x = new Float64Array(n);
  P.setup(A);
  const res = pcg(A, b, x, P, new PcgWorkspace(n), { rtol, maxIterations });
  return { res, err: maxError(x, xExact), residual: relResidual(A, x, b) };
}

/** Reference pattern with Sets (the former implementation) for comparison. */
function referencePattern(nDofs: number, cells: Uint32Array, npc: number) {
  const rows: Set<number>[] = Array.from({ length: nDofs }, (_, i) => new Set([i]));
  for (let c = 0; c < cells.length; c += npc) {
    for (let a = 0; a < npc; a++) for (let b = 0; b < npc; b++) rows[cells[c + a]].add(cells[c + b]);
  }
  return rows.map((s) => [...s].sort((a, b) => a - b));
}

describe('CSR pattern and PCG', () => {
  it('builds the tridiagonal pattern with sorted columns and diagonal positions', () => {
    const A = chainMatrix(5, 0);
    expect(Array.from(A.pattern.rowPtr)).toEqual([0, 2, 5, 8, 11, 13]);
    expect(Array.from(A.pattern.colIdx)).toEqual([0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4]);
    expect(Array.from(A.pattern.diagIdx)).toEqual([0, 3, 6, 9, 12]);
    expect(entryIndex(A.pattern, 0, 4)).toBe(-1);
  });

  it('matches a Set-based reference pattern on random quadrilateral cells, isolated dofs keep a diagonal', () => {
    const rand = mulberry32(7);
    const nDofs = 300;
    const cells = new Uint32Array(4 * 200);
    // dofs 290…299 appear in no cell
    for (let k = 0; k < cells.length; k++) cells[k] = Math.floor(rand() * 290);
    const p = patternFromCells(nDofs, cells, 4);
    const ref = referencePattern(nDofs, cells, 4);
    for (let i = 0; i < nDofs; i++) {
      expect(Array.from(p.colIdx.subarray(p.rowPtr[i], p.rowPtr[i + 1]))).toEqual(ref[i]);
      expect(p.colIdx[p.diagIdx[i]]).toBe(i);
    }
    expect(p.rowPtr[299 + 1] - p.rowPtr[299]).toBe(1);
  });

  it('rejects cells that refer to a dof outside the range, and ragged cell arrays', () => {
    expect(() => patternFromCells(3, Uint32Array.of(0, 1, 1, 3), 2)).toThrow('patternFromCells: cell 1 refers to dof 3, outside [0, 3)');
    expect(() => patternFromCells(3, Uint32Array.of(0, 1, 2), 2)).toThrow(
      'patternFromCells: cellDofs has length 3, not a multiple of nodesPerCell = 2',
    );
  });

  it('maps every entry to its transpose, and reports an unsymmetric pattern', () => {
    const A = randomSpd(50, 120, 1, 3);
    const t = transposeIndex(A.pattern);
    const { n, rowPtr, colIdx } = A.pattern;
    for (let i = 0; i < n; i++) {
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
        expect(t[k]).toBe(entryIndex(A.pattern, colIdx[k], i));
        expect(A.values[t[k]]).toBe(A.values[k]);
      }
    }
    // (0,0) (0,1) / (1,1): entry (0, 1) has no (1, 0).
    const bad: CsrPattern = { n: 2, rowPtr: Int32Array.of(0, 2, 3), colIdx: Int32Array.of(0, 1, 1), diagIdx: Int32Array.of(0, 2) };
    expect(() => transposeIndex(bad)).toThrow('csr: pattern is not symmetric (entry (0, 1) has no transpose (1, 0))');
  });

  it('solves A x = b for a known x to the requested tolerance', () => {
    const n = 200;
    const A = chainMatrix(n, 0.01);
    const xExact = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 7) + 0.1 * i);
    const b = spmv(new Float64Array(n), A, xExact);
    const x = new Float64Array(n);
    const M = new JacobiPreconditioner();
    M.setup(A);
    const res = pcg(A, b, x, M, new PcgWorkspace(n), { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(x[i] - xExact[i]));
    expect(err).toBeLessThan(1e-8);
  });

  it('rejects an indefinite matrix with a message', () => {
    const A = chainMatrix(10, -3.9);
    const M = new JacobiPreconditioner();
    expect(() => M.setup(A)).toThrow('jacobi: diagonal entry 0 is -1.9, not positive');
    // tridiag(−1, 0.1, −1): positive diagonal, yet 1ᵀA1 = 10·0.1 − 18 < 0, so PCG from x = 0 with
    // b = 1 meets pᵀAp = 100·1ᵀA1 = −1700 at once.
    const B = chainMatrix(10, -1.9);
    M.setup(B);
    expect(() => pcg(B, new Float64Array(10).fill(1), new Float64Array(10), M, new PcgWorkspace(10))).toThrow(
      /^pcg: matrix is not positive definite \(pᵀAp = -1(699\.9\d*|700) at iteration 1\)$/,
    );
  });

  it('reports non-convergence when the iteration budget is too small', () => {
    const { A } = gridMatrix(30, 0.01);
    const { res } = solveKnown(A, new JacobiPreconditioner(), 1e-10, 5);
    expect(res.converged).toBe(false);
    expect(res.iterations).toBe(5);
    expect(res.residualNorm).toBeGreaterThan(0);
  });
});

describe('preconditioners on the fixed pattern', () => {
  const grid = gridMatrix(40, 0.01).A; // condition number ≈ 8 / (0.01 + 2π²/41²) ≈ 4·10²
  const random = randomSpd(800, 2400, 0.05, 11);
  const make = (): Preconditioner[] => [
    new JacobiPreconditioner(),
    new SsorPreconditioner(),
    new SsorPreconditioner({ omega: 1.5 }),
    new Ic0Preconditioner(),
    new CholeskyPreconditioner(),
  ];

  for (const [label, A] of [
    ['5-point grid 40×40 + 0.01 I', grid],
    ['random sparse SPD (n = 800)', random],
  ] as const) {
    it(`every preconditioner converges to the known solution: ${label}`, () => {
      for (const P of make()) {
        const { res, err, residual } = solveKnown(A, P);
        expect(res.converged, P.name).toBe(true);
        expect(residual, P.name).toBeLessThan(1e-11);
        expect(err, P.name).toBeLessThan(1e-8);
      }
    });
  }

  it('IC(0) and SSOR need strictly fewer iterations than Jacobi; the exact preconditioner needs one', () => {
    const its = Object.fromEntries(make().map((P) => [P.name, solveKnown(grid, P, 1e-10).res.iterations]));
    // Jacobi-CG on the 5-point Laplacian needs O(n) iterations; SGS and IC(0) reduce the constant.
    expect(its.jacobi).toBeGreaterThan(60);
    expect(its.jacobi).toBeLessThan(200);
    expect(its.sgs).toBeLessThan(its.jacobi);
    expect(its['ssor(1.5)']).toBeLessThan(its.jacobi);
    expect(its.ic0).toBeLessThan(its.jacobi);
    expect(its.ic0).toBeLessThan(0.6 * its.jacobi);
    expect(its.ic0).toBeGreaterThan(10);
    expect(its.cholesky).toBe(1);
  });

  it('IC(0) is the exact Cholesky factor when no fill is possible (tridiagonal): PCG takes one step', () => {
    const A = chainMatrix(300, 0.001);
    const { res, err } = solveKnown(A, new Ic0Preconditioner());
    expect(res.iterations).toBe(1);
    expect(err).toBeLessThan(1e-9);
  });

  it('symmetric Gauss–Seidel is exact on a diagonal matrix', () => {
    const p = patternFromCells(5, new Uint32Array(0), 2);
    const A = zeroMatrix(p);
    A.values.set([1, 2, 3, 4, 5]);
    expect(solveKnown(A, new SsorPreconditioner()).res.iterations).toBe(1);
  });

  it('apply gives the same result when z aliases r', () => {
    for (const P of make()) {
      P.setup(random);
      const r = knownSolution(random.pattern.n);
      const z = new Float64Array(r.length);
      P.apply(z, r);
      const zr = r.slice();
      P.apply(zr, zr);
      expect(maxError(z, zr), P.name).toBe(0);
    }
  });

  it('IC(0) on the Kershaw matrix (SPD, not an M-matrix): throws or shifts the diagonal', () => {
    // Kershaw (1978): SPD, yet IC(0) gives a negative last pivot: 3 − 4/3 − 4/0.6 = −5.
    const cells = Uint32Array.of(0, 1, 1, 2, 2, 3, 3, 0);
    const p = patternFromCells(4, cells, 2);
    const A = zeroMatrix(p);
    const set = (i: number, j: number, v: number) => {
      A.values[entryIndex(p, i, j)] = v;
      A.values[entryIndex(p, j, i)] = v;
    };
    for (let i = 0; i < 4; i++) set(i, i, 3);
    set(0, 1, -2);
    set(1, 2, -2);
    set(2, 3, -2);
    set(0, 3, 2);
    expect(() => new SparseCholesky(A)).not.toThrow(); // SPD
    expect(() => new Ic0Preconditioner({ onBreakdown: 'throw' }).setup(A)).toThrow('ic0: breakdown at row 3 (pivot -5');
    const P = new Ic0Preconditioner();
    const { res, err } = solveKnown(A, P);
    expect(P.shift).toBeGreaterThan(0);
    expect(P.shift).toBeLessThan(10);
    expect(res.converged).toBe(true);
    expect(err).toBeLessThan(1e-10);
  });

  it('rejects bad options and non-positive diagonals with messages', () => {
    expect(() => new SsorPreconditioner({ omega: 2 })).toThrow('ssor: omega must lie in (0, 2), got 2');
    expect(() => new Ic0Preconditioner({ initialShift: 0 })).toThrow('ic0: need 0 < initialShift ≤ maxShift, got 0, 1000');
    const A = chainMatrix(4, -2.5);
    expect(() => new Ic0Preconditioner().setup(A)).toThrow('ic0: diagonal entry 0 is -0.5, not positive');
    expect(() => new SsorPreconditioner().setup(A)).toThrow('ssor: diagonal entry 0 is -0.5, not positive');
    expect(() => new Ic0Preconditioner().apply(new Float64Array(1), new Float64Array(1))).toThrow('ic0: apply called before setup');
  });
});

describe('orderings', () => {
  it('nested dissection and RCM return permutations; inversePermutation rejects non-permutations', () => {
    const { A, coordinates } = gridMatrix(23, 0);
    for (const perm of [
      nestedDissection(A.pattern),
      nestedDissection(A.pattern, { coordinates }),
      nestedDissection(A.pattern, { coordinates, leafSize: 1 }),
      reverseCuthillMcKee(A.pattern),
    ]) {
      const iperm = inversePermutation(perm);
      for (let k = 0; k < perm.length; k++) expect(iperm[perm[k]]).toBe(k);
    }
    expect(() => inversePermutation(Int32Array.of(0, 2, 2))).toThrow('ordering: not a permutation of 0…2 (entry 2 is 2)');
  });

  it('orders disconnected graphs completely', () => {
    // two separate grids, 9×9 each, in one pattern
    const n = 9;
    const g = gridMatrix(n, 0).A.pattern;
    const cells: number[] = [];
    for (let i = 0; i < g.n; i++) {
      for (let k = g.rowPtr[i]; k < g.rowPtr[i + 1]; k++) {
        const j = g.colIdx[k];
        if (j > i) cells.push(i, j, i + g.n, j + g.n);
      }
    }
    const p = patternFromCells(2 * g.n, Uint32Array.from(cells), 2);
    expect(inversePermutation(nestedDissection(p, { leafSize: 4 })).length).toBe(2 * g.n);
    expect(inversePermutation(reverseCuthillMcKee(p)).length).toBe(2 * g.n);
  });
});

describe('sparse Cholesky', () => {
  it('has exactly the banded fill of the natural order on the grid, and nested dissection reduces it', () => {
    const n = 60;
    const { A, coordinates } = gridMatrix(n, 0.1);
    // Natural order: the envelope fills completely (George & Liu 1981, Thm 4.1.1): row k of L spans
    // the n columns left of k from the second grid row on, one column (or none) in the first.
    const N = n * n;
    const banded = N + (n - 1) + (N - n) * n;
    expect(analyseCholesky(A.pattern, { ordering: 'natural' }).nnzL).toBe(banded);
    const ndGeo = analyseCholesky(A.pattern, { coordinates }).nnzL;
    const ndGraph = analyseCholesky(A.pattern).nnzL;
    const rcm = analyseCholesky(A.pattern, { ordering: 'rcm' }).nnzL;
    // measured: banded 216,059; RCM 149,330; nested dissection ≈ 0.3–0.4 of banded
    expect(rcm).toBeLessThan(banded);
    expect(ndGeo).toBeLessThan(0.5 * banded);
    expect(ndGraph).toBeLessThan(0.5 * banded);
    // no fill at all on a tridiagonal matrix
    expect(analyseCholesky(chainMatrix(50, 0).pattern, { ordering: 'natural' }).nnzL).toBe(99);
  });

  it('RCM recovers a small fill from a scrambled numbering', () => {
    const n = 25;
    const rand = mulberry32(5);
    const relabel = naturalOrdering(n * n);
    for (let i = relabel.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [relabel[i], relabel[j]] = [relabel[j], relabel[i]];
    }
    const { A, coordinates } = gridMatrix(n, 0.1, relabel);
    const scrambled = analyseCholesky(A.pattern, { ordering: 'natural' }).nnzL;
    const rcm = analyseCholesky(A.pattern, { ordering: 'rcm' }).nnzL;
    const nd = analyseCholesky(A.pattern, { coordinates }).nnzL;
    const naturalGrid = n * n + (n - 1) + (n * n - n) * n; // the banded fill of the unscrambled grid
    expect(rcm).toBeLessThan(0.5 * scrambled);
    expect(rcm).toBeLessThan(naturalGrid);
    expect(nd).toBeLessThan(rcm);
    const chol = new SparseCholesky(A, { coordinates });
    const x = knownSolution(n * n);
    const b = spmv(new Float64Array(n * n), A, x);
    expect(maxError(chol.solve(new Float64Array(n * n), b), x)).toBeLessThan(1e-12);
  });

  it('periodic (torus) grid: nested dissection stays a valid ordering with less fill, solve to 1e-12', () => {
    // 5-point Laplacian + 0.01 I on a 32×32 torus: dof (i, j) couples to (i ± 1 mod n, j) and (i, j ± 1 mod n).
    const n = 32;
    const edges: number[] = [];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) edges.push(j * n + i, j * n + ((i + 1) % n), j * n + i, ((j + 1) % n) * n + i);
    }
    const p = patternFromCells(n * n, Uint32Array.from(edges), 2);
    const A = zeroMatrix(p);
    for (let i = 0; i < n * n; i++) {
      for (let k = p.rowPtr[i]; k < p.rowPtr[i + 1]; k++) A.values[k] = p.colIdx[k] === i ? 4.01 : -1;
    }
    const coordinates = new Float64Array(2 * n * n);
    for (let k = 0; k < n * n; k++) {
      coordinates[2 * k] = k % n;
      coordinates[2 * k + 1] = Math.floor(k / n);
    }
    const natural = analyseCholesky(p, { ordering: 'natural' }).nnzL;
    for (const opts of [{ coordinates }, {}]) {
      const chol = new SparseCholesky(A, opts);
      expect(chol.nnzL).toBeLessThan(0.6 * natural);
      const xExact = knownSolution(n * n);
      const b = spmv(new Float64Array(n * n), A, xExact);
      expect(relResidual(A, chol.solve(new Float64Array(n * n), b), b)).toBeLessThan(1e-12);
    }
  });

  it('unstructured Gmsh disk (meshes/disk-h32.msh): RCM and nested dissection cut the fill of the file numbering', () => {
    const mesh = readGmshFile('meshes/disk-h32.msh');
    const n = mesh.nodes.length / 2;
    const p = patternFromCells(n, mesh.cells, 3);
    // measured: file order 287,295; RCM 35,192; geometric ND 20,527 nonzeros of L (1,069 nodes)
    const natural = analyseCholesky(p, { ordering: 'natural' }).nnzL;
    const rcm = analyseCholesky(p, { ordering: 'rcm' }).nnzL;
    const nd = analyseCholesky(p, { coordinates: mesh.nodes }).nnzL;
    expect(rcm).toBeLessThan(0.2 * natural);
    expect(nd).toBeLessThan(rcm);
    const A = zeroMatrix(p);
    for (let i = 0; i < n; i++) {
      for (let k = p.rowPtr[i]; k < p.rowPtr[i + 1]; k++) A.values[k] = p.colIdx[k] === i ? 10 : -1;
    }
    const xExact = knownSolution(n);
    const b = spmv(new Float64Array(n), A, xExact);
    const chol = new SparseCholesky(A, { coordinates: mesh.nodes });
    expect(relResidual(A, chol.solve(new Float64Array(n), b), b)).toBeLessThan(1e-12);
  });

  it('matches the dense Cholesky factor of P A Pᵀ (ml-matrix) entry by entry', () => {
    const A = randomSpd(60, 150, 0.5, 21);
    const chol = new SparseCholesky(A);
    const { perm, colPtr } = chol.symbolic;
    const dense = new Matrix(60, 60);
    for (let i = 0; i < 60; i++) {
      for (let k = A.pattern.rowPtr[perm[i]]; k < A.pattern.rowPtr[perm[i] + 1]; k++) {
        const j = chol.symbolic.iperm[A.pattern.colIdx[k]];
        dense.set(i, j, A.values[k]);
      }
    }
    const L = new CholeskyDecomposition(dense).lowerTriangularMatrix;
    const Ls = new Matrix(60, 60);
    for (let j = 0; j < 60; j++) for (let p = colPtr[j]; p < colPtr[j + 1]; p++) Ls.set(chol.rowIdx[p], j, chol.values[p]);
    let err = 0;
    let structural = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j++) {
        err = Math.max(err, Math.abs(L.get(i, j) - Ls.get(i, j)));
        if (Math.abs(L.get(i, j)) > 1e-14 && Ls.get(i, j) === 0 && !hasEntry(i, j)) structural++;
      }
    }
    function hasEntry(i: number, j: number) {
      for (let p = colPtr[j]; p < colPtr[j + 1]; p++) if (chol.rowIdx[p] === i) return true;
      return false;
    }
    expect(err).toBeLessThan(1e-12);
    expect(structural).toBe(0);
  });

  it('solves to relative residual 1e-12 on the grid and the random matrix, also in place (out aliases b)', () => {
    const { A: grid, coordinates } = gridMatrix(50, 1e-3);
    for (const [A, opts] of [
      [grid, { coordinates }],
      [grid, { ordering: 'rcm' as const }],
      [randomSpd(1000, 3000, 1e-3, 8), {}],
    ] as const) {
      const n = A.pattern.n;
      const chol = new SparseCholesky(A, opts);
      const xExact = knownSolution(n);
      const b = spmv(new Float64Array(n), A, xExact);
      const x = chol.solve(new Float64Array(n), b);
      expect(relResidual(A, x, b)).toBeLessThan(1e-12);
      const inPlace = b.slice();
      expect(chol.solve(inPlace, inPlace)).toBe(inPlace);
      expect(maxError(inPlace, x)).toBe(0);
    }
  });

  it('reports a matrix that is not positive definite with the failing pivot', () => {
    expect(() => new SparseCholesky(chainMatrix(10, -3.9), { ordering: 'natural' })).toThrow(
      'cholesky: matrix is not positive definite (pivot 0 is -1.9)',
    );
    // tridiag(−1, 1.5, −1): pivots 1.5, 0.8333, 0.3, then 1.5 − 1/0.3 < 0 at row 3
    expect(() => new SparseCholesky(chainMatrix(6, -0.5), { ordering: 'natural' })).toThrow(
      'cholesky: matrix is not positive definite (pivot 3 is -1.83333333333',
    );
    // An explicit permutation puts the same matrix's rows in another order: the row reported is A's.
    expect(() => new SparseCholesky(chainMatrix(6, -0.5), { ordering: Int32Array.of(5, 4, 3, 2, 1, 0) })).toThrow(
      'cholesky: matrix is not positive definite (pivot 2 is -1.83333333333',
    );
    expect(() => new SparseCholesky(chainMatrix(3, 0), { ordering: 'amd' as never })).toThrow(
      "cholesky: unknown ordering 'amd' (expected 'nested-dissection', 'rcm', 'natural' or an Int32Array)",
    );
  });

  it('refactors new values on the same symbolic analysis', () => {
    const { A, coordinates } = gridMatrix(30, 0.5);
    const chol = new SparseCholesky(A, { coordinates });
    const symbolic = chol.symbolic;
    const B = zeroMatrix(A.pattern);
    const rand = mulberry32(2);
    // B = A + diag(random positive): same pattern, new values
    B.values.set(A.values);
    for (let i = 0; i < B.pattern.n; i++) B.values[B.pattern.diagIdx[i]] += 3 * rand();
    chol.refactor(B);
    expect(chol.symbolic).toBe(symbolic);
    const xExact = knownSolution(B.pattern.n);
    const b = spmv(new Float64Array(B.pattern.n), B, xExact);
    expect(relResidual(B, chol.solve(new Float64Array(B.pattern.n), b), b)).toBeLessThan(1e-12);
    // after a failed refactor, a good one still works
    const bad = B.values.map((v) => -v);
    expect(() => chol.refactor(bad)).toThrow('cholesky: matrix is not positive definite');
    chol.refactor(B.values);
    expect(relResidual(B, chol.solve(new Float64Array(B.pattern.n), b), b)).toBeLessThan(1e-12);
    expect(() => chol.refactor(chainMatrix(5, 0))).toThrow('cholesky: refactor needs a matrix on the analysed pattern');
    expect(() => chol.refactor(new Float64Array(3))).toThrow(`cholesky: refactor got 3 values, the pattern has ${A.values.length}`);
  });

  it('as a preconditioner, setup on the same pattern refactors without a new analysis', () => {
    const { A } = gridMatrix(20, 1);
    const P = new CholeskyPreconditioner({ ordering: 'rcm' });
    expect(P.factorization).toBeNull();
    P.setup(A);
    const first = P.factorization!;
    const B = zeroMatrix(A.pattern);
    for (let k = 0; k < B.values.length; k++) B.values[k] = 2 * A.values[k];
    P.setup(B);
    expect(P.factorization).toBe(first);
    expect(solveKnown(B, P).res.iterations).toBe(1);
  });

  it('as a preconditioner of a nearby matrix, PCG converges in a few iterations', () => {
    const { A } = gridMatrix(40, 1);
    const P = new CholeskyPreconditioner();
    P.setup(A);
    const B = zeroMatrix(A.pattern);
    B.values.set(A.values);
    for (let i = 0; i < B.pattern.n; i++) B.values[B.pattern.diagIdx[i]] += 0.5 * Math.sin(i) ** 2; // A ≤ B ≤ A + I/2
    const n = B.pattern.n;
    const xExact = knownSolution(n);
    const b = spmv(new Float64Array(n), B, xExact);
    const x = new Float64Array(n);
    const res = pcg(B, b, x, P, new PcgWorkspace(n), { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeGreaterThan(1);
    expect(res.iterations).toBeLessThan(15);
    expect(maxError(x, xExact)).toBeLessThan(1e-10);
  });
});
