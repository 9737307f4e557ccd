import type { Rule1D } from '../../quadrature/index.js';
import type { NetworkLayout } from '../network.js';

/**
 * The contract between the SDMM solver and whatever evaluates its losses (the float64 CPU engine,
 * or TensorFlow.js as the accelerator path). The solver owns the optimizers, the fit strategy and
 * the acceptance rule; an engine only evaluates objectives and their θ-gradients on the composite
 * Gauss tensor grid.
 *
 * Grid layout everywhere: point (i_0, …, i_{d−1}) of the tensor grid (axis a has rules[a].points.length
 * points) at flat index ((i_0·n_1 + i_1)·n_2 + i_2)…, the last axis fastest; quadrature weight
 * w_q = Π_a rules[a].weights[i_a].
 */

/** What an engine is built from. */
export interface EngineSetup {
  readonly layout: NetworkLayout;
  /** The 1D composite Gauss–Legendre rule of each axis (the tensor grid is their product). */
  readonly rules: readonly Rule1D[];
  /** ε, m, τ of the step functional Jₙ(u) = ∫ ½|∇u|² + ε⁻² F(u) + (u − uⁿ)²/(2mτ) − (s/m) u. */
  readonly epsilon: number;
  readonly mobility: number;
  readonly tau: number;
  /** Worker threads for engines that have them (default: one per core). */
  readonly threads?: number;
}

/**
 * The objectives:
 * - 'step':    Jₙ(u_θ) = Σ_q w_q [½|∇u_θ|² + ε⁻² F(u_θ) + (u_θ − uⁿ)²/(2mτ) − σ_q u_θ], σ = s/m at tⁿ⁺¹
 *              (the full value, not a difference; see `setStep`);
 * - 'fit':     mean_q (u_θ − u₀)²   (plain mean over grid points, unweighted);
 * - 'pre-fit': mean_q (α s_θ − s*)² (s the separable sum before the bounding, s* the target).
 */
export type EngineObjective = 'step' | 'fit' | 'pre-fit';

export interface SdmmEngine {
  /** e.g. 'js' (float64 CPU engine) or 'tfjs-wasm'. */
  readonly name: string;
  readonly precision: 'float64' | 'float32';
  readonly threads: number;
  /** Number of grid points N = Π_a n_a. */
  readonly points: number;
  /** Which kernels compute, where an engine has a choice (js: 'wasm-simd' or 'js'; see cpu-engine.ts). */
  readonly kernels?: string;
  /** Versions of the libraries that compute (TensorFlow.js and its backend); none for the js engine. */
  readonly versions?: Readonly<Record<string, string>>;
  /**
   * The data of the next step: uⁿ and ∇uⁿ on the grid (length N each; grad one array per axis)
   * and σ = s(·, tⁿ⁺¹)/m on the grid, or null without a source. Copied or uploaded; the caller
   * may reuse its arrays.
   */
  setStep(uPrev: Float64Array, gradPrev: readonly Float64Array[], sigma: Float64Array | null): void;
  /**
   * Move the quadrature grid to new 1D rules with the same number of points per axis (the shifted
   * grids of benchmarks/sdmm-grid-shift.ts, which measured moving grids against quadrature aliasing). Data set on the old grid (uⁿ, σ, the fit targets) is
   * stale afterwards: call setStep / setFitTargets again before evaluating.
   */
  setGrid(rules: readonly Rule1D[]): void;
  /** Targets of the initial fit: u₀ and the pre-activation target s* on the grid (length N). */
  setFitTargets(u0: Float64Array, sTarget: Float64Array): void;
  /** The objective at θ; ∇_θ of it is written into grad (length layout.size). */
  evaluate(objective: EngineObjective, theta: Float64Array, grad: Float64Array): number;
  /** u_θ and ∇u_θ on the grid in float64 (u length N; grad one array of length N per axis). */
  fieldOnGrid(theta: Float64Array, u: Float64Array, grad: readonly Float64Array[]): void;
  /** Release workers, tensors. Idempotent. */
  dispose(): void;
}
