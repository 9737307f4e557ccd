import type { RunWarning } from '../physics/resolution.js';
import type { SolverDescription, StepRecord } from '../solver.js';
import { checkStability, type StabilityOptions, type StabilityVerdict } from '../stability/checker.js';
import type { Machine } from './provenance.js';

/** A run's state in summary.json. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** Totals of a run so far, as summary.json records them. */
export interface RunTotals {
  /** Last step written (steps.csv has rows 0..steps). */
  steps: number;
  /** Steps the problem asks for, T/τ (a whole number: src/util/limits.ts plannedSteps). */
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

/** summary.json: what ran, how it ended, its totals, the stability verdict and provenance. */
export interface RunSummary {
  status: RunStatus;
  reason?: string;
  /** One-line notes of this session: a newer checkpoint rejected on resume, a stale lock taken over. */
  notes?: string[];
  /**
   * Warnings about the run's configuration, empty when there are none: 'under-resolved' when the
   * solver's largest spacing h exceeds ε (src/physics/resolution.ts).
   */
  warnings: RunWarning[];
  outDir: string;
  startedAt: string;
  finishedAt?: string;
  problem: Record<string, unknown>;
  solver: SolverDescription;
  run: Record<string, unknown>;
  totals: RunTotals;
  stability: StabilityVerdict;
  /** Files of the run directory, relative to it (src/run/layout.ts). */
  files: { steps: string; final?: string; summary: string; pvd?: string; checkpoints: string };
  versions: Record<string, string>;
  machine: Machine;
}

/** Totals of a run from its records (rows 0..steps of steps.csv). */
export function runTotals(
  records: readonly StepRecord[],
  plannedSteps: number,
  verdict: StabilityVerdict,
  session: { elapsedMs: number; resumedFrom: number | null },
): RunTotals {
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
  const initialWall = records[0]?.step === 0 ? records[0].wallMs : 0;
  return {
    steps,
    plannedSteps,
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
    sessionElapsedMs: session.elapsedMs,
    resumedFrom: session.resumedFrom,
  };
}

/** The stability verdict of a run's records (the shared checker). */
export function runVerdict(records: readonly StepRecord[], options?: StabilityOptions): StabilityVerdict {
  return checkStability(records, options);
}
