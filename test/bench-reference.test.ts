import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite, resolveSuite } from '../src/bench/config.js';
import { SuiteLayout } from '../src/bench/layout.js';
import { changedKeyFields, referenceCodeHash } from '../src/bench/reference.js';
import { referenceTask, runIsDone, runKey, runSuite } from '../src/bench/suite.js';
import { RUN_MARKER } from '../src/io/run-marker.js';
import { decayDeps } from './bench-fixtures.js';

// Circle (reduced, τ = 1e-4) to T = 0.001: 10 steps; its reference n = 128, τ/2: 20 steps.
const suiteDef = {
  name: 'refcache',
  grid: 17,
  reference: { nFactor: 2, tauDivisor: 2 },
  problems: [{ name: 'circle', overrides: { tEnd: 0.001 }, solvers: [{ kind: 'fem', scheme: 'mms-newton', n: 64 }] }],
};
const suite = parseSuite(JSON.stringify(suiteDef), 'refcache.json');
const onlyReferences = (t: { role: string }) => t.role === 'reference';

describe('cached FEM reference', () => {
  it('keys a reference by its settings and the hash of the code it depends on (16 hex digits, the same on every call)', () => {
    const hash = referenceCodeHash();
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(referenceCodeHash()).toBe(hash);
    const layout = new SuiteLayout('unused', suite.name);
    const [p] = resolveSuite(suite);
    const ref = referenceTask(p, layout);
    expect(ref.runProblem.n).toBe(128);
    expect(ref.runProblem.tau).toBeCloseTo(5e-5, 15);
    expect(ref.outputSteps).toEqual([6, 10, 20]); // T/4, T/2, T of the problem: steps 3, 5, 10, times 2
    expect(JSON.parse(runKey(ref, suite)).code).toBe(hash);
    // other runs are not keyed by the reference's code
    expect(JSON.parse(runKey({ ...ref, role: 'main', spec: { kind: 'fem', label: 'x', n: 64 } }, suite)).code).toBeUndefined();
  });

  it('names the fields of a run key that changed', () => {
    expect(changedKeyFields('{"spec":1,"problem":{"n":2},"code":"a"}', '{"spec":1,"problem":{"n":3},"code":"b"}')).toBe('problem, code');
    expect(changedKeyFields('{"spec":1}', '{"spec":1,"code":"b"}')).toBe('code');
    expect(changedKeyFields('not json', '{}')).toBe('all');
  });

  it('computes the references alone, once; the suite then reuses them and recomputes a stale one (other code), saying so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-reference-'));
    const layout = new SuiteLayout(root, suite.name);
    const [p] = resolveSuite(suite);
    const ref = referenceTask(p, layout);

    // `bench reference`: only the references, no tables
    const first: string[] = [];
    const res = await runSuite(suite, { root, deps: decayDeps(), select: onlyReferences, tables: false, log: (l) => first.push(l), referenceCommand: 'allen-cahn bench reference refcache.json' });
    expect(res.runs.map((r) => `${r.problem}/${r.label}:${r.status}`)).toEqual(['circle/reference:completed']);
    expect(first[0]).toBe('[1/2] circle/reference: no finished reference for these settings and code here, computing it (20 steps on n = 128); `allen-cahn bench reference refcache.json` computes the references alone, once');
    expect(existsSync(layout.summaryCsv)).toBe(false);
    expect(runIsDone(ref, suite)).toBe(true);
    const refSteps = statSync(ref.layout.steps).mtimeMs;

    // the suite reuses the cached reference: only the main run is computed
    const second: string[] = [];
    await runSuite(suite, { root, deps: decayDeps(), log: (l) => second.push(l) });
    expect(second[0]).toBe('[1/2] circle/reference: already done (completed), skipped');
    expect(second.some((l) => l.includes('circle/fem-mms-newton-n64: starting (10 steps)'))).toBe(true);
    expect(statSync(ref.layout.steps).mtimeMs).toBe(refSteps);
    expect(existsSync(layout.summaryCsv)).toBe(true);

    // a reference cached by other code is stale: even a shard that does not select it recomputes it before measuring
    const key = JSON.parse(readFileSync(ref.layout.runKey, 'utf8')) as { code: string };
    writeFileSync(ref.layout.runKey, `${JSON.stringify({ ...key, code: '0000000000000000' }, null, 2)}\n`);
    // (the run layer's folder marker of that run holds a hash of its old key too)
    const markerPath = join(ref.layout.dir, RUN_MARKER);
    writeFileSync(markerPath, JSON.stringify({ ...JSON.parse(readFileSync(markerPath, 'utf8')), configHash: 'other code' }));
    expect(runIsDone(ref, suite)).toBe(false);
    const third: string[] = [];
    await runSuite(suite, { root, deps: decayDeps(), select: (t) => t.role !== 'reference', log: (l) => third.push(l) });
    expect(third.slice(0, 3)).toEqual([
      '[1/2] circle/reference: configuration changed since its files were written (code), starting afresh',
      '[1/2] circle/reference: no finished reference for these settings and code here, computing it (20 steps on n = 128)',
      '[1/2] circle/reference: starting (20 steps)',
    ]);
    expect(runIsDone(ref, suite)).toBe(true);
    expect(third.at(-1)).toBe('[2/2] circle/fem-mms-newton-n64: already done (completed), skipped');
  });
});
