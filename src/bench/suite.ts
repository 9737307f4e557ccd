import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirectory, writeFileAtomic } from '../io/atomic.js';
import { parseCsv, readStepsCsv, writeCsvAtomic, writeFieldCsv, type StepRow } from '../io/csv.js';
import { CIRCLE_RADIUS, describeProblem, makeProblem, stepCount, type ProblemConfig } from '../physics/problems.js';
import { uniformGrid, type GradientFlowSolver, type StepRecord } from '../solver.js';
import type { RunOptions } from '../runner.js';
import { checkStability } from '../stability/checker.js';
import { resolveSuite, solverLabel, type ResolvedProblem, type SolverSpec, type SuiteConfig } from './config.js';
import { environmentInfo, type EnvironmentInfo } from './environment.js';
import {
  circleRadius,
  maxAbs,
  phaseAreaOnGrid,
  radiusFromArea,
  relativeL2Error,
  timeToAccuracy,
  trapezoidWeights,
  type SweepPoint,
  type TimeToAccuracyRow,
} from './metrics.js';

/**
 * The head-to-head suite (issue 4): for every problem of a suite file,
 *
 * 1. a converged FEM reference (n·nFactor cells per side, τ/tauDivisor), cached in
 *    `<out>/reference/<problem>/` and sampled on the common k×k grid at the output times;
 * 2. every solver configuration through the shared runner (`runSolver`: steps.csv, final.csv,
 *    summary.json, checkpoints, resume) into `<out>/<problem>/<label>/`, with u sampled on the same
 *    grid at the output times into `snapshots/u-step<N>.csv`;
 * 3. metrics against the reference (relative L2, phase-area error, energy difference, circle radius
 *    error, max |u|, the shared stability verdict) into `bench.json` per run.
 *
 * A run with a `bench.json` is complete and skipped on restart; one without is resumed from its
 * last checkpoint by the runner. A run that fails (divergence, a refused fit, any error) is
 * recorded as failed with its reason and the suite goes on. Then `summary.csv`,
 * `time-to-accuracy.csv`, the pictures and `REPORT.md` are (re)written from all bench.json files.
 */

/** The runner's options as the suite uses them (src/runner.ts). */
export type SuiteRunOptions = Pick<RunOptions, 'outDir' | 'grid' | 'checkpointEvery' | 'resume' | 'onStep' | 'signal' | 'progress'>;

/** What the suite needs from the outside world; `defaultSuiteDeps()` gives the real solvers and runner. */
export interface SuiteDeps {
  createSolver(problem: ProblemConfig, spec: SolverSpec): Promise<GradientFlowSolver>;
  runSolver(solver: GradientFlowSolver, options: SuiteRunOptions): Promise<unknown>;
}

export interface SuiteOptions {
  /** Root of all results (default 'results'); the suite writes to `<root>/<suite name>/`. */
  root?: string;
  deps: SuiteDeps;
  /** Stops between steps (the runner checkpoints) and between runs. */
  signal?: AbortSignal;
  /** One line per run start and end (default: to stderr). */
  log?: (line: string) => void;
  /** Per-run progress bars with ETA from the runner (default: stderr is a TTY). */
  progress?: boolean;
  /** Skip pictures and REPORT.md (tests). */
  skipReport?: boolean;
  /** Called after each run finishes (tests use it to simulate a kill). */
  afterRun?: (result: RunResult) => void;
}

/** A run's outcome and metrics, stored as bench.json in its directory. */
export interface RunResult {
  problem: string;
  /** Directory label: a solver configuration, or 'reference'. */
  label: string;
  role: 'reference' | 'main' | 'sweep';
  /** The solver kind's name. */
  kind: string;
  /** fem-<scheme> or sdmm[-adam]: the family compared in time to accuracy. */
  family: string;
  spec: SolverSpec;
  /** 'interrupted' only in memory (Ctrl-C): such a run has no bench.json and resumes next time. */
  status: 'completed' | 'failed' | 'interrupted';
  reason: string;
  /** FEM degrees of freedom or SDMM trainable parameters (null if the solver never started). */
  unknowns: number | null;
  backend: string;
  /** Steps taken (rows of steps.csv after step 0). */
  steps: number;
  /** Σ wall_ms over steps.csv (step 0 included: FEM set-up or the SDMM initial fit). */
  totalWallMs: number;
  /** Mean wall time and iterations over steps ≥ 1. */
  msPerStep: number;
  iterationsPerStep: number;
  linearIterationsPerStep: number;
  finalTime: number;
  finalEnergy: number;
  /** Output steps of this run and the metrics at each (NaN where the run did not get there). */
  outputSteps: number[];
  outputTimes: number[];
  relL2: number[];
  phaseArea: number[];
  phaseAreaError: number[];
  energyDiff: number[];
  radiusError: number[];
  maxAbsU: number;
  stable: boolean;
  stability: string;
  describe: Record<string, unknown>;
}

/** Everything a report is made from. */
export interface SuiteResults {
  suite: SuiteConfig;
  outDir: string;
  environment: EnvironmentInfo;
  problems: ResolvedProblem[];
  runs: RunResult[];
  timeToAccuracy: (TimeToAccuracyRow & { problem: string })[];
  wallMs: number;
}

export const SUMMARY_COLUMNS = [
  'problem',
  'scale',
  'role',
  'solver',
  'configuration',
  'family',
  'status',
  'reason',
  'unknowns',
  'steps',
  'total_wall_ms',
  'ms_per_step',
  'iterations_per_step',
  'linear_iterations_per_step',
  'final_time',
  'final_energy',
  'rel_l2_final',
  'rel_l2_max',
  'phase_area_error',
  'energy_diff',
  'radius_error',
  'max_abs_u',
  'stable',
  'stability',
  'backend',
  'epsilon',
  'tau',
  'grid',
] as const;

export const TIME_TO_ACCURACY_COLUMNS = ['problem', 'family', 'target_rel_l2', 'reached', 'wall_ms', 'configuration', 'rel_l2'] as const;

/** File name of the grid snapshot of u at `step` inside a run's snapshots/ directory. */
export const snapshotName = (step: number) => `u-step${String(step).padStart(6, '0')}.csv`;

/** Read a snapshot written by writeFieldCsv (last column u), or null if absent. */
export function readSnapshot(path: string): Float64Array | null {
  if (!existsSync(path)) return null;
  const { records } = parseCsv(readFileSync(path, 'utf8'));
  const out = new Float64Array(records.length - 1);
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    out[i - 1] = r[r.length - 1] === 'NaN' ? Number.NaN : Number(r[r.length - 1]);
  }
  return out;
}

function familyOf(spec: SolverSpec): string {
  if (spec.kind === 'fem') return `fem-${spec.scheme}`;
  return spec.optimizer === 'adam' ? 'sdmm-adam' : 'sdmm';
}

/** The solver options a spec carries (without kind and label). */
export function solverOptions(spec: SolverSpec): Record<string, unknown> {
  const { kind: _k, label: _l, ...rest } = spec;
  return rest;
}

function unknownsOf(d: Record<string, unknown>): number | null {
  for (const key of ['unknowns', 'dofs', 'nDofs', 'parameters', 'nParameters']) {
    if (typeof d[key] === 'number') return d[key] as number;
  }
  return null;
}

function reasonOf(result: unknown): { failed: boolean; reason: string } {
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    const status = typeof r.status === 'string' ? r.status : '';
    const reason = [r.reason, r.error, r.failure, r.message].find((x) => typeof x === 'string') as string | undefined;
    if (/fail|diverg|error|abort|interrupt/i.test(status)) return { failed: true, reason: reason ?? status };
  }
  return { failed: false, reason: '' };
}

function mean(rows: readonly StepRow[], f: (r: StepRow) => number): number {
  const later = rows.filter((r) => r.step > 0);
  if (later.length === 0) return Number.NaN;
  return later.reduce((s, r) => s + f(r), 0) / later.length;
}

interface RunTask {
  problem: ResolvedProblem;
  /** The problem the solver is built from (the reference's is finer). */
  runProblem: ProblemConfig;
  spec: SolverSpec & { label: string };
  role: RunResult['role'];
  dir: string;
  outputSteps: number[];
}

interface ReferenceData {
  /** Reference u on the grid at the problem's output steps (same order), null if missing. */
  fields: (Float64Array | null)[];
  /** Reference energy at the problem's output steps. */
  energies: number[];
}

/** Make the reference problem of a suite problem: n·nFactor, τ/tauDivisor. */
export function referenceProblem(p: ResolvedProblem): ProblemConfig {
  return makeProblem(p.problem.name, p.problem.scale, {
    ...p.spec.overrides,
    n: p.problem.n * p.reference.nFactor,
    tau: p.problem.tau / p.reference.tauDivisor,
  });
}

/** Run the whole suite; returns everything the report is made of. */
export async function runSuite(suite: SuiteConfig, options: SuiteOptions): Promise<SuiteResults> {
  const t0 = performance.now();
  const root = options.root ?? 'results';
  const outDir = join(root, suite.name);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const progress = options.progress ?? Boolean(process.stderr.isTTY);
  ensureDirectory(outDir);
  const problems = resolveSuite(suite);
  const environment = environmentInfo();
  writeFileAtomic(join(outDir, 'suite.json'), `${JSON.stringify(suite, null, 2)}\n`);
  writeFileAtomic(join(outDir, 'environment.json'), `${JSON.stringify(environment, null, 2)}\n`);

  const runs: RunResult[] = [];
  const total = problems.reduce((s, p) => s + 1 + p.solvers.length + (suite.sweep?.problems.includes(p.problem.name) ? suite.sweep.solvers.length : 0), 0);
  let index = 0;
  const counted = (line: string) => log(`[${index}/${total}] ${line}`);
  const sweepPoints: (SweepPoint & { problem: string })[] = [];

  for (const p of problems) {
    if (options.signal?.aborted) break;
    const refProblem = referenceProblem(p);
    const refSpec = {
      kind: 'fem' as const,
      label: 'reference',
      scheme: p.reference.scheme,
      n: refProblem.n,
      ...(p.reference.cellType ? { cellType: p.reference.cellType } : {}),
    };
    const refSteps = p.outputSteps.map((s) => Math.min(stepCount(refProblem), s * p.reference.tauDivisor));
    const refTask: RunTask = { problem: p, runProblem: refProblem, spec: refSpec, role: 'reference', dir: join(outDir, 'reference', p.problem.name), outputSteps: refSteps };
    index++;
    const refResult = await runOne(refTask, suite, options, counted, progress, null);
    runs.push(refResult);
    const ref = loadReference(refTask);

    const tasks: RunTask[] = p.solvers.map((spec) => ({
      problem: p,
      runProblem: p.problem,
      spec,
      role: 'main',
      dir: join(outDir, p.problem.name, spec.label),
      outputSteps: p.outputSteps,
    }));
    if (suite.sweep?.problems.includes(p.problem.name)) {
      for (const s of suite.sweep.solvers) {
        const label = `sweep-${solverLabel(s, p.problem.n)}`;
        tasks.push({ problem: p, runProblem: p.problem, spec: { ...s, label }, role: 'sweep', dir: join(outDir, p.problem.name, label), outputSteps: p.outputSteps });
      }
    }
    for (const task of tasks) {
      if (options.signal?.aborted) break;
      index++;
      const r = await runOne(task, suite, options, counted, progress, ref);
      runs.push(r);
      const last = r.relL2[r.relL2.length - 1];
      sweepPoints.push({ problem: p.problem.name, family: r.family, label: r.label, wallMs: r.totalWallMs, error: r.status === 'completed' ? last : Number.NaN });
    }
  }

  const tta: (TimeToAccuracyRow & { problem: string })[] = [];
  if (suite.sweep) {
    for (const name of suite.sweep.problems) {
      for (const row of timeToAccuracy(sweepPoints.filter((s) => s.problem === name), suite.sweep.targets)) tta.push({ problem: name, ...row });
    }
  }
  const results: SuiteResults = { suite, outDir, environment, problems, runs, timeToAccuracy: tta, wallMs: performance.now() - t0 };
  writeSummaryCsv(join(outDir, 'summary.csv'), results);
  writeTimeToAccuracyCsv(join(outDir, 'time-to-accuracy.csv'), tta);
  if (!options.skipReport && !options.signal?.aborted) {
    const { writeReport } = await import('./report.js');
    await writeReport(results);
  }
  return results;
}

function loadReference(task: RunTask): ReferenceData {
  const fields = task.outputSteps.map((s) => readSnapshot(join(task.dir, 'snapshots', snapshotName(s))));
  let energies = task.outputSteps.map(() => Number.NaN);
  const stepsPath = join(task.dir, 'steps.csv');
  if (existsSync(stepsPath)) {
    const rows = readStepsCsv(stepsPath).rows;
    energies = task.outputSteps.map((s) => rows.find((r) => r.step === s)?.energy ?? Number.NaN);
  }
  return { fields, energies };
}

/** Run (or skip, or resume) one configuration and compute its metrics; never throws for a solver failure. */
async function runOne(
  task: RunTask,
  suite: SuiteConfig,
  options: SuiteOptions,
  log: (line: string) => void,
  progress: boolean,
  ref: ReferenceData | null,
): Promise<RunResult> {
  const benchPath = join(task.dir, 'bench.json');
  const keyPath = join(task.dir, 'run-key.json');
  const name = `${task.problem.problem.name}/${task.spec.label}`;
  // What the run's files are a function of: if any of it changed since they were written,
  // neither skipping nor resuming would be honest, so the directory starts afresh.
  const key = `${JSON.stringify({ spec: task.spec, problem: describeProblem(task.runProblem), grid: suite.grid, outputSteps: task.outputSteps }, null, 2)}\n`;
  if (existsSync(keyPath) && readFileSync(keyPath, 'utf8') !== key) {
    log(`${name}: configuration changed since its files were written, starting afresh`);
    rmSync(task.dir, { recursive: true, force: true });
  }
  if (existsSync(benchPath)) {
    // Skip the run, but re-measure from its files: the reference may have been recomputed.
    const done = readBenchJson(benchPath);
    log(`${name}: already done (${done.status}), skipped`);
    const again = measure(task, ref, { failed: done.status === 'failed', reason: done.reason, describe: done.describe, write: true });
    options.afterRun?.(again);
    return again;
  }
  ensureDirectory(join(task.dir, 'snapshots'));
  writeFileAtomic(keyPath, key);
  const k = suite.grid;
  const grid = uniformGrid(task.runProblem, k);
  const nGrid = task.runProblem.dim === 2 ? k * k : k;
  const buffer = new Float64Array(nGrid);
  const outputSet = new Set(task.outputSteps);
  const resume = existsSync(join(task.dir, 'checkpoint'));
  log(`${name}: ${resume ? 'resuming' : 'starting'} (${stepCount(task.runProblem)} steps)`);

  let solver: GradientFlowSolver | null = null;
  let failed = false;
  let reason = '';
  let describe: Record<string, unknown> = {};
  try {
    solver = await options.deps.createSolver(task.runProblem, task.spec);
    describe = solver.describe();
    const s = solver;
    const onStep = (record: StepRecord) => {
      if (outputSet.has(record.step)) {
        s.sample(grid, buffer);
        writeFieldCsv(join(task.dir, 'snapshots', snapshotName(record.step)), grid, task.runProblem.dim, buffer);
      }
    };
    const summary = await options.deps.runSolver(solver, {
      outDir: task.dir,
      grid: k,
      checkpointEvery: suite.checkpointEvery,
      resume,
      onStep,
      signal: options.signal,
      progress,
    });
    ({ failed, reason } = reasonOf(summary));
    describe = solver.describe();
  } catch (e) {
    failed = true;
    reason = `${(e as Error).name}: ${(e as Error).message}`.replace(/\s+/g, ' ');
  } finally {
    solver?.dispose();
  }
  if (options.signal?.aborted) {
    // Interrupted: the runner has checkpointed; no bench.json, so the next start resumes.
    log(`${name}: interrupted`);
    return { ...measure(task, ref, { failed: true, reason: 'interrupted: run the suite again to resume', describe, write: false }), status: 'interrupted' };
  }
  const result = measure(task, ref, { failed, reason, describe, write: true });
  log(`${name}: ${result.status}${result.reason ? ` (${result.reason})` : ''}, ${(result.totalWallMs / 1000).toFixed(1)} s`);
  options.afterRun?.(result);
  return result;
}

/** Metrics of a finished (or failed) run from its files; writes bench.json when `write`. */
function measure(
  task: RunTask,
  ref: ReferenceData | null,
  o: { failed: boolean; reason: string; describe: Record<string, unknown>; write: boolean },
): RunResult {
  const p = task.runProblem;
  const stepsPath = join(task.dir, 'steps.csv');
  const rows = existsSync(stepsPath) ? readStepsCsv(stepsPath).rows : [];
  const last = rows[rows.length - 1];
  const expected = stepCount(p);
  let failed = o.failed;
  let reason = o.reason;
  if (!failed && (!last || last.step !== expected)) {
    failed = true;
    reason = `stopped at step ${last?.step ?? 'none'} of ${expected}`;
  }
  const verdict = rows.length > 0 ? checkStability(rows) : null;
  const relL2: number[] = [];
  const phaseArea: number[] = [];
  const phaseAreaError: number[] = [];
  const energyDiff: number[] = [];
  const radiusError: number[] = [];
  let maxU = Number.NaN;
  const outputTimes = task.outputSteps.map((s) => s * p.tau);
  task.outputSteps.forEach((step, i) => {
    const u = readSnapshot(join(task.dir, 'snapshots', snapshotName(step)));
    const kk = u ? (p.dim === 2 ? Math.round(Math.sqrt(u.length)) : u.length) : 0;
    const w = u ? trapezoidWeights(p, kk) : null;
    const area = u ? phaseAreaOnGrid(u, p, kk) : Number.NaN;
    phaseArea.push(area);
    const refU = ref?.fields[i] ?? null;
    if (u && refU && w) {
      relL2.push(relativeL2Error(u, refU, w));
      const refArea = phaseAreaOnGrid(refU, p, kk);
      phaseAreaError.push(refArea > 0 ? (area - refArea) / refArea : area - refArea);
    } else {
      relL2.push(task.role === 'reference' && u ? 0 : Number.NaN);
      phaseAreaError.push(task.role === 'reference' && u ? 0 : Number.NaN);
    }
    const e = rows.find((r) => r.step === step)?.energy ?? Number.NaN;
    const eRef = ref ? ref.energies[i] : e;
    energyDiff.push((e - eRef) / Math.abs(eRef));
    if (p.name === 'circle' && p.dim === 2) {
      const exact = circleRadius(CIRCLE_RADIUS, p.mobility, step * p.tau);
      radiusError.push((radiusFromArea(area) - exact) / exact);
    }
    if (u && step === task.outputSteps[task.outputSteps.length - 1]) maxU = maxAbs(u);
  });
  if (Number.isNaN(maxU) && rows.length > 0) maxU = Math.max(Math.abs(last.minU), Math.abs(last.maxU));
  const result: RunResult = {
    problem: p.name,
    label: task.spec.label,
    role: task.role,
    kind: task.spec.kind,
    family: task.role === 'reference' ? 'reference' : familyOf(task.spec),
    spec: task.spec,
    status: failed ? 'failed' : 'completed',
    reason,
    unknowns: unknownsOf(o.describe),
    backend: typeof o.describe.backend === 'string' ? o.describe.backend : task.spec.kind === 'fem' ? 'js (float64)' : '',
    steps: last ? last.step : 0,
    totalWallMs: rows.reduce((s, r) => s + r.wallMs, 0),
    msPerStep: mean(rows, (r) => r.wallMs),
    iterationsPerStep: mean(rows, (r) => r.iterations),
    linearIterationsPerStep: mean(rows, (r) => r.linearIterations),
    finalTime: last ? last.t : 0,
    finalEnergy: last ? last.energy : Number.NaN,
    outputSteps: task.outputSteps,
    outputTimes,
    relL2,
    phaseArea,
    phaseAreaError,
    energyDiff,
    radiusError,
    maxAbsU: maxU,
    stable: verdict?.ok ?? false,
    stability: verdict?.message ?? 'no steps',
    describe: o.describe,
  };
  if (o.write) writeFileAtomic(join(task.dir, 'bench.json'), `${JSON.stringify(result, jsonSafe, 2)}\n`);
  return result;
}

/** Read a bench.json back (non-finite numbers restored). */
export function readBenchJson(path: string): RunResult {
  return JSON.parse(readFileSync(path, 'utf8'), (_key, v: unknown) =>
    v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
  ) as RunResult;
}

/** JSON has no NaN/Infinity: write them as strings (readBenchJson turns them back into numbers). */
function jsonSafe(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** Cells of summary.csv: numbers as numbers, not-applicable as ''. */
function num(v: number | null | undefined): number | string {
  return v === null || v === undefined ? '' : v;
}

/** Largest relative L2 error over a run's output times (NaN if any is NaN; 0 without any). */
export function maxRelL2(r: Pick<RunResult, 'relL2'>): number {
  return r.relL2.reduce((m, x) => (x > m || Number.isNaN(x) ? x : m), 0);
}

function at<T>(a: readonly T[], i: number): T | undefined {
  return a.length > 0 ? a[(i + a.length) % a.length] : undefined;
}

/** summary.csv: one row per (problem, solver, configuration), the reference included. */
export function summaryRows(results: SuiteResults): (string | number | boolean)[][] {
  return results.runs.map((r) => {
    const p = results.problems.find((x) => x.problem.name === r.problem);
    const isRef = r.role === 'reference';
    return [
      r.problem,
      p?.problem.scale ?? '',
      r.role,
      r.kind,
      r.label,
      r.family,
      r.status,
      r.reason,
      num(r.unknowns),
      r.steps,
      num(r.totalWallMs),
      num(r.msPerStep),
      num(r.iterationsPerStep),
      num(r.linearIterationsPerStep),
      num(r.finalTime),
      num(r.finalEnergy),
      isRef ? '' : num(at(r.relL2, -1)),
      isRef ? '' : num(maxRelL2(r)),
      isRef ? '' : num(at(r.phaseAreaError, -1)),
      isRef ? '' : num(at(r.energyDiff, -1)),
      r.radiusError.length > 0 ? num(at(r.radiusError, -1)) : '',
      num(r.maxAbsU),
      r.stable,
      r.stability,
      r.backend,
      p?.problem.epsilon ?? '',
      isRef ? (p ? p.problem.tau / p.reference.tauDivisor : '') : (p?.problem.tau ?? ''),
      results.suite.grid,
    ];
  });
}

export function writeSummaryCsv(path: string, results: SuiteResults): void {
  writeCsvAtomic(path, SUMMARY_COLUMNS, summaryRows(results));
}

export function writeTimeToAccuracyCsv(path: string, rows: readonly (TimeToAccuracyRow & { problem: string })[]): void {
  writeCsvAtomic(
    path,
    TIME_TO_ACCURACY_COLUMNS,
    rows.map((r) => [r.problem, r.family, r.target, r.wallMs !== null, r.wallMs ?? '', r.label ?? '', r.error ?? '']),
  );
}
