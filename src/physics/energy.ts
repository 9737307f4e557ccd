import { tanh } from '../util/portable-math.js';
import { DOUBLE_WELL } from './potential.js';

/**
 * The Ginzburg–Landau energy and the minimizing movement functional, in the one scaling used
 * everywhere (DESIGN.md §1):
 *
 *   f(u) = F'(u) = u³ − u,   F(u) = ¼ (u² − 1)²
 *   E(u) = ∫_Ω ½ |∇u|² + ε⁻² F(u) dx
 *   Jₙ(u) = E(u) + ‖u − uⁿ‖²_{L²} / (2 m τ) − (1/m) ∫ s u
 *
 * (the source enters as s/m so that the Euler–Lagrange equation is u_t = m(Δu − ε⁻² f(u)) + s
 * for any mobility).
 *
 * The potential itself is the DOUBLE_WELL object (potential.ts); the step functional as one object
 * is StepFunctional (step-functional.ts), which sums through the functions below. Both solvers
 * evaluate these terms through them from values at quadrature points
 * (FEM: mapped element rules; SDMM: the composite Gauss tensor grid), in float64, so every energy
 * in a benchmark is computed the same way.
 */

/** Double-well potential F(u) = ¼ (u² − 1)² (DOUBLE_WELL.F). */
export const potential = DOUBLE_WELL.F;

/** f(u) = F'(u) = u³ − u (DOUBLE_WELL.f). */
export const potentialDerivative = DOUBLE_WELL.f;

/** f'(u) = F''(u) = 3u² − 1 (DOUBLE_WELL.fPrime). */
export const potentialSecondDerivative = DOUBLE_WELL.fPrime;

/** ε⁻² Σ_q w_q F(u_q): the bulk (double-well) part of E. */
export function potentialEnergy(weights: Float64Array, u: ArrayLike<number>, epsilon: number): number {
  let s = 0;
  for (let q = 0; q < weights.length; q++) {
    const a = u[q] * u[q] - 1;
    s += weights[q] * a * a;
  }
  return (0.25 * s) / (epsilon * epsilon);
}

/**
 * ½ Σ_q w_q |∇u_q|²: the gradient part of E. `gradients` holds one array per space dimension,
 * each aligned with `weights` (gradients[k][q] = ∂u/∂x_k at point q).
 */
export function gradientEnergy(weights: Float64Array, gradients: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (let q = 0; q < weights.length; q++) {
    let g2 = 0;
    for (let k = 0; k < gradients.length; k++) g2 += gradients[k][q] * gradients[k][q];
    s += weights[q] * g2;
  }
  return 0.5 * s;
}

/** ‖u − uⁿ‖² / (2 m τ) by quadrature: the movement (proximal) term of Jₙ. */
export function movementTerm(
  weights: Float64Array,
  u: ArrayLike<number>,
  uPrevious: ArrayLike<number>,
  mobility: number,
  tau: number,
): number {
  let s = 0;
  for (let q = 0; q < weights.length; q++) {
    const d = u[q] - uPrevious[q];
    s += weights[q] * d * d;
  }
  return s / (2 * mobility * tau);
}

/** Σ_q w_q s_q u_q: the source work ∫ s u (Jₙ subtracts it divided by m). */
export function sourceWork(weights: Float64Array, source: ArrayLike<number>, u: ArrayLike<number>): number {
  let s = 0;
  for (let q = 0; q < weights.length; q++) s += weights[q] * source[q] * u[q];
  return s;
}

/** Energy per unit length of the 1D steady front u = tanh(x / (√2 ε)) on ℝ: 2√2 / (3ε). */
export function frontEnergyPerLength(epsilon: number): number {
  return (2 * Math.SQRT2) / (3 * epsilon);
}

/**
 * The 1D steady front tanh(d / (√2 ε)) at signed distance d (the portable tanh of
 * src/util/portable-math.ts, so u₀ has the same bits in Node and in a browser).
 */
export function frontProfile(d: number, epsilon: number): number {
  return tanh(d / (Math.SQRT2 * epsilon));
}
