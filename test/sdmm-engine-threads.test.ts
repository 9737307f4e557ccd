import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProblem } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { compositeGaussLegendre, shiftedCompositeGaussLegendre } from '../src/quadrature/index.js';
import { createCpuEngine } from '../src/sdmm/engine/cpu-engine.js';
import { WorkerPool, type WorkerLoader } from '../src/sdmm/engine/pool.js';
import type { EngineObjective, SdmmEngine } from '../src/sdmm/engine/types.js';
import { networkLayout } from '../src/sdmm/network.js';
import { maxRelativeError } from './fixtures/relative-error.js';

/**
 * The CPU engine on worker threads (SharedArrayBuffer, Atomics): a thread count reproduces its
 * results bit for bit, thread counts agree within 1e-12 (only the order of the partial sums
 * differs), dispose() is idempotent, and idle workers never keep a process alive.
 */

const engines: SdmmEngine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * rand() - 1));
}


const problem = makeProblem('star', 'reduced', { epsilon: 0.25, tau: 0.02, tEnd: 0.02 });
const layout = networkLayout(problem, { rank: 8, width: 16, depth: 2, activation: 'tanh', alpha: 1.3, trainAlpha: true, bound: true });
// 9 lines (3 Gauss points × 3 elements): an odd block per thread, so paired and unpaired lines both run.
const rules = [compositeGaussLegendre(0, 1, 3, 3), compositeGaussLegendre(0, 1, 4, 2)];
const N = 9 * 8;
const theta = randomArray(layout.size, 9, 0.9);
theta[layout.alphaIndex] = 1.3;
const OBJECTIVES: EngineObjective[] = ['step', 'fit', 'pre-fit'];

function engineFor(threads: number, workerLoader: WorkerLoader = 'bundle'): SdmmEngine {
  const e = createCpuEngine({ layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads }, { workerLoader });
  engines.push(e);
  e.setStep(randomArray(N, 21, 0.9), [randomArray(N, 30), randomArray(N, 31)], randomArray(N, 41, 5));
  e.setFitTargets(randomArray(N, 51, 0.95), randomArray(N, 61, 2));
  return e;
}

describe('CPU engine, threads', () => {
  it('threads 1, 2 and 3 agree within 1e-12; a thread count repeats bit for bit', () => {
    const one = engineFor(1);
    const two = engineFor(2);
    // Three threads on two axes: axis 0's MLP rows are split between threads 0 and 2.
    const three = engineFor(3);
    expect([one.threads, two.threads, three.threads]).toEqual([1, 2, 3]);
    for (const objective of OBJECTIVES) {
      const g1 = new Float64Array(layout.size);
      const g2 = new Float64Array(layout.size);
      const g2b = new Float64Array(layout.size);
      const g3 = new Float64Array(layout.size);
      const v1 = one.evaluate(objective, theta, g1);
      const v2 = two.evaluate(objective, theta, g2);
      const v2b = two.evaluate(objective, theta, g2b);
      const v3 = three.evaluate(objective, theta, g3);
      expect(Math.abs(v1 - v2) / Math.abs(v1)).toBeLessThan(1e-12);
      expect(maxRelativeError(g2, g1)).toBeLessThan(1e-12);
      expect(Math.abs(v1 - v3) / Math.abs(v1)).toBeLessThan(1e-12);
      expect(maxRelativeError(g3, g1)).toBeLessThan(1e-12);
      expect(v2b).toBe(v2);
      expect(Array.from(g2b)).toEqual(Array.from(g2));
    }
    const u1 = new Float64Array(N);
    const u2 = new Float64Array(N);
    const gr1 = [new Float64Array(N), new Float64Array(N)];
    const gr2 = [new Float64Array(N), new Float64Array(N)];
    one.fieldOnGrid(theta, u1, gr1);
    two.fieldOnGrid(theta, u2, gr2);
    // The field has no sums across lines: identical bits on any thread count.
    expect(Array.from(u2)).toEqual(Array.from(u1));
    expect(Array.from(gr2[0])).toEqual(Array.from(gr1[0]));
    expect(Array.from(gr2[1])).toEqual(Array.from(gr1[1]));
  });

  it('setGrid moves every thread to the new grid: the same bits as an engine built on it (1, 2, 3 threads)', () => {
    // The moving quadrature grid (benchmarks/sdmm-grid-shift.ts): same point counts, new
    // coordinates and weights. uⁿ, σ and the fit targets are set again after the move.
    const moved = [shiftedCompositeGaussLegendre(0, 1, 3, 3, 0.37), shiftedCompositeGaussLegendre(0, 1, 4, 2, -0.21)];
    for (const threads of [1, 2, 3]) {
      const e = engineFor(threads);
      const fresh = createCpuEngine({ layout, rules: moved, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads });
      engines.push(fresh);
      e.setGrid(moved);
      expect(() => e.evaluate('step', theta, new Float64Array(layout.size))).toThrow("SDMM engine: call setStep() before evaluate('step')");
      for (const x of [e, fresh]) {
        x.setStep(randomArray(N, 22, 0.9), [randomArray(N, 32), randomArray(N, 33)], randomArray(N, 42, 5));
        x.setFitTargets(randomArray(N, 52, 0.95), randomArray(N, 62, 2));
      }
      for (const objective of OBJECTIVES) {
        const g = new Float64Array(layout.size);
        const gf = new Float64Array(layout.size);
        expect(e.evaluate(objective, theta, g), `${threads} threads, ${objective}`).toBe(fresh.evaluate(objective, theta, gf));
        expect(Array.from(g)).toEqual(Array.from(gf));
      }
      const u = new Float64Array(N);
      const uf = new Float64Array(N);
      const gr = [new Float64Array(N), new Float64Array(N)];
      const grf = [new Float64Array(N), new Float64Array(N)];
      e.fieldOnGrid(theta, u, gr);
      fresh.fieldOnGrid(theta, uf, grf);
      expect(Array.from(u)).toEqual(Array.from(uf));
      expect(Array.from(gr[0])).toEqual(Array.from(grf[0]));
      expect(Array.from(gr[1])).toEqual(Array.from(grf[1]));
    }
    const e = engineFor(1);
    expect(() => e.setGrid([rules[0]])).toThrow('SDMM engine: setGrid got 1 rules for 2 axes');
    expect(() => e.setGrid([rules[0], compositeGaussLegendre(0, 1, 5, 2)])).toThrow('SDMM engine: setGrid rules[1] has 10 points and 10 weights, the grid has 8');
  });

  it('1D: the axis MLP rows split over 1, 2 and 3 threads agree within 1e-12 and repeat bit for bit', () => {
    const p1 = makeProblem('ac1d', 'reduced', { epsilon: 0.25, tau: 0.02, tEnd: 0.02 });
    const l1 = networkLayout(p1, { rank: 6, width: 10, depth: 2, activation: 'gelu', alpha: 1.3, trainAlpha: true, bound: true });
    const r1 = [compositeGaussLegendre(-1, 1, 20, 2)];
    const th = randomArray(l1.size, 4, 0.9);
    th[l1.alphaIndex] = 1.3;
    const make = (threads: number) => {
      const e = createCpuEngine({ layout: l1, rules: r1, epsilon: p1.epsilon, mobility: p1.mobility, tau: p1.tau, threads });
      engines.push(e);
      e.setStep(randomArray(40, 1, 0.9), [randomArray(40, 2)], randomArray(40, 3, 2));
      e.setFitTargets(randomArray(40, 5, 0.9), randomArray(40, 6, 2));
      return e;
    };
    const [e1, e2, e3] = [make(1), make(2), make(3)];
    expect([e1.threads, e2.threads, e3.threads]).toEqual([1, 2, 3]);
    for (const objective of OBJECTIVES) {
      const g = [1, 2, 3].map(() => new Float64Array(l1.size));
      const v = [e1, e2, e3].map((e, i) => e.evaluate(objective, th, g[i]));
      for (const i of [1, 2]) {
        expect(Math.abs(v[i] - v[0]) / Math.abs(v[0])).toBeLessThan(1e-12);
        expect(maxRelativeError(g[i], g[0])).toBeLessThan(1e-12);
      }
      const again = new Float64Array(l1.size);
      expect(e3.evaluate(objective, th, again)).toBe(v[2]);
      expect(Array.from(again)).toEqual(Array.from(g[2]));
    }
    const u1 = new Float64Array(40);
    const u3 = new Float64Array(40);
    e1.fieldOnGrid(th, u1, [new Float64Array(40)]);
    e3.fieldOnGrid(th, u3, [new Float64Array(40)]);
    expect(Array.from(u3)).toEqual(Array.from(u1));
  });

  it('workers loaded through tsx (the fallback) give the same bits as bundled workers', () => {
    const bundled = engineFor(2, 'bundle');
    const viaTsx = engineFor(2, 'tsx');
    const g1 = new Float64Array(layout.size);
    const g2 = new Float64Array(layout.size);
    expect(viaTsx.evaluate('step', theta, g2)).toBe(bundled.evaluate('step', theta, g1));
    expect(Array.from(g2)).toEqual(Array.from(g1));
    bundled.dispose();
    viaTsx.dispose();
  });

  it('more threads than lines are capped at the line count', () => {
    const e = createCpuEngine({ layout, rules: [compositeGaussLegendre(0, 1, 1, 2), rules[1]], epsilon: 1, mobility: 1, tau: 1, threads: 5 });
    engines.push(e);
    expect(e.threads).toBe(2);
  });

  it('a process whose 2-thread engine is never disposed still exits', () => {
    const script = join(import.meta.dirname, 'fixtures', 'engine-exit.ts');
    const res = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^threads 2 value -?\d/);
  });

  it('a worker that cannot start is reported as a one-line error, not a hang', () => {
    // Bundling fails (no such file), so the pool falls back to tsx, whose import fails in the worker.
    const pool = new WorkerPool(1, new URL('./no-such-worker.ts', import.meta.url), () => ({}));
    expect(pool.loader).toBe('tsx');
    try {
      expect(() => pool.run(0, () => {})).toThrow(/^SDMM engine worker 0 failed: .*no-such-worker/);
      expect(() => pool.run(0, () => {})).toThrow(/^SDMM engine worker 0 failed/);
    } finally {
      pool.dispose();
    }
  });

  it('the engine worker is bundled, and a worker whose set-up throws reports it', () => {
    const pool = new WorkerPool(1, new URL('../src/sdmm/engine/worker.ts', import.meta.url), () => ({ geometry: { shape: [1, 2, 3, 4], rank: 1, threads: 2, bound: true } }));
    try {
      expect(pool.loader).toBe('bundle');
      expect(() => pool.run(0, () => {})).toThrow(/^SDMM engine worker 0 failed: /);
    } finally {
      pool.dispose();
    }
  });

  it('dispose is idempotent and a disposed engine refuses work', () => {
    const e = engineFor(2);
    e.dispose();
    e.dispose();
    expect(() => e.evaluate('step', theta, new Float64Array(layout.size))).toThrow('SDMM engine used after dispose()');
  });
});
