import * as tf from '../src/sdmm/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { compositeGaussLegendre, type Rule1D } from '../src/quadrature/index.js';
import { createCpuEngine } from '../src/sdmm/engine/cpu-engine.js';
import type { EngineObjective, EngineSetup, SdmmEngine } from '../src/sdmm/engine/types.js';
import { alphaOf, boundedFieldTf, separableFieldTf } from '../src/sdmm/engine/tfjs.js';
import {
  NetworkEvaluator,
  encodeAxis,
  networkLayout,
  type Activation,
  type AxisLayout,
  type NetworkLayout,
} from '../src/sdmm/network.js';
import { maxRelativeError } from './fixtures/relative-error.js';

/**
 * The float64 CPU engine against (a) central differences of its own value (float64, every
 * parameter), (b) today's TensorFlow.js losses built from network.ts (cpu backend, float32) and
 * (c) the pointwise float64 evaluator, on random θ and random grid data. Objectives as documented
 * in src/sdmm/engine/types.ts.
 */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const engines: SdmmEngine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

interface Case {
  label: string;
  problem: ProblemConfig;
  activation: Activation;
  bound: boolean;
  trainAlpha: boolean;
  source: boolean;
  elements: number;
  /** Gauss points per element (3 gives odd line counts, exercising the unpaired line of the 2D kernel). */
  gauss?: number;
}

// ε and τ of order one so that no term of Jₙ dwarfs the others (at the reduced problems' τ the
// movement term (u − uⁿ)²/(2mτ) would hide errors in the gradient term).
const balanced = { epsilon: 0.25, tau: 0.02, tEnd: 0.02 };
const CASES: Case[] = [
  { label: '1D Neumann, bounded, tanh, trainable α, source', problem: makeProblem('front1d', 'reduced', balanced), activation: 'tanh', bound: true, trainAlpha: true, source: true, elements: 7 },
  { label: '1D periodic, unbounded, sin', problem: makeProblem('ac1d', 'reduced', balanced), activation: 'sin', bound: false, trainAlpha: false, source: false, elements: 6 },
  { label: '2D Neumann, bounded, tanh, trainable α, source', problem: makeProblem('star', 'reduced', balanced), activation: 'tanh', bound: true, trainAlpha: true, source: true, elements: 4 },
  { label: '2D Neumann, unbounded, gelu, trainable α', problem: makeProblem('star', 'reduced', balanced), activation: 'gelu', bound: false, trainAlpha: true, source: false, elements: 3, gauss: 3 },
  { label: '2D periodic, bounded, gelu, source', problem: makeProblem('coarsening', 'reduced', balanced), activation: 'gelu', bound: true, trainAlpha: false, source: true, elements: 4 },
  { label: '2D periodic, unbounded, sin, trainable α, source', problem: makeProblem('coarsening', 'reduced', balanced), activation: 'sin', bound: false, trainAlpha: true, source: true, elements: 3 },
];

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * rand() - 1));
}

/**
 * Random θ (uniform ±0.9 per entry, first-layer weights ±3.6 so that the features vary across the
 * domain and every term of Jₙ matters), α = 1.3 when trained.
 */
function randomTheta(layout: NetworkLayout, seed: number): Float64Array {
  const theta = randomArray(layout.size, seed, 0.9);
  for (const axis of layout.axes) {
    const L = axis.layers[0];
    for (let i = 0; i < L.inputs * L.outputs; i++) theta[L.weightOffset + i] *= 4;
  }
  if (layout.alphaIndex >= 0) theta[layout.alphaIndex] = 1.3;
  return theta;
}

interface Built {
  layout: NetworkLayout;
  rules: Rule1D[];
  setup: EngineSetup;
  N: number;
  uPrev: Float64Array;
  gradPrev: Float64Array[];
  sigma: Float64Array | null;
  u0: Float64Array;
  sTarget: Float64Array;
}

function build(c: Case, rank = 3, width = 5, threads = 1): Built {
  const layout = networkLayout(c.problem, { rank, width, depth: 2, activation: c.activation, alpha: c.trainAlpha ? 1.3 : 0.8, trainAlpha: c.trainAlpha, bound: c.bound });
  const rules = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, c.elements, c.gauss ?? 2));
  const N = rules.reduce((p, r) => p * r.points.length, 1);
  return {
    layout,
    rules,
    setup: { layout, rules, epsilon: c.problem.epsilon, mobility: c.problem.mobility, tau: c.problem.tau, threads },
    N,
    uPrev: randomArray(N, 21, 0.9),
    gradPrev: layout.axes.map((_, a) => randomArray(N, 30 + a, 3)),
    sigma: c.source ? randomArray(N, 41, 5) : null,
    u0: randomArray(N, 51, 0.95),
    sTarget: randomArray(N, 61, 2),
  };
}

function engineFor(b: Built, threads?: number): SdmmEngine {
  const e = createCpuEngine(threads === undefined ? b.setup : { ...b.setup, threads });
  engines.push(e);
  e.setStep(b.uPrev, b.gradPrev, b.sigma);
  e.setFitTargets(b.u0, b.sTarget);
  return e;
}


/** Central differences of the engine's value in every parameter, h = 1e-6 · max(1, |θ_p|). */
function centralDifferences(e: SdmmEngine, objective: EngineObjective, theta: Float64Array): Float64Array {
  const scratch = new Float64Array(theta.length);
  const fd = new Float64Array(theta.length);
  const t = Float64Array.from(theta);
  for (let p = 0; p < theta.length; p++) {
    const h = 1e-6 * Math.max(1, Math.abs(theta[p]));
    t[p] = theta[p] + h;
    const fp = e.evaluate(objective, t, scratch);
    t[p] = theta[p] - h;
    const fm = e.evaluate(objective, t, scratch);
    t[p] = theta[p];
    fd[p] = (fp - fm) / (2 * h);
  }
  return fd;
}

/** Today's TensorFlow.js losses (float32), built from the network.ts helpers as in solver.ts. */
function tfjsLoss(b: Built, c: Case, objective: EngineObjective, theta: Float64Array): { value: number; grad: Float64Array } {
  const { layout, rules } = b;
  const shape = rules.map((r) => r.points.length);
  let result = { value: NaN, grad: new Float64Array(0) };
  tf.tidy(() => {
    const inputs = layout.axes.map((axis, a) => {
      const { enc, dEnc } = encodeAxis(axis, rules[a].points);
      return { enc: tf.tensor2d(Float32Array.from(enc), [shape[a], axis.inputs]), dEnc: tf.tensor2d(Float32Array.from(dEnc), [shape[a], axis.inputs]) };
    });
    const w = new Float32Array(b.N);
    for (let q = 0; q < b.N; q++) w[q] = shape.length === 1 ? rules[0].weights[q] : rules[0].weights[Math.floor(q / shape[1])] * rules[1].weights[q % shape[1]];
    const weights = tf.tensor(w, shape);
    const grid = (v: Float64Array) => tf.tensor(Float32Array.from(v), shape);
    const invEps2 = 1 / c.problem.epsilon ** 2;
    const invMovement = 1 / (2 * c.problem.mobility * c.problem.tau);
    const f = tf.valueAndGrad((th: tf.Tensor1D) => {
      const field = separableFieldTf(th, layout, inputs);
      if (objective === 'pre-fit') return tf.mean(tf.square(tf.sub(tf.mul(alphaOf(th, layout), field.s), grid(b.sTarget)))) as tf.Scalar;
      const { u, grad } = boundedFieldTf(field, alphaOf(th, layout), layout.bound);
      if (objective === 'fit') return tf.mean(tf.square(tf.sub(u, grid(b.u0)))) as tf.Scalar;
      let density = tf.mul(0.5, grad.map((g) => tf.square(g)).reduce((x, y) => tf.add(x, y)));
      density = tf.add(density, tf.mul(0.25 * invEps2, tf.square(tf.sub(tf.square(u), 1))));
      density = tf.add(density, tf.mul(invMovement, tf.square(tf.sub(u, grid(b.uPrev)))));
      if (b.sigma) density = tf.sub(density, tf.mul(grid(b.sigma), u));
      return tf.sum(tf.mul(weights, density)) as tf.Scalar;
    });
    const r = f(tf.tensor1d(Float32Array.from(theta)));
    result = { value: r.value.dataSync()[0], grad: Float64Array.from(r.grad.dataSync()) };
  });
  return result;
}

const OBJECTIVES: EngineObjective[] = ['step', 'fit', 'pre-fit'];

for (const c of CASES) {
  describe(`CPU engine, ${c.label}`, () => {
    const b = build(c);
    const theta = randomTheta(b.layout, 17);
    for (const objective of OBJECTIVES) {
      it(`${objective}: gradient equals central differences (1e-6) and tfjs float32 (value and gradient)`, () => {
        const e = engineFor(b);
        const grad = new Float64Array(b.layout.size);
        const value = e.evaluate(objective, theta, grad);
        expect(Number.isFinite(value)).toBe(true);
        const fd = centralDifferences(e, objective, theta);
        expect(maxRelativeError(grad, fd)).toBeLessThan(1e-6);
        const ref = tfjsLoss(b, c, objective, theta);
        expect(Math.abs(value - ref.value) / Math.abs(ref.value)).toBeLessThan(2e-5);
        expect(maxRelativeError(grad, ref.grad)).toBeLessThan(1e-4);
      });
    }

    it('fieldOnGrid equals NetworkEvaluator.value and its gradient at the grid points', () => {
      const e = engineFor(b);
      const u = new Float64Array(b.N);
      const g = b.layout.axes.map(() => new Float64Array(b.N));
      e.fieldOnGrid(theta, u, g);
      const ev = new NetworkEvaluator(b.layout);
      ev.setParameters(theta);
      const shape = b.rules.map((r) => r.points.length);
      const p = new Float64Array(2);
      const gp = new Float64Array(2);
      for (let q = 0; q < b.N; q++) {
        if (shape.length === 1) p[0] = b.rules[0].points[q];
        else {
          p[0] = b.rules[0].points[Math.floor(q / shape[1])];
          p[1] = b.rules[1].points[q % shape[1]];
        }
        expect(u[q]).toBeCloseTo(ev.value(p, gp), 13);
        for (let a = 0; a < shape.length; a++) expect(g[a][q]).toBeCloseTo(gp[a], 11);
      }
    });
  });
}

describe('CPU engine, long lines (the paired reverse works in blocks of 128 points)', () => {
  const c = CASES[2];
  const layout = networkLayout(c.problem, { rank: 3, width: 5, depth: 2, activation: 'tanh', alpha: 1.3, trainAlpha: true, bound: true });
  // 5 lines of 300 points: two full blocks and a partial one, paired and unpaired lines.
  const rules = [compositeGaussLegendre(0, 1, 5, 1), compositeGaussLegendre(0, 1, 150, 2)];
  const N = 5 * 300;
  it('step gradient equals central differences (1e-6)', () => {
    const e = createCpuEngine({ layout, rules, epsilon: c.problem.epsilon, mobility: c.problem.mobility, tau: c.problem.tau, threads: 1 });
    engines.push(e);
    e.setStep(randomArray(N, 1, 0.9), [randomArray(N, 2), randomArray(N, 3)], randomArray(N, 4, 3));
    const theta = randomTheta(layout, 8);
    const grad = new Float64Array(layout.size);
    e.evaluate('step', theta, grad);
    expect(maxRelativeError(grad, centralDifferences(e, 'step', theta))).toBeLessThan(1e-6);
  });
});

/** A 3-axis layout (network.ts builds 1D and 2D ones): the 2D star layout with a third axis on [0, 2]. */
function layout3d(activation: Activation, bound: boolean, trainAlpha: boolean): NetworkLayout {
  const base = networkLayout(makeProblem('coarsening'), { rank: 3, width: 4, depth: 2, activation, alpha: 1.1, trainAlpha: false, bound });
  let offset = base.size;
  const layers = base.axes[0].layers.map((L) => {
    const inputs = L === base.axes[0].layers[0] ? 1 : L.inputs;
    const weightOffset = offset;
    offset += inputs * L.outputs;
    const biasOffset = offset;
    offset += L.outputs;
    return { inputs, outputs: L.outputs, weightOffset, biasOffset };
  });
  const z: AxisLayout = { min: 0, max: 2, periodic: false, inputs: 1, layers };
  const alphaIndex = trainAlpha ? offset++ : -1;
  return { ...base, dim: 3 as unknown as 2, axes: [...base.axes, z], alphaIndex, size: offset };
}

describe('CPU engine, 3D (periodic x, y; Neumann z)', () => {
  for (const [bound, activation] of [
    [true, 'tanh'],
    [false, 'gelu'],
  ] as const) {
    const layout = layout3d(activation, bound, true);
    const rules = layout.axes.map((a, i) => compositeGaussLegendre(a.min, a.max, 2 + i, 2));
    const N = rules.reduce((p, r) => p * r.points.length, 1);
    const setup: EngineSetup = { layout, rules, epsilon: 0.3, mobility: 1.5, tau: 0.01, threads: 1 };
    const theta = randomTheta(layout, 5);
    for (const objective of OBJECTIVES) {
      it(`${bound ? 'bounded' : 'unbounded'} ${activation}, ${objective}: gradient equals central differences (1e-6)`, () => {
        const e = createCpuEngine(setup);
        engines.push(e);
        e.setStep(randomArray(N, 1, 0.9), [randomArray(N, 2), randomArray(N, 3), randomArray(N, 4)], randomArray(N, 5, 3));
        e.setFitTargets(randomArray(N, 6, 0.9), randomArray(N, 7, 2));
        const grad = new Float64Array(layout.size);
        e.evaluate(objective, theta, grad);
        expect(maxRelativeError(grad, centralDifferences(e, objective, theta))).toBeLessThan(1e-6);
      });
    }
    it(`${bound ? 'bounded' : 'unbounded'} ${activation}: fieldOnGrid is u = tanh(α Σ_k X_k Y_k Z_k) with its exact gradient`, () => {
      const e = createCpuEngine(setup);
      engines.push(e);
      const u = new Float64Array(N);
      const g = [new Float64Array(N), new Float64Array(N), new Float64Array(N)];
      e.fieldOnGrid(theta, u, g);
      // Reference from the pointwise evaluator's per-axis features.
      const ev = new NetworkEvaluator(layout);
      ev.setParameters(theta);
      const r = layout.rank;
      const f = [0, 1, 2].map(() => new Float64Array(r));
      const df = [0, 1, 2].map(() => new Float64Array(r));
      const [n0, n1, n2] = rules.map((x) => x.points.length);
      const alpha = theta[layout.alphaIndex];
      for (let i = 0; i < n0; i++) {
        for (let j = 0; j < n1; j++) {
          for (let l = 0; l < n2; l++) {
            ev.axisFeatures(0, rules[0].points[i], f[0], df[0]);
            ev.axisFeatures(1, rules[1].points[j], f[1], df[1]);
            ev.axisFeatures(2, rules[2].points[l], f[2], df[2]);
            let s = 0;
            const ds = [0, 0, 0];
            for (let k = 0; k < r; k++) {
              s += f[0][k] * f[1][k] * f[2][k];
              ds[0] += df[0][k] * f[1][k] * f[2][k];
              ds[1] += f[0][k] * df[1][k] * f[2][k];
              ds[2] += f[0][k] * f[1][k] * df[2][k];
            }
            const q = (i * n1 + j) * n2 + l;
            const uu = bound ? Math.tanh(alpha * s) : alpha * s;
            const gg = bound ? alpha * (1 - uu * uu) : alpha;
            expect(u[q]).toBeCloseTo(uu, 13);
            for (let a = 0; a < 3; a++) expect(g[a][q]).toBeCloseTo(gg * ds[a], 12);
          }
        }
      }
    });
  }
});

describe('CPU engine, bad input', () => {
  const b = build(CASES[2]);
  it('bad setup gives a one-line error naming the input', () => {
    expect(() => createCpuEngine({ ...b.setup, epsilon: 0 })).toThrow('SDMM engine: epsilon must be a positive number, got 0');
    expect(() => createCpuEngine({ ...b.setup, tau: NaN })).toThrow('SDMM engine: tau must be a positive number, got NaN');
    expect(() => createCpuEngine({ ...b.setup, threads: 1.5 })).toThrow('SDMM engine: threads must be a positive integer, got 1.5');
    expect(() => createCpuEngine({ ...b.setup, rules: [b.rules[0]] })).toThrow('SDMM engine: the network has 2 axes but rules give 1');
    expect(() => createCpuEngine({ ...b.setup, rules: [] })).toThrow('SDMM engine: rules must give 1, 2 or 3 axes, got 0');
    const bad = { points: new Float64Array(3), weights: new Float64Array(2) };
    expect(() => createCpuEngine({ ...b.setup, rules: [b.rules[0], bad] })).toThrow('SDMM engine: rules[1] has 3 points but 2 weights');
  });
  it('bad calls give one-line errors', () => {
    const e = createCpuEngine(b.setup);
    engines.push(e);
    const g = new Float64Array(b.layout.size);
    expect(() => e.evaluate('step', new Float64Array(b.layout.size), g)).toThrow("SDMM engine: call setStep() before evaluate('step')");
    expect(() => e.evaluate('fit', new Float64Array(b.layout.size), g)).toThrow("SDMM engine: call setFitTargets() before evaluate('fit')");
    expect(() => e.setStep(new Float64Array(3), [], null)).toThrow(`SDMM engine: uPrev has 3 entries, the grid has ${b.N} points`);
    e.setStep(b.uPrev, b.gradPrev, null);
    expect(() => e.evaluate('step', new Float64Array(2), g)).toThrow(`SDMM engine: theta has 2 entries, the network has ${b.layout.size}`);
    expect(() => e.evaluate('energy' as EngineObjective, new Float64Array(b.layout.size), g)).toThrow(
      'SDMM engine: objective must be one of step, fit, pre-fit, got energy',
    );
  });
});
