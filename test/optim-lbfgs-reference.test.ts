import { describe, expect, it } from 'vitest';
import { createLbfgsState, lbfgsMinimize, type Objective } from '../src/optim/optimizers.js';

/**
 * lbfgsMinimize's `reference`: the relative stop tests measured against another point's loss and
 * gradient norm (an SDMM step started from an extrapolated guess keeps measuring against θⁿ).
 * Exact problem: the quadratic f(x) = ½ Σ_i λ_i x_i², λ_i = 1 … 100 (log-spaced), minimum 0 at 0.
 */
const P = 40;
const lambda = Float64Array.from({ length: P }, (_, i) => 100 ** (i / (P - 1)));
const f: Objective = (x, g) => {
  let v = 0;
  for (let i = 0; i < P; i++) {
    g[i] = lambda[i] * x[i];
    v += 0.5 * lambda[i] * x[i] * x[i];
  }
  return v;
};
const norm = (g: Float64Array) => Math.sqrt(g.reduce((s, v) => s + v * v, 0));

describe('L-BFGS stop tests relative to a reference point', () => {
  it('from a start 1000× closer to the minimum, gradTol refers to the reference gradient: fewer iterations, the same absolute threshold', () => {
    const far = new Float64Array(P).fill(1);
    const gFar = new Float64Array(P);
    const fFar = f(far, gFar);
    const gradTol = 1e-6;
    const run = (reference?: { value: number; gradientNorm: number }) => {
      const x = new Float64Array(P).fill(1e-3);
      const res = lbfgsMinimize(f, x, createLbfgsState(P, 8), { maxIters: 500, tol: 0, gradTol, reference });
      const g = new Float64Array(P);
      f(x, g);
      return { res, gradient: norm(g) };
    };
    const own = run();
    const ref = run({ value: fFar, gradientNorm: norm(gFar) });
    expect(own.res.stopReason).toBe('gradient');
    expect(ref.res.stopReason).toBe('gradient');
    // Without the reference the threshold is gradTol · ‖∇f(start)‖, 1000× smaller.
    expect(own.gradient).toBeLessThanOrEqual(gradTol * own.res.initialGradientNorm);
    expect(ref.gradient).toBeLessThanOrEqual(gradTol * norm(gFar));
    expect(ref.gradient).toBeGreaterThan(gradTol * own.res.initialGradientNorm);
    expect(ref.res.iterations).toBeLessThan(own.res.iterations);
  });
});
