/**
 * SDMM accuracy benchmark: SDMM's final field on a reduced problem against a converged FEM
 * reference (mms-newton, the same τ, N and 2N cells per side in 2D, or 4096 and 8192 elements in
 * 1D), both sampled on the same uniform grid (101 × 101 in 2D, 2001 points in 1D):
 *
 *   relative L2 = ( Σ_i (u_sdmm − u_fem)² / Σ_i u_fem² )^½  over the grid points.
 *
 * The reference's own discretisation error is estimated by the same norm between its two
 * resolutions. Each SDMM configuration is run from its own fit; fit error and time, per-step stop
 * reasons, gradient norms, energies, iterations and wall times are recorded. Times come from a
 * shared 2-core machine: noisy, compare within one run.
 *
 * Run: npx tsx benchmarks/sdmm-accuracy.ts <problem> ['[{"rank":16,…}, …]']  (problem: star, circle
 * or ac1d; default star). Environment: DT, T_END override τ and the final time (ac1d: the issue's
 * run uses DT=1e-3 T_END=0.25). Rows of other configurations already in the output are kept.
 *   → results/sdmm-accuracy-<problem>.csv / .json (FEM reference cached in
 *     results/sdmm-accuracy-<problem>-reference.json, reused when its configuration matches).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { stringify } from 'csv-stringify/sync';
import { relativeL2Error } from '../src/bench/metrics.js';
import { createFemSolver } from '../src/fem/index.js';
import { describeProblem, makeProblem, stepCount } from '../src/physics/problems.js';
import { createSdmmSolver, type SdmmOptions } from '../src/sdmm/index.js';
import { uniformGrid, type GradientFlowSolver, type StepRecord } from '../src/solver.js';
import { checkStability } from '../src/stability/index.js';

const NAME = process.argv[2] && !process.argv[2].startsWith('[') ? process.argv[2] : 'star';
const PROBLEM = makeProblem(NAME, 'reduced', {
  tau: process.env.DT ? Number(process.env.DT) : undefined,
  tEnd: process.env.T_END ? Number(process.env.T_END) : undefined,
});
const STEPS = stepCount(PROBLEM);
const GRID = PROBLEM.dim === 1 ? 2001 : 101;
const FEM_N = PROBLEM.dim === 1 ? [4096, 8192] : [128, 256];
const OUT = 'results';
const TAG = `sdmm-accuracy-${NAME}`;

/** The configurations compared: the defaults (float64 'js' engine), unless given on the command line. */
const DEFAULT_CONFIGS: Partial<SdmmOptions>[] = [{}];
/** The relative L2 of the module comment: relativeL2Error with unit weights (every grid point counts once). */
const unitWeights = new Float64Array(PROBLEM.dim === 1 ? GRID : GRID * GRID).fill(1);
const relL2 = (a: Float64Array, b: Float64Array): number => relativeL2Error(a, b, unitWeights);

async function run(solver: GradientFlowSolver, label: string, records: StepRecord[] = []): Promise<{ records: StepRecord[]; wallMs: number }> {
  const t0 = performance.now();
  records.push(await solver.initialise());
  console.log(`${label}: step 0 ${records[0].stopReason} (${(records[0].wallMs / 1000).toFixed(1)} s)`);
  for (let i = 0; i < STEPS; i++) {
    const r = await solver.step();
    records.push(r);
    if (r.step % 10 === 0) console.log(`${label}: step ${r.step} E = ${r.energy.toFixed(4)} it ${r.iterations} ${r.stopReason} (${(r.wallMs / 1000).toFixed(2)} s)`);
  }
  return { records, wallMs: performance.now() - t0 };
}

const points = uniformGrid(PROBLEM, GRID);
const refPath = `${OUT}/${TAG}-reference.json`;
const refKey = JSON.stringify({ problem: describeProblem(PROBLEM), FEM_N, GRID, scheme: 'mms-newton' });

interface Reference {
  key: string;
  values: number[];
  coarse: number[];
  energy: number;
  wallMs: Record<string, number>;
}

let reference: Reference;
if (existsSync(refPath) && (JSON.parse(readFileSync(refPath, 'utf8')) as Reference).key === refKey) {
  reference = JSON.parse(readFileSync(refPath, 'utf8')) as Reference;
  console.log(`FEM reference reused from ${refPath}`);
} else {
  const sampled: Float64Array[] = [];
  const wallMs: Record<string, number> = {};
  let energy = NaN;
  for (const n of FEM_N) {
    const fem = createFemSolver(PROBLEM, { scheme: 'mms-newton', n });
    const { records, wallMs: ms } = await run(fem, `fem N=${n}`);
    sampled.push(fem.sample(points));
    wallMs[`N${n}`] = ms;
    energy = records[records.length - 1].energy;
    fem.dispose();
  }
  reference = { key: refKey, values: [...sampled[1]], coarse: [...sampled[0]], energy, wallMs };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(refPath, JSON.stringify(reference));
}
const uRef = Float64Array.from(reference.values);
const referenceError = relL2(Float64Array.from(reference.coarse), uRef);
console.log(`FEM reference: relative L2 (N=${FEM_N[0]} vs N=${FEM_N[1]}) = ${referenceError.toExponential(3)}, final E = ${reference.energy}`);

const cfgArg = process.argv.slice(2).find((a) => a.startsWith('['));
const configs: Partial<SdmmOptions>[] = cfgArg ? (JSON.parse(cfgArg) as Partial<SdmmOptions>[]) : DEFAULT_CONFIGS;
const rows: Record<string, unknown>[] = [];
for (const config of configs) {
  const solver = await createSdmmSolver(PROBLEM, { backend: 'js', ...config });
  const label = `sdmm ${JSON.stringify(config)}`;
  let result: { records: StepRecord[]; wallMs: number } | null = null;
  let error = '';
  const partial: StepRecord[] = [];
  try {
    result = await run(solver, label, partial);
  } catch (e) {
    error = (e as Error).message;
    console.log(`${label}: FAILED ${error}`);
  }
  const desc = solver.describe();
  const u = result ? solver.sample(points) : null;
  const records = result?.records ?? partial;
  const stops: Record<string, number> = {};
  for (const r of records.slice(1)) {
    const key = r.stopReason.split(';')[0] + (r.stopReason.includes('kept previous') ? ' (kept previous)' : '');
    stops[key] = (stops[key] ?? 0) + 1;
  }
  const last = records[records.length - 1];
  let maxAbsU = 0;
  for (const r of records) maxAbsU = Math.max(maxAbsU, Math.abs(r.minU), Math.abs(r.maxU));
  const row = {
    label,
    rank: (desc.options as SdmmOptions).rank,
    width: (desc.options as SdmmOptions).width,
    depth: (desc.options as SdmmOptions).depth,
    quadElements: (desc.options as SdmmOptions).quadElements,
    quadPoints: (desc.options as SdmmOptions).quadPoints,
    fitTolerance: desc.fitTolerance,
    bound: (desc.options as SdmmOptions).bound,
    optimizer: (desc.options as SdmmOptions).optimizer,
    maxIters: (desc.options as SdmmOptions).maxIters,
    parameters: desc.parameters,
    backend: desc.backend,
    engine: desc.engine,
    precision: desc.precision,
    threads: desc.threads,
    fitRelativeMse: desc.fitMse,
    fitIterations: desc.fitIterations,
    fitMs: records[0]?.wallMs ?? NaN,
    relL2: u ? relL2(u, uRef) : NaN,
    referenceRelL2: referenceError,
    finalEnergy: last?.energy ?? NaN,
    referenceEnergy: reference.energy,
    stable: records.length > 1 ? checkStability(records, { rtol: 0, atol: 0 }).energyInequality.ok : false,
    maxAbsU,
    maxGradientNorm: records.slice(1).reduce((m, r) => Math.max(m, r.gradientNorm ?? 0), 0),
    totalIterations: records.slice(1).reduce((s, r) => s + r.iterations, 0),
    stepMsMean: records.length > 1 ? records.slice(1).reduce((s, r) => s + r.wallMs, 0) / (records.length - 1) : NaN,
    wallMs: result?.wallMs ?? NaN,
    stopReasons: JSON.stringify(stops),
    error,
  };
  console.log(row);
  rows.push(row);
  solver.dispose();
}

// Rows of earlier invocations (other configurations) are kept; a re-run configuration replaces its row.
const jsonPath = `${OUT}/${TAG}.json`;
if (existsSync(jsonPath)) {
  const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as { rows?: Record<string, unknown>[] };
  const labels = new Set(rows.map((r) => r.label));
  rows.unshift(...(previous.rows ?? []).filter((r) => !labels.has(r.label)));
}
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}/${TAG}.csv`, stringify(rows, { header: true }));
writeFileSync(
  jsonPath,
  JSON.stringify(
    {
      benchmark: 'sdmm-accuracy',
      problem: describeProblem(PROBLEM),
      steps: STEPS,
      sampleGrid: GRID,
      reference: { solver: 'fem', scheme: 'mms-newton', cells: FEM_N[1], coarseCells: FEM_N[0], relL2CoarseVsFine: referenceError, finalEnergy: reference.energy, wallMs: reference.wallMs },
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: process.platform },
      date: new Date().toISOString(),
      rows,
    },
    null,
    2,
  ),
);
console.log(`wrote ${OUT}/${TAG}.csv and ${jsonPath}`);
