import { expect, it } from 'vitest';
import { createLbfgsState, lbfgsMinimize, type Objective } from '../src/optim/optimizers.js';

/**
 * L-BFGS started from a point the caller has already evaluated (`start`) and measuring its stop rules
 * from another point (`reference`), as an SDMM time step started from its predictor does
 * (src/sdmm/stepping.ts): on f(θ) = ½ Σ_i c_i (θ_i − 1)², c_i from 1 to 100 (minimiser θ = 1).
 */

const P = 40;
const c = Float64Array.from({ length: P }, (_, i) => 1 + (99 * i) / (P - 1));
let calls = 0;
const f: Objective = (th, g) => {
  calls++;
  let v = 0;
  for (let i = 0; i < P; i++) {
    const e = th[i] - 1;
    v += 0.5 * c[i] * e * e;
    g[i] = c[i] * e;
  }
  return v;
};
const norm = (g: Float64Array) => Math.sqrt(g.reduce((s, v) => s + v * v, 0));
/** θ = 1 + s·(−1)^i: s = 1 far from the minimiser, s = 0.01 near it. */
const point = (s: number) => Float64Array.from({ length: P }, (_, i) => 1 + s * (i % 2 ? -1 : 1));

it('a start evaluated by the caller gives the same iterates as evaluating it inside, with one evaluation fewer', () => {
  const opts = { maxIters: 100, tol: 0, gradTol: 1e-8 };
  const a = point(1);
  calls = 0;
  const ra = lbfgsMinimize(f, a, createLbfgsState(P, 5, false), opts);
  const callsA = calls;
  const b = point(1);
  const gradient = new Float64Array(P);
  const value = f(b, gradient);
  calls = 0;
  const rb = lbfgsMinimize(f, b, createLbfgsState(P, 5, false), { ...opts, start: { value, gradient } });
  expect(calls).toBe(callsA - 1);
  expect(rb.evaluations).toBe(ra.evaluations - 1);
  expect(rb.iterations).toBe(ra.iterations);
  expect(rb.stopReason).toBe('gradient');
  expect(b).toEqual(a);
});

it('the stop rules measure from `reference`: a start nearer the minimiser stops at ‖∇f‖ ≤ gradTol ‖∇f(reference)‖, in fewer iterations than its own rule needs', () => {
  const gradTol = 1e-6;
  const far = point(1);
  const gFar = new Float64Array(P);
  const fFar = f(far, gFar);
  const reference = { value: fFar, gradientNorm: norm(gFar) };
  const own = lbfgsMinimize(f, point(0.01), createLbfgsState(P, 5, false), { maxIters: 200, tol: 0, gradTol });
  const theta = point(0.01);
  const r = lbfgsMinimize(f, theta, createLbfgsState(P, 5, false), { maxIters: 200, tol: 0, gradTol, reference });
  expect(r.stopReason).toBe('gradient');
  expect(r.initialGradientNorm).toBe(reference.gradientNorm);
  expect(r.gradientNorm).toBeLessThanOrEqual(gradTol * reference.gradientNorm);
  // Its own rule asks for 100× less (‖∇f‖ at the near start is 100× smaller).
  expect(own.gradientNorm).toBeLessThanOrEqual(gradTol * 0.011 * reference.gradientNorm);
  expect(r.iterations).toBeLessThan(own.iterations);
  // The relative-decrease rule likewise: f_{k−1} − f_k ≤ tol (f(reference) − f_k).
  const t2 = point(0.01);
  const rd = lbfgsMinimize(f, t2, createLbfgsState(P, 5, false), { maxIters: 200, tol: 1e-3, reference });
  const ownRd = lbfgsMinimize(f, point(0.01), createLbfgsState(P, 5, false), { maxIters: 200, tol: 1e-3 });
  expect(rd.stopReason).toBe('rel-decrease');
  expect(rd.iterations).toBeLessThan(ownRd.iterations);
});

it('keeps curvature pairs of a loss whose curvature reaches 1e12 (sᵀy/yᵀy = 1e-12 is a valid pair, skipped only below ε_mach)', () => {
  // f = ½ Σ_i κ_i θ_i², κ_i = 10^(12 i/(n−1)): every pair has sᵀy/yᵀy ≥ 1/max κ = 1e-12.
  const n = 8;
  const kappa = Float64Array.from({ length: n }, (_, i) => 10 ** ((12 * i) / (n - 1)));
  const stiff: Objective = (th, g) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      v += 0.5 * kappa[i] * th[i] * th[i];
      g[i] = kappa[i] * th[i];
    }
    return v;
  };
  const theta = Float64Array.from({ length: n }, () => 1);
  const state = createLbfgsState(n, 5, false);
  const r = lbfgsMinimize(stiff, theta, state, { maxIters: 20, tol: 0 });
  expect(r.iterations).toBe(20);
  expect(state.count).toBe(5);
  // With the pairs the searches mostly accept their first trial; steepest descent from
  // t₀ = 1/‖∇f‖₁ needed 5–7 evaluations per iteration here.
  expect(r.evaluations).toBeLessThanOrEqual(2 * r.iterations);
  expect(r.best).toBeLessThan(1e-3 * r.initial);
});
