import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite } from '../src/bench/config.js';
import { writeReport } from '../src/bench/report.js';
import { markdownTables, tableProblems } from './markdown-tables.js';
import { OUTPUT_TIMES_COLUMNS, readBenchJson, SUMMARY_COLUMNS, TIME_TO_ACCURACY_COLUMNS } from '../src/bench/results.js';
import { runSuite } from '../src/bench/suite.js';
import { parseCsv, readStepsCsv } from '../src/io/csv.js';
import { decodePng, phasePanel } from '../src/io/png.js';
import { figureLayout } from '../src/io/figure.js';
import { readVtu } from '../src/io/vtk.js';
import { decayDeps } from './bench-fixtures.js';

// Circle (reduced: τ = 1e-4) to T = 0.001: 10 steps; reference n = 128, τ/2: 20 steps.
// DecaySolver: u = u₀ exp(−c t), c = 1 + 16/n, so c_ref = 1.125, c(64) = 1.25, c(32) = 1.5.
const suiteDef = {
  name: 'tiny',
  grid: 33,
  checkpointEvery: 3,
  reference: { nFactor: 2, tauDivisor: 2 },
  problems: [
    {
      name: 'circle',
      overrides: { tEnd: 0.001 },
      outputTimes: [0.0005, 0.001],
      solvers: [
        { kind: 'fem', scheme: 'mms-newton', n: 64 },
        { kind: 'fem', scheme: 'stabilized', n: 32 },
        { kind: 'sdmm', quadElements: 64, maxIters: 3, label: 'sdmm-diverges' },
      ],
    },
    { name: 'star', overrides: { tEnd: 0.0005 }, solvers: [{ kind: 'fem', scheme: 'convex-split', n: 64 }] },
  ],
  sweep: { problems: ['circle'], targets: [1e-3, 2e-4, 1e-5], solvers: [{ kind: 'fem', scheme: 'stabilized', n: 16 }, { kind: 'fem', scheme: 'stabilized', n: 64 }] },
};
const text = JSON.stringify(suiteDef);

function summary(root: string) {
  const { records } = parseCsv(readFileSync(join(root, 'tiny', 'summary.csv'), 'utf8'));
  const [header, ...rows] = records;
  return { header, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

function expectOneRowPerStep(dir: string, steps: number) {
  const { rows, partial } = readStepsCsv(join(dir, 'steps.csv'));
  expect(partial).toBe(false);
  expect(rows.map((r) => r.step)).toEqual(Array.from({ length: steps + 1 }, (_, i) => i));
}

describe('benchmark suite', () => {
  it('writes summary.csv with typed columns, exact closed-form errors, a failed row for a divergence, and the report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-suite-'));
    const lines: string[] = [];
    const res = await runSuite(parseSuite(text, 'tiny.json'), { root, deps: decayDeps(), log: (l) => lines.push(l), report: writeReport });
    expect(res.runs.map((r) => `${r.problem}/${r.label}:${r.status}`)).toEqual([
      'circle/reference:completed',
      'circle/fem-mms-newton-n64:completed',
      'circle/fem-stabilized-n32:completed',
      'circle/sdmm-diverges:failed',
      'circle/sweep-fem-stabilized-n16:completed',
      'circle/sweep-fem-stabilized-n64:completed',
      'star/reference:completed',
      'star/fem-convex-split-n64:completed',
    ]);

    const { header, rows } = summary(root);
    expect(header).toEqual([...SUMMARY_COLUMNS]);
    expect(rows).toHaveLength(8);
    const numeric = ['steps', 'total_wall_ms', 'ms_per_step', 'iterations_per_step', 'linear_iterations_per_step', 'final_time', 'final_energy', 'max_abs_u', 'epsilon', 'tau', 'grid', 'unknowns'];
    for (const r of rows) {
      for (const c of numeric) expect(Number.isNaN(Number(r[c])) && r[c] !== 'NaN', `${r.configuration}.${c} = '${r[c]}'`).toBe(false);
      expect(['completed', 'failed']).toContain(r.status);
      expect(['true', 'false']).toContain(r.stable);
      expect(['reference', 'main', 'sweep']).toContain(r.role);
      expect(['fem', 'sdmm']).toContain(r.solver);
      if (r.role !== 'reference') for (const c of ['rel_l2_final', 'rel_l2_max', 'phase_area_error', 'energy_diff']) expect(r[c] === 'NaN' || Number.isFinite(Number(r[c])), c).toBe(true);
    }
    const byLabel = Object.fromEntries(rows.map((r) => [`${r.problem}/${r.configuration}`, r]));
    const t = 0.001;
    const ref = 1.125;
    const mms = byLabel['circle/fem-mms-newton-n64'];
    expect(Number(mms.steps)).toBe(10);
    expect(Number(mms.rel_l2_final)).toBeCloseTo(1 - Math.exp(-(1.25 - ref) * t), 12);
    expect(Number(mms.rel_l2_max)).toBeCloseTo(1 - Math.exp(-(1.25 - ref) * t), 12); // error grows with t
    expect(Number(mms.energy_diff)).toBeCloseTo(Math.exp(-2 * (1.25 - ref) * t) - 1, 12);
    expect(Number(mms.phase_area_error)).toBeCloseTo(0, 12); // {u > 0} does not move
    expect(Number(mms.final_energy)).toBeCloseTo(Math.exp(-2 * 1.25 * t), 14);
    expect(Number(mms.ms_per_step)).toBe(8);
    expect(Number(mms.total_wall_ms)).toBe(1 + 8 * 10);
    expect(Number(mms.iterations_per_step)).toBe(2);
    expect(mms.stable).toBe('true');
    // the disc does not shrink here, so the radius error is R_grid/√(R₀² − 2t) − 1 ≈ 0.25/0.24597 − 1
    expect(Number(mms.radius_error)).toBeCloseTo(0.25 / Math.sqrt(0.0625 - 2 * t) - 1, 2);
    expect(Number(byLabel['circle/fem-stabilized-n32'].rel_l2_final)).toBeCloseTo(1 - Math.exp(-(1.5 - ref) * t), 12);
    expect(Number(byLabel['circle/reference'].tau)).toBe(5e-5);
    expect(byLabel['circle/reference'].rel_l2_final).toBe('');
    expect(byLabel['star/fem-convex-split-n64'].radius_error).toBe(''); // only the circle has a radius law
    // h = 1/n against ε = 0.04: only n = 16 (h = 0.0625) is under-resolved; n = 32 (0.03125) is not.
    const warning = 'under-resolved: h = 0.0625 > ε = 0.04 (decay fixture: 1/n); refine n, or raise ε';
    expect(rows.filter((r) => r.warnings !== '').map((r) => [r.configuration, r.warnings])).toEqual([['sweep-fem-stabilized-n16', warning]]);
    expect(lines.filter((l) => l.includes('warning'))).toEqual([`[5/8] circle/sweep-fem-stabilized-n16: warning: ${warning}`]);

    const failed = byLabel['circle/sdmm-diverges'];
    expect(failed.status).toBe('failed');
    expect(failed.reason).toBe('diverged at step 3: energy became NaN at step 3');
    expect(Number(failed.steps)).toBe(2);
    expect(failed.rel_l2_final).toBe('NaN'); // never reached the output times
    expectOneRowPerStep(join(root, 'tiny', 'circle', 'sdmm-diverges'), 2);

    // time to accuracy: errors 1 − e^{−(c − 1.125)t} for n = 16 (c = 2), 32, 64 (c = 1.25); walls 21, 41, 81 ms
    const tta = parseCsv(readFileSync(join(root, 'tiny', 'time-to-accuracy.csv'), 'utf8')).records;
    expect(tta[0]).toEqual([...TIME_TO_ACCURACY_COLUMNS]);
    const stab = tta.filter((r) => r[1] === 'fem-stabilized');
    expect(stab.map((r) => [r[2], r[3], r[5], r[4]])).toEqual([
      ['0.001', 'true', 'sweep-fem-stabilized-n16'], // 8.7e-4 ≤ 1e-3 already at n = 16, the cheapest
      ['0.0002', 'true', 'sweep-fem-stabilized-n64'], // 1.25e-4
      ['0.00001', 'false', ''],
    ].map(([a, b, c], i) => [String(Number(a)), b, c, ['21', '81', ''][i]]));

    // ParaView: one VTU per output step with solver, reference and their difference on the grid
    const compare = readVtu(join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'compare', 'u_000010.vtu'));
    expect(Object.keys(compare.pointData)).toEqual(['solver', 'reference', 'difference']);
    expect(compare.nPoints).toBe(33 * 33);
    for (let q = 0; q < compare.nPoints; q += 50) expect(compare.pointData.difference[q]).toBe(compare.pointData.solver[q] - compare.pointData.reference[q]);
    expect(Math.max(...compare.pointData.difference.map(Math.abs))).toBeGreaterThan(0);
    expect(readFileSync(join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'compare.pvd'), 'utf8')).toContain('file="compare/u_000005.vtu"');

    // report and pictures
    const report = readFileSync(join(root, 'tiny', 'REPORT.md'), 'utf8');
    expect(report).toContain('## Machine and versions');
    // Every table renders as one (a bare '|' in a header cell once split the summary's header).
    const tables = markdownTables(report);
    expect(tables.length).toBeGreaterThanOrEqual(4);
    expect(tableProblems(report)).toEqual([]);
    expect(tables.some((t) => t.header.includes('max \\|u\\|'))).toBe(true);
    // report.html: the same tables (same cells per row), pictures embedded, nothing fetched
    const html = readFileSync(join(root, 'tiny', 'report.html'), 'utf8');
    const htmlTables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => [...m[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => (r[1].match(/<t[hd]>/g) ?? []).length));
    expect(htmlTables).toEqual(tables.map((t) => [t.header.length, ...t.rows.map((r) => r.length)]));
    expect(html).toContain('<th>max |u|</th>');
    expect(html).toContain('src="data:image/png;base64,');
    expect(html).toMatch(/<div id="plot0" class="plot"/);
    expect(html).toContain('new vega.View(');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(report).toContain('**failed**: diverged at step 3');
    // the under-resolved run: marked in its row of the summary table, its warning listed below it
    const circleTable = tables.find((t) => t.rows.some((r) => r[0] === 'sweep-fem-stabilized-n16'))!;
    expect(circleTable.rows.filter((r) => r[1].includes('under-resolved')).map((r) => [r[0], r[1]])).toEqual([['sweep-fem-stabilized-n16', 'ok, under-resolved ⚠']]);
    expect(report.split('\n').filter((l) => l.startsWith('- ⚠'))).toEqual([`- ⚠ sweep-fem-stabilized-n16: ${warning}`]);
    expect(report).toContain('![circle, t = 0.001: fem-mms-newton-n64 | sdmm-diverges');
    const png = decodePng(readFileSync(join(root, 'tiny', 'circle', 'snapshots-step000010.png')));
    // three rows (configurations) of three labelled 33 × 33 panels at 2 px per point
    const layout = figureLayout({ title: 'circle', domain: { min: [0, 0], max: [1, 1] }, rows: [[{ ...phasePanel(new Float64Array(33 * 33), 33), label: 'x' }]] });
    expect(layout.side).toBe(66);
    expect(png.height).toBe(layout.titleH + 3 * layout.cellH + 8);
    expect(png.width).toBeGreaterThanOrEqual(8 + 3 * (layout.axisW + 66));
    expect(readFileSync(join(root, 'tiny', 'circle', 'energy.svg'), 'utf8')).toContain('configuration: fem-stabilized-n32');
    expect(readFileSync(join(root, 'tiny', 'circle', 'energy.svg'), 'utf8')).toContain('(E − E_ref) / |E_ref|');
    // time to accuracy: one marker per completed configuration, sweep included
    const accuracy = readFileSync(join(root, 'tiny', 'circle', 'accuracy.svg'), 'utf8');
    for (const label of ['fem-mms-newton-n64', 'fem-stabilized-n32', 'sweep-fem-stabilized-n16', 'sweep-fem-stabilized-n64']) expect(accuracy).toContain(`configuration: ${label}`);
    expect(accuracy).not.toContain('configuration: sdmm-diverges');
    // the PNGs of the plots are the SVGs rasterised at 2×: sizes from the SVG, ink on white
    for (const name of ['energy', 'accuracy']) {
      const svg = readFileSync(join(root, 'tiny', 'circle', `${name}.svg`), 'utf8');
      const [w, h] = [/width="([\d.]+)"/.exec(svg)![1], /height="([\d.]+)"/.exec(svg)![1]].map(Number);
      const plot = decodePng(readFileSync(join(root, 'tiny', 'circle', `${name}.png`)));
      expect(Math.abs(plot.width - 2 * w)).toBeLessThanOrEqual(1);
      expect(Math.abs(plot.height - 2 * h)).toBeLessThanOrEqual(1);
      let dark = 0;
      for (let q = 0; q < plot.width * plot.height; q++) if (plot.data[4 * q] < 128) dark++;
      expect(dark / (plot.width * plot.height)).toBeGreaterThan(0.005); // axes, labels and curves drawn
      expect(dark / (plot.width * plot.height)).toBeLessThan(0.5); // on a white background
    }
    expect(existsSync(join(root, 'tiny', 'star', 'fem-vs-sdmm.png'))).toBe(false); // star has no SDMM run

    // a second start skips every finished run (steps.csv untouched) and reproduces the summary
    const stepsPath = join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'steps.csv');
    const before = statSync(stepsPath).mtimeMs;
    const again: string[] = [];
    await runSuite(parseSuite(text, 'tiny.json'), { root, deps: decayDeps(), log: (l) => again.push(l) });
    expect(again.every((l) => l.endsWith('skipped'))).toBe(true);
    expect(statSync(stepsPath).mtimeMs).toBe(before);
    expect(summary(root).rows).toEqual(rows);
    expect(readBenchJson(join(root, 'tiny', 'circle', 'sdmm-diverges', 'bench.json')).relL2.every(Number.isNaN)).toBe(true);

    // changing a configuration under the same label reruns that run only (now diverging at step 4)
    const changed = structuredClone(suiteDef);
    (changed.problems[0].solvers[2] as { maxIters: number }).maxIters = 4;
    const third: string[] = [];
    await runSuite(parseSuite(JSON.stringify(changed), 'tiny.json'), { root, deps: decayDeps(), log: (l) => third.push(l) });
    expect(third.filter((l) => !l.endsWith('skipped'))).toEqual([
      '[4/8] circle/sdmm-diverges: configuration changed since its files were written (spec), starting afresh',
      '[4/8] circle/sdmm-diverges: starting (10 steps)',
      '[4/8] circle/sdmm-diverges: failed (diverged at step 4: energy became NaN at step 4), 0.0 s',
    ]);
    expectOneRowPerStep(join(root, 'tiny', 'circle', 'sdmm-diverges'), 3);
    expect(statSync(stepsPath).mtimeMs).toBe(before);
  });

  it('lists one problem twice under labels with its own overrides, and reports every output time (output-times.csv, REPORT.md)', async () => {
    // circle at two ε and resolutions: 'circle-fine' n = 64 (c = 1.25, reference n = 128: c_ref = 1.125),
    // 'circle-coarse' n = 32 (c = 1.5, reference n = 64: c_ref = 1.25); errors 1 − e^{−(c − c_ref)t} at each output time.
    const def = {
      name: 'labelled',
      grid: 17,
      reference: { nFactor: 2, tauDivisor: 2 },
      solvers: [{ kind: 'fem', scheme: 'mms-newton' }],
      problems: [
        { name: 'circle', label: 'circle-fine', overrides: { epsilon: 0.08, tEnd: 0.0012 }, outputTimes: [0.0004, 0.0008, 0.0012] },
        { name: 'circle', label: 'circle-coarse', overrides: { epsilon: 0.02, n: 32, tEnd: 0.0012 }, outputTimes: [0.0004, 0.0008, 0.0012] },
      ],
      sweep: { problems: ['circle-coarse'], targets: [0.5], solvers: [{ kind: 'fem', scheme: 'stabilized', n: 16 }] },
    };
    const root = mkdtempSync(join(tmpdir(), 'bench-labels-'));
    const res = await runSuite(parseSuite(JSON.stringify(def), 'labelled.json'), { root, deps: decayDeps(), log: () => {}, report: writeReport });
    expect(res.runs.map((r) => `${r.problem}/${r.label}`)).toEqual([
      'circle-fine/reference',
      'circle-fine/fem-mms-newton-n64',
      'circle-coarse/reference',
      'circle-coarse/fem-mms-newton-n32',
      'circle-coarse/sweep-fem-stabilized-n16',
    ]);
    for (const dir of ['reference/circle-fine', 'reference/circle-coarse', 'circle-fine/fem-mms-newton-n64', 'circle-coarse/fem-mms-newton-n32']) {
      expect(existsSync(join(root, 'labelled', dir, 'bench.json')), dir).toBe(true);
    }
    const sum = parseCsv(readFileSync(join(root, 'labelled', 'summary.csv'), 'utf8')).records;
    const eps = Object.fromEntries(sum.slice(1).map((r) => [`${r[0]}/${r[4]}`, r[SUMMARY_COLUMNS.indexOf('epsilon')]]));
    expect(eps['circle-fine/fem-mms-newton-n64']).toBe('0.08');
    expect(eps['circle-coarse/fem-mms-newton-n32']).toBe('0.02');

    const { records } = parseCsv(readFileSync(join(root, 'labelled', 'output-times.csv'), 'utf8'));
    expect(records[0]).toEqual([...OUTPUT_TIMES_COLUMNS]);
    const rows = records.slice(1);
    expect(rows).toHaveLength(3 * 3); // three runs (the reference has none) × three output times
    const expected: [string, string, number][] = [
      ['circle-fine', 'fem-mms-newton-n64', 1.25 - 1.125],
      ['circle-coarse', 'fem-mms-newton-n32', 1.5 - 1.25],
      ['circle-coarse', 'sweep-fem-stabilized-n16', 2 - 1.25],
    ];
    for (const [problem, label, dc] of expected) {
      const mine = rows.filter((r) => r[0] === problem && r[1] === label);
      expect(mine.map((r) => Number(r[4]))).toEqual([4, 8, 12]);
      mine.forEach((r, i) => {
        const t = 0.0004 * (i + 1);
        expect(Number(r[5])).toBeCloseTo(t, 15);
        expect(Number(r[6])).toBeCloseTo(1 - Math.exp(-dc * t), 12);
        expect(Number(r[7])).toBeCloseTo(Math.exp(-2 * dc * t) - 1, 12);
      });
    }
    const report = readFileSync(join(root, 'labelled', 'REPORT.md'), 'utf8');
    expect(report).toContain('### circle-coarse (circle, ε = 0.02)');
    const perTime = markdownTables(report).find((t) => t.header.includes('t = 8e-4') && t.rows.some((r) => r[0] === 'fem-mms-newton-n32'));
    expect(perTime?.header).toEqual(['configuration', 't = 4e-4', 't = 8e-4', 't = 0.0012', 'wall [s]']);
    // 1 − e^{−0.25 t} at t = 4e-4, 8e-4, 1.2e-3, to 3 significant digits
    expect(perTime?.rows.find((r) => r[0] === 'fem-mms-newton-n32')?.slice(1, 4)).toEqual(['1e-4', '2e-4', '3e-4']);
    expect(perTime?.rows.find((r) => r[0] === 'sweep-fem-stabilized-n16')?.slice(1, 4)).toEqual(['3e-4', '6e-4', '9e-4']);
    expect(tableProblems(report)).toEqual([]);

    // the same problem twice without labels is refused, naming the fix
    const twice = { ...def, problems: [{ name: 'circle' }, { name: 'circle', overrides: { epsilon: 0.02 } }], sweep: undefined };
    expect(() => parseSuite(JSON.stringify(twice), 'labelled.json')).toThrow(
      "labelled.json: problems[1].name: problem 'circle' is listed twice (set 'label' to list it again, e.g. with other overrides)",
    );
  });

  it('resumes after kill -9 mid-suite with exactly one row per step in every run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-kill-'));
    const small = JSON.stringify({ ...suiteDef, sweep: undefined, problems: [suiteDef.problems[0]] });
    const target = join(root, 'tiny', 'circle', 'fem-stabilized-n32', 'steps.csv');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench-kill-child.ts', root, small, '40'], { stdio: 'ignore' });
    // wait until the second configuration is mid-run (≥ 5 steps of 10 written), then SIGKILL
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (existsSync(target) && readFileSync(target, 'utf8').split('\n').length >= 7) break;
      if (Date.now() > deadline) throw new Error('child never reached the second run');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'bench.json'))).toBe(true);
    expect(existsSync(join(root, 'tiny', 'circle', 'fem-stabilized-n32', 'bench.json'))).toBe(false);
    const firstDone = statSync(join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'steps.csv')).mtimeMs;

    const lines: string[] = [];
    await runSuite(parseSuite(small, 'tiny.json'), { root, deps: decayDeps(), log: (l) => lines.push(l) });
    expect(lines).toContain('[2/4] circle/fem-mms-newton-n64: already done (completed), skipped');
    expect(lines.some((l) => l.startsWith('[3/4] circle/fem-stabilized-n32: resuming'))).toBe(true);
    expect(statSync(join(root, 'tiny', 'circle', 'fem-mms-newton-n64', 'steps.csv')).mtimeMs).toBe(firstDone); // not rerun
    expectOneRowPerStep(join(root, 'tiny', 'reference', 'circle'), 20);
    expectOneRowPerStep(join(root, 'tiny', 'circle', 'fem-mms-newton-n64'), 10);
    expectOneRowPerStep(join(root, 'tiny', 'circle', 'fem-stabilized-n32'), 10);
    const rows = summary(root).rows;
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'failed']);
    const resumed = rows.find((r) => r.configuration === 'fem-stabilized-n32')!;
    expect(Number(resumed.rel_l2_final)).toBeCloseTo(1 - Math.exp(-(1.5 - 1.125) * 0.001), 12);
    expect(Number(resumed.total_wall_ms)).toBe(1 + 4 * 10); // wall of the resumed steps counted once
  });
});

describe('the Markdown table reader of the report check', () => {
  it('finds the split header that GFM refuses to render as a table', () => {
    const broken = '| a | max |u| | b |\n|---|---|---|\n| 1 | 2 | 3 |\n';
    expect(tableProblems(broken)).toEqual(['line 1: 5 header cells, 3 delimiter cells', 'line 3: 3 cells, header has 5']);
    expect(tableProblems('| a | max \\|u\\| | b |\n|---|---|---|\n| 1 | 2 \\| 3 | 4 |\n')).toEqual([]);
    expect(tableProblems('```\n| not | a table |\n| x |\n```\n')).toEqual([]);
  });
});
