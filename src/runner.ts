import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { ensureDirectory, isTemporaryName, writeFileAtomic } from './io/atomic.js';
import {
  checkpointPath,
  latestCheckpoint,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from './io/checkpoint.js';
import { readStepsCsv, StepsCsvWriter, truncateStepsCsv, writeFieldCsv } from './io/csv.js';
import { gridToVtu, meshToVtu, writePvd, writeVtu, type VtkFormat, type VtuPiece } from './io/vtk.js';
import { describeProblem, stepCount } from './physics/problems.js';
import { DivergenceError, uniformGrid, type GradientFlowSolver, type StepRecord } from './solver.js';
import { checkStability, satisfiesEnergyInequality, type StabilityOptions, type StabilityVerdict } from './stability/checker.js';

/**
 * The run loop shared by the CLI and the benchmark suite: one solver, one output directory.
 *
 * Output directory layout:
 *   steps.csv            one row per step 0..N (appended as each step is produced)
 *   final.csv            x, (y,) u at the mesh nodes, or on a k×k uniform grid (`grid`;
 *                        k = n + 1 for a solver without a mesh)
 *   summary.json         configuration, totals, the stability verdict, machine; status
 *                        'running' | 'completed' | 'failed' | 'interrupted' (written atomically)
 *   u.pvd, vtk/u_<step>.vtu   VTU snapshots (step 0, every `vtkEvery` steps, the last step)
 *   checkpoint/step-<step>.ckpt   solver state every `checkpointEvery` steps and at the end
 *
 * Resume: with `resume: true` and a checkpoint in outDir/checkpoint, the solver is restored from
 * the newest checkpoint (its kind and problem must match), steps.csv is cut back to the rows
 * 0..checkpoint step, and the loop continues, so after any kill (SIGKILL included) steps.csv ends
 * with exactly one row per step. This relies on: rows are appended before the checkpoint of that
 * step is written, checkpoints and result files are written atomically, and solvers restore
 * into a fresh instance (restoreState without initialise).
 *
 * Divergence: a DivergenceError (or a record with a non-finite energy or u range) stops the run;
 * its row is not written, summary.json gets status 'failed' and the reason, and everything
 * written before stays valid. Other errors also mark the summary failed and are rethrown.
 * An aborted `signal` checkpoints the current step and ends with status 'interrupted'.
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
  /** VTU snapshot every k steps (0: only step 0 and the last step); default 0. */
  vtkEvery?: number;
  /** VTU encoding; default 'base64' (appended). */
  vtkFormat?: VtkFormat;
  /** Continue from the newest checkpoint in outDir/checkpoint if there is one. */
  resume?: boolean;
  /** Called after each step's row is written (step 0 included). */
  onStep?: (record: StepRecord, stable: boolean) => void;
  /** Abort to stop after the current step (checkpointed; status 'interrupted'). */
  signal?: AbortSignal;
  /** Progress bar: only when stdout is a TTY and this is not false. */
  progress?: boolean;
  /** Tolerances for the stable column and the verdict (defaults of src/stability). */
  stability?: StabilityOptions;
  /** Extra configuration recorded in summary.json (e.g. the command line). */
  config?: Record<string, unknown>;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface RunTotals {
  /** Last step written (steps.csv has rows 0..steps). */
  steps: number;
  /** Steps the problem asks for, ⌈T/τ⌉. */
  plannedSteps: number;
  /** Sum of wall_ms over steps 1..steps (the time-stepping cost) and of step 0 (setup/fit). */
  stepWallMs: number;
  initialWallMs: number;
  /** initialWallMs + stepWallMs: the solver's total time over all sessions (excludes output). */
  totalWallMs: number;
  /** stepWallMs / steps (null before the first step). */
  msPerStep: number | null;
  iterations: number;
  linearIterations: number;
  iterationsPerStep: number | null;
  finalEnergy: number | null;
  finalTime: number | null;
  maxAbsU: number | null;
  /** Real elapsed time of this process's session, and the step it resumed from (null: fresh). */
  sessionElapsedMs: number;
  resumedFrom: number | null;
}

export interface RunSummary {
  status: RunStatus;
  reason?: string;
  outDir: string;
  startedAt: string;
  finishedAt?: string;
  problem: Record<string, unknown>;
  solver: Record<string, unknown>;
  run: Record<string, unknown>;
  totals: RunTotals;
  stability: StabilityVerdict;
  files: { steps: string; final?: string; summary: string; pvd?: string; checkpoints: string };
  versions: Record<string, string>;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string; node: string };
}

/** Thrown for run-level misuse (bad options, a checkpoint that does not match). One line. */
export class RunError extends Error {
  override name = 'RunError';
}

/** This package's version from package.json ('unknown' if it cannot be read). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function machine(): RunSummary['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
  };
}

async function versions(solver: GradientFlowSolver): Promise<Record<string, string>> {
  const v: Record<string, string> = { 'allen-cahn': packageVersion(), node: process.version };
  if (solver.kind === 'sdmm') {
    try {
      const tf = await import('@tensorflow/tfjs');
      for (const [k, val] of Object.entries(tf.version)) v[k] = String(val);
      v.tfjsBackend = tf.getBackend();
    } catch {
      // tfjs not loadable: the solver's describe() still names its backend.
    }
  }
  return v;
}

function positiveInt(name: string, v: number | undefined, allowZero = false): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RunError(`${name} must be an integer ≥ ${allowZero ? 0 : 1}, got ${v}`);
  }
}

function recordIsFinite(r: StepRecord): boolean {
  return Number.isFinite(r.energy) && Number.isFinite(r.movement) && Number.isFinite(r.minU) && Number.isFinite(r.maxU);
}

/** Where final.csv / VTU values live: fixed points (mesh nodes or a grid) and how to fill them. */
interface FieldOutput {
  points: Float64Array;
  values: Float64Array;
  fill(): Float64Array;
  piece(): VtuPiece;
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
  const values = new Float64Array(problem.dim === 1 ? k : k * k);
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

/**
 * Run a solver to the problem's final time, writing the outputs described above.
 * The caller owns the solver (runSolver does not dispose it).
 */
export async function runSolver(solver: GradientFlowSolver, options: RunOptions): Promise<RunSummary> {
  const startedMs = performance.now();
  const startedAt = new Date().toISOString();
  positiveInt('checkpointEvery', options.checkpointEvery);
  positiveInt('keepCheckpoints', options.keepCheckpoints);
  positiveInt('vtkEvery', options.vtkEvery, true);
  if (options.grid !== undefined && (!Number.isInteger(options.grid) || options.grid < 2)) {
    throw new RunError(`grid must be an integer ≥ 2, got ${options.grid}`);
  }
  const problem = solver.problem;
  const outDir = options.outDir;
  const checkpointEvery = options.checkpointEvery ?? 10;
  const keep = options.keepCheckpoints ?? 2;
  const vtkEvery = options.vtkEvery ?? 0;
  const vtkFormat = options.vtkFormat ?? 'base64';
  const N = stepCount(problem);
  const problemDesc = describeProblem(problem);

  const ckDir = join(outDir, 'checkpoint');
  const vtkDir = join(outDir, 'vtk');
  const stepsPath = join(outDir, 'steps.csv');
  const summaryPath = join(outDir, 'summary.json');
  const finalPath = join(outDir, 'final.csv');
  const pvdPath = join(outDir, 'u.pvd');
  ensureDirectory(outDir);

  const runConfig = {
    checkpointEvery,
    keepCheckpoints: keep,
    vtkEvery,
    vtkFormat,
    grid: options.grid ?? null,
    resume: options.resume ?? false,
    stability: options.stability ?? {},
    ...(options.config ?? {}),
  };
  const vers = await versions(solver);
  const mach = machine();

  let records: StepRecord[] = [];
  let vtkEntries: { time: number; file: string; step: number }[] = [];
  let resumedFrom: number | null = null;
  let status: RunStatus = 'running';
  let reason: string | undefined;
  let writer: StepsCsvWriter | undefined;
  let lastCheckpoint = -1;
  let field: FieldOutput | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const summary = (): RunSummary => {
    const last = records[records.length - 1];
    const steps = last ? last.step : 0;
    let stepWall = 0;
    let iters = 0;
    let linIters = 0;
    for (const r of records) {
      if (r.step > 0) {
        stepWall += r.wallMs;
        iters += r.iterations;
        linIters += r.linearIterations;
      }
    }
    const verdict = checkStability(records, options.stability);
    const initialWall = records[0]?.step === 0 ? records[0].wallMs : 0;
    return {
      status,
      ...(reason !== undefined ? { reason } : {}),
      outDir,
      startedAt,
      ...(status !== 'running' ? { finishedAt: new Date().toISOString() } : {}),
      problem: problemDesc,
      solver: solver.describe(),
      run: runConfig,
      totals: {
        steps,
        plannedSteps: N,
        stepWallMs: stepWall,
        initialWallMs: initialWall,
        totalWallMs: initialWall + stepWall,
        msPerStep: steps > 0 ? stepWall / steps : null,
        iterations: iters,
        linearIterations: linIters,
        iterationsPerStep: steps > 0 ? iters / steps : null,
        finalEnergy: last ? last.energy : null,
        finalTime: last ? last.t : null,
        maxAbsU: records.length > 0 ? verdict.bounds.maxAbsU : null,
        sessionElapsedMs: performance.now() - startedMs,
        resumedFrom,
      },
      stability: verdict,
      files: {
        steps: 'steps.csv',
        ...(status === 'completed' ? { final: 'final.csv' } : {}),
        summary: 'summary.json',
        ...(vtkEntries.length > 0 ? { pvd: 'u.pvd' } : {}),
        checkpoints: 'checkpoint/',
      },
      versions: vers,
      machine: mach,
    };
  };
  const writeSummary = (): RunSummary => {
    const s = summary();
    writeFileAtomic(summaryPath, JSON.stringify(s, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n');
    return s;
  };
  const checkpoint = (step: number) => {
    saveCheckpoint(checkpointPath(ckDir, step), solver.saveState(), {
      problem: problemDesc,
      vtk: vtkEntries,
      stepsWritten: records.length,
    });
    pruneCheckpoints(ckDir, keep);
    lastCheckpoint = step;
  };
  const snapshot = (step: number, time: number) => {
    field ??= fieldOutput(solver, options.grid);
    field.fill();
    const file = `vtk/u_${String(step).padStart(6, '0')}.vtu`;
    writeVtu(join(outDir, file), field.piece(), vtkFormat);
    vtkEntries = vtkEntries.filter((e) => e.step < step);
    vtkEntries.push({ time, file, step });
    writePvd(pvdPath, vtkEntries);
  };

  try {
    const latest = options.resume ? latestCheckpoint(ckDir) : undefined;
    if (latest) {
      const { state, extra } = loadCheckpoint(latest.path, { expectKind: solver.kind });
      const diff = sameProblem((extra.problem ?? {}) as Record<string, unknown>, problemDesc);
      if (diff) throw new RunError(`cannot resume from ${latest.path}: it was written for a different problem (${diff})`);
      if (!existsSync(stepsPath)) throw new RunError(`cannot resume from ${latest.path}: ${stepsPath} is missing`);
      records = truncateStepsCsv(stepsPath, state.step).map(({ stable: _s, ...r }) => r);
      solver.restoreState(state);
      if (solver.stepIndex !== state.step) {
        throw new RunError(`cannot resume: the solver reports step ${solver.stepIndex} after restoring the checkpoint of step ${state.step}`);
      }
      vtkEntries = ((extra.vtk ?? []) as { time: number; file: string; step: number }[]).filter((e) => e.step <= state.step);
      if (vtkEntries.length > 0) writePvd(pvdPath, vtkEntries);
      resumedFrom = state.step;
      lastCheckpoint = state.step;
      // Temporary files of writes cut short by the kill.
      for (const d of [outDir, vtkDir, ckDir]) {
        if (existsSync(d)) for (const f of readdirSync(d)) if (isTemporaryName(f)) rmSync(join(d, f), { force: true });
      }
      writer = new StepsCsvWriter(stepsPath);
      writeSummary();
    } else {
      rmSync(ckDir, { recursive: true, force: true });
      rmSync(vtkDir, { recursive: true, force: true });
      rmSync(pvdPath, { force: true });
      rmSync(finalPath, { force: true });
      writer = new StepsCsvWriter(stepsPath, { fresh: true });
      writeSummary();
      const r0 = await solver.initialise();
      if (r0.step !== 0) throw new RunError(`initialise() must report step 0, got ${r0.step}`);
      if (!recordIsFinite(r0)) throw new DivergenceError(`the initial state has a non-finite energy or u range (E = ${r0.energy})`, 0);
      writer.append(r0, true);
      records.push(r0);
      options.onStep?.(r0, true);
      ensureDirectory(vtkDir);
      snapshot(0, r0.t);
      ensureDirectory(ckDir);
      checkpoint(0);
    }
    ensureDirectory(vtkDir);
    ensureDirectory(ckDir);

    if (options.progress !== false && process.stdout.isTTY) {
      bar = new cliProgress.SingleBar(
        {
          format: `${problem.name} ${solver.kind} |{bar}| {value}/{total} steps | t = {time} | E = {energy} | ETA {eta_formatted}`,
          stream: process.stdout,
          etaBuffer: 50,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const last = records[records.length - 1];
      bar.start(N, last.step, { time: last.t.toPrecision(4), energy: last.energy.toPrecision(6) });
    }

    while (solver.stepIndex < N) {
      // Let the event loop run between steps: a solver whose step() does its work
      // synchronously would otherwise starve signal handlers (Ctrl-C) and timers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) {
        status = 'interrupted';
        reason = `interrupted after step ${solver.stepIndex}`;
        break;
      }
      const prev = records[records.length - 1];
      let rec: StepRecord;
      try {
        rec = await solver.step();
      } catch (err) {
        if (err instanceof DivergenceError) {
          status = 'failed';
          reason = `diverged at step ${prev.step + 1}: ${err.message}`;
          break;
        }
        throw err;
      }
      if (rec.step !== prev.step + 1) throw new RunError(`the solver reported step ${rec.step} after step ${prev.step}`);
      if (!recordIsFinite(rec)) {
        status = 'failed';
        reason = `diverged at step ${rec.step}: non-finite energy ${rec.energy}, movement ${rec.movement} or u range [${rec.minU}, ${rec.maxU}]`;
        break;
      }
      const stable = satisfiesEnergyInequality(prev, rec, options.stability);
      writer.append(rec, stable);
      records.push(rec);
      options.onStep?.(rec, stable);
      bar?.update(rec.step, { time: rec.t.toPrecision(4), energy: rec.energy.toPrecision(6) });
      if (vtkEvery > 0 && rec.step % vtkEvery === 0 && rec.step < N) snapshot(rec.step, rec.t);
      if (rec.step % checkpointEvery === 0 && rec.step < N) checkpoint(rec.step);
    }
    bar?.stop();
    bar = undefined;

    const last = records[records.length - 1];
    if (status === 'running') {
      status = 'completed';
      if (lastCheckpoint !== last.step) checkpoint(last.step);
      field ??= fieldOutput(solver, options.grid);
      field.fill();
      writeFieldCsv(finalPath, field.points, problem.dim, field.values);
      if (!vtkEntries.some((e) => e.step === last.step)) snapshot(last.step, last.t);
    } else if (status === 'interrupted') {
      if (lastCheckpoint !== last.step) checkpoint(last.step);
    }
    writer.close();
    return writeSummary();
  } catch (err) {
    bar?.stop();
    // Before the steps file is (re)opened nothing of this session was written: leave the
    // previous run's files alone (e.g. a resume refused for a different problem).
    if (!writer) throw err;
    writer.close();
    status = 'failed';
    reason = err instanceof Error ? err.message : String(err);
    if (err instanceof DivergenceError) {
      reason = `diverged at step ${err.step}: ${err.message}`;
      return writeSummary();
    }
    try {
      writeSummary();
    } catch {
      // Keep the original error.
    }
    throw err;
  }
}

/** Read a finished (or interrupted) run's steps.csv back as records (for reports). */
export function readRunSteps(outDir: string): StepRecord[] {
  return readStepsCsv(join(outDir, 'steps.csv')).rows.map(({ stable: _s, ...r }) => r);
}
