import { existsSync } from 'node:fs';
import { readFieldCsv, readStepsCsv, type StepRow } from '../io/csv.js';
import { stepCount, type ProblemConfig } from '../physics/problems.js';
import { solverKind } from '../registry.js';
import type { RunLayout } from '../run/layout.js';
import { runWarnings } from '../run/run.js';
import { runVerdict } from '../run/summary.js';
import type { SolverDescription } from '../solver.js';
import { solverOptions, type SolverSpec } from './config.js';
import { maxAbs, phaseAreaOnGrid, radiusFromArea, relativeL2Error, trapezoidWeights } from './metrics.js';
import { patternMeasures } from './pattern.js';
import type { RunResult } from './results.js';

/** One run of the suite: what it solves, where its files are, and its output steps. */
export interface RunTask {
  /** The suite's name of the problem entry (ResolvedProblem.id). */
  problem: string;
  /** The problem the solver is built from (the reference's is finer). */
  runProblem: ProblemConfig;
  spec: SolverSpec & { label: string };
  role: RunResult['role'];
  layout: RunLayout;
  outputSteps: number[];
}

/** The reference's fields and energies at the problem's output steps (same order). */
export interface ReferenceData {
  /** Reference u on the grid, null where missing. */
  fields: (Float64Array | null)[];
  energies: number[];
}

function mean(rows: readonly StepRow[], f: (r: StepRow) => number): number {
  const later = rows.filter((r) => r.step > 0);
  if (later.length === 0) return Number.NaN;
  return later.reduce((s, r) => s + f(r), 0) / later.length;
}

/** Read the reference run's grid snapshots and energies at its output steps. */
export function loadReference(task: RunTask): ReferenceData {
  const fields = task.outputSteps.map((s) => readFieldCsv(task.layout.snapshot(s)));
  let energies = task.outputSteps.map(() => Number.NaN);
  if (existsSync(task.layout.steps)) {
    const rows = readStepsCsv(task.layout.steps).rows;
    energies = task.outputSteps.map((s) => rows.find((r) => r.step === s)?.energy ?? Number.NaN);
  }
  return { fields, energies };
}

/**
 * Metrics of a finished (or failed) run from its files (steps.csv and the grid snapshots) against
 * the reference: relative L2, phase-area error and energy difference at each output step,
 * every exact law the problem carries (radius from the phase area, energy), evaluated generically,
 * and for a pattern-sensitive problem (ProblemConfig.patternSensitive) the pattern measures of
 * pattern.ts (phase fraction, characteristic length) beside the reference's.
 */
export function measure(task: RunTask, ref: ReferenceData | null, o: { failed: boolean; reason: string; describe: SolverDescription }): RunResult {
  const p = task.runProblem;
  const rows = existsSync(task.layout.steps) ? readStepsCsv(task.layout.steps).rows : [];
  const last = rows[rows.length - 1];
  const expected = stepCount(p);
  let failed = o.failed;
  let reason = o.reason;
  if (!failed && (!last || last.step !== expected)) {
    failed = true;
    reason = `stopped at step ${last?.step ?? 'none'} of ${expected}`;
  }
  const verdict = rows.length > 0 ? runVerdict(rows) : null;
  const laws = p.laws ?? {};
  const relL2: number[] = [];
  const phaseArea: number[] = [];
  const phaseAreaError: number[] = [];
  const energyDiff: number[] = [];
  const radiusError: number[] = [];
  const energyLawError: number[] = [];
  // Pattern-sensitive problems (periodic boxes: the structure factor needs periodic fields).
  const pattern = p.patternSensitive && p.dim === 2 ? { phaseFraction: [] as number[], phaseFractionError: [] as number[], length: [] as number[], lengthError: [] as number[] } : undefined;
  const sides = [p.domain.max[0] - p.domain.min[0], p.domain.max[1] - p.domain.min[1]];
  let maxU = Number.NaN;
  const outputTimes = task.outputSteps.map((s) => s * p.tau);
  task.outputSteps.forEach((step, i) => {
    const u = readFieldCsv(task.layout.snapshot(step));
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
    if (pattern) {
      const own = u ? patternMeasures(u, kk, sides[0], sides[1]) : { phaseFraction: Number.NaN, length: Number.NaN };
      const theirs = refU ? patternMeasures(refU, kk, sides[0], sides[1]) : task.role === 'reference' ? own : null;
      pattern.phaseFraction.push(own.phaseFraction);
      pattern.length.push(own.length);
      pattern.phaseFractionError.push(theirs ? own.phaseFraction - theirs.phaseFraction : Number.NaN);
      pattern.lengthError.push(theirs ? (own.length - theirs.length) / theirs.length : Number.NaN);
    }
    const e = rows.find((r) => r.step === step)?.energy ?? Number.NaN;
    const eRef = ref ? ref.energies[i] : e;
    energyDiff.push((e - eRef) / Math.abs(eRef));
    const t = step * p.tau;
    if (laws.radius) {
      const exact = laws.radius(t);
      radiusError.push((radiusFromArea(area) - exact) / exact);
    }
    if (laws.energy) {
      const exact = laws.energy(t);
      energyLawError.push((e - exact) / Math.abs(exact));
    }
    if (u && step === task.outputSteps[task.outputSteps.length - 1]) maxU = maxAbs(u);
  });
  if (Number.isNaN(maxU) && rows.length > 0) maxU = Math.max(Math.abs(last.minU), Math.abs(last.maxU));
  const kind = solverKind(task.spec.kind);
  return {
    problem: task.problem,
    label: task.spec.label,
    role: task.role,
    kind: task.spec.kind,
    family: task.role === 'reference' ? 'reference' : kind.family(solverOptions(task.spec)),
    spec: task.spec,
    status: failed ? 'failed' : 'completed',
    reason,
    unknowns: o.describe.unknowns ?? null,
    backend: o.describe.backend ?? '',
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
    ...(laws.energy ? { energyLawError } : {}),
    ...(pattern ? { pattern } : {}),
    maxAbsU: maxU,
    stable: verdict?.ok ?? false,
    stability: verdict?.message ?? 'no steps',
    warnings: runWarnings(o.describe, p.epsilon),
    describe: o.describe,
  };
}
