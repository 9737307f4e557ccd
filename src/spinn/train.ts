import { adamMinimize, createAdamState, createLbfgsState, lbfgsMinimize, type MinimizeResult, type Objective } from '../optim/optimizers.js';
import type { LossParts, SpinnLoss } from './loss.js';
import type { ResolvedSpinnOptions } from './options.js';

/**
 * Training of SPINN once over the whole space-time box: optionally an IC warm start (L-BFGS on
 * the pre-activation misfit, SpinnLoss.evaluateWarmStart), then Adam (Kingma & Ba 2015) on fixed
 * collocation points, or on points re-drawn every `resampleEvery` iterations (the Adam moments
 * carry over between draws), then optionally L-BFGS on the last point set, as in the PINN
 * literature for Allen–Cahn (Raissi et al. 2019; Wang et al. 2022).
 *
 * The optimizers are the shared float64 L-BFGS and Adam of src/optim/ (SDMM uses the same).
 */
const OptimizerVector = Float64Array;

export interface TrainingPhase {
  optimizer: 'warm-start' | 'adam' | 'lbfgs';
  iterations: number;
  evaluations: number;
  stopReason: string;
  initialLoss: number;
  finalLoss: number;
}

export interface TrainingReport {
  phases: TrainingPhase[];
  /** Optimizer iterations over all phases. */
  iterations: number;
  /** Loss evaluations over all phases. */
  evaluations: number;
  /** The loss and its parts at the returned θ, on the last collocation set. */
  loss: LossParts;
  /** One line: what ran and why each phase stopped. */
  summary: string;
}

/** Train θ in place; throws if a loss becomes non-finite (the report names the phase). */
export function trainSpinn(loss: SpinnLoss, theta: Float64Array, o: ResolvedSpinnOptions): TrainingReport {
  const P = theta.length;
  const work = new Float64Array(P);
  const objective: Objective = (th, grad) => {
    for (let p = 0; p < P; p++) work[p] = th[p];
    return loss.evaluate(work, grad);
  };
  const vector = new OptimizerVector(theta);
  const phases: TrainingPhase[] = [];
  const record = (optimizer: TrainingPhase['optimizer'], res: MinimizeResult) => {
    phases.push({ optimizer, iterations: res.iterations, evaluations: res.evaluations, stopReason: res.stopReason, initialLoss: res.initial, finalLoss: res.best });
    if (res.stopReason === 'non-finite') throw new Error(`SPINN training (${optimizer}): the loss became NaN or infinite (lower learningRate, or check the problem)`);
  };
  if (o.warmStartIters > 0) {
    const warm: Objective = (th, grad) => {
      for (let p = 0; p < P; p++) work[p] = th[p];
      return loss.evaluateWarmStart(work, grad);
    };
    // L-BFGS: on this smooth least-squares fit it reached an IC misfit of 1.5e-3 on the star in 3000
    // iterations, where Adam (lr 5e-3) stalled at 0.16 after 2000.
    record('warm-start', lbfgsMinimize(warm, vector, createLbfgsState(P, o.historySize), { maxIters: o.warmStartIters, tol: 0 }));
  }
  const useAdam = o.optimizer !== 'lbfgs' && o.adamIters > 0;
  const useLbfgs = o.optimizer !== 'adam' && o.lbfgsIters > 0;
  if (useAdam) {
    const state = createAdamState(P);
    if (o.resampleEvery > 0) {
      // One Adam run per draw of the collocation points; the moments persist across draws.
      const total: MinimizeResult = { iterations: 0, evaluations: 0, stopReason: 'max-iters', initial: NaN, best: NaN, initialGradientNorm: NaN, gradientNorm: NaN };
      for (let done = 0; done < o.adamIters; ) {
        if (done > 0) loss.resample();
        const chunk = Math.min(o.resampleEvery, o.adamIters - done);
        const res = adamMinimize(objective, vector, state, { maxIters: chunk, tol: -1, learningRate: o.learningRate });
        if (done === 0) total.initial = res.initial;
        total.iterations += res.iterations;
        total.evaluations += res.evaluations;
        total.best = res.best;
        done += chunk;
        if (res.stopReason === 'non-finite') {
          total.stopReason = 'non-finite';
          break;
        }
      }
      record('adam', total);
    } else {
      // tol −1: run every iteration (Adam's loss on a PINN plateaus and oscillates for long
      // stretches before it falls again; a no-progress window stopped it after 37 iterations on ac1d).
      record('adam', adamMinimize(objective, vector, state, { maxIters: o.adamIters, tol: -1, learningRate: o.learningRate }));
    }
  }
  if (useLbfgs) {
    record('lbfgs', lbfgsMinimize(objective, vector, createLbfgsState(P, o.historySize), { maxIters: o.lbfgsIters, tol: 0 }));
  }
  for (let p = 0; p < P; p++) theta[p] = vector[p];
  loss.evaluate(theta);
  const parts = { ...loss.parts };
  const iterations = phases.reduce((a, p) => a + p.iterations, 0);
  const evaluations = phases.reduce((a, p) => a + p.evaluations, 0) + 1;
  const summary =
    `trained: ${phases.map((p) => `${p.optimizer} ${p.iterations} ${p.stopReason}`).join(', ') || 'no iterations'}; ` +
    `loss ${parts.total.toExponential(3)} (residual ${parts.residualMean.toExponential(3)}, ic ${parts.ic.toExponential(3)}, boundary ${parts.boundary.toExponential(3)}` +
    `${o.causal ? `, last causal weight ${parts.lastCausalWeight.toExponential(2)}` : ''})`;
  return { phases, iterations, evaluations, loss: parts, summary };
}
