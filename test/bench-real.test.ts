import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite } from '../src/bench/config.js';
import { defaultSuiteDeps } from '../src/bench/solvers.js';
import { runSuite } from '../src/bench/suite.js';
import { parseCsv } from '../src/io/csv.js';

// The real FEM and SDMM solvers through the suite on a tiny circle: 5 steps of τ = 1e-4.
// FEM converges to the reference (n = 64, τ/4) as n grows; the tiny SDMM (loose fit) runs end to end.
describe('suite with the real solvers', () => {
  it('runs FEM and SDMM end to end; FEM error falls with refinement; an SDMM fit it cannot meet is a failed row', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-real-'));
    const suite = parseSuite(
      JSON.stringify({
        name: 'real',
        grid: 33,
        reference: { nFactor: 2, tauDivisor: 4 },
        problems: [
          {
            name: 'circle',
            overrides: { tEnd: 5e-4, n: 32 },
            solvers: [
              { kind: 'fem', scheme: 'mms-newton', n: 16 },
              { kind: 'fem', scheme: 'mms-newton', n: 32 },
              { kind: 'sdmm', label: 'sdmm-tiny', rank: 2, width: 4, depth: 1, quadElements: 4, maxIters: 3, fitTolerance: 2, fitMaxIters: 5, backend: 'cpu' },
              { kind: 'sdmm', label: 'sdmm-refused', rank: 2, width: 4, depth: 1, quadElements: 4, fitTolerance: 1e-9, fitMaxIters: 2, backend: 'cpu' },
            ],
          },
        ],
      }),
      'real.json',
    );
    const res = await runSuite(suite, { root, deps: defaultSuiteDeps(), log: () => {} });
    const { records } = parseCsv(readFileSync(join(root, 'real', 'summary.csv'), 'utf8'));
    const col = (name: string) => records[0].indexOf(name);
    const row = (label: string) => records.find((r) => r[col('configuration')] === label)!;
    expect(res.runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
    const e16 = Number(row('fem-mms-newton-n16')[col('rel_l2_final')]);
    const e32 = Number(row('fem-mms-newton-n32')[col('rel_l2_final')]);
    expect(e32).toBeLessThan(e16 / 2); // roughly second order towards the n = 64 reference
    expect(e32).toBeLessThan(0.02);
    expect(Number(row('fem-mms-newton-n32')[col('unknowns')])).toBe(33 * 33);
    expect(row('fem-mms-newton-n32')[col('stable')]).toBe('true');
    const tiny = row('sdmm-tiny');
    expect(tiny[col('solver')]).toBe('sdmm');
    expect(tiny[col('backend')]).toBe('cpu');
    expect(Number(tiny[col('steps')])).toBe(5);
    expect(Number(tiny[col('max_abs_u')])).toBeLessThan(1); // tanh bounding
    expect(Number.isFinite(Number(tiny[col('rel_l2_final')]))).toBe(true);
    const refused = row('sdmm-refused');
    expect(refused[col('status')]).toBe('failed');
    expect(refused[col('reason')]).toMatch(/^SdmmFitError: SDMM refuses to step: initial fit relative MSE .* exceeds fitTolerance 1\.000e-9/);
  });
});
