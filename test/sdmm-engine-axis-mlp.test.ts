import { describe, expect, it } from 'vitest';
import { makeProblem } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { AxisMlp } from '../src/sdmm/engine/axis-mlp.js';
import { tanh as fastTanh } from '../src/util/portable-math.js';
import { NetworkEvaluator, initialParameters, networkLayout, type Activation } from '../src/sdmm/network.js';

/**
 * The float64 per-axis MLP on a whole grid: its features and tangents equal the pointwise
 * float64 evaluator of network.ts, and its reverse pass equals central differences of a random
 * linear functional L(θ) = Σ gX ⊙ X + Σ gT ⊙ T.
 */

const ACTIVATIONS: Activation[] = ['tanh', 'gelu', 'sin'];

function randomTheta(size: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const theta = new Float64Array(size);
  for (let i = 0; i < size; i++) theta[i] = 1.2 * (2 * rand() - 1);
  return theta;
}

for (const [label, problemName] of [
  ['non-periodic axis (star)', 'star'],
  ['periodic axis (coarsening)', 'coarsening'],
] as const) {
  describe(`AxisMlp, ${label}`, () => {
    const problem = makeProblem(problemName);
    for (const activation of ACTIVATIONS) {
      const layout = networkLayout(problem, { rank: 4, width: 6, depth: 2, activation, alpha: 1, trainAlpha: false, bound: true });
      const axis = layout.axes[1];
      const xs = Float64Array.from([0.03, 0.2, 0.41, 0.77, 0.98]);
      const n = xs.length;
      const r = layout.rank;

      it(`${activation}: X and T equal the pointwise float64 evaluator`, () => {
        const theta = randomTheta(layout.size, 3);
        const mlp = new AxisMlp(axis, activation, xs);
        const X = new Float64Array(n * r);
        const T = new Float64Array(n * r);
        mlp.forward(theta, X, T);
        const ev = new NetworkEvaluator(layout);
        ev.setParameters(theta);
        const f = new Float64Array(r);
        const df = new Float64Array(r);
        for (let i = 0; i < n; i++) {
          ev.axisFeatures(1, xs[i], f, df);
          for (let k = 0; k < r; k++) {
            expect(X[i * r + k]).toBeCloseTo(f[k], 14);
            expect(T[i * r + k]).toBeCloseTo(df[k], 13);
          }
        }
        // Without tangents X is the same, bit for bit.
        const X2 = new Float64Array(n * r);
        mlp.forward(theta, X2, null);
        expect(Array.from(X2)).toEqual(Array.from(X));
      });

      it(`${activation}: backward equals central differences of Σ gX X + Σ gT T`, () => {
        const theta = randomTheta(layout.size, 5);
        const rand = mulberry32(11);
        const gX = Float64Array.from({ length: n * r }, () => 2 * rand() - 1);
        const gT = Float64Array.from({ length: n * r }, () => 2 * rand() - 1);
        const mlp = new AxisMlp(axis, activation, xs);
        const X = new Float64Array(n * r);
        const T = new Float64Array(n * r);
        const L = (th: Float64Array, withT: boolean) => {
          mlp.forward(th, X, withT ? T : null);
          let s = 0;
          for (let q = 0; q < n * r; q++) s += gX[q] * X[q] + (withT ? gT[q] * T[q] : 0);
          return s;
        };
        for (const withT of [true, false]) {
          const grad = new Float64Array(layout.size).fill(NaN);
          L(theta, withT);
          mlp.backward(grad, gX, withT ? gT : null);
          const first = axis.layers[0].weightOffset;
          const lastL = axis.layers[axis.layers.length - 1];
          const end = lastL.biasOffset + lastL.outputs;
          // Entries of the other axis stay untouched.
          expect(Number.isNaN(grad[layout.axes[0].layers[0].weightOffset])).toBe(true);
          const h = 1e-6;
          let worst = 0;
          let scale = 0;
          for (let p = first; p < end; p++) {
            const tp = Float64Array.from(theta);
            const tm = Float64Array.from(theta);
            tp[p] += h;
            tm[p] -= h;
            const fd = (L(tp, withT) - L(tm, withT)) / (2 * h);
            worst = Math.max(worst, Math.abs(fd - grad[p]));
            scale = Math.max(scale, Math.abs(fd));
          }
          expect(worst / scale).toBeLessThan(1e-7);
        }
      });
    }
  });
}

describe('AxisMlp.replaceLastLayer (the initial fit re-solves the last layer at every evaluation)', () => {
  // rank 8, width 16: the SIMD kernels take these layers where WebAssembly SIMD is available; rank 3,
  // width 6: the TypeScript products.
  for (const [rank, width] of [
    [8, 16],
    [3, 6],
  ]) {
    it(`rank ${rank}, width ${width}: X and the reverse pass equal a full forward at the new last layer, bit for bit`, () => {
      const layout = networkLayout(makeProblem('star'), { rank, width, depth: 2, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
      const axis = layout.axes[0];
      const xs = Float64Array.from({ length: 10 }, (_, i) => (i + 0.5) / 10);
      const n = xs.length;
      const theta = randomTheta(layout.size, 7);
      const moved = Float64Array.from(theta);
      const last = axis.layers[axis.layers.length - 1];
      const rand = mulberry32(3);
      for (let q = last.weightOffset; q < last.weightOffset + last.inputs * last.outputs; q++) moved[q] = 2 * rand() - 1;
      for (let q = last.biasOffset; q < last.biasOffset + last.outputs; q++) moved[q] = 2 * rand() - 1;
      const gX = Float64Array.from({ length: n * rank }, () => 2 * rand() - 1);
      const full = new AxisMlp(axis, 'tanh', xs);
      const Xfull = new Float64Array(n * rank);
      full.forward(moved, Xfull, null);
      const gFull = new Float64Array(layout.size);
      full.backward(gFull, gX, null);
      const swapped = new AxisMlp(axis, 'tanh', xs);
      const X = new Float64Array(n * rank);
      swapped.forward(theta, X, null);
      const before = Float64Array.from(X);
      swapped.replaceLastLayer(moved, X);
      const g = new Float64Array(layout.size);
      swapped.backward(g, gX, null);
      // The same products as a full forward: the same bits.
      expect(Array.from(X)).toEqual(Array.from(Xfull));
      expect(Array.from(g)).toEqual(Array.from(gFull));
      // The new last layer did change X.
      expect(Math.max(...X.map((v, q) => Math.abs(v - before[q])))).toBeGreaterThan(0.1);
    });
  }

  it('refuses a forward pass that kept tangents', () => {
    const layout = networkLayout(makeProblem('star'), { rank: 3, width: 4, depth: 1, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
    const mlp = new AxisMlp(layout.axes[0], 'tanh', [0.5, 0.6]);
    mlp.forward(initialParameters(layout, 1), new Float64Array(6), new Float64Array(6));
    expect(() => mlp.replaceLastLayer(initialParameters(layout, 1), new Float64Array(6))).toThrow('AxisMlp.replaceLastLayer: the forward pass kept tangents (call forward with T = null)');
  });
});

describe('AxisMlp, bad input', () => {
  const layout = networkLayout(makeProblem('star'), { rank: 3, width: 4, depth: 1, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
  it('refuses an empty grid and short outputs', () => {
    expect(() => new AxisMlp(layout.axes[0], 'tanh', [])).toThrow('AxisMlp: the axis grid has no points');
    const mlp = new AxisMlp(layout.axes[0], 'tanh', [0.5, 0.6]);
    expect(() => mlp.forward(initialParameters(layout, 1), new Float64Array(5), null)).toThrow('AxisMlp.forward: X and T need 6 entries (n × r)');
  });
  it('refuses a tangent gradient after a forward pass without tangents', () => {
    const mlp = new AxisMlp(layout.axes[0], 'tanh', [0.5, 0.6]);
    mlp.forward(initialParameters(layout, 1), new Float64Array(6), null);
    expect(() => mlp.backward(new Float64Array(layout.size), new Float64Array(6), new Float64Array(6))).toThrow(
      'AxisMlp.backward: gT given but the forward pass ran without tangents',
    );
  });
});

describe('fastTanh (the engine tanh)', () => {
  it('equals Math.tanh within 2.3e-16 absolute and 5e-15 relative on ±1e-8 … ±40, saturates, keeps NaN', () => {
    const rand = mulberry32(3);
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = (rand() < 0.5 ? -1 : 1) * 10 ** (-8 + 9.6 * rand());
      const a = Math.tanh(x);
      const e = Math.abs(fastTanh(x) - a);
      abs = Math.max(abs, e);
      rel = Math.max(rel, e / Math.abs(a));
    }
    expect(abs).toBeLessThanOrEqual(2.3e-16);
    expect(rel).toBeLessThan(5e-15);
    expect(fastTanh(0)).toBe(0);
    expect(fastTanh(19.1)).toBe(1);
    expect(fastTanh(-1e300)).toBe(-1);
    expect(fastTanh(Infinity)).toBe(1);
    expect(Number.isNaN(fastTanh(NaN))).toBe(true);
  });
});
