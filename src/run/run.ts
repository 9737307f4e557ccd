import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureDirectory, isTemporaryName, writeFileAtomic, WriteError } from '../io/atomic.js';
import { checkpointPath, describeCheckpointFallback, latestCheckpoint, loadNewestCheckpoint, pruneCheckpoints, saveCheckpoint, type NewestCheckpoint } from '../io/checkpoint.js';
import { readStepsCsv, StepsCsvWriter, truncateStepsCsv, writeFieldCsv } from '../io/csv.js';
import { nonFiniteReplacer } from '../io/json.js';
import { acquireLock, describeHolder, LockError, type HeldLock } from '../io/lock.js';
import {
  classifyRunFolder,
  configHash,
  newRunMarker,
  recordOwnedFiles,
  removeOwnedFiles,
  RunMarkerError,
  writeRunMarker,
  type RunIdentity,
  type RunMarker,
} from '../io/run-marker.js';
import { gridToVtu, meshToVtu, writePvd, writeVtu, type VtkFormat, type VtuPiece } from '../io/vtk.js';
import { describeProblem, stepCount } from '../physics/problems.js';
import { resolutionWarning, type RunWarning } from '../physics/resolution.js';
import { DivergenceError, uniformGrid, type GradientFlowSolver, type SolverFacts, type SolverProgress, type StepRecord } from '../solver.js';
import { DEFAULT_STABILITY_OPTIONS, energyTolerance, satisfiesEnergyInequality, type StabilityOptions } from '../stability/checker.js';
import { LIMITS } from '../util/limits.js';
import { RUN_FILES, RunLayout } from './layout.js';
import { machine, runVersions, type Machine } from './provenance.js';
import { runTotals, runVerdict, type RunStatus, type RunSummary } from './summary.js';

/**
 * One run: one solver, one output directory (RunLayout), shared by the CLI and the suite.
 *
 *   own     the folder: its lock (src/io/lock.ts) is taken for the whole run and released at the
 *           end, on any error and at process exit, so a second run into a busy folder refuses
 *           with one line naming the other process. The run-folder marker (src/io/run-marker.ts)
 *           says which run the folder holds (problem, solver kind, a hash of the configuration)
 *           and lists every file the run writes, recorded BEFORE the file is created. What the
 *           folder holds decides what may happen (see `prepare`):
 *             nothing / an empty folder     a fresh run; `resume: true` fails ("nothing to resume");
 *             this run (same identity)      `resume` continues it; a fresh run refuses and says
 *                                           to use --resume, or --overwrite to start afresh;
 *             another run                   refused unless `overwrite` (then its files go);
 *             files no run of ours wrote    refused unless `overwrite`, which writes beside them
 *                                           (a foreign file where a run file goes is refused);
 *           `overwrite` deletes exactly the files the marker lists, nothing else;
 *   start   fresh directory: steps.csv from row 0, step 0 from solver.initialise(), its VTU
 *           snapshot and checkpoint;
 *   resume  the newest checkpoint that verifies (every byte checked; a damaged newer one is
 *           passed over with a one-line note, in summary.json's `notes` and `onNotice`): the
 *           solver restored (kind and problem must match), steps.csv cut back to rows 0..that
 *           step, so after any kill (SIGKILL included) steps.csv ends with exactly one row per
 *           step. This relies on: rows are appended before the checkpoint of that step is
 *           written, checkpoints and result files are written atomically, and solvers restore
 *           into a fresh instance (restoreState without initialise);
 *   advance the loop: one row per step, VTU every `vtkEvery` steps, a checkpoint every
 *           `checkpointEvery` steps;
 *   finish  final checkpoint, final.csv and the last VTU; summary.json with status 'completed'
 *           (or 'interrupted' after an aborted `signal`, the current step checkpointed).
 *
 * Divergence: a DivergenceError (or a record with a non-finite energy or u range) stops the run;
 * its row is not written, summary.json gets status 'failed' and the reason, and everything
 * written before stays valid. A blow-up that stays finite stops the run the same way, its row
 * written (stable false): an energy increase beyond the stability checker's tolerance
 * (E(uⁿ⁺¹) > E(uⁿ) + atol + rtol·|E(uⁿ)|, the checker's own test; not for problems with a
 * source term, whose energy may rise, nor for a solver whose facts say stepsDissipate: false,
 * such as SPINN), or |u| > DIVERGENCE_MAX_ABS_U = 2 when the initial state
 * is within the checker's bound |u₀| ≤ 1 + δ (the Allen–Cahn flow then keeps |u| ≤ 1: the
 * maximum principle; FEM overshoots by ~1e-3, an unbounded SDMM by a few 1e-2, a diverging
 * scheme by orders of magnitude).
 *
 * Writes: every file goes through src/io/atomic.ts (counted bytes, nothing renamed over good data
 * on ENOSPC; steps.csv appends cut back to the last whole row). A failed write marks the run
 * failed with the one-line reason; 64 KiB set aside at the start (RUN_FILES.reserve) is released
 * first so that summary.json can say so even on a full disk. The error is rethrown as a RunError
 * saying how to continue (free space, then resume). Other errors also mark the summary failed
 * and are rethrown. summary.json is rewritten atomically at each change of state.
 */

/**
 * |u| beyond which a run whose initial state is bounded (|u₀| ≤ 1 + δ) has diverged: twice the
 * bound of the exact flow, 100 times the checker's δ = 1e-2 overshoot allowance.
 */
export const DIVERGENCE_MAX_ABS_U = 2;

/** Bytes set aside while a run is active (see the module comment). */
const RESERVE_BYTES = 65536;

/** What a run does besides stepping: where it writes, how often it checkpoints and snapshots. */
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
  /**
   * true: continue the run in outDir from its newest checkpoint that verifies (fails with one
   * line when there is none, or when the folder holds another run); 'auto': continue if there is
   * such a checkpoint of this run, else start afresh (the suite); false (default): a fresh run.
   */
  resume?: boolean | 'auto';
  /**
   * A fresh run into a folder that holds another run, or files no run of this program wrote:
   * delete the files runs of this program own there (the marker's list) and start. Without it
   * such a folder is refused. Foreign files are never deleted.
   */
  overwrite?: boolean;
  /**
   * What, besides the problem and the solver kind, must match for a resume (e.g. the solver
   * options as written); hashed into the run-folder marker. Default: nothing more.
   */
  identity?: unknown;
  /**
   * Files and folders (relative paths) the caller writes into the run folder (the suite's
   * run-key.json, bench.json, snapshots): recorded as owned by the run before it starts.
   */
  callerFiles?: { files?: readonly string[]; dirs?: readonly string[] };
  /** Called once the folder is locked and prepared, before step 0 or the resumed loop (what the caller writes into the folder goes after this). */
  onReady?: (info: { resumedFrom: number | null }) => void;
  /** One-line notes: a damaged newer checkpoint passed over on resume, a stale lock taken over. */
  onNotice?: (line: string) => void;
  /**
   * Called once per session with each warning of summary.json's `warnings` (h > ε: the solver's
   * discretisation does not resolve the interface), right after onReady: before step 0 (the
   * SDMM fit) or the resumed loop.
   */
  onWarning?: (warning: RunWarning) => void;
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

/**
 * The output folder cannot be used as asked: busy (locked by another live process), holding
 * another run or foreign files, or nothing to resume. Nothing in the folder was changed. One line.
 */
export class RunFolderError extends RunError {
  override name = 'RunFolderError';
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
  /** Whether the solver's steps decrease Jₙ (its typed fact; checked on the first step). */
  stepsDissipate?: boolean;
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
  readonly identity: RunIdentity;
  /** The folder's marker once this session has taken the folder (fresh start or resume). */
  marker?: RunMarker;
  notes: string[];
  /** The run's warnings (summary.json `warnings`), decided once from the solver's facts. */
  readonly warnings: RunWarning[];
}

/**
 * The warnings of a run from its solver's typed facts (describe()) and the problem's ε, no solver
 * special-cased: the run layer's summary.json and the suite's tables both come from here.
 */
export function runWarnings(facts: SolverFacts, epsilon: number): RunWarning[] {
  const underResolved = resolutionWarning(facts.resolution, epsilon);
  return underResolved ? [underResolved] : [];
}

function integerAtLeast(name: string, v: number | undefined, min: number, max?: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RunError(`${name} must be an integer ≥ ${min}, got ${v}`);
  if (max !== undefined && v > max) throw new RunError(`${name} must be at most ${max} (the limit), got ${v}`);
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
  if (typeof options !== 'object' || options === null) throw new RunError(`run options must be an object with outDir, got ${String(options)}`);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new RunError(`outDir must be a folder path, got ${JSON.stringify(options.outDir)}`);
  if (typeof solver !== 'object' || solver === null || typeof solver.step !== 'function') throw new RunError('runSolver needs a solver (createSolver, createFemSolver, createSdmmSolver)');
  integerAtLeast('checkpointEvery', options.checkpointEvery, 1);
  integerAtLeast('keepCheckpoints', options.keepCheckpoints, 1);
  integerAtLeast('vtkEvery', options.vtkEvery, 0);
  integerAtLeast('grid', options.grid, 2, LIMITS.grid);
  if (options.resume !== undefined && options.resume !== true && options.resume !== false && options.resume !== 'auto') {
    throw new RunError(`resume must be true, false or 'auto', got ${JSON.stringify(options.resume)}`);
  }
  energyTolerance(0, options.stability); // validates the tolerances (one-line RangeError)
  const checkpointEvery = options.checkpointEvery ?? 10;
  const keep = options.keepCheckpoints ?? 2;
  const plannedSteps = stepCount(solver.problem);
  const vtkEvery = options.vtkEvery ?? Math.max(1, Math.ceil(plannedSteps / VTK_FRAMES));
  const vtkFormat = options.vtkFormat ?? 'zlib';
  const layout = new RunLayout(options.outDir);
  const problem = describeProblem(solver.problem);
  if (options.resume === true && !existsSync(layout.dir)) throw new RunFolderError(`nothing to resume in ${layout.dir}: it does not exist (start the run without --resume)`);
  try {
    ensureDirectory(layout.dir);
  } catch (err) {
    throw new RunFolderError(`cannot use output folder ${layout.dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    solver,
    options,
    layout,
    plannedSteps,
    problem,
    identity: { problem: solver.problem.name, solver: solver.kind, configHash: configHash({ problem, solver: solver.kind, identity: options.identity ?? null }) },
    notes: [],
    warnings: runWarnings(solver.describe(), solver.problem.epsilon),
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
    ...(s.notes.length > 0 ? { notes: s.notes } : {}),
    warnings: s.warnings,
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

/** Record files (and folders) as the run's own in the marker, before creating them. */
function own(s: Session, files: readonly string[], dirs: readonly string[] = []): void {
  s.marker = recordOwnedFiles(s.layout.dir, s.marker!, files, dirs);
}

/** Drop deleted files from the marker (so it does not grow with every pruned checkpoint). */
function disown(s: Session, files: readonly string[]): void {
  const gone = new Set(files);
  const marker = s.marker!;
  if (!marker.files.some((f) => gone.has(f))) return;
  s.marker = { ...marker, files: marker.files.filter((f) => !gone.has(f)) };
  writeRunMarker(s.layout.dir, s.marker);
}

const checkpointFile = (path: string) => `${RUN_FILES.checkpoints}/${basename(path)}`;

function checkpoint(s: Session, step: number): void {
  const path = checkpointPath(s.layout.checkpointDir, step);
  own(s, [checkpointFile(path)]);
  saveCheckpoint(path, s.solver.saveState(), { problem: s.problem, vtk: s.vtk, stepsWritten: s.records.length });
  disown(s, pruneCheckpoints(s.layout.checkpointDir, s.keep).map(checkpointFile));
  s.lastCheckpoint = step;
}

function snapshot(s: Session, step: number, time: number): void {
  s.field ??= fieldOutput(s.solver, s.options.grid);
  s.field.fill();
  const file = s.layout.vtkFile(step);
  own(s, [file]);
  writeVtu(join(s.layout.dir, file), s.field.piece(), s.vtkFormat);
  s.vtk = s.vtk.filter((e) => e.step < step);
  s.vtk.push({ time, file, step });
  writePvd(s.layout.pvd, s.vtk);
}

function notice(s: Session, line: string): void {
  s.notes.push(line);
  s.options.onNotice?.(line);
}

/**
 * "interrupted, checkpoint at step 120 of 400" from summary.json and the checkpoint names (not
 * steps.csv, which may be large), or "" if neither says anything.
 */
function progressOf(layout: RunLayout): string {
  let status = '';
  let planned = '';
  try {
    const v = JSON.parse(readFileSync(layout.summary, 'utf8')) as { status?: unknown; totals?: { plannedSteps?: unknown } };
    // 'running' in a folder whose lock is now ours: that process was killed.
    if (typeof v.status === 'string') status = v.status === 'running' ? 'stopped (killed)' : v.status;
    if (typeof v.totals?.plannedSteps === 'number') planned = ` of ${v.totals.plannedSteps}`;
  } catch {
    // no readable summary
  }
  const last = latestCheckpoint(layout.checkpointDir);
  const at = last ? `checkpoint at step ${last.step}${planned}` : '';
  return [status, at].filter(Boolean).join(', ');
}

const describeMarker = (m: RunMarker) => `problem ${m.problem}, solver ${m.solver}, started ${m.created}`;

/** The files of a run, relative to its folder (recorded in the marker before they exist). */
function runFiles(s: Session): { files: string[]; dirs: string[] } {
  const caller = s.options.callerFiles ?? {};
  return {
    files: [RUN_FILES.steps, RUN_FILES.summary, RUN_FILES.final, RUN_FILES.pvd, RUN_FILES.reserve, ...(caller.files ?? [])],
    dirs: [RUN_FILES.vtk, RUN_FILES.checkpoints, ...(caller.dirs ?? [])],
  };
}

/** Why `resume: true` cannot continue a folder that holds another run (one line). */
function otherRunMessage(s: Session, marker: RunMarker): string {
  const found = loadNewestCheckpoint(s.layout.checkpointDir);
  const loaded = found.loaded;
  if (loaded) {
    if (loaded.state.kind !== s.solver.kind) return `cannot resume from ${loaded.path}: it was written by a '${loaded.state.kind}' solver, not '${s.solver.kind}'`;
    const diff = sameProblem((loaded.extra.problem ?? {}) as Record<string, unknown>, s.problem);
    if (diff) return `cannot resume from ${loaded.path}: it was written for a different problem (${diff})`;
  }
  return `cannot resume in ${s.layout.dir}: it holds a run of another configuration (${describeMarker(marker)}); resume with that run's options, or start afresh with --overwrite`;
}

/** Start afresh: delete what the folder's runs own (never anything else), then a new marker. */
function fresh(s: Session, old: RunMarker | undefined): Prepared {
  // A foreign file (no marker lists it) where a run file goes: --overwrite replaces only ours.
  const { files, dirs } = runFiles(s);
  const ownedBefore = new Set([...(old?.files ?? []), ...(old?.dirs ?? [])]);
  for (const name of [...files, ...dirs]) {
    if (name.includes('/') || ownedBefore.has(name)) continue;
    if (existsSync(join(s.layout.dir, name))) {
      throw new RunFolderError(`${join(s.layout.dir, name)} was not written by a run of this program: move it away first (--overwrite replaces only this program's files)`);
    }
  }
  if (old) removeOwnedFiles(s.layout.dir, old);
  s.marker = newRunMarker(s.identity);
  writeRunMarker(s.layout.dir, s.marker);
  own(s, files, dirs);
  return {};
}

/** What `prepare` decided: a checkpoint to resume from (and the folder's marker), or a fresh start (folder taken). */
interface Prepared {
  resume?: { loaded: NonNullable<NewestCheckpoint['loaded']>; marker: RunMarker };
}

/**
 * Decide from what the folder holds (see the module comment) whether to resume (returns the
 * checkpoint) or start afresh (returns undefined, the folder cleared of our old files); refuses
 * with a RunFolderError before changing anything.
 */
function prepare(s: Session): Prepared {
  const { layout, options } = s;
  const dir = layout.dir;
  const resume = options.resume ?? false;
  const overwrite = options.overwrite ?? false;
  let state;
  try {
    state = classifyRunFolder(dir, s.identity);
  } catch (err) {
    if (err instanceof RunMarkerError) throw new RunFolderError(`${err.message}: cannot tell what ${dir} holds; choose another output folder`);
    throw err;
  }
  const marker = state.marker;
  const ours = marker !== undefined && marker.problem === s.identity.problem && marker.solver === s.identity.solver && marker.configHash === s.identity.configHash;
  if (resume !== false && ours && (state.kind === 'same-config' || state.kind === 'foreign')) {
    const found = loadNewestCheckpoint(layout.checkpointDir, { expectKind: s.solver.kind });
    const fallback = describeCheckpointFallback(found);
    if (found.loaded) {
      if (fallback) notice(s, fallback);
      return { resume: { loaded: found.loaded, marker: marker! } };
    }
    if (resume === true) throw new RunFolderError(`nothing to resume in ${dir}: ${fallback || 'it has no checkpoint'}; start afresh with --overwrite`);
    if (fallback) notice(s, `${fallback}; starting afresh`);
    if (state.kind === 'same-config') return fresh(s, marker);
  }
  const foreign = () => `${state.foreign.slice(0, 3).join(', ')}${state.foreignCount > 3 ? ` and ${state.foreignCount - 3} more` : ''}`;
  switch (state.kind) {
    case 'missing':
    case 'empty':
      if (resume === true) throw new RunFolderError(`nothing to resume in ${dir}: it holds no run (start one without --resume)`);
      return fresh(s, marker);
    case 'same-config':
      if (!overwrite) {
        const progress = progressOf(layout);
        throw new RunFolderError(`${dir} already holds this run${progress ? ` (${progress})` : ''}: continue it with --resume, or start afresh with --overwrite`);
      }
      return fresh(s, marker);
    case 'other-config':
      if (resume === true) throw new RunFolderError(otherRunMessage(s, marker!));
      if (!overwrite) throw new RunFolderError(`${dir} holds another run (${describeMarker(marker!)}): choose another output folder, or replace it with --overwrite`);
      return fresh(s, marker);
    case 'foreign':
      if (resume === true) throw new RunFolderError(`nothing to resume in ${dir}: it holds files that no run of this program wrote (${foreign()})`);
      if (!overwrite) throw new RunFolderError(`${dir} holds files that no run of this program wrote (${foreign()}): choose another output folder, or add --overwrite to write beside them`);
      return fresh(s, marker);
  }
}

/** A fresh run: write step 0 (initialise), its snapshot and checkpoint. */
async function start(s: Session): Promise<void> {
  const { layout, solver } = s;
  reserveSpace(s);
  s.writer = new StepsCsvWriter(layout.steps, { fresh: true });
  writeSummary(s);
  s.options.onReady?.({ resumedFrom: null });
  for (const w of s.warnings) s.options.onWarning?.(w);
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

/** Set aside RESERVE_BYTES (released on a failed write, so the failed summary fits). */
function reserveSpace(s: Session): void {
  writeFileAtomic(s.layout.reserve, new Uint8Array(RESERVE_BYTES));
}

function releaseReserve(s: Session): void {
  rmSync(s.layout.reserve, { force: true });
}

/** Continue from a verified checkpoint: restore the solver, cut steps.csv back to its step, drop temporary files of cut writes. */
function resume(s: Session, { loaded, marker }: NonNullable<Prepared['resume']>): void {
  const { layout, solver } = s;
  const { state, extra, path } = loaded;
  const diff = sameProblem((extra.problem ?? {}) as Record<string, unknown>, s.problem);
  if (diff) throw new RunFolderError(`cannot resume from ${path}: it was written for a different problem (${diff})`);
  if (!existsSync(layout.steps)) throw new RunFolderError(`cannot resume from ${path}: ${layout.steps} is missing`);
  // The folder is this session's from here on.
  s.marker = marker;
  const { files, dirs } = runFiles(s);
  own(s, files, dirs);
  for (const d of [layout.dir, layout.vtkDir, layout.checkpointDir]) {
    if (existsSync(d)) for (const f of readdirSync(d)) if (isTemporaryName(f)) rmSync(join(d, f), { force: true });
  }
  reserveSpace(s);
  s.records = truncateStepsCsv(layout.steps, state.step).map(({ stable: _s, ...r }) => r);
  solver.restoreState(state);
  if (solver.stepIndex !== state.step) {
    throw new RunError(`cannot resume: the solver reports step ${solver.stepIndex} after restoring the checkpoint of step ${state.step}`);
  }
  s.vtk = ((extra.vtk ?? []) as VtkEntry[]).filter((e) => e.step <= state.step);
  if (s.vtk.length > 0) writePvd(layout.pvd, s.vtk);
  s.resumedFrom = state.step;
  s.lastCheckpoint = state.step;
  s.writer = new StepsCsvWriter(layout.steps);
  writeSummary(s);
  s.options.onReady?.({ resumedFrom: state.step });
  for (const w of s.warnings) s.options.onWarning?.(w);
}

/**
 * Why a finite step means the run has diverged (see the module comment), or undefined.
 * `bounded`: the initial state is within the checker's bound, so |u| stays ≤ 1 exactly.
 */
function finiteDivergence(s: Session, prev: StepRecord, rec: StepRecord): string | undefined {
  const stability = { ...DEFAULT_STABILITY_OPTIONS, ...(s.options.stability ?? {}) };
  s.stepsDissipate ??= s.solver.describe().stepsDissipate !== false;
  if (!s.solver.problem.source && s.stepsDissipate) {
    const tol = energyTolerance(prev.energy, stability);
    if (rec.energy > prev.energy + tol) {
      return `diverged at step ${rec.step}: the energy increased from ${g(prev.energy)} to ${g(rec.energy)}, beyond the stability checker's tolerance ${g(tol)}`;
    }
  }
  const first = s.records[0];
  const bounded = first !== undefined && Math.max(Math.abs(first.minU), Math.abs(first.maxU)) <= 1 + stability.boundDelta;
  const a = Math.max(Math.abs(rec.minU), Math.abs(rec.maxU));
  if (bounded && a > DIVERGENCE_MAX_ABS_U) {
    return `diverged at step ${rec.step}: |u| reached ${g(a)}, far outside [−1, 1] (a run stops beyond ${DIVERGENCE_MAX_ABS_U})`;
  }
  return undefined;
}

const g = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

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
    const diverged = finiteDivergence(s, prev, rec);
    s.writer!.append(rec, stable);
    s.records.push(rec);
    options.onStep?.(rec, stable);
    if (diverged) {
      s.status = 'failed';
      s.reason = diverged;
      return;
    }
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
  s.writer = undefined;
  return writeSummary(s);
}

/**
 * Run a solver to the problem's final time, writing the outputs described above.
 * The caller owns the solver (runSolver does not dispose it).
 */
export async function runSolver(solver: GradientFlowSolver, options: RunOptions): Promise<RunSummary> {
  const s = open(solver, options);
  let lock: HeldLock;
  try {
    lock = acquireLock(s.layout.dir, { command: typeof options.config?.command === 'string' ? options.config.command : undefined });
  } catch (err) {
    if (err instanceof LockError) throw new RunFolderError(err.message);
    // e.g. a read-only folder: the lock file cannot be written
    throw new RunFolderError(`cannot use output folder ${s.layout.dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (lock.tookOver) notice(s, `took over the lock of a run that is gone (${describeHolder(lock.tookOver)})`);
  try {
    const prepared = prepare(s);
    if (prepared.resume) resume(s, prepared.resume);
    else await start(s);
    try {
      await advance(s);
    } finally {
      options.onEnd?.();
    }
    return finish(s);
  } catch (err) {
    // Before the folder is taken (marker written) nothing of this session was written: leave
    // the previous run's files alone (e.g. a resume refused for a different problem).
    if (!s.marker) throw err;
    return failed(s, err);
  } finally {
    if (s.marker) releaseReserve(s);
    lock.release();
  }
}

/** Mark the run failed with a one-line reason (after releasing the reserve, so this fits on a full disk). */
function failed(s: Session, err: unknown): RunSummary {
  try {
    s.writer?.close();
  } catch {
    // the original error is the one to report
  }
  s.status = 'failed';
  s.reason = err instanceof DivergenceError ? `diverged at step ${err.step}: ${err.message}` : err instanceof Error ? err.message.split('\n')[0] : String(err);
  releaseReserve(s);
  let summary: RunSummary | undefined;
  let summaryError: unknown;
  try {
    summary = writeSummary(s);
  } catch (e) {
    summaryError = e;
  }
  if (err instanceof DivergenceError && summary) return summary;
  if (err instanceof WriteError) {
    const last = s.records.length > 0 ? s.records[s.records.length - 1].step : 0;
    const marked = summary
      ? `the run is marked failed in ${s.layout.summary} (steps 0–${last} kept)`
      : `and ${s.layout.summary} could not be updated either (${(summaryError as Error).message.split('\n')[0]})`;
    const next = s.lastCheckpoint >= 0 ? 'free space and continue with --resume' : 'free space and start again with --overwrite (no checkpoint yet)';
    throw new RunError(`${err.message}; ${marked}; ${next}`, { cause: err });
  }
  throw err;
}

/** Read a finished (or interrupted) run's steps.csv back as records (for reports). */
export function readRunSteps(outDir: string): StepRecord[] {
  return readStepsCsv(new RunLayout(outDir).steps).rows.map(({ stable: _s, ...r }) => r);
}
