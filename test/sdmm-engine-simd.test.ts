import { afterAll, describe, expect, it } from 'vitest';
import { makeProblem } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { compositeGaussLegendre, type Rule1D } from '../src/quadrature/index.js';
import { AxisMlp } from '../src/sdmm/engine/axis-mlp.js';
import { createCpuEngine } from '../src/sdmm/engine/cpu-engine.js';
import type { EngineObjective, SdmmEngine } from '../src/sdmm/engine/types.js';
import { simdAvailable, simdKernels } from '../src/sdmm/engine/wasm.js';
import { networkLayout, type Activation, type NetworkLayout } from '../src/sdmm/network.js';
import { maxRelativeError } from './fixtures/relative-error.js';

/**
 * The WebAssembly SIMD grid kernels (src/sdmm/engine/wasm.ts) against the TypeScript kernels they
 * replace (grid.ts, dense.ts; CpuEngineOptions.simd = false), on random θ and grid data: they
 * differ only in the order of sums (the reverse sums over a line in two lanes, the MLP products
 * start from the bias), so values and gradients agree to rounding (1e-14, 1e-13); lines longer than
 * the TypeScript reverse's block of 128 points, odd line counts per thread, two threads. And the
 * axis MLP's SIMD dense products (AxisMlp) against dense.ts, forward and reverse.
 */

const engines: SdmmEngine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * rand() - 1));
}

const balanced = { epsilon: 0.25, tau: 0.02, tEnd: 0.02 };

interface Setup {
  layout: NetworkLayout;
  rules: Rule1D[];
  theta: Float64Array;
  N: number;
}

function setup(problemName: 'star' | 'coarsening', bound: boolean, elements: [number, number], seed: number): Setup {
  const problem = makeProblem(problemName, 'reduced', balanced);
  const layout = networkLayout(problem, { rank: 8, width: 16, depth: 2, activation: 'tanh', alpha: 1.2, trainAlpha: true, bound });
  const rules = [compositeGaussLegendre(layout.axes[0].min, layout.axes[0].max, elements[0], 3), compositeGaussLegendre(layout.axes[1].min, layout.axes[1].max, elements[1], 2)];
  const theta = randomArray(layout.size, seed, 0.8);
  theta[layout.alphaIndex] = 1.2;
  return { layout, rules, theta, N: rules[0].points.length * rules[1].points.length };
}

function engine(s: Setup, simd: boolean, threads = 1): SdmmEngine & { kernels?: string } {
  const problem = makeProblem('star', 'reduced', balanced);
  const e = createCpuEngine({ layout: s.layout, rules: s.rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads }, { simd });
  engines.push(e);
  e.setStep(randomArray(s.N, 21, 0.9), [randomArray(s.N, 30), randomArray(s.N, 31)], randomArray(s.N, 41, 5));
  e.setFitTargets(randomArray(s.N, 51, 0.95), randomArray(s.N, 61, 2));
  return e;
}

const OBJECTIVES: EngineObjective[] = ['step', 'fit', 'pre-fit'];

// Node ≥ 20 (package.json engines) has WebAssembly SIMD and shared memories: if the kernels'
// module does not validate (an assembler or opcode mistake), the engine would silently fall back to
// TypeScript; this makes that a failure instead of skipped tests.
it('the SIMD kernels are available on this Node (the module validates)', () => {
  expect(simdAvailable(false)).toBe(true);
  expect(simdAvailable(true)).toBe(true);
});

describe('CPU engine, WebAssembly SIMD grid kernels', () => {
  for (const [label, problemName, bound, elements] of [
    ['bounded, Neumann, 3 × 66 points per line (odd line count)', 'star', true, [1, 33]],
    ['unbounded, periodic, 2 × 260 points per line (past the block of 128)', 'coarsening', false, [2, 130]],
  ] as const) {
    it(`${label}: loss, gradient and field equal the TypeScript kernels' to rounding`, () => {
      const s = setup(problemName, bound, [elements[0], elements[1]], 7);
      const fast = engine(s, true);
      const plain = engine(s, false);
      expect(fast.kernels).toBe('wasm-simd');
      expect(plain.kernels).toBe('js');
      for (const objective of OBJECTIVES) {
        const g1 = new Float64Array(s.layout.size);
        const g2 = new Float64Array(s.layout.size);
        const v1 = fast.evaluate(objective, s.theta, g1);
        const v2 = plain.evaluate(objective, s.theta, g2);
        expect(Math.abs(v1 - v2) / Math.abs(v2)).toBeLessThan(1e-14);
        expect(maxRelativeError(g1, g2)).toBeLessThan(1e-13);
        expect(g1.some((v) => v !== 0)).toBe(true);
      }
      const u1 = new Float64Array(s.N);
      const u2 = new Float64Array(s.N);
      const gr1 = [new Float64Array(s.N), new Float64Array(s.N)];
      const gr2 = [new Float64Array(s.N), new Float64Array(s.N)];
      fast.fieldOnGrid(s.theta, u1, gr1);
      plain.fieldOnGrid(s.theta, u2, gr2);
      expect(maxRelativeError(u1, u2)).toBeLessThan(1e-14);
      expect(maxRelativeError(gr1[0], gr2[0])).toBeLessThan(1e-13);
      expect(maxRelativeError(gr1[1], gr2[1])).toBeLessThan(1e-13);
    });
  }

  it('two threads on a shared WebAssembly memory agree with one within 1e-12 and repeat bit for bit', () => {
    const s = setup('star', true, [3, 9], 11);
    const one = engine(s, true, 1);
    const two = engine(s, true, 2);
    expect([one.kernels, two.kernels, two.threads]).toEqual(['wasm-simd', 'wasm-simd', 2]);
    const g1 = new Float64Array(s.layout.size);
    const g2 = new Float64Array(s.layout.size);
    const g2b = new Float64Array(s.layout.size);
    const v1 = one.evaluate('step', s.theta, g1);
    const v2 = two.evaluate('step', s.theta, g2);
    const v2b = two.evaluate('step', s.theta, g2b);
    expect(Math.abs(v2 - v1) / Math.abs(v1)).toBeLessThan(1e-12);
    expect(maxRelativeError(g2, g1)).toBeLessThan(1e-12);
    expect(v2b).toBe(v2);
    expect(Array.from(g2b)).toEqual(Array.from(g2));
  });

  it('an odd number of points on the last axis falls back to the TypeScript kernels', () => {
    const problem = makeProblem('star', 'reduced', balanced);
    const layout = networkLayout(problem, { rank: 4, width: 8, depth: 1, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
    const rules = [compositeGaussLegendre(0, 1, 2, 2), compositeGaussLegendre(0, 1, 3, 3)];
    const e = createCpuEngine({ layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads: 1 }) as SdmmEngine & { kernels?: string };
    engines.push(e);
    expect(e.kernels).toBe('js');
  });
});

describe('AxisMlp, WebAssembly SIMD dense products', () => {
  for (const problemName of ['star', 'coarsening'] as const) {
    for (const activation of ['tanh', 'gelu', 'sin'] as Activation[]) {
      it(`${problemName} (${problemName === 'star' ? '1 input' : 'periodic, 2 inputs'}), ${activation}: X, T and ∂L/∂θ equal dense.ts to 1e-13`, () => {
        // Widths that the kernels take (multiples of 8) and one they do not (12: dense.ts for that layer).
        for (const [width, rank] of [
          [16, 8],
          [12, 16],
        ]) {
          const layout = networkLayout(makeProblem(problemName), { rank, width, depth: 2, activation, alpha: 1, trainAlpha: false, bound: true });
          const axis = layout.axes[0];
          const xs = Float64Array.from({ length: 37 }, (_, i) => axis.min + ((axis.max - axis.min) * (i + 0.5)) / 37);
          const n = xs.length;
          const theta = randomArray(layout.size, 17, 1.1);
          const fast = new AxisMlp(axis, activation, xs);
          const plain = new AxisMlp(axis, activation, xs, { simd: false });
          const X1 = new Float64Array(n * rank);
          const T1 = new Float64Array(n * rank);
          const X2 = new Float64Array(n * rank);
          const T2 = new Float64Array(n * rank);
          fast.forward(theta, X1, T1);
          plain.forward(theta, X2, T2);
          expect(maxRelativeError(X1, X2)).toBeLessThan(1e-13);
          expect(maxRelativeError(T1, T2)).toBeLessThan(1e-13);
          const gX = randomArray(n * rank, 5);
          const gT = randomArray(n * rank, 6);
          for (const withTangents of [true, false]) {
            if (!withTangents) {
              fast.forward(theta, X1, null);
              plain.forward(theta, X2, null);
            }
            const g1 = new Float64Array(layout.size);
            const g2 = new Float64Array(layout.size);
            fast.backward(g1, gX, withTangents ? gT : null);
            plain.backward(g2, gX, withTangents ? gT : null);
            const { start, end } = { start: axis.layers[0].weightOffset, end: axis.layers[axis.layers.length - 1].biasOffset + rank };
            expect(g1.subarray(start, end).some((v) => v !== 0)).toBe(true);
            expect(maxRelativeError(g1.subarray(start, end), g2.subarray(start, end))).toBeLessThan(1e-13);
          }
        }
      });
    }
  }
});

describe('the SIMD tanh (wasm.ts emitTanh2: density and MLP activations)', () => {
  it('is within 1e-15 relative of Math.tanh over ±50 and near 0, saturates to ±1 and keeps NaN', () => {
    const memory = new WebAssembly.Memory({ initial: 8 });
    const k = simdKernels(memory)!;
    const N = 20000;
    const X = new Float64Array(memory.buffer, 0, N);
    const out = new Float64Array(memory.buffer, 8 * N, N);
    const rand = mulberry32(3);
    for (let i = 0; i < N; i++) X[i] = i % 2 ? 100 * (rand() - 0.5) : 1e-3 * (rand() - 0.5) * 10 ** (-8 * rand());
    const special = [0, -0, NaN, Infinity, -Infinity, 19.1, -19.0999, 1e-300, 0.5 * Math.LN2, 38];
    special.forEach((x, i) => (X[i] = x));
    k.tanh2(N, X.byteOffset, out.byteOffset);
    let worst = 0;
    for (let i = 0; i < N; i++) {
      const ref = Math.tanh(X[i]);
      if (Number.isNaN(ref)) {
        expect(out[i]).toBeNaN();
        continue;
      }
      worst = Math.max(worst, ref === 0 ? Math.abs(out[i]) : Math.abs(out[i] - ref) / Math.abs(ref));
    }
    expect(worst).toBeLessThan(1e-15);
    expect([out[3], out[4], out[5], out[6], out[9]]).toEqual([1, -1, 1, -1, 1]);
  });
});
