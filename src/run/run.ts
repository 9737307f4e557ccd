import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirectory, isTemporaryName, writeFileAtomic } from '../io/atomic.js';
import { checkpointPath, latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from '../io/checkpoint.js';
import { readStepsCsv, StepsCsvWriter, truncateStepsCsv, writeFieldCsv } from '../io/csv.js';
import { nonFiniteReplacer } from '../io/json.js';
import { gridToVtu, meshToVtu, writePvd, writeVtu, type VtkFormat, type VtuPiece } from '../io/vtk.js';
import { describeProblem, stepCount } from '../physics/problems.js';
import { DivergenceError, uniformGrid, type GradientFlowSolver, type SolverProgress, type StepRecord } from '../solver.js';
import { satisfiesEnergyInequality, type StabilityOptions } from '../stability/checker.js';
import { RUN_FILES, RunLayout } from './layout.js';
import { machine, runVersions, type Machine } from './provenance.js';
import { runTotals, runVerdict, type RunStatus, type RunSummary } from './summary.js';

/**
 * One run: one solver, one output directory (RunLayout), shared by the CLI and the suite.
 *
 *   start   fresh directory: steps.csv from row 0, step 0 from solver.initialise(), its VTU
 *           snapshot and checkpoint;
 *   resume  newest checkpoint: the solver restored (kind and problem must match), steps.csv cut
 *           back to rows 0..that step, so after any kill (SIGKILL included) steps.csv ends with
 *           exactly one row per step. This relies on: rows are appended before the checkpoint of
 *           that step is written, checkpoints and result files are written atomically, and
 *           solvers restore into a fresh instance (restoreState without initialise);
 *   advance the loop: one row per step, VTU every `vtkEvery` steps, a checkpoint every
 *           `checkpointEvery` steps;
 *   finish  final checkpoint, final.csv and the last VTU; summary.json with status 'completed'
 *           (or 'interrupted' after an aborted `signal`, the current step checkpointed).
 *
 * Divergence: a DivergenceError (or a record with a non-finite energy or u range) stops the run;
 * its row is not written, summary.json gets status 'failed' and the reason, and everything
 * written before stays valid. Other errors also mark the summary failed and are rethrown.
 * summary.json is rewritten atomically at each change of state.
 */

export interface RunOptions {
  /** Output directory (created if missing). */
  outDir: string;
  /**
   * Write final.csv and VTU on a grid×grid uniform grid (sampled) instead of the mesh nodes.
   * Solvers without a mesh (SDMM) always use a uniform grid: default n + 1 points per side.
   */
  grid?: number;
  /** Checkpoint every k steps (and at step 0 and at the end); default 10. */
  checkpointEvery?: number;
  /** Checkpoints kept on disk (the newest); default 2. */
  keepCheckpoints?: number;
  /**
   * VTU snapshot every k steps (0: only step 0 and the last step); default ⌈N/20⌉ for N planned
   * steps, so ParaView plays about 20 frames (VTK_FRAMES) of any run.
   */
  vtkEvery?: number;
  /** VTU encoding; default 'zlib' (appended raw bytes, zlib-compressed blocks). */
  vtkFormat?: VtkFormat;
  /** Continue from the newest checkpoint in outDir/checkpoint if there is one. */
  resume?: boolean;
  /** Called once before the loop, with the step it starts from (a progress bar's start). */
  onStart?: (info: { plannedSteps: number; last: StepRecord; resumedFrom: number | null }) => void;
  /** Called after each step's row is written (step 0 included). */
  onStep?: (record: StepRecord, stable: boolean) => void;
  /** Called once when the loop ends, however it ends. */
  onEnd?: () => void;
  /** Progress of the solver's set-up before step 0 (the SDMM initial fit), from solver.initialise. */
  onProgress?: (progress: SolverProgress) => void;
  /** Abort to stop after the current step (checkpointed; status 'interrupted'). */
  signal?: AbortSignal;
  /** Tolerances for the stable column and the verdict (defaults of src/stability). */
  stability?: StabilityOptions;
  /** Extra configuration recorded in summary.json (e.g. the command line). */
  config?: Record<string, unknown>;
}

/** Thrown for run-level misuse (bad options, a checkpoint that does not match). One line. */
export class RunError extends Error {
  override name = 'RunError';
}

interface VtkEntry {
  time: number;
  file: string;
  step: number;
}

/** Where final.csv / VTU values live: fixed points (mesh nodes or a grid) and how to fill them. */
interface FieldOutput {
  points: Float64Array;
  values: Float64Array;
  fill(): Float64Array;
  piece(): VtuPiece;
}

/** The state of one session of a run (this process's share of it). */
interface Session {
  readonly solver: GradientFlowSolver;
  readonly options: RunOptions;
  readonly layout: RunLayout;
  readonly plannedSteps: number;
  readonly problem: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  readonly versions: Record<string, string>;
  readonly machine: Machine;
  readonly startedAt: string;
  readonly startedMs: number;
  readonly checkpointEvery: number;
  readonly keep: number;
  readonly vtkEvery: number;
  readonly vtkFormat: VtkFormat;
  records: StepRecord[];
  vtk: VtkEntry[];
  resumedFrom: number | null;
  status: RunStatus;
  reason?: string;
  writer?: StepsCsvWriter;
  lastCheckpoint: number;
  field?: FieldOutput;
}

function integerAtLeast(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min) throw new RunError(`${name} must be an integer ≥ ${min}, got ${v}`);
}

function recordIsFinite(r: StepRecord): boolean {
  return Number.isFinite(r.energy) && Number.isFinite(r.movement) && Number.isFinite(r.minU) && Number.isFinite(r.maxU);
}

function fieldOutput(solver: GradientFlowSolver, grid: number | undefined): FieldOutput {
  const problem = solver.problem;
  const mesh = grid === undefined ? solver.mesh?.() : undefined;
  if (mesh) {
    const points = mesh.nodes;
    const values = new Float64Array(points.length / mesh.dim);
    return {
      points,
      values,
      fill: () => (solver.nodalValues ? solver.nodalValues(values) : solver.sample(points, values)),
      piece: () => meshToVtu(mesh, { u: values }),
    };
  }
  const k = grid ?? problem.n + 1;
  const points = uniformGrid(problem, k);
  const values = new Float64Array(points.length / problem.dim);
  return {
    points,
    values,
    fill: () => solver.sample(points, values),
    piece: () => gridToVtu(problem.dim, points, k, { u: values }),
  };
}

function sameProblem(saved: Record<string, unknown>, current: Record<string, unknown>): string | null {
  for (const key of Object.keys(current)) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) return `${key} ${a} in the checkpoint vs ${b} now`;
  }
  return null;
}

/** Frames of a run's default VTU animation (RunOptions.vtkEvery). */
export const VTK_FRAMES = 20;

/** Validate the options and gather what every part of the session needs. */
function open(solver: GradientFlowSolver, options: RunOptions): Session {
  const startedMs = performance.now();
  integerAtLeast('checkpointEvery', options.checkpointEvery, 1);
  integerAtLeast('keepCheckpoints', options.keepCheckpoints, 1);
  integerAtLeast('vtkEvery', options.vtkEvery, 0);
  integerAtLeast('grid', options.grid, 2);
  const checkpointEvery = options.checkpointEvery ?? 10;
  const keep = options.keepCheckpoints ?? 2;
  const plannedSteps = stepCount(solver.problem);
  const vtkEvery = options.vtkEvery ?? Math.max(1, Math.ceil(plannedSteps / VTK_FRAMES));
  const vtkFormat = options.vtkFormat ?? 'zlib';
  const layout = new RunLayout(options.outDir);
  ensureDirectory(layout.dir);
  return {
    solver,
    options,
    layout,
    plannedSteps,
    problem: describeProblem(solver.problem),
    config: {
      checkpointEvery,
      keepCheckpoints: keep,
      vtkEvery,
      vtkFormat,
      grid: options.grid ?? null,
      resume: options.resume ?? false,
      stability: options.stability ?? {},
      ...(options.config ?? {}),
    },
    versions: runVersions(solver.describe()),
    machine: machine(),
    startedAt: new Date().toISOString(),
    startedMs,
    checkpointEvery,
    keep,
    vtkEvery,
    vtkFormat,
    records: [],
    vtk: [],
    resumedFrom: null,
    status: 'running',
    lastCheckpoint: -1,
  };
}

function summaryOf(s: Session): RunSummary {
  const verdict = runVerdict(s.records, s.options.stability);
  return {
    status: s.status,
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
    outDir: s.layout.dir,
    startedAt: s.startedAt,
    ...(s.status !== 'running' ? { finishedAt: new Date().toISOString() } : {}),
    problem: s.problem,
    solver: s.solver.describe(),
    run: s.config,
    totals: runTotals(s.records, s.plannedSteps, verdict, { elapsedMs: performance.now() - s.startedMs, resumedFrom: s.resumedFrom }),
    stability: verdict,
    files: {
      steps: RUN_FILES.steps,
      ...(s.status === 'completed' ? { final: RUN_FILES.final } : {}),
      summary: RUN_FILES.summary,
      ...(s.vtk.length > 0 ? { pvd: RUN_FILES.pvd } : {}),
      checkpoints: `${RUN_FILES.checkpoints}/`,
    },
    versions: s.versions,
    machine: s.machine,
  };
}

function writeSummary(s: Session): RunSummary {
  const summary = summaryOf(s);
  writeFileAtomic(s.layout.summary, JSON.stringify(summary, nonFiniteReplacer, 2) + '\n');
  return summary;
}

function checkpoint(s: Session, step: number): void {
  saveCheckpoint(checkpointPath(s.layout.checkpointDir, step), s.solver.saveState(), { problem: s.problem, vtk: s.vtk, stepsWritten: s.records.length });
  pruneCheckpoints(s.layout.checkpointDir, s.keep);
  s.lastCheckpoint = step;
}

function snapshot(s: Session, step: number, time: number): void {
  s.field ??= fieldOutput(s.solver, s.options.grid);
  s.field.fill();
  const file = s.layout.vtkFile(step);
  writeVtu(join(s.layout.dir, file), s.field.piece(), s.vtkFormat);
  s.vtk = s.vtk.filter((e) => e.step < step);
  s.vtk.push({ time, file, step });
  writePvd(s.layout.pvd, s.vtk);
}

/** A fresh run: clear the previous outputs, write step 0 (initialise), its snapshot and checkpoint. */
async function start(s: Session): Promise<void> {
  const { layout, solver } = s;
  rmSync(layout.checkpointDir, { recursive: true, force: true });
  rmSync(layout.vtkDir, { recursive: true, force: true });
  rmSync(layout.pvd, { force: true });
  rmSync(layout.final, { force: true });
  s.writer = new StepsCsvWriter(layout.steps, { fresh: true });
  writeSummary(s);
  const r0 = await solver.initialise(s.options.onProgress);
  if (r0.step !== 0) throw new RunError(`initialise() must report step 0, got ${r0.step}`);
  if (!recordIsFinite(r0)) throw new DivergenceError(`the initial state has a non-finite energy or u range (E = ${r0.energy})`, 0);
  s.writer.append(r0, true);
  s.records.push(r0);
  s.options.onStep?.(r0, true);
  ensureDirectory(layout.vtkDir);
  snapshot(s, 0, r0.t);
  ensureDirectory(layout.checkpointDir);
  checkpoint(s, 0);
}

/** Continue from a checkpoint: restore the solver, cut steps.csv back to its step, drop temporary files of cut writes. */
function resume(s: Session, latest: { step: number; path: string }): void {
  const { layout, solver } = s;
  const { state, extra } = loadCheckpoint(latest.path, { expectKind: solver.kind });
  const diff = sameProblem((extra.problem ?? {}) as Record<string, unknown>, s.problem);
  if (diff) throw new RunError(`cannot resume from ${latest.path}: it was written for a different problem (${diff})`);
  if (!existsSync(layout.steps)) throw new RunError(`cannot resume from ${latest.path}: ${layout.steps} is missing`);
  s.records = truncateStepsCsv(layout.steps, state.step).map(({ stable: _s, ...r }) => r);
  solver.restoreState(state);
  if (solver.stepIndex !== state.step) {
    throw new RunError(`cannot resume: the solver reports step ${solver.stepIndex} after restoring the checkpoint of step ${state.step}`);
  }
  s.vtk = ((extra.vtk ?? []) as VtkEntry[]).filter((e) => e.step <= state.step);
  if (s.vtk.length > 0) writePvd(layout.pvd, s.vtk);
  s.resumedFrom = state.step;
  s.lastCheckpoint = state.step;
  for (const d of [layout.dir, layout.vtkDir, layout.checkpointDir]) {
    if (existsSync(d)) for (const f of readdirSync(d)) if (isTemporaryName(f)) rmSync(join(d, f), { force: true });
  }
  s.writer = new StepsCsvWriter(layout.steps);
  writeSummary(s);
}

/** The time loop: until the final step, a divergence or an abort. */
async function advance(s: Session): Promise<void> {
  const { solver, options, plannedSteps: N } = s;
  ensureDirectory(s.layout.vtkDir);
  ensureDirectory(s.layout.checkpointDir);
  options.onStart?.({ plannedSteps: N, last: s.records[s.records.length - 1], resumedFrom: s.resumedFrom });
  while (solver.stepIndex < N) {
    // Let the event loop run between steps: a solver whose step() does its work
    // synchronously would otherwise starve signal handlers (Ctrl-C) and timers.
    await new Promise<void>((r) => setImmediate(r));
    if (options.signal?.aborted) {
      s.status = 'interrupted';
      s.reason = `interrupted after step ${solver.stepIndex}`;
      return;
    }
    const prev = s.records[s.records.length - 1];
    let rec: StepRecord;
    try {
      rec = await solver.step();
    } catch (err) {
      if (err instanceof DivergenceError) {
        s.status = 'failed';
        s.reason = `diverged at step ${prev.step + 1}: ${err.message}`;
        return;
      }
      throw err;
    }
    if (rec.step !== prev.step + 1) throw new RunError(`the solver reported step ${rec.step} after step ${prev.step}`);
    if (!recordIsFinite(rec)) {
      s.status = 'failed';
      s.reason = `diverged at step ${rec.step}: non-finite energy ${rec.energy}, movement ${rec.movement} or u range [${rec.minU}, ${rec.maxU}]`;
      return;
    }
    const stable = satisfiesEnergyInequality(prev, rec, options.stability);
    s.writer!.append(rec, stable);
    s.records.push(rec);
    options.onStep?.(rec, stable);
    if (s.vtkEvery > 0 && rec.step % s.vtkEvery === 0 && rec.step < N) snapshot(s, rec.step, rec.t);
    if (rec.step % s.checkpointEvery === 0 && rec.step < N) checkpoint(s, rec.step);
  }
}

/** Close the run: final checkpoint, final.csv and last VTU when completed; the summary. */
function finish(s: Session): RunSummary {
  const last = s.records[s.records.length - 1];
  if (s.status === 'running') {
    s.status = 'completed';
    if (s.lastCheckpoint !== last.step) checkpoint(s, last.step);
    s.field ??= fieldOutput(s.solver, s.options.grid);
    s.field.fill();
    writeFieldCsv(s.layout.final, s.field.points, s.solver.problem.dim, s.field.values);
    if (!s.vtk.some((e) => e.step === last.step)) snapshot(s, last.step, last.t);
  } else if (s.status === 'interrupted') {
    if (s.lastCheckpoint !== last.step) checkpoint(s, last.step);
  }
  s.writer!.close();
  return writeSummary(s);
}

/**
 * Run a solver to the problem's final time, writing the outputs described above.
 * The caller owns the solver (runSolver does not dispose it).
 */
export async function runSolver(solver: GradientFlowSolver, options: RunOptions): Promise<RunSummary> {
  const s = open(solver, options);
  try {
    const latest = options.resume ? latestCheckpoint(s.layout.checkpointDir) : undefined;
    if (latest) resume(s, latest);
    else await start(s);
    try {
      await advance(s);
    } finally {
      options.onEnd?.();
    }
    return finish(s);
  } catch (err) {
    // Before the steps file is (re)opened nothing of this session was written: leave the
    // previous run's files alone (e.g. a resume refused for a different problem).
    if (!s.writer) throw err;
    s.writer.close();
    s.status = 'failed';
    s.reason = err instanceof Error ? err.message : String(err);
    if (err instanceof DivergenceError) {
      s.reason = `diverged at step ${err.step}: ${err.message}`;
      return writeSummary(s);
    }
    try {
      writeSummary(s);
    } catch {
      // Keep the original error.
    }
    throw err;
  }
}

/** Read a finished (or interrupted) run's steps.csv back as records (for reports). */
export function readRunSteps(outDir: string): StepRecord[] {
  return readStepsCsv(new RunLayout(outDir).steps).rows.map(({ stable: _s, ...r }) => r);
}
