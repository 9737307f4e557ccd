import { movementTerm, sourceWork } from '../physics/energy.js';
import { DivergenceError } from '../solver.js';
import type { SdmmEngine } from './engine/types.js';
import { gridEnergy, newGridField, type GridField } from './grid.js';
import { adamMinimize, lbfgsMinimize, type AdamState, type LbfgsState, type Objective } from '../optim/optimizers.js';
import type { SdmmOptions } from './options.js';

/**
 * One minimizing movement step of SDMM (Mattey & Ghosh, arXiv 2405.06119) and its acceptance rule:
 *
 *   θⁿ⁺¹ ≈ argmin_θ Jₙ(u_θ),  Jₙ(u) = Σ_q w_q [½|∇u|² + ε⁻² F(u) + (u − uⁿ)²/(2mτ) − σ_q u],  σ = s/m at tⁿ⁺¹,
 *
 * warm-started from θⁿ, by the engine's 'step' objective. Acceptance is decided in float64 on the
 * grid values whatever the engine's precision: the candidate is kept only if Jₙ(u_θ) ≤ Jₙ(uⁿ)
 * (uⁿ itself is a candidate, with movement 0); otherwise uⁿ⁺¹ = uⁿ and θ is left unchanged. So
 * E(uⁿ⁺¹) + ‖uⁿ⁺¹ − uⁿ‖²/(2mτ) ≤ E(uⁿ) + Σ w σ (uⁿ⁺¹ − uⁿ) holds in float64 on every step.
 */

/** The current state uⁿ of the scheme: parameters, grid field and its float64 energy E(uⁿ). */
export interface SchemeState {
  theta: Float64Array;
  field: GridField;
  energy: number;
  /** θⁿ⁻¹, the parameters of the step before (null after the initial fit): the predictor's second point. */
  previousTheta: Float64Array | null;
}

/** The optimizer states kept across steps (warm start; saved in checkpoints). */
export interface OptimizerStates {
  lbfgs: LbfgsState;
  adam: AdamState;
}

export interface StepOutcome {
  /** The new state (the old one, same objects, when the candidate was refused). */
  state: SchemeState;
  movement: number;
  iterations: number;
  stopReason: string;
  accepted: boolean;
  /** ‖∇_θ Jₙ‖₂ at the optimizer's final iterate, and at the step's start θⁿ (NaN for Adam). */
  gradientNorm: number;
  initialGradientNorm: number;
}

/** The acceptance rule: a candidate is taken iff its float64 Jₙ does not exceed Jₙ(uⁿ). */
export function acceptCandidate(jPrevious: number, jCandidate: number): boolean {
  return jCandidate <= jPrevious;
}

/** Jₙ(u) = E(u) + movement − Σ_q w_q σ_q u_q in float64. */
export function stepFunctional(energy: number, movement: number, weights: Float64Array, sigma: Float64Array | null, u: Float64Array): number {
  return energy + movement - (sigma ? sourceWork(weights, sigma, u) : 0);
}

export interface StepContext {
  readonly engine: SdmmEngine;
  readonly weights: Float64Array;
  readonly epsilon: number;
  readonly mobility: number;
  readonly tau: number;
  readonly options: Pick<SdmmOptions, 'optimizer' | 'maxIters' | 'tol' | 'gradTol' | 'keepHistory' | 'learningRate' | 'predictor'>;
  readonly optimizers: OptimizerStates;
}

/**
 * The L-BFGS start of a step (the predictor): θⁿ, or the extrapolation θⁿ + c (θⁿ − θⁿ⁻¹) (c = the
 * `predictor` option) when its Jₙ is lower, which it is on smooth stretches of the flow since the
 * parameters move little from step to step. Either way the stop rules are measured from θⁿ (its Jₙ
 * and ‖∇_θ Jₙ‖: MinimizeOptions.reference), so the step is held to the same rules as a start at θⁿ
 * and only arrives sooner: on the reduced circle, 1,311 L-BFGS iterations over the 40 steps instead
 * of 3,295 with 20 curvature pairs (benchmarks/README.md, "SDMM whole-run speed"), and 775 instead of
 * 3,607 with the default 100, the same relative L2 at t_end to 3 digits. c < 1 damps the drift along
 * the loss's flat directions, which the optimizer never corrects (c = 1.25: steps hit the iteration
 * cap after 20 steps); c = 1 against 0.9 with 100 pairs (benchmarks/sdmm-speed.ts, idle): circle 433
 * against 775 iterations, ac1d 308 against 419, but coarsening 69,565 against 40,555. Costs one
 * evaluation per step (two with the extrapolation); θ is overwritten with the start.
 */
function predictedStart(engine: SdmmEngine, current: SchemeState, theta: Float64Array, c: number): { start: { value: number; gradient: Float64Array }; reference: { value: number; gradientNorm: number } } {
  const gradient = new Float64Array(theta.length);
  const value = engine.evaluate('step', theta, gradient);
  let gg = 0;
  for (let p = 0; p < gradient.length; p++) gg += gradient[p] * gradient[p];
  const reference = { value, gradientNorm: Math.sqrt(gg) };
  const previous = current.previousTheta;
  if (!(c > 0) || !previous || !Number.isFinite(value)) return { start: { value, gradient }, reference };
  const trial = new Float64Array(theta.length);
  for (let p = 0; p < theta.length; p++) trial[p] = theta[p] + c * (theta[p] - previous[p]);
  const gTrial = new Float64Array(theta.length);
  const fTrial = engine.evaluate('step', trial, gTrial);
  if (!(fTrial < value)) return { start: { value, gradient }, reference };
  theta.set(trial);
  return { start: { value: fTrial, gradient: gTrial }, reference };
}

/**
 * Take step n → n + 1 from `current` (not modified). σ is the scaled source at tⁿ⁺¹ or null.
 * Throws DivergenceError when the loss or the float64 Jₙ is not finite.
 */
export function minimizingMovementStep(ctx: StepContext, current: SchemeState, sigma: Float64Array | null, next: number): StepOutcome {
  const { engine, weights, options: o } = ctx;
  engine.setStep(current.field.u, current.field.grad, sigma);
  const jPrev = stepFunctional(current.energy, 0, weights, sigma, current.field.u);
  const theta = new Float64Array(current.theta);
  const objective: Objective = (th, grad) => engine.evaluate('step', th, grad);
  if (!o.keepHistory) {
    ctx.optimizers.lbfgs.count = 0;
    ctx.optimizers.lbfgs.head = 0;
  }
  const res =
    o.optimizer === 'lbfgs'
      ? lbfgsMinimize(objective, theta, ctx.optimizers.lbfgs, { maxIters: o.maxIters, tol: o.tol, gradTol: o.gradTol, ...predictedStart(engine, current, theta, o.predictor) })
      : adamMinimize(objective, theta, ctx.optimizers.adam, { maxIters: o.maxIters, tol: o.tol, learningRate: o.learningRate });
  const stopAt = next - 1;
  if (res.stopReason === 'non-finite') {
    throw new DivergenceError(
      `SDMM step ${next}: the loss Jₙ became ${Number.isNaN(res.initial) || Number.isNaN(res.best) ? 'NaN' : 'infinite'} (${o.optimizer}); the run stops at step ${stopAt}`,
      next,
    );
  }
  const field = newGridField(engine.points, current.field.grad.length);
  engine.fieldOnGrid(theta, field.u, field.grad);
  const energy = gridEnergy(weights, field, ctx.epsilon);
  const movement = movementTerm(weights, field.u, current.field.u, ctx.mobility, ctx.tau);
  const jNew = stepFunctional(energy, movement, weights, sigma, field.u);
  if (!Number.isFinite(jNew)) throw new DivergenceError(`SDMM step ${next}: float64 Jₙ is ${jNew}; the run stops at step ${stopAt}`, next);
  if (!acceptCandidate(jPrev, jNew)) {
    return {
      state: current,
      movement: 0,
      iterations: res.iterations,
      stopReason: `${res.stopReason}; kept previous (float64 Jn did not decrease)`,
      accepted: false,
      gradientNorm: res.gradientNorm,
      initialGradientNorm: res.initialGradientNorm,
    };
  }
  return {
    state: { theta, field, energy, previousTheta: current.theta },
    movement,
    iterations: res.iterations,
    stopReason: res.stopReason,
    accepted: true,
    gradientNorm: res.gradientNorm,
    initialGradientNorm: res.initialGradientNorm,
  };
}
