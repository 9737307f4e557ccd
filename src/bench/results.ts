import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { nonFiniteReplacer, nonFiniteReviver } from '../io/json.js';
import type { RunWarning } from '../physics/resolution.js';
import type { EnvironmentInfo } from '../run/provenance.js';
import type { ResolvedProblem, SolverSpec, SuiteConfig } from './config.js';
import type { SuiteLayout } from './layout.js';
import type { TimeToAccuracyRow } from './metrics.js';

/** A run's outcome and metrics, stored as bench.json in its directory. */
export interface RunResult {
  /** The suite's name of the problem entry (its label, else the catalogue name). */
  problem: string;
  /** Directory label: a solver configuration, or 'reference'. */
  label: string;
  role: 'reference' | 'main' | 'sweep';
  /** The solver kind's name. */
  kind: string;
  /** The kind's family of the configuration (e.g. fem-stabilized, sdmm): compared in time to accuracy. */
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
  /** (R − R_law)/R_law with R = √(|{u>0}|/π), for problems with a radius law (else empty). */
  radiusError: number[];
  /** (E − E_law)/|E_law|, only for problems with an energy law. */
  energyLawError?: number[];
  /**
   * Pattern measures at each output time, only for pattern-sensitive problems (src/bench/pattern.ts):
   * the phase fraction |{u > 0}|/|Ω| on the grid and its difference from the reference's (in
   * fraction units), the characteristic length 2π/k₁ and its relative error (L − L_ref)/L_ref.
   */
  pattern?: { phaseFraction: number[]; phaseFractionError: number[]; length: number[]; lengthError: number[] };
  maxAbsU: number;
  stable: boolean;
  stability: string;
  /** The run's warnings (h > ε: under-resolved), from the solver's facts as in its summary.json. */
  warnings: RunWarning[];
  describe: Record<string, unknown>;
}

/** Everything a report is made from. */
export interface SuiteResults {
  suite: SuiteConfig;
  layout: SuiteLayout;
  /** layout.dir. */
  outDir: string;
  environment: EnvironmentInfo;
  problems: ResolvedProblem[];
  runs: RunResult[];
  timeToAccuracy: (TimeToAccuracyRow & { problem: string })[];
  wallMs: number;
  /** Runs that ran at the same time (`--jobs`); 1 unless the suite ran in worker processes. */
  jobs?: number;
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
  'energy_diff_max',
  'pattern_sensitive',
  'phase_fraction',
  'phase_fraction_error',
  'length',
  'length_error',
  'max_abs_u',
  'stable',
  'stability',
  'warnings',
  'backend',
  'epsilon',
  'tau',
  'grid',
] as const;

/** output-times.csv: one row per run (the reference has none: it is what they are measured against) and output time. */
export const OUTPUT_TIMES_COLUMNS = ['problem', 'configuration', 'family', 'status', 'step', 't', 'rel_l2', 'energy_diff', 'phase_area_error', 'radius_error', 'total_wall_ms'] as const;

export const TIME_TO_ACCURACY_COLUMNS = ['problem', 'family', 'target_rel_l2', 'reached', 'wall_ms', 'configuration', 'rel_l2'] as const;

/** Write a run's bench.json (non-finite numbers as strings). */
export function writeBenchJson(path: string, result: RunResult): void {
  writeFileAtomic(path, `${JSON.stringify(result, nonFiniteReplacer, 2)}\n`);
}

/** Read a bench.json back (non-finite numbers restored). */
export function readBenchJson(path: string): RunResult {
  return JSON.parse(readFileSync(path, 'utf8'), nonFiniteReviver) as RunResult;
}

/** Cells of summary.csv: numbers as numbers, not-applicable as ''. */
function num(v: number | null | undefined): number | string {
  return v === null || v === undefined ? '' : v;
}

/** Largest relative L2 error over a run's output times (NaN if any is NaN; 0 without any). */
export function maxRelL2(r: Pick<RunResult, 'relL2'>): number {
  return r.relL2.reduce((m, x) => (x > m || Number.isNaN(x) ? x : m), 0);
}

/** Largest |(E − E_ref)/E_ref| over a run's output times (NaN if any is NaN; 0 without any). */
export function maxEnergyDiff(r: Pick<RunResult, 'energyDiff'>): number {
  return r.energyDiff.reduce((m, x) => (Math.abs(x) > m || Number.isNaN(x) ? Math.abs(x) : m), 0);
}

function at<T>(a: readonly T[], i: number): T | undefined {
  return a.length > 0 ? a[(i + a.length) % a.length] : undefined;
}

/** summary.csv: one row per (problem, solver, configuration), the reference included. */
export function summaryRows(results: Pick<SuiteResults, 'runs' | 'problems' | 'suite'>): (string | number | boolean)[][] {
  return results.runs.map((r) => {
    const p = results.problems.find((x) => x.id === r.problem);
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
      isRef ? '' : num(maxEnergyDiff(r)),
      p?.problem.patternSensitive === true,
      r.pattern ? num(at(r.pattern.phaseFraction, -1)) : '',
      r.pattern && !isRef ? num(at(r.pattern.phaseFractionError, -1)) : '',
      r.pattern ? num(at(r.pattern.length, -1)) : '',
      r.pattern && !isRef ? num(at(r.pattern.lengthError, -1)) : '',
      num(r.maxAbsU),
      r.stable,
      r.stability,
      r.warnings.map((w) => w.message).join(' | '),
      r.backend,
      p?.problem.epsilon ?? '',
      isRef ? (p ? p.problem.tau / p.reference.tauDivisor : '') : (p?.problem.tau ?? ''),
      results.suite.grid,
    ];
  });
}

export function writeSummaryCsv(path: string, results: Pick<SuiteResults, 'runs' | 'problems' | 'suite'>): void {
  writeCsvAtomic(path, SUMMARY_COLUMNS, summaryRows(results));
}

/**
 * output-times.csv: the metrics of every run at each output time of its problem (summary.csv
 * has the final time and the worst over them), so a problem compared at several times (ac1d at
 * t = 0.25, 0.5, 0.75, 1) shows each one.
 */
export function outputTimeRows(results: Pick<SuiteResults, 'runs'>): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const r of results.runs) {
    if (r.role === 'reference') continue;
    r.outputSteps.forEach((step, i) => {
      rows.push([
        r.problem,
        r.label,
        r.family,
        r.status,
        step,
        num(r.outputTimes[i]),
        num(r.relL2[i]),
        num(r.energyDiff[i]),
        num(r.phaseAreaError[i]),
        r.radiusError.length > 0 ? num(r.radiusError[i]) : '',
        num(r.totalWallMs),
      ]);
    });
  }
  return rows;
}

export function writeOutputTimesCsv(path: string, results: Pick<SuiteResults, 'runs'>): void {
  writeCsvAtomic(path, OUTPUT_TIMES_COLUMNS, outputTimeRows(results));
}

export function writeTimeToAccuracyCsv(path: string, rows: readonly (TimeToAccuracyRow & { problem: string })[]): void {
  writeCsvAtomic(
    path,
    TIME_TO_ACCURACY_COLUMNS,
    rows.map((r) => [r.problem, r.family, r.target, r.wallMs !== null, r.wallMs ?? '', r.label ?? '', r.error ?? '']),
  );
}
