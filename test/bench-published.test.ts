import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite, resolveSuite } from '../src/bench/config.js';
import { SuiteLayout } from '../src/bench/layout.js';
import { PUBLISHED_ENERGY_COLUMNS, publishedEnergyRows, publishedEnergySection, writePublishedEnergiesCsv } from '../src/bench/published.js';
import { writeReport } from '../src/bench/report.js';
import type { RunResult } from '../src/bench/results.js';
import { runSuite } from '../src/bench/suite.js';
import { formatStepsCsv, parseCsv, type StepRow } from '../src/io/csv.js';
import { decayDeps } from './bench-fixtures.js';

// A tiny fake suite result: reduced star (τ = 1e-4) to T = 4e-4 with a published block of Jₙ at
// τ = 1e-4; the reference (τ/2 = 5e-5) and two main runs have hand-written steps.csv files whose
// energies differ from the published values by round percentages, so every cell is known.
const published = { source: 'Someone et al., arXiv 0000.00000, logged run', setup: '64² points, rank 4', quantity: 'J', tau: 1e-4, times: [1e-4, 2e-4, 4e-4], values: [100, 90, 80] };
const suiteDef = {
  name: 'pub',
  reference: { nFactor: 2, tauDivisor: 2 },
  problems: [
    { name: 'star', overrides: { tEnd: 4e-4 }, publishedEnergies: published, solvers: [{ kind: 'fem', n: 64 }, { kind: 'sdmm', label: 'sdmm-a' }] },
    { name: 'circle', overrides: { tEnd: 4e-4 }, solvers: [{ kind: 'fem', n: 64 }] },
  ],
};

function steps(tau: number, energy: number[], movement: number[]): StepRow[] {
  return energy.map((e, step) => ({ step, t: step * tau, energy: e, movement: movement[step] ?? 0, wallMs: 1, iterations: 1, linearIterations: 0, minU: -1, maxU: 1, stable: true, stopReason: 'converged' }));
}

function fakeResults(def: object = suiteDef) {
  const suite = parseSuite(JSON.stringify(def), 'pub.json');
  const problems = resolveSuite(suite);
  const layout = new SuiteLayout(mkdtempSync(join(tmpdir(), 'bench-published-')), suite.name);
  const runs: RunResult[] = [];
  const add = (problem: string, role: RunResult['role'], label: string, rows: StepRow[]) => {
    const r = { problem, role, label } as RunResult;
    const dir = layout.run(r).dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(layout.run(r).steps, formatStepsCsv(rows));
    runs.push(r);
  };
  // Main runs listed before the reference: the table puts the reference first anyway.
  // fem: E 99, 88.2, 79.2 (−1%, −2%, −1%); Jₙ = E + movement 101, 89.1, 79.6 (+1%, −1%, −0.5%).
  add('star', 'main', 'fem-mms-newton-n64', steps(1e-4, [120, 99, 88.2, 85, 79.2], [0, 2, 0.9, 0.5, 0.4]));
  // sdmm stopped after step 1: E 110 (+10%), Jₙ 115 (+15%), nothing later.
  add('star', 'main', 'sdmm-a', steps(1e-4, [120, 110], [0, 5]));
  // reference at τ = 5e-5: t = 1e-4, 2e-4, 4e-4 are steps 2, 4, 8; E 100.5, 90.9, 80.8 (+0.5%, +1%, +1%).
  add('star', 'reference', 'reference', steps(5e-5, [130, 110, 100.5, 95, 90.9, 88, 85, 83, 80.8], [0, 9, 9, 9, 9, 9, 9, 9, 9]));
  add('circle', 'main', 'fem-mms-newton-n64', steps(1e-4, [1, 0.9, 0.8, 0.7, 0.6], []));
  return { layout, problems, runs };
}

describe('published energies in the report', () => {
  it('gives E for every run and Jₙ for runs with the published τ, each with its difference from the published value', () => {
    const results = fakeResults();
    const rows = publishedEnergyRows(results, results.problems[0]);
    expect(rows.map((r) => `${r.configuration}:${r.quantity}`)).toEqual(['published:J', 'reference:E', 'fem-mms-newton-n64:E', 'fem-mms-newton-n64:J', 'sdmm-a:E', 'sdmm-a:J']);
    const by = (c: string, q: string) => rows.find((r) => r.configuration === c && r.quantity === q)!;
    expect(by('reference', 'E').tau).toBe(5e-5);
    expect(by('reference', 'E').values).toEqual([100.5, 90.9, 80.8]);
    expect(by('fem-mms-newton-n64', 'J').values.map((v) => Number(v.toFixed(10)))).toEqual([101, 89.1, 79.6]);
    const pct = (r: { relDiff: number[] }) => r.relDiff.map((d) => (Number.isNaN(d) ? d : Number((100 * d).toFixed(10))));
    expect(pct(by('reference', 'E'))).toEqual([0.5, 1, 1]);
    expect(pct(by('fem-mms-newton-n64', 'E'))).toEqual([-1, -2, -1]);
    expect(pct(by('fem-mms-newton-n64', 'J'))).toEqual([1, -1, -0.5]);
    expect(pct(by('sdmm-a', 'J'))).toEqual([15, Number.NaN, Number.NaN]);
    // the problem without a block has no rows
    expect(publishedEnergyRows(results, results.problems[1])).toEqual([]);
  });

  it('renders one Markdown table per problem with a block, with source, τ and signed percentages', () => {
    const lines = publishedEnergySection(fakeResults());
    expect(lines[0]).toBe('## Published energies');
    expect(lines.filter((l) => l.startsWith('### '))).toEqual(['### star']);
    expect(lines).toContain('Published: Someone et al., arXiv 0000.00000, logged run; 64² points, rank 4. The published values are Jₙ = E(uⁿ) + ‖uⁿ − uⁿ⁻¹‖²/(2mτ), the energy plus the movement term of the step (their τ = 0.0001).');
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table).toEqual([
      '| configuration | quantity | τ | t = 0.0001 | t = 0.0002 | t = 0.0004 |',
      '|---|---|---|---|---|---|',
      '| **published** | Jₙ | 0.0001 | 100.00 | 90.00 | 80.00 |',
      '| **reference** | E | 0.00005 | 100.50 (+0.50%) | 90.90 (+1.00%) | 80.80 (+1.00%) |',
      '| fem-mms-newton-n64 | E | 0.0001 | 99.00 (−1.00%) | 88.20 (−2.00%) | 79.20 (−1.00%) |',
      '| fem-mms-newton-n64 | Jₙ | 0.0001 | 101.00 (+1.00%) | 89.10 (−1.00%) | 79.60 (−0.50%) |',
      '| sdmm-a | E | 0.0001 | 110.00 (+10.00%) | – | – |',
      '| sdmm-a | Jₙ | 0.0001 | 115.00 (+15.00%) | – | – |',
    ]);
  });

  it('writes published-energies.csv at full precision, and nothing (no section, no file) without a block', () => {
    const results = fakeResults();
    expect(writePublishedEnergiesCsv(results.layout.publishedEnergiesCsv, results)).toBe(true);
    const [header, ...rows] = parseCsv(readFileSync(results.layout.publishedEnergiesCsv, 'utf8')).records;
    expect(header).toEqual([...PUBLISHED_ENERGY_COLUMNS]);
    expect(rows).toHaveLength(6 * 3);
    expect(rows.find((r) => r[1] === 'reference' && r[5] === '0.0002')).toEqual(['star', 'reference', 'reference', 'E', '0.00005', '0.0002', '90.9', '90', String((90.9 - 90) / 90)]);
    expect(rows.find((r) => r[1] === 'sdmm-a' && r[3] === 'J' && r[5] === '0.0004')?.slice(6)).toEqual(['', '80', '']);

    const none = fakeResults({ ...suiteDef, problems: suiteDef.problems.map(({ publishedEnergies: _p, ...rest }) => rest) });
    expect(publishedEnergySection(none)).toEqual([]);
    expect(writePublishedEnergiesCsv(none.layout.publishedEnergiesCsv, none)).toBe(false);
  });

  it('gives the reference a Jₙ row too when the publication states no τ, and only E rows for a published E', () => {
    const { tau: _t, ...noTau } = published;
    const a = fakeResults({ ...suiteDef, problems: [{ ...suiteDef.problems[0], publishedEnergies: noTau }] });
    expect(publishedEnergyRows(a, a.problems[0]).filter((r) => r.quantity === 'J').map((r) => r.configuration)).toEqual(['published', 'reference', 'fem-mms-newton-n64', 'sdmm-a']);
    const e = fakeResults({ ...suiteDef, problems: [{ ...suiteDef.problems[0], publishedEnergies: { ...published, quantity: 'E' } }] });
    expect(publishedEnergyRows(e, e.problems[0]).map((r) => r.quantity)).toEqual(['E', 'E', 'E', 'E']);
  });

  it('is a section of REPORT.md written by a suite run (closed-form solver: E = exp(−2ct), c = 1 + 16/n, no movement)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-published-suite-'));
    const def = {
      name: 'pubsuite',
      grid: 9,
      reference: { nFactor: 2, tauDivisor: 2 },
      problems: [{ name: 'circle', overrides: { tEnd: 4e-4 }, publishedEnergies: { source: 'closed form', quantity: 'E', times: [2e-4, 4e-4], values: [1, 1] }, solvers: [{ kind: 'fem', n: 32 }] }],
    };
    await runSuite(parseSuite(JSON.stringify(def), 'pubsuite.json'), { root, deps: decayDeps(), log: () => {}, report: writeReport });
    const report = readFileSync(join(root, 'pubsuite', 'REPORT.md'), 'utf8');
    const e = (n: number, t: number) => Math.exp(-2 * (1 + 16 / n) * t);
    const cell = (v: number) => `${v.toFixed(2)} (−${(100 * (1 - v)).toFixed(2)}%)`;
    expect(report).toContain('## Published energies');
    expect(report).toContain(`| **reference** | E | 0.00005 | ${cell(e(128, 2e-4))} | ${cell(e(128, 4e-4))} |`);
    expect(report).toContain(`| fem-mms-newton-n32 | E | 0.0001 | ${cell(e(32, 2e-4))} | ${cell(e(32, 4e-4))} |`);
    expect(report.indexOf('## Published energies')).toBeLessThan(report.indexOf('## Pictures'));
    const csv = parseCsv(readFileSync(join(root, 'pubsuite', 'published-energies.csv'), 'utf8')).records;
    expect(Number(csv.find((r) => r[1] === 'fem-mms-newton-n32' && r[5] === '0.0004')![6])).toBeCloseTo(e(32, 4e-4), 14);
  });

  it('rejects a block whose values do not match its times, or a time after T, naming the field', () => {
    const bad = (pub: object) => () => parseSuite(JSON.stringify({ ...suiteDef, problems: [{ ...suiteDef.problems[0], publishedEnergies: pub }] }), 'pub.json');
    expect(bad({ ...published, values: [1, 2] })).toThrow('pub.json: problems[0].publishedEnergies.values: expected one value per time (3), got 2');
    expect(bad({ ...published, times: [1e-4, 2e-4, 5e-4] })).toThrow('pub.json: problems[0].publishedEnergies.times[2]: 0.0005 is after the final time T = 0.0004');
    expect(bad({ ...published, quantity: 'F' })).toThrow("pub.json: problems[0].publishedEnergies.quantity: expected one of E, J, got 'F'");
    expect(bad({ ...published, doi: 'x' })).toThrow("pub.json: problems[0].publishedEnergies: unknown field 'doi'");
  });
});
