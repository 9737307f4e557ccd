import { expect, it } from 'vitest';
import { adamMinimize, createAdamState, type Objective } from '../src/optim/optimizers.js';

/**
 * Adam's stop rules (src/optim/optimizers.ts). SPINN runs Adam with tol −1 ("run every
 * iteration") after an L-BFGS warm start, where Adam's first steps raise the loss; the
 * relative-decrease rule must then stay off (it stopped SPINN's Adam after 25 of 1000 iterations,
 * which moved the quick suite's SPINN star from 4.9 % to 75 % error).
 */

/** f(θ) = Σ (θ_i − 1)², started at its minimiser, so no iterate improves on the first. */
const bowl: Objective = (theta, grad) => {
  let f = 0;
  for (let i = 0; i < theta.length; i++) {
    const d = theta[i] - 1;
    f += d * d;
    grad[i] = 2 * d;
  }
  return f;
};

it('with tol < 0 Adam runs every iteration even when no iterate improves on the first', () => {
  const theta = new Float64Array([1, 1, 1]); // the minimiser: no iterate can do better than the first
  const r = adamMinimize(bowl, theta, createAdamState(3), { maxIters: 200, tol: -1, learningRate: 0.01 });
  expect(r.stopReason).toBe('max-iters');
  expect(r.iterations).toBe(200);
});

it('with tol ≥ 0 a stalled Adam still stops on relative decrease', () => {
  const theta = new Float64Array([1, 1, 1]);
  const r = adamMinimize(bowl, theta, createAdamState(3), { maxIters: 200, tol: 0, learningRate: 0.01 });
  expect(r.stopReason).toBe('rel-decrease');
  expect(r.iterations).toBeLessThan(200);
});
