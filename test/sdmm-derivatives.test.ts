import * as tf from '../src/sdmm/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import {
  NetworkEvaluator,
  alphaOf,
  boundedFieldTf,
  encodeAxis,
  initialParameters,
  mlpNetwork,
  networkLayout,
  selectBackend,
  separableFieldTf,
  type Activation,
} from '../src/sdmm/index.js';
import { maxRelativeError } from './fixtures/relative-error.js';

/**
 * The hand-propagated tangents (forward mode through each per-axis MLP) against central finite
 * differences of the float64 network: the tfjs training path (float32) and the float64 evaluator.
 */

beforeAll(async () => {
  await selectBackend('wasm');
});

const ACTIVATIONS: Activation[] = ['tanh', 'gelu', 'sin'];


function setup(problem: ProblemConfig, activation: Activation, bound = true) {
  const layout = networkLayout(problem, { rank: 5, width: 12, depth: 2, activation, alpha: 1.7, trainAlpha: true, bound });
  // Scale the Glorot weights up a little so the field is far from linear and tanh is not saturated.
  const theta = initialParameters(layout, 7);
  for (let i = 0; i < theta.length; i++) theta[i] *= 1.3;
  theta[layout.alphaIndex] = 1.7;
  const ev = new NetworkEvaluator(layout);
  ev.setParameters(theta);
  return { layout, theta, ev };
}

/** Central differences of the float64 network: (u(p + h e_k) − u(p − h e_k)) / 2h, h = 1e-6. */
function fdGradient(ev: NetworkEvaluator, p: number[], k: number): number {
  const h = 1e-6;
  const a = p.slice();
  const b = p.slice();
  a[k] += h;
  b[k] -= h;
  return (ev.value(a) - ev.value(b)) / (2 * h);
}

const cases: [string, ProblemConfig][] = [
  ['2D Neumann (star)', makeProblem('star')],
  ['2D periodic embedding (coarsening)', makeProblem('coarsening')],
  ['1D Neumann (front1d)', makeProblem('front1d')],
  ['1D periodic embedding (ac1d)', makeProblem('ac1d')],
];

describe('SDMM exact spatial derivatives', () => {
  for (const [label, problem] of cases) {
    for (const activation of ACTIVATIONS) {
      it(`${label}, ${activation}: tfjs tangent ∂u/∂x_k on a grid matches central differences (rel. error < 1e-3)`, () => {
        const { layout, theta, ev } = setup(problem, activation);
        const axesPoints = layout.axes.map((a, k) => {
          const n = 9 + k;
          return Float64Array.from({ length: n }, (_, i) => a.min + ((a.max - a.min) * (i + 0.37)) / n);
        });
        const before = tf.memory().numTensors;
        const fromTf = tf.tidy(() => {
          const inputs = layout.axes.map((axis, k) => {
            const { enc, dEnc } = encodeAxis(axis, axesPoints[k]);
            const n = axesPoints[k].length;
            return { enc: tf.tensor2d(Float32Array.from(enc), [n, axis.inputs]), dEnc: tf.tensor2d(Float32Array.from(dEnc), [n, axis.inputs]) };
          });
          const th = tf.tensor1d(Float32Array.from(theta));
          const { u, grad } = boundedFieldTf(separableFieldTf(th, layout, inputs), alphaOf(th, layout), layout.bound);
          return { u: u.dataSync().slice(), grad: grad.map((g) => g.dataSync().slice()) };
        });
        expect(tf.memory().numTensors).toBe(before);
        const nx = axesPoints[0].length;
        const ny = layout.dim === 2 ? axesPoints[1].length : 1;
        for (let k = 0; k < layout.dim; k++) {
          const fd = new Float64Array(nx * ny);
          const uRef = new Float64Array(nx * ny);
          for (let i = 0; i < nx; i++) {
            for (let j = 0; j < ny; j++) {
              const p = layout.dim === 2 ? [axesPoints[0][i], axesPoints[1][j]] : [axesPoints[0][i]];
              fd[i * ny + j] = fdGradient(ev, p, k);
              uRef[i * ny + j] = ev.value(p);
            }
          }
          expect(maxRelativeError(fromTf.u, uRef)).toBeLessThan(1e-5);
          const err = maxRelativeError(fromTf.grad[k], fd);
          expect(err).toBeLessThan(1e-3);
          // The derivative is not trivially zero (the test would be void otherwise).
          expect(Math.max(...fd.map(Math.abs))).toBeGreaterThan(0.05);
        }
      });
    }
  }

  it('float64 evaluator tangent (2D, gelu, unbounded) matches central differences to 1e-6', () => {
    const { ev } = setup(makeProblem('star'), 'gelu', false);
    const grad = new Float64Array(2);
    for (const p of [[0.13, 0.71], [0.5, 0.5], [0.92, 0.04]]) {
      ev.value(p, grad);
      for (let k = 0; k < 2; k++) {
        const fd = fdGradient(ev, p, k);
        expect(Math.abs(grad[k] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('periodic embedding makes u and ∂u/∂x equal on opposite sides (coarsening, sin)', () => {
    const { ev } = setup(makeProblem('coarsening'), 'sin');
    const g0 = new Float64Array(2);
    const g1 = new Float64Array(2);
    for (const y of [0.1, 0.45, 0.8]) {
      const u0 = ev.value([0, y], g0);
      const u1 = ev.value([1, y], g1);
      expect(Math.abs(u0 - u1)).toBeLessThan(1e-12);
      expect(Math.abs(g0[0] - g1[0])).toBeLessThan(1e-9);
      expect(Math.abs(g0[0])).toBeGreaterThan(1e-3);
    }
  });

  it('mlpNetwork.evaluate (per-axis features shared along grid lines) gives the bits of the pointwise evaluator, on a grid and on scattered points', () => {
    for (const [name, bound] of [['star', true], ['coarsening', false], ['ac1d', true]] as const) {
      const problem = makeProblem(name);
      const { layout, ev } = setup(problem, 'tanh', bound);
      const net = mlpNetwork(layout);
      const theta = initialParameters(layout, 11);
      ev.setParameters(theta);
      const dim = layout.dim;
      // A 7 × 5 tensor grid (7 points in 1D) followed by three scattered points.
      const pts: number[] = [];
      const { min, max } = problem.domain;
      const at = (a: number, t: number) => min[a] + t * (max[a] - min[a]);
      if (dim === 1) for (let i = 0; i < 7; i++) pts.push(at(0, i / 6));
      else for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) pts.push(at(0, i / 6), at(1, j / 4));
      for (const t of [0.13, 0.58, 0.91]) for (let a = 0; a < dim; a++) pts.push(at(a, (t * (a + 2)) % 1));
      const points = Float64Array.from(pts);
      const n = points.length / dim;
      const u = new Float64Array(n);
      const grad = new Float64Array(points.length);
      net.evaluate(theta, points, u, grad);
      const g = new Float64Array(2);
      for (let i = 0; i < n; i++) {
        expect(u[i]).toBe(ev.value(points.subarray(dim * i, dim * i + dim), g));
        for (let a = 0; a < dim; a++) expect(grad[dim * i + a]).toBe(g[a]);
      }
    }
  });
});
