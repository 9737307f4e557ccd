import { describe, expect, it } from 'vitest';
import { createLbfgsState, lbfgsMinimize, type Objective } from '../src/optim/optimizers.js';
import { mulberry32 } from '../src/physics/random.js';

/**
 * L-BFGS with its two-loop recursion on the WebAssembly SIMD kernels (src/optim/simd.ts) against the
 * TypeScript loops: on a convex quadratic f(θ) = ½ Σ_i c_i (θ_i − t_i)² + ¼ (Σ_i θ_i)² (condition
 * number 100, coupled) both reach the minimiser, their iterates agree to rounding, and an odd
 * parameter count (the kernels' last-entry tail) behaves the same.
 */

function quadratic(P: number, seed: number): { f: Objective; target: Float64Array; start: Float64Array } {
  const rand = mulberry32(seed);
  const c = Float64Array.from({ length: P }, (_, i) => 1 + (99 * i) / Math.max(1, P - 1));
  const t = Float64Array.from({ length: P }, () => 2 * rand() - 1);
  const f: Objective = (th, g) => {
    let sum = 0;
    let value = 0;
    for (let i = 0; i < P; i++) sum += th[i];
    for (let i = 0; i < P; i++) {
      const e = th[i] - t[i];
      value += 0.5 * c[i] * e * e;
      g[i] = c[i] * e + 0.5 * sum;
    }
    return value + 0.25 * sum * sum;
  };
  // The minimiser solves c_i (θ_i − t_i) + ½ Σθ = 0: θ_i = t_i − s/(2 c_i) with s = Σθ.
  let inv = 0;
  let tSum = 0;
  for (let i = 0; i < P; i++) {
    inv += 1 / (2 * c[i]);
    tSum += t[i];
  }
  const s = tSum / (1 + inv);
  const target = Float64Array.from({ length: P }, (_, i) => t[i] - s / (2 * c[i]));
  return { f, target, start: new Float64Array(P) };
}

describe('L-BFGS two-loop on SIMD kernels', () => {
  for (const P of [2, 7, 3296]) {
    it(`P = ${P}: the same iterates as the TypeScript loops (to rounding) and the minimiser`, () => {
      const { f, target, start } = quadratic(P, P);
      const fast = createLbfgsState(P, 20);
      const plain = createLbfgsState(P, 20, false);
      expect(fast.kernels).toBeDefined();
      expect(plain.kernels).toBeUndefined();
      const a = new Float64Array(start);
      const b = new Float64Array(start);
      // A few iterations (history in use), then compare the iterates.
      const ra = lbfgsMinimize(f, a, fast, { maxIters: 6, tol: 0 });
      const rb = lbfgsMinimize(f, b, plain, { maxIters: 6, tol: 0 });
      expect(ra.iterations).toBe(rb.iterations);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < P; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(b[i]));
      }
      expect(diff / scale).toBeLessThan(1e-10);
      // Continue (warm history) to the minimiser.
      lbfgsMinimize(f, a, fast, { maxIters: 200, tol: 0, gradTol: 1e-12 });
      let err = 0;
      for (let i = 0; i < P; i++) err = Math.max(err, Math.abs(a[i] - target[i]));
      expect(err).toBeLessThan(1e-6);
    });
  }
});
