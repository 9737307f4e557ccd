import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureDirectory, isTemporaryName, writeFileAtomic } from '../io/atomic.js';
import { writeFieldCsv } from '../io/csv.js';
import { acquireLock, LOCK_FILE, LockError, type HeldLock } from '../io/lock.js';
import { RUN_MARKER } from '../io/run-marker.js';
import { describeProblem, stepCount, type ProblemConfig } from '../physics/problems.js';
import { RUN_FILES, RunLayout } from '../run/layout.js';
import { environmentInfo } from '../run/provenance.js';
import { RunFolderError, type RunOptions } from '../run/run.js';
import type { RunSummary } from '../run/summary.js';
import { uniformGrid, type GradientFlowSolver, type SolverDescription, type StepRecord } from '../solver.js';
import { referenceProblem, resolveSuite, solverLabel, type ResolvedProblem, type SolverSpec, type SuiteConfig } from './config.js';
import { SuiteLayout } from './layout.js';
import { writeComparisonVtus } from './compare.js';
import { loadReference, measure, type ReferenceData, type RunTask } from './measure.js';
import { changedKeyFields, referenceCodeHash } from './reference.js';
import { timeToAccuracy, type SweepPoint, type TimeToAccuracyRow } from './metrics.js';
import { readBenchJson, writeBenchJson, writeOutputTimesCsv, writeSummaryCsv, writeTimeToAccuracyCsv, type RunResult, type SuiteResults } from './results.js';

/**
 * The head-to-head suite: for every problem of a suite file,
 *
 * 1. a converged FEM reference (n·nFactor cells per side, τ/tauDivisor), cached in
 *    `reference/<problem>/` and sampled on the common k×k grid at the output times;
 * 2. every solver configuration through the run layer (`runSolver`: steps.csv, final.csv,
 *    summary.json, checkpoints, resume) into `<problem>/<label>/`, with u sampled on the same
 *    grid at the output times into its snapshots;
 * 3. metrics against the reference and the problem's exact laws (measure.ts) into bench.json.
 *
 * Paths come from SuiteLayout and each run's RunLayout. The suite folder is locked for the whole
 * suite (a second `allen-cahn bench` into the same root refuses with one line naming the first),
 * and every run folder by the run layer. The suite owns its run folders: a run with a bench.json
 * (of the same configuration) is complete and skipped on restart; one without is resumed from its
 * newest checkpoint that verifies (`resume: 'auto'`); a run whose configuration changed is
 * started afresh (`overwrite`: the run layer deletes the files the folder's marker lists — the
 * suite records its own, run-key.json, bench.json and the snapshots, there too). A run that
 * fails (divergence, a refused fit, a full disk, any error) is recorded as failed with its
 * reason and the suite goes on. Then summary.csv, output-times.csv, time-to-accuracy.csv, the pictures and REPORT.md are
 * (re)written from all results (the report is written by the caller: see runSuite's
 * `report` option, so this module does not import the report).
 */

/** The run layer's options as the suite passes them. */
export type SuiteRunOptions = Pick<
  RunOptions,
  'outDir' | 'grid' | 'vtkEvery' | 'checkpointEvery' | 'resume' | 'overwrite' | 'identity' | 'callerFiles' | 'onReady' | 'onNotice' | 'onWarning' | 'onStart' | 'onStep' | 'onEnd' | 'onProgress' | 'signal'
>;

/** What the suite needs from the outside world; `defaultSuiteDeps()` gives the registry's solvers and the run layer. */
export interface SuiteDeps {
  createSolver(problem: ProblemConfig, spec: SolverSpec): Promise<GradientFlowSolver>;
  runSolver(solver: GradientFlowSolver, options: SuiteRunOptions): Promise<RunSummary>;
}

export interface SuiteOptions {
  /** Root of all results (default 'results'); the suite writes to `<root>/<suite name>/`. */
  root?: string;
  deps: SuiteDeps;
  /** Stops between steps (the run layer checkpoints) and between runs. */
  signal?: AbortSignal;
  /** One line per run start and end (default: to stderr). */
  log?: (line: string) => void;
  /** Progress display of one run (the command passes a progress bar; default none). */
  progress?: (name: string) => Pick<RunOptions, 'onStart' | 'onStep' | 'onEnd' | 'onProgress'>;
  /** Writes REPORT.md and the pictures from the results (the command passes writeReport; default none). */
  report?: (results: SuiteResults) => Promise<void>;
  /** Called after each run finishes (tests use it to simulate a kill). */
  afterRun?: (result: RunResult) => void;
  /**
   * Run only the configurations this returns true for (parallel.ts: a worker's share, a
   * `--shard i/n`). The reference of a problem runs when it is selected itself or when a
   * selected configuration needs it and it is not on disk yet; everything else is left out of
   * the results. Default: everything.
   */
  select?: (task: SuiteTask) => boolean;
  /** Write summary.csv and time-to-accuracy.csv (default true; a worker's partial pass does not). */
  tables?: boolean;
  /** For the record (the report's note on wall times): runs executed at the same time. Default 1. */
  jobs?: number;
  /**
   * The command that computes the references alone (e.g. `allen-cahn bench reference
   * benchmarks/paper.json`), named in the log line when the suite has to compute one itself.
   */
  referenceCommand?: string;
  /**
   * The caller already holds the suite folder's lock (parallel.ts holds it for itself and its
   * worker processes); default false: runSuite takes it for its own duration.
   */
  lockHeld?: boolean;
  /**
   * Runs (by plan index) whose bench worker process died twice (parallel.ts), with the reason:
   * recorded as failed without running them here, and without bench.json, so that the next start
   * resumes them from their checkpoints.
   */
  lostRuns?: ReadonlyMap<number, string>;
}

/** One configuration of a suite in plan order: `index` counts the non-reference runs from 0. */
export interface SuiteTask {
  problem: string;
  label: string;
  role: 'reference' | 'main' | 'sweep';
  index: number;
}

/**
 * Every configuration of a suite in the order runSuite meets them: per problem its reference,
 * then its solvers, then its sweep entries. `index` numbers the non-reference runs; shards and
 * workers select by it (parallel.ts).
 */
export function planSuite(suite: SuiteConfig): SuiteTask[] {
  const plan: SuiteTask[] = [];
  let index = 0;
  for (const p of resolveSuite(suite)) {
    const name = p.id;
    plan.push({ problem: name, label: 'reference', role: 'reference', index: -1 });
    for (const spec of p.solvers) plan.push({ problem: name, label: spec.label, role: 'main', index: index++ });
    if (suite.sweep?.problems.includes(name)) {
      for (const s of suite.sweep.solvers) plan.push({ problem: name, label: `sweep-${solverLabel(s, p.problem.n)}`, role: 'sweep', index: index++ });
    }
  }
  return plan;
}

/**
 * The reference run of a suite problem: FEM (the suite's reference scheme and cell type) on
 * n·nFactor cells per side with τ/tauDivisor, its output steps those of the problem scaled by
 * tauDivisor, in `reference/<problem>/`.
 */
export function referenceTask(p: ResolvedProblem, layout: SuiteLayout): RunTask {
  const refProblem = referenceProblem(p);
  const name = p.id;
  return {
    problem: name,
    runProblem: refProblem,
    spec: {
      kind: 'fem',
      label: 'reference',
      scheme: p.reference.scheme,
      n: refProblem.n,
      ...(p.reference.cellType ? { cellType: p.reference.cellType } : {}),
    },
    role: 'reference',
    layout: layout.run({ role: 'reference', problem: name, label: 'reference' }),
    outputSteps: p.outputSteps.map((s) => Math.min(stepCount(refProblem), s * p.reference.tauDivisor)),
  };
}

/**
 * What a run's files are a function of (its run-key.json): the solver spec, the problem's
 * settings, the common grid and the output steps; for a reference also the hash of the code its
 * numbers depend on (reference.ts), so that a cached reference made by other code is recomputed,
 * never reused. If any of it changed since the files were written, neither skipping nor resuming
 * would be honest, so the run starts afresh.
 */
export function runKey(task: RunTask, suite: SuiteConfig): string {
  const code = task.role === 'reference' ? { code: referenceCodeHash() } : {};
  return `${JSON.stringify({ spec: task.spec, problem: describeProblem(task.runProblem), grid: suite.grid, outputSteps: task.outputSteps, ...code }, null, 2)}\n`;
}

/** A run is done (skipped, its files reused) when it has a bench.json written under the same run key. */
export function runIsDone(task: RunTask, suite: SuiteConfig): boolean {
  const { layout } = task;
  return existsSync(layout.bench) && existsSync(layout.runKey) && readFileSync(layout.runKey, 'utf8') === runKey(task, suite);
}

/** Run the whole suite; returns everything the report is made of. */
export async function runSuite(suite: SuiteConfig, options: SuiteOptions): Promise<SuiteResults> {
  const t0 = performance.now();
  const layout = new SuiteLayout(options.root ?? 'results', suite.name);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const problems = resolveSuite(suite);
  const lock = options.lockHeld ? null : lockSuiteFolder(layout);
  try {
    return await runLocked(suite, options, layout, problems, log, t0);
  } finally {
    lock?.release();
  }
}

/**
 * Create the suite's results folder and take its lock (one bench per folder); a busy folder is
 * the LockError naming the other bench, an unusable one a one-line RunFolderError.
 */
export function lockSuiteFolder(layout: SuiteLayout): HeldLock {
  try {
    ensureDirectory(layout.dir);
  } catch (err) {
    throw new RunFolderError(`cannot use results folder ${layout.dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return acquireLock(layout.dir);
  } catch (err) {
    if (err instanceof LockError) throw err; // busy: one line naming the other bench
    throw new RunFolderError(`cannot use results folder ${layout.dir}: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function runLocked(
  suite: SuiteConfig,
  options: SuiteOptions,
  layout: SuiteLayout,
  problems: ReturnType<typeof resolveSuite>,
  log: (line: string) => void,
  t0: number,
): Promise<SuiteResults> {
  const environment = environmentInfo();
  writeFileAtomic(layout.suiteJson, `${JSON.stringify(suite, null, 2)}\n`);
  writeFileAtomic(layout.environmentJson, `${JSON.stringify(environment, null, 2)}\n`);

  const runs: RunResult[] = [];
  const total = problems.reduce((s, p) => s + 1 + p.solvers.length + (suite.sweep?.problems.includes(p.id) ? suite.sweep.solvers.length : 0), 0);
  let index = 0;
  let taskIndex = 0;
  const select = options.select ?? (() => true);
  const counted = (line: string) => log(`[${index}/${total}] ${line}`);
  const sweepPoints: (SweepPoint & { problem: string })[] = [];

  for (const p of problems) {
    if (options.signal?.aborted) break;
    const name = p.id;
    const refTask = referenceTask(p, layout);
    const refSelected = select({ problem: name, label: 'reference', role: 'reference', index: -1 });

    const task = (spec: SolverSpec & { label: string }, role: 'main' | 'sweep'): RunTask => ({
      problem: name,
      runProblem: p.problem,
      spec,
      role,
      layout: layout.run({ role, problem: name, label: spec.label }),
      outputSteps: p.outputSteps,
    });
    const tasks = p.solvers.map((spec) => task(spec, 'main'));
    if (suite.sweep?.problems.includes(name)) {
      for (const s of suite.sweep.solvers) tasks.push(task({ ...s, label: `sweep-${solverLabel(s, p.problem.n)}` }, 'sweep'));
    }
    const chosen = tasks
      .map((t) => ({ t, plan: taskIndex++ }))
      .filter(({ t, plan }) => select({ problem: name, label: t.spec.label, role: t.role as 'main' | 'sweep', index: plan }));
    index++;
    // A reference that is missing or stale (other settings or code) is (re)computed even when
    // not selected: measuring against it would be wrong.
    if (refSelected || (chosen.length > 0 && !runIsDone(refTask, suite))) runs.push(await runOne(refTask, suite, options, counted, null));
    if (chosen.length === 0 || options.signal?.aborted) continue;
    const ref = loadReference(refTask);
    for (const { t, plan } of chosen) {
      if (options.signal?.aborted) break;
      index++;
      const lost = options.lostRuns?.get(plan);
      const r = lost !== undefined && !runIsDone(t, suite) ? lostRun(t, ref, lost, counted) : await runOne(t, suite, options, counted, ref);
      runs.push(r);
      const last = r.relL2[r.relL2.length - 1];
      sweepPoints.push({ problem: name, family: r.family, label: r.label, wallMs: r.totalWallMs, error: r.status === 'completed' ? last : Number.NaN });
    }
  }

  const tta: (TimeToAccuracyRow & { problem: string })[] = [];
  if (suite.sweep) {
    for (const name of suite.sweep.problems) {
      for (const row of timeToAccuracy(sweepPoints.filter((s) => s.problem === name), suite.sweep.targets)) tta.push({ problem: name, ...row });
    }
  }
  const results: SuiteResults = { suite, layout, outDir: layout.dir, environment, problems, runs, timeToAccuracy: tta, wallMs: performance.now() - t0, jobs: options.jobs ?? 1 };
  if (options.tables === false) return results;
  writeSummaryCsv(layout.summaryCsv, results);
  writeOutputTimesCsv(layout.outputTimesCsv, results);
  writeTimeToAccuracyCsv(layout.timeToAccuracyCsv, tta);
  if (options.report && !options.signal?.aborted) await options.report(results);
  return results;
}

/** A run whose worker process died (parallel.ts): failed with the reason, measured from what it wrote, no bench.json. */
function lostRun(task: RunTask, ref: ReferenceData | null, reason: string, log: (line: string) => void): RunResult {
  log(`${task.problem}/${task.spec.label}: failed (${reason})`);
  return measure(task, ref, { failed: true, reason, describe: {} });
}

/** Run (or skip, or resume) one configuration and compute its metrics; never throws for a solver failure. */
async function runOne(task: RunTask, suite: SuiteConfig, options: SuiteOptions, log: (line: string) => void, ref: ReferenceData | null): Promise<RunResult> {
  const { layout } = task;
  const name = `${task.problem}/${task.spec.label}`;
  const key = runKey(task, suite);
  const oldKey = existsSync(layout.runKey) ? readFileSync(layout.runKey, 'utf8') : null;
  const sameKey = oldKey === key;
  if (existsSync(layout.dir) && !existsSync(`${layout.dir}/${RUN_MARKER}`) && isLegacyRunFolder(layout.dir)) {
    // Written by a version of this program before run markers: only run files, so the suite's own.
    log(`${name}: written by an older version (no run marker), starting afresh`);
    rmSync(layout.dir, { recursive: true, force: true });
  } else if (oldKey !== null && !sameKey) {
    log(`${name}: configuration changed since its files were written (${changedKeyFields(oldKey, key)}), starting afresh`);
  }
  if (sameKey && existsSync(layout.bench)) {
    // Skip the run, but re-measure from its files: the reference may have been recomputed.
    const done = readBenchJson(layout.bench);
    log(`${name}: already done (${done.status}), skipped`);
    const again = measure(task, ref, { failed: done.status === 'failed', reason: done.reason, describe: done.describe as SolverDescription });
    writeBenchJson(layout.bench, again);
    options.afterRun?.(again);
    return again;
  }
  if (task.role === 'reference') {
    const how = options.referenceCommand ? `; \`${options.referenceCommand}\` computes the references alone, once` : '';
    log(`${name}: no finished reference for these settings and code here, computing it (${stepCount(task.runProblem)} steps on n = ${task.runProblem.n})${how}`);
  }
  const k = suite.grid;
  const grid = uniformGrid(task.runProblem, k);
  const buffer = new Float64Array(grid.length / task.runProblem.dim);
  const outputSet = new Set(task.outputSteps);
  // What the suite writes into the run folder, recorded as the run's own before it exists.
  const snapshotFile = (step: number) => `${RUN_FILES.snapshots}/${basename(layout.snapshot(step))}`;
  const callerFiles = { files: [RUN_FILES.runKey, RUN_FILES.bench, ...task.outputSteps.map(snapshotFile)], dirs: [RUN_FILES.snapshots] };

  let solver: GradientFlowSolver | null = null;
  let failed = false;
  let reason = '';
  let describe: SolverDescription = {};
  try {
    solver = await options.deps.createSolver(task.runProblem, task.spec);
    describe = solver.describe();
    const s = solver;
    const display = options.progress?.(name) ?? {};
    const onStep = (record: StepRecord, stable: boolean) => {
      if (outputSet.has(record.step)) {
        s.sample(grid, buffer);
        writeFieldCsv(layout.snapshot(record.step), grid, task.runProblem.dim, buffer);
      }
      display.onStep?.(record, stable);
    };
    const summary = await options.deps.runSolver(solver, {
      outDir: layout.dir,
      grid: k,
      // The suite's fields are its snapshots (and their comparison VTUs); no per-run animation.
      vtkEvery: 0,
      checkpointEvery: suite.checkpointEvery,
      resume: 'auto',
      overwrite: true,
      identity: key,
      callerFiles,
      onReady: ({ resumedFrom }) => {
        writeFileAtomic(layout.runKey, key);
        ensureDirectory(layout.snapshotsDir);
        log(`${name}: ${resumedFrom !== null ? `resuming from step ${resumedFrom}` : 'starting'} (${stepCount(task.runProblem)} steps)`);
      },
      onNotice: (line) => log(`${name}: ${line}`),
      onWarning: (w) => log(`${name}: warning: ${w.message}`),
      onStart: display.onStart,
      onStep,
      onEnd: display.onEnd,
      onProgress: display.onProgress,
      signal: options.signal,
    });
    failed = summary.status === 'failed';
    reason = failed ? (summary.reason ?? 'failed') : '';
    describe = solver.describe();
  } catch (e) {
    failed = true;
    reason = `${(e as Error).name}: ${(e as Error).message}`.replace(/\s+/g, ' ');
    if (e instanceof RunFolderError) {
      // The folder is busy or not ours: nothing of this run was written, and nothing is (no bench.json).
      solver?.dispose();
      log(`${name}: not run: ${(e as Error).message}`);
      // Measured from nothing (a folder that does not exist), so none of the busy folder's files are read.
      return measure({ ...task, layout: new RunLayout(join(layout.dir, '.not-run')) }, null, { failed, reason, describe });
    }
  } finally {
    solver?.dispose();
  }
  if (options.signal?.aborted) {
    // Interrupted: the run layer has checkpointed; no bench.json, so the next start resumes.
    log(`${name}: interrupted`);
    return { ...measure(task, ref, { failed: true, reason: 'interrupted: run the suite again to resume', describe }), status: 'interrupted' };
  }
  const result = measure(task, ref, { failed, reason, describe });
  if (ref) writeComparisonVtus(task, ref, k);
  writeBenchJson(layout.bench, result);
  log(`${name}: ${result.status}${result.reason ? ` (${result.reason})` : ''}, ${(result.totalWallMs / 1000).toFixed(1)} s`);
  options.afterRun?.(result);
  return result;
}

/** A run folder without a marker holding nothing but names of RUN_FILES (and temp files, a lock): an older version's run. */
function isLegacyRunFolder(dir: string): boolean {
  const known = new Set<string>([...Object.values(RUN_FILES), LOCK_FILE]);
  return readdirSync(dir).every((name) => known.has(name) || isTemporaryName(name));
}
