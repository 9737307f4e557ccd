import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite, parseSuite, resolveSuite } from '../src/bench/config.js';
import { findJsonSyntaxError, lineColumn } from '../src/io/json.js';

const F = 'benchmarks/quick.json';
const fem = { kind: 'fem', scheme: 'mms-newton' };
const sdmm = { kind: 'sdmm', rank: 4, width: 8 };
function suite(extra: Record<string, unknown> = {}) {
  return {
    name: 'quick',
    problems: [
      { name: 'star', solvers: [fem, sdmm] },
      { name: 'circle', solvers: [fem] },
    ],
    ...extra,
  };
}
const parse = (o: unknown) => parseSuite(JSON.stringify(o, null, 2), F);

describe('suite config', () => {
  it('fills defaults and resolves problems, labels and output steps', () => {
    const s = parse(suite());
    expect(s.grid).toBe(101);
    expect(s.scale).toBe('reduced');
    expect(s.reference).toEqual({ scheme: 'mms-newton', nFactor: 2, tauDivisor: 4 });
    const r = resolveSuite(s);
    // reduced star: τ = 1e-4, T = 0.004 → 40 steps; default outputs T/4, T/2, T → steps 10, 20, 40
    expect(r[0].outputSteps).toEqual([10, 20, 40]);
    expect(r[0].solvers.map((x) => x.label)).toEqual(['fem-mms-newton-n64', 'sdmm-r4-w8']);
    expect(r[1].problem.name).toBe('circle');
  });

  it('names file and field path for a bad enum value', () => {
    const bad = suite();
    (bad.problems[1].solvers as unknown[])[0] = { kind: 'fem', scheme: 'foo' };
    expect(() => parse(bad)).toThrow(
      "benchmarks/quick.json: problems[1].solvers[0].scheme: expected one of mms-newton, stabilized, convex-split, got 'foo'",
    );
  });

  it('reports a wrong solver kind, a wrong type, a missing field, an unknown field', () => {
    const k = suite();
    (k.problems[0].solvers as unknown[])[1] = { kind: 'pinn' };
    expect(() => parse(k)).toThrow("benchmarks/quick.json: problems[0].solvers[1].kind: expected one of fem, sdmm, spinn, got 'pinn'");
    const t = suite();
    (t.problems[0].solvers as unknown[])[1] = { kind: 'sdmm', rank: 2.5 };
    expect(() => parse(t)).toThrow('benchmarks/quick.json: problems[0].solvers[1].rank: expected an integer, got 2.5');
    expect(() => parse({ problems: [] })).toThrow('benchmarks/quick.json: name: required field is missing');
    const u = suite();
    (u.problems[0] as Record<string, unknown>).tau = 1e-3;
    expect(() => parse(u)).toThrow("benchmarks/quick.json: problems[0]: unknown field 'tau'");
    expect(() => parse(suite({ grid: 4 }))).toThrow('benchmarks/quick.json: grid: expected a number ≥ 8, got 4');
    expect(() => parse({ name: 'x', problems: [] })).toThrow('benchmarks/quick.json: problems: expected ≥ 1 entries, got 0');
    const p = suite();
    p.problems[1].name = 'square';
    expect(() => parse(p)).toThrow(
      "benchmarks/quick.json: problems[1].name: expected one of star, circle, coarsening, random, front1d, ac1d, got 'square'",
    );
  });

  it('checks what the schema cannot: output times, duplicate labels, sweep problems', () => {
    const o = suite();
    (o.problems[0] as Record<string, unknown>).outputTimes = [0.001, 0.5];
    expect(() => parse(o)).toThrow('benchmarks/quick.json: problems[0].outputTimes[1]: 0.5 is after the final time T = 0.004');
    const d = suite();
    d.problems[1].solvers = [fem, fem];
    expect(() => parse(d)).toThrow(
      "benchmarks/quick.json: problems[1].solvers[1].label: 'fem-mms-newton-n64' is not unique in this problem (set 'label')",
    );
    expect(() => parse(suite({ sweep: { problems: ['random'], targets: [0.1], solvers: [{ kind: 'fem', scheme: 'stabilized', n: 16 }] } }))).toThrow(
      "benchmarks/quick.json: sweep.problems[0]: 'random' is not one of the suite's problems (star, circle)",
    );
    const n = suite();
    (n.problems[1] as Record<string, unknown>).overrides = { tau: -1 };
    expect(() => parse(n)).toThrow('benchmarks/quick.json: problems[1].overrides.tau: expected a number > 0, got -1');
    const none = { name: 'q', problems: [{ name: 'star' }] };
    expect(() => parse(none)).toThrow("benchmarks/quick.json: problems[0].solvers: required when the suite has no top-level 'solvers'");
    expect(resolveSuite(parse({ ...none, solvers: [fem] }))[0].solvers[0].label).toBe('fem-mms-newton-n64');
  });

  it('names line and column of a JSON syntax error', () => {
    const text = '{\n  "name": "quick",\n  "problems": [ { "name": "star", } ]\n}\n';
    expect(() => parseSuite(text, F)).toThrow(
      "benchmarks/quick.json:3:35: invalid JSON: expected a property name in double quotes, found '}'",
    );
    expect(() => parseSuite('{"name": "q"', F)).toThrow("benchmarks/quick.json:1:13: invalid JSON: expected ',' or '}' after a property value, found end of file");
    expect(findJsonSyntaxError('[1, 2, {"a": [true, false, null, -1.5e3, "x\\u00e9"]}]')).toBeNull();
    expect(findJsonSyntaxError('[01]')).toEqual({ offset: 2, expected: "',' or ']' after an array element" });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('loads a file and reports an unreadable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-config-'));
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(suite()));
    expect(loadSuite(path).problems).toHaveLength(2);
    expect(() => loadSuite(join(dir, 'missing.json'))).toThrow(`${join(dir, 'missing.json')}: cannot read suite file: ENOENT`);
  });

  it('accepts the committed suites, with every solver on every problem', () => {
    for (const file of ['benchmarks/quick.json', 'benchmarks/paper.json']) {
      const r = resolveSuite(loadSuite(file), file);
      for (const p of r) {
        expect(p.solvers.some((s) => s.kind === 'sdmm'), `${file} ${p.problem.name}`).toBe(true);
        expect(new Set(p.solvers.filter((s) => s.kind === 'fem').map((s) => (s.kind === 'fem' ? s.scheme : ''))).size).toBe(3);
      }
    }
    const paper = resolveSuite(loadSuite('benchmarks/paper.json'));
    const star = paper.find((p) => p.problem.name === 'star')!;
    expect([star.problem.epsilon, star.problem.tau, star.problem.tEnd]).toEqual([0.01, 1e-5, 0.001]);
    // the SDMM authors' logged Jₙ on the star, at steps of the suite's τ
    expect(star.spec.publishedEnergies?.values).toEqual([407.69, 362.28, 300.31, 259.63, 226.59]);
    expect(star.spec.publishedEnergies?.times.map((t) => t / star.problem.tau)).toEqual([1, 2, 10, 50, 100].map((k) => expect.closeTo(k, 9)));
    // every paper run resolves ε = 0.01: FEM cells and SDMM quadrature elements no wider than ε,
    // and the SDMM quadrature stated explicitly (its default follows ε and may change)
    for (const p of paper) {
      expect(p.problem.epsilon).toBe(0.01);
      for (const s of p.solvers) {
        if (s.kind === 'fem') expect(1 / Number(s.n), `${p.problem.name} ${s.label}`).toBeLessThanOrEqual(p.problem.epsilon);
        if (s.kind === 'sdmm') {
          expect(1 / Number(s.quadElements), `${p.problem.name} ${s.label}`).toBeLessThanOrEqual(p.problem.epsilon);
          expect(s.quadPoints).toBeGreaterThanOrEqual(2);
        }
      }
    }
  });

  it('quick.json compares ac1d at t = 0.25, 0.5, 0.75, 1 to T = 1 for FEM, SDMM and SPINN', () => {
    const ac1d = resolveSuite(loadSuite('benchmarks/quick.json')).find((p) => p.id === 'ac1d')!;
    expect(ac1d.problem.tau).toBe(5e-3); // the reduced τ: 200 SDMM steps keep the quick suite quick (dt = 1e-3 is measured apart, benchmarks/README.md)
    expect(ac1d.outputSteps.map((s) => s * ac1d.problem.tau)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(new Set(ac1d.solvers.map((s) => s.kind))).toEqual(new Set(['fem', 'sdmm', 'spinn']));
    // issue 8's target at dt = 1e-3, with SDMM at its defaults (automatic threads too) among the rows
    const target = resolveSuite(loadSuite('benchmarks/ac1d-target.json'))[0];
    expect([target.problem.name, target.problem.tau, target.problem.tEnd]).toEqual(['ac1d', 1e-3, 1]);
    expect(target.outputSteps).toEqual([250, 500, 750, 1000]);
    expect(target.solvers.find((s) => s.label === 'sdmm-defaults')).toEqual({ kind: 'sdmm', label: 'sdmm-defaults' });
  });

  it('eps-sweep.json: the circle at ε = 0.08, 0.04, 0.02, each resolved (ε n ≥ 2.5), with FEM, SDMM and SPINN', () => {
    const r = resolveSuite(loadSuite('benchmarks/eps-sweep.json'));
    expect(r.map((p) => [p.id, p.problem.name, p.problem.epsilon])).toEqual([
      ['circle-eps0.08', 'circle', 0.08],
      ['circle-eps0.04', 'circle', 0.04],
      ['circle-eps0.02', 'circle', 0.02],
    ]);
    for (const p of r) {
      expect(p.problem.epsilon * p.problem.n).toBeGreaterThanOrEqual(2.5);
      expect(new Set(p.solvers.map((s) => s.kind))).toEqual(new Set(['fem', 'sdmm', 'spinn']));
    }
  });
});
