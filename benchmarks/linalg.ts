/**
 * Sparse linear-algebra benchmark: the two SPD systems the FEM time schemes solve every step, on
 * P1 triangles ('right' diagonal) over the unit square with N = 64…512 cells per side.
 *
 * - stabilized (Shen & Yang): A = (1/(mτ) + S/ε²) M + K, constant over a run;
 * - mms-newton Jacobian: J = M/(mτ) + K + ε⁻² M_{f'(u)}, u = the star initial condition,
 *   M_{f'(u)} the mass matrix weighted by the element mean of f'(u) = 3u² − 1 at the nodes.
 * τ = 5e-5, ε = 0.01, m = 1, S = 1 (the setting of the FEM targets, src/bench/scaling.ts).
 *
 * Right-hand sides as the schemes form them: stabilized, the increment form
 * A d = −(K u + ε⁻² M f(u)) (f interpolated at the nodes); Newton, b = J (u₁ − u) with u₁ the
 * stabilized step from u (same scale as −∇Jₙ).
 *
 * For each matrix and method: setup (the per-pattern work excluded; the Cholesky analysis is
 * reported apart in analyse_ms), solve time and PCG iterations from x₀ = 0 for each rtol in
 * RTOLS, and the true relative residual ‖b − A x‖/‖b‖. Times are medians of `REPEATS` runs; the
 * machine is shared, so they are noisy (compare within one run).
 *
 * Run: npx tsx benchmarks/linalg.ts [N …]   → results/linalg-bench.csv and results/linalg-bench.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { stringify } from 'csv-stringify/sync';
import {
  type CsrMatrix,
  type Preconditioner,
  CholeskyPreconditioner,
  Ic0Preconditioner,
  JacobiPreconditioner,
  PcgWorkspace,
  SparseCholesky,
  SsorPreconditioner,
  analyseCholesky,
  linearCombination,
  patternFromCells,
  pcg,
  spmv,
  zeroMatrix,
} from '../src/linalg/index.js';
import { FunctionSpace, addWeightedMass, assembleMass, assembleStiffness } from '../src/fem/index.js';
import { rectangleMesh } from '../src/mesh/index.js';
import { makeProblem, potentialSecondDerivative } from '../src/physics/index.js';

const TAU = 5e-5;
const EPS = 0.01;
const MOBILITY = 1;
const S = 1;
/** 1e-8 is the FEM default (FemOptions.linearTolerance); 1e-10 shows how the counts grow. */
const RTOLS = [1e-8, 1e-10];
const REPEATS = 5;

const sizes = process.argv.slice(2).length > 0 ? process.argv.slice(2).map(Number) : [64, 128, 256, 512];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** On a shared machine the minimum over repeats estimates the unloaded cost best. */
function minimum(xs: number[]): number {
  return Math.min(...xs);
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

interface Row {
  n_side: number;
  dofs: number;
  matrix: string;
  method: string;
  /** PCG relative tolerance (0 for direct solves and setup rows). */
  rtol: number;
  setup_ms: number;
  analyse_ms: number;
  solve_ms: number;
  /** Minimum over the repeats (the median is solve_ms). */
  solve_min_ms: number;
  iterations: number;
  rel_residual: number;
  nnz_a: number;
  nnz_l: number;
  note: string;
}

const rows: Row[] = [];
const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString() };
console.log(machine);

for (const N of sizes) {
  const mesh = rectangleMesh({ nx: N, ny: N });
  const nDofs = (N + 1) * (N + 1);
  const [, patternMs] = time(() => patternFromCells(nDofs, mesh.cells, 3));
  // M, K and the weighted mass through the solver's own assembly (dof i = node i: no periodic sides).
  const space = new FunctionSpace(mesh);
  const pattern = space.pattern;
  const nnzA = pattern.colIdx.length;
  const base = { n_side: N, dofs: nDofs, nnz_a: nnzA };
  rows.push({ ...base, matrix: '-', method: 'patternFromCells', rtol: 0, setup_ms: patternMs, analyse_ms: 0, solve_ms: 0, solve_min_ms: 0, iterations: 0, rel_residual: 0, nnz_l: 0, note: '' });

  const M = assembleMass(space);
  const K = assembleStiffness(space);
  const star = makeProblem('star', 'paper', { epsilon: EPS });
  const u = new Float64Array(nDofs);
  for (let i = 0; i < nDofs; i++) u[i] = star.initial(mesh.nodes[2 * i], mesh.nodes[2 * i + 1]);
  // The element mean of f'(u) at the nodes, held at every quadrature point of the cell.
  const nQ = space.basis.nQ;
  const fpq = new Float64Array(space.basis.nCells * nQ);
  for (let e = 0; e < space.basis.nCells; e++) {
    let s = 0;
    for (let a = 0; a < 3; a++) s += potentialSecondDerivative(u[mesh.cells[3 * e + a]]);
    fpq.fill(s / 3, e * nQ, (e + 1) * nQ);
  }
  const Mf = addWeightedMass(zeroMatrix(pattern), space, space.basis, fpq, 1);

  const Astab = linearCombination(zeroMatrix(pattern), 1 / (MOBILITY * TAU) + S / EPS ** 2, M, 1, K);
  const J = linearCombination(zeroMatrix(pattern), 1 / (MOBILITY * TAU), M, 1, K);
  linearCombination(J, 1, J, 1 / EPS ** 2, Mf);

  // Stabilized, increment form: A d = −(K u + ε⁻² M f(u)).
  const fu = new Float64Array(nDofs);
  for (let i = 0; i < nDofs; i++) fu[i] = (u[i] ** 3 - u[i]) / EPS ** 2;
  const bStab = spmv(new Float64Array(nDofs), M, fu);
  const Ku = spmv(new Float64Array(nDofs), K, u);
  for (let i = 0; i < nDofs; i++) bStab[i] = -(bStab[i] + Ku[i]);
  // Newton: J δ = −∇Jₙ; a representative right-hand side with the same scale: b = J d, d the stabilized increment.
  const bNewton = new Float64Array(nDofs);
  {
    const d = new Float64Array(nDofs);
    const jac = new JacobiPreconditioner();
    jac.setup(Astab);
    pcg(Astab, bStab, d, jac, new PcgWorkspace(nDofs), { rtol: 1e-12 });
    spmv(bNewton, J, d);
  }

  const work = new PcgWorkspace(nDofs);
  const x = new Float64Array(nDofs);
  const r = new Float64Array(nDofs);
  const relResidual = (A: CsrMatrix, b: Float64Array) => {
    spmv(r, A, x);
    let rr = 0;
    let bb = 0;
    for (let i = 0; i < nDofs; i++) {
      rr += (b[i] - r[i]) ** 2;
      bb += b[i] ** 2;
    }
    return Math.sqrt(rr / bb);
  };

  const runPcg = (A: CsrMatrix, b: Float64Array, P: Preconditioner, rtol: number) => {
    const times: number[] = [];
    let its = 0;
    let converged = true;
    for (let rep = 0; rep < REPEATS; rep++) {
      x.fill(0);
      const [res, ms] = time(() => pcg(A, b, x, P, work, { rtol, maxIterations: 5000 }));
      times.push(ms);
      its = res.iterations;
      converged &&= res.converged;
    }
    return { ms: median(times), minMs: minimum(times), its, converged, res: relResidual(A, b) };
  };

  const cases: { matrix: string; A: CsrMatrix; b: Float64Array }[] = [
    { matrix: 'stabilized', A: Astab, b: bStab },
    { matrix: 'newton', A: J, b: bNewton },
  ];
  for (const { matrix, A, b } of cases) {
    const iterative: Preconditioner[] = [new JacobiPreconditioner(), new SsorPreconditioner(), new Ic0Preconditioner()];
    for (const P of iterative) {
      P.setup(A); // first setup includes per-pattern work; time the numeric re-setup
      const setupMs = median(Array.from({ length: REPEATS }, () => time(() => P.setup(A))[1]));
      for (const rtol of RTOLS) {
        const cold = runPcg(A, b, P, rtol);
        rows.push({ ...base, matrix, method: `pcg-${P.name}`, rtol, setup_ms: setupMs, analyse_ms: 0, solve_ms: cold.ms, solve_min_ms: cold.minMs, iterations: cold.its, rel_residual: cold.res, nnz_l: 0, note: cold.converged ? '' : 'NOT CONVERGED' });
        console.log(N, matrix, P.name, `rtol ${rtol}`, `setup ${setupMs.toFixed(1)} ms`, `solve ${cold.ms.toFixed(1)} ms (min ${cold.minMs.toFixed(1)}) / ${cold.its} it`, `res ${cold.res.toExponential(1)}`);
      }
    }
    const orderings: ('nested-dissection' | 'rcm')[] = N <= 128 ? ['nested-dissection', 'rcm'] : ['nested-dissection'];
    for (const ordering of orderings) {
      const [sym, analyseMs] = time(() => analyseCholesky(pattern, { ordering, coordinates: mesh.nodes }));
      const [chol, factorMs] = time(() => new SparseCholesky(A, sym));
      const refactorMs = matrix === 'newton' ? time(() => chol.refactor(A))[1] : factorMs;
      const solveTimes = Array.from({ length: REPEATS }, () => time(() => chol.solve(x, b))[1]);
      const solveMs = median(solveTimes);
      const res = relResidual(A, b);
      rows.push({ ...base, matrix, method: `cholesky-${ordering}`, rtol: 0, setup_ms: refactorMs, analyse_ms: analyseMs, solve_ms: solveMs, solve_min_ms: minimum(solveTimes), iterations: 1, rel_residual: res, nnz_l: chol.nnzL, note: `sum count_j^2 = ${sym.flops.toExponential(2)}` });
      console.log(N, matrix, `cholesky-${ordering}`, `analyse ${analyseMs.toFixed(0)} ms`, `factor ${refactorMs.toFixed(0)} ms`, `solve ${solveMs.toFixed(1)} ms (min ${minimum(solveTimes).toFixed(1)})`, `nnzL ${chol.nnzL}`, `res ${res.toExponential(1)}`);
    }
  }
  // Newton with the constant stabilized matrix's factor as preconditioner (factored once per run).
  {
    const P = new CholeskyPreconditioner({ coordinates: mesh.nodes });
    const [, setupMs] = time(() => P.setup(Astab));
    for (const rtol of RTOLS) {
      const cold = runPcg(J, bNewton, P, rtol);
      rows.push({ ...base, matrix: 'newton', method: 'pcg-cholesky(stabilized A)', rtol, setup_ms: setupMs, analyse_ms: 0, solve_ms: cold.ms, solve_min_ms: cold.minMs, iterations: cold.its, rel_residual: cold.res, nnz_l: P.factorization!.nnzL, note: 'factored once per run' });
      console.log(N, 'newton', 'pcg-cholesky(stabilized A)', `rtol ${rtol}`, `solve ${cold.ms.toFixed(1)} ms / ${cold.its} it`);
    }
  }
}

mkdirSync('results', { recursive: true });
const round = (v: number) => (Number.isInteger(v) ? v : Number(v.toPrecision(4)));
const out = rows.map((r) => ({ ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])), cpu: machine.cpu, node: machine.node }));
writeFileSync('results/linalg-bench.csv', stringify(out, { header: true }));
writeFileSync('results/linalg-bench.json', JSON.stringify({ machine, tau: TAU, epsilon: EPS, mobility: MOBILITY, S, rtols: RTOLS, repeats: REPEATS, rows: out }, null, 2));
console.log('wrote results/linalg-bench.csv and results/linalg-bench.json');
