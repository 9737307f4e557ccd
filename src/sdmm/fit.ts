import { DivergenceError } from '../solver.js';
import type { SdmmEngine } from './engine/types.js';
import type { NetworkLayout } from './network.js';
import { adamMinimize, createAdamState, createLbfgsState, lbfgsMinimize, type MinimizeResult } from './optimizers.js';
import type { SdmmOptions } from './options.js';
import type { FitReport } from './state.js';

/**
 * Step 0 of SDMM: fit u_θ to u₀ on the quadrature grid; the fit error is the relative MSE
 * mean_q (u_θ − u₀)² / mean_q u₀² (relative to the mean square of u₀, so small-amplitude data is
 * held to the same relative accuracy as a ±1 field).
 *
 * With the tanh bounding, minimizing the MSE from the Glorot start stalls (measured: the star
 * stays at MSE ≈ 0.14): s = Σ X_k Y_k starts near the saddle X = Y = 0, and saturated tanh
 * regions pass no gradient. So the fit runs in three phases, each capped at fitMaxIters:
 *   1. Adam (learningRate) on the pre-activation misfit mean_q (α s − s*)², s* = atanh(u₀)
 *      clamped to [−3, 3] (tanh 3 = 0.995), until it improves by < 10⁻³ (relative) over 25
 *      iterations or passes phase 2's MSE test;
 *   2. L-BFGS on the same misfit until the MSE (checked every 50 iterations) is ≤ 10·fitTolerance·mean u₀²
 *      or the misfit's relative decrease is < 10⁻⁸;
 *   3. L-BFGS on the MSE itself until MSE ≤ fitTolerance·mean u₀², or its relative decrease per
 *      iteration is < 10⁻⁷ (the float32 noise floor).
 * Without the bounding s* = u₀, so phases 1–2 already minimize the MSE.
 *
 * θ is updated in place. The achieved MSE is measured in float64 from the engine's grid values.
 */
export function fitInitialCondition(
  engine: SdmmEngine,
  layout: NetworkLayout,
  theta: Float64Array,
  u0: Float64Array,
  o: Pick<SdmmOptions, 'fitTolerance' | 'fitMaxIters' | 'learningRate' | 'historySize'>,
): FitReport {
  const N = u0.length;
  const clampS = 3;
  const sTarget = new Float64Array(N);
  for (let q = 0; q < N; q++) {
    const v = u0[q];
    sTarget[q] = layout.bound ? Math.max(-clampS, Math.min(clampS, Math.atanh(Math.max(-1, Math.min(1, v))))) : v;
  }
  const phases: string[] = [];
  let iterations = 0;
  const run = (label: string, res: MinimizeResult) => {
    iterations += res.iterations;
    phases.push(`${label} ${res.iterations} ${res.stopReason}`);
    if (res.stopReason === 'non-finite') {
      throw new DivergenceError(`SDMM initial fit (${label}): the loss became NaN or infinite (check the initial condition u₀ and learningRate)`, 0);
    }
    return res;
  };
  engine.setFitTargets(u0, sTarget);
  let meanSquare = 0;
  for (let q = 0; q < N; q++) meanSquare += u0[q] * u0[q];
  meanSquare /= N;
  const scale = meanSquare > 1e-300 ? meanSquare : 1;
  const mseTarget = o.fitTolerance * scale;
  const scratch = new Float64Array(theta.length);
  const mse = (th: Float64Array) => engine.evaluate('fit', th, scratch);
  const switchToMse = { everyIters: 50, test: (th: Float64Array) => mse(th) <= 10 * mseTarget };
  const P = theta.length;
  const pre = (th: Float64Array, g: Float64Array) => engine.evaluate('pre-fit', th, g);
  run('adam(s)', adamMinimize(pre, theta, createAdamState(P), { maxIters: o.fitMaxIters, tol: 1e-3, learningRate: o.learningRate, stop: switchToMse }));
  run('lbfgs(s)', lbfgsMinimize(pre, theta, createLbfgsState(P, o.historySize), { maxIters: o.fitMaxIters, tol: 1e-8, stop: switchToMse }));
  run(
    'lbfgs(u)',
    lbfgsMinimize((th, g) => engine.evaluate('fit', th, g), theta, createLbfgsState(P, o.historySize), { maxIters: o.fitMaxIters, tol: 1e-7, target: mseTarget }),
  );
  const u = new Float64Array(N);
  const grad = layout.axes.map(() => new Float64Array(N));
  engine.fieldOnGrid(theta, u, grad);
  let se = 0;
  for (let q = 0; q < N; q++) se += (u[q] - u0[q]) ** 2;
  const fitMse = se / N / scale;
  const ok = fitMse <= o.fitTolerance;
  const stopReason =
    `fit relative mse ${fitMse.toExponential(3)} ${ok ? '<=' : '>'} tolerance ${o.fitTolerance.toExponential(3)}` + ` (${phases.join(', ')})` + (ok ? '' : ' REFUSED');
  return { mse: fitMse, iterations, stopReason, tolerance: o.fitTolerance };
}
