import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite, type ResolvedProblem } from '../src/bench/config.js';
import { writeReport } from '../src/bench/report.js';
import { runSuite } from '../src/bench/suite.js';
import { measure, type RunTask } from '../src/bench/measure.js';
import { characteristicLength, patternMeasures, periodicInterior, phaseFraction, powerSpectrum } from '../src/bench/pattern.js';
import { maxEnergyDiff, SUMMARY_COLUMNS, summaryRows } from '../src/bench/results.js';
import { ensureDirectory, writeFileAtomic } from '../src/io/atomic.js';
import { formatStepsCsv, parseCsv, type StepRow, writeFieldCsv } from '../src/io/csv.js';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { RunLayout } from '../src/run/layout.js';
import { uniformGrid } from '../src/solver.js';
import { decayDeps } from './bench-fixtures.js';
import { markdownTables, tableProblems } from './markdown-tables.js';

/** u(x, y) sampled on the periodic n×n grid of [0, L)², layout i·n + j. */
function sample(n: number, L: number, f: (x: number, y: number) => number): Float64Array {
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i * n + j] = f((i * L) / n, (j * L) / n);
  return u;
}

describe('structure-factor length (exact for single Fourier modes)', () => {
  it('cos(2π m x / L) has L/m for m = 1…5, on even and odd grids, along x and along y', () => {
    for (const n of [32, 45]) {
      for (let m = 1; m <= 5; m++) {
        const L = 2;
        expect(characteristicLength(sample(n, L, (x) => Math.cos((2 * Math.PI * m * x) / L)), n, n, L, L)).toBeCloseTo(L / m, 10);
        expect(characteristicLength(sample(n, L, (_x, y) => 0.3 * Math.sin((2 * Math.PI * m * y) / L) + 0.7), n, n, L, L)).toBeCloseTo(L / m, 10);
      }
    }
  });

  it('a diagonal mode cos(2π(x + y)) on [0,1)² has |k| = 2π√2, so length 1/√2', () => {
    const u = sample(40, 1, (x, y) => Math.cos(2 * Math.PI * (x + y)));
    expect(characteristicLength(u, 40, 40, 1, 1)).toBeCloseTo(1 / Math.SQRT2, 10);
  });

  it('two modes with equal power give the harmonic mean of the wave numbers', () => {
    const u = sample(64, 1, (x, y) => Math.cos(2 * Math.PI * 2 * x) + Math.cos(2 * Math.PI * 6 * y));
    // k₁ = (2π·2 + 2π·6)/2 = 2π·4
    expect(characteristicLength(u, 64, 64, 1, 1)).toBeCloseTo(1 / 4, 10);
  });

  it('Parseval: Σ S = N Σ (u − ū)² for a random field', () => {
    const n = 24;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const u = new Float64Array(n * n).map(() => rand());
    const mean = u.reduce((a, b) => a + b) / u.length;
    const S = powerSpectrum(u, n, n);
    const lhs = S.reduce((a, b) => a + b);
    const rhs = u.length * u.reduce((a, b) => a + (b - mean) ** 2, 0);
    expect(lhs / rhs).toBeCloseTo(1, 12);
  });

  it('a constant field has no length (NaN); a bad grid is one RangeError', () => {
    expect(characteristicLength(new Float64Array(16).fill(0.4), 4, 4, 1, 1)).toBeNaN();
    expect(() => powerSpectrum(new Float64Array(15), 4, 4)).toThrow('powerSpectrum: expected an nx × ny grid with nx, ny ≥ 2 and 4·4 values, got 15');
  });
});

describe('phase fraction', () => {
  it('counts u > 0: a half-plane split is exactly 1/2 and ±1 fields are 1 and 0', () => {
    const n = 20;
    expect(phaseFraction(sample(n, 1, (x) => (x < 0.5 ? 1 : -1)))).toBe(0.5);
    expect(phaseFraction(new Float64Array(9).fill(1))).toBe(1);
    expect(phaseFraction(new Float64Array(9).fill(-1))).toBe(0);
  });
});

/** u(x, y) on the suite's closed k×k grid of [0,1]² (both end points, layout i·k + j), as uniformGrid. */
function closed(k: number, f: (x: number, y: number) => number): Float64Array {
  const u = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) u[i * k + j] = f(i / (k - 1), j / (k - 1));
  return u;
}

// Stripes on the closed 101² grid, whose periodic part is the 100² grid x = i/100:
// cos(8πx) has wavelength 1/4 and is > 0 at i mod 25 ∈ {0…6, 19…24}, 13 of 25 points: 0.52;
// cos(10πx) − 0.5 has wavelength 1/5 (the constant has no k ≠ 0 part) and is > 0 where
// |2π i/20| < π/3 (mod 2π), i mod 20 ∈ {0…3, 17…19}, 7 of 20 points: 0.35.
const K = 101;
const run = closed(K, (x) => Math.cos(8 * Math.PI * x));
const reference = closed(K, (x) => Math.cos(10 * Math.PI * x) - 0.5);

describe('pattern measures on the suite grid', () => {
  it('drop the repeated last row and column of a periodic field, and give exact stripe lengths and phase fractions', () => {
    const v = periodicInterior(run, K);
    expect(v.length).toBe(100 * 100);
    expect(v[3 * 100 + 7]).toBe(run[3 * K + 7]);
    expect(patternMeasures(run, K, 1, 1).length).toBeCloseTo(0.25, 12);
    expect(patternMeasures(run, K, 1, 1).phaseFraction).toBe(0.52);
    expect(patternMeasures(reference, K, 1, 1).length).toBeCloseTo(0.2, 12);
    expect(patternMeasures(reference, K, 1, 1).phaseFraction).toBe(0.35);
    // stripes along y in a box of sides 2 × 1: wavelength 1/3 of the y side
    expect(patternMeasures(closed(K, (_x, y) => Math.sin(6 * Math.PI * y)), K, 2, 1).length).toBeCloseTo(1 / 3, 12);
    expect(() => periodicInterior(new Float64Array(10), 3)).toThrow('periodicInterior: expected a k×k grid with k ≥ 3 and 3·3 values, got 10');
  });
});

describe('the suite measures pattern-sensitive problems by their pattern', () => {
  /** A finished run of `problem` in a fresh folder: the given snapshots at steps 1 and 2, energies E₁, E₂. */
  function task(problem: ProblemConfig, fields: Float64Array[], energies: number[]): RunTask {
    const layout = new RunLayout(mkdtempSync(join(tmpdir(), 'pattern-')));
    ensureDirectory(layout.snapshotsDir);
    const grid = uniformGrid(problem, K);
    fields.forEach((u, i) => writeFieldCsv(layout.snapshot(i + 1), grid, 2, u));
    const rows: StepRow[] = [100, ...energies].map((energy, step) => ({
      step, t: step * problem.tau, energy, movement: 0, wallMs: 1, iterations: 1, linearIterations: 0, minU: -1, maxU: 1, stable: true, stopReason: 'converged',
    }));
    writeFileAtomic(layout.steps, formatStepsCsv(rows));
    return { problem: problem.name, runProblem: problem, spec: { kind: 'fem', scheme: 'mms-newton', label: 'stripes' }, role: 'main', layout, outputSteps: [1, 2] };
  }
  const describe0 = { failed: false, reason: '', describe: {} };

  it('coarsening (pattern-sensitive): phase-fraction and length errors against the reference at every output time, and the largest energy difference', () => {
    const problem = makeProblem('coarsening', 'reduced', { tEnd: 2 * makeProblem('coarsening').tau });
    expect(problem.patternSensitive).toBe(true);
    const ref = { fields: [reference, reference], energies: [10, 10] };
    const r = measure(task(problem, [reference, run], [10.5, 9]), ref, describe0);
    expect(r.status).toBe('completed');
    expect(r.energyDiff).toEqual([0.05, -0.1]);
    expect(maxEnergyDiff(r)).toBeCloseTo(0.1, 15);
    expect(r.pattern!.phaseFraction).toEqual([0.35, 0.52]);
    expect(r.pattern!.phaseFractionError[0]).toBe(0);
    expect(r.pattern!.phaseFractionError[1]).toBeCloseTo(0.17, 14);
    expect(r.pattern!.length[1]).toBeCloseTo(0.25, 12);
    expect(r.pattern!.lengthError[0]).toBeCloseTo(0, 12);
    expect(r.pattern!.lengthError[1]).toBeCloseTo(0.25, 10); // (1/4 − 1/5)/(1/5)

    const resolved = { id: problem.name, problem, reference: { scheme: 'mms-newton', nFactor: 2, tauDivisor: 4 }, outputSteps: [1, 2] } as unknown as ResolvedProblem;
    const [row] = summaryRows({ runs: [r], problems: [resolved], suite: { grid: K } as never });
    const cell = (c: (typeof SUMMARY_COLUMNS)[number]) => row[SUMMARY_COLUMNS.indexOf(c)];
    expect(row).toHaveLength(SUMMARY_COLUMNS.length);
    expect(cell('pattern_sensitive')).toBe(true);
    expect(cell('energy_diff')).toBe(-0.1);
    expect(cell('energy_diff_max')).toBeCloseTo(0.1, 15);
    expect(cell('phase_fraction')).toBe(0.52);
    expect(cell('phase_fraction_error')).toBeCloseTo(0.17, 14);
    expect(cell('length')).toBeCloseTo(0.25, 12);
    expect(cell('length_error')).toBeCloseTo(0.25, 10);
  });

  it('random is pattern-sensitive too; star and circle are not, and get no pattern measures', () => {
    expect(makeProblem('random').patternSensitive).toBe(true);
    for (const name of ['star', 'circle', 'ac1d', 'front1d']) expect(makeProblem(name).patternSensitive ?? false).toBe(false);
    const star = makeProblem('star', 'reduced', { tEnd: 2e-4 });
    const r = measure(task(star, [run, run], [10, 10]), { fields: [run, run], energies: [10, 10] }, describe0);
    expect(r.pattern).toBeUndefined();
    const resolved = { id: star.name, problem: star, reference: { scheme: 'mms-newton', nFactor: 2, tauDivisor: 4 }, outputSteps: [1, 2] } as unknown as ResolvedProblem;
    const [row] = summaryRows({ runs: [r], problems: [resolved], suite: { grid: K } as never });
    expect(row[SUMMARY_COLUMNS.indexOf('pattern_sensitive')]).toBe(false);
    expect(row[SUMMARY_COLUMNS.indexOf('length_error')]).toBe('');
  });
});

describe('the suite run on a pattern-sensitive problem', () => {
  it('writes the pattern columns and a per-output-time table; closed-form fields give exact values', async () => {
    // DecaySolver (test/bench-fixtures.ts): u = u₀ e^{−ct}, c = 1 + 16/n, E = e^{−2ct}; fields of
    // two runs are proportional, so the phase fraction and the length agree exactly with the
    // reference's, and ΔE(t) = e^{−2(c − c_ref)t} − 1 is largest in size at the last output time.
    const tau = makeProblem('coarsening').tau;
    const suite = parseSuite(
      JSON.stringify({
        name: 'pat',
        grid: 33,
        reference: { nFactor: 2, tauDivisor: 2 },
        problems: [{ name: 'coarsening', overrides: { tEnd: 4 * tau, n: 64 }, outputTimes: [2 * tau, 4 * tau], solvers: [{ kind: 'fem', scheme: 'mms-newton' }] }],
      }),
      'pat.json',
    );
    const root = mkdtempSync(join(tmpdir(), 'pattern-suite-'));
    await runSuite(suite, { root, deps: decayDeps(), log: () => {}, report: writeReport });
    const [header, ...rows] = parseCsv(readFileSync(join(root, 'pat', 'summary.csv'), 'utf8')).records;
    const row = (role: string) => Object.fromEntries(header.map((h, i) => [h, rows.find((r) => r[header.indexOf('role')] === role)![i]]));
    const main = row('main');
    const ref = row('reference');
    expect(main.pattern_sensitive).toBe('true');
    const c = 1 + 16 / 64;
    const cRef = 1 + 16 / 128;
    expect(Number(main.energy_diff_max)).toBeCloseTo(1 - Math.exp(-2 * (c - cRef) * 4 * tau), 12);
    expect(Number(main.phase_fraction_error)).toBe(0);
    expect(Math.abs(Number(main.length_error))).toBeLessThan(1e-12);
    expect(Number(main.phase_fraction)).toBe(Number(ref.phase_fraction));
    expect(Number(ref.length)).toBeGreaterThan(0.05); // the data's modes: wavelengths 1/√20 … 1/√29 and below
    expect(ref.length_error).toBe('');

    const report = readFileSync(join(root, 'pat', 'REPORT.md'), 'utf8');
    expect(tableProblems(report)).toEqual([]);
    expect(report).toContain('Pattern-sensitive problem');
    const tables = markdownTables(report);
    const summary = tables.find((t) => t.header.includes('ΔE max'))!;
    expect(summary.header).toContain('rel L2 (pattern-sensitive)');
    const perTime = tables.find((t) => t.header.includes('length L'))!;
    expect(tau).toBe(2e-4);
    expect(perTime.rows.map((r) => [r[0], r[1]])).toEqual([
      ['**reference**', '4e-4'],
      ['**reference**', '8e-4'],
      ['fem-mms-newton-n64', '4e-4'],
      ['fem-mms-newton-n64', '8e-4'],
    ]);
    // the main row's errors: rel L2 1 − e^{−(c − c_ref)t}, phase fraction and length errors 0
    const last = perTime.rows[3];
    expect(last[2]).toBe(`${(100 * (1 - Math.exp(-(c - cRef) * 4 * tau))).toFixed(2)}%`);
    expect(last[5]).toBe('0.00%');
    expect(Math.abs(parseFloat(last[7]))).toBe(0); // rounding: ±0.00%
  });
});
