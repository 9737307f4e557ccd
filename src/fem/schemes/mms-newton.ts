import { NewtonMinimizer, type NewtonSettings, type PointwiseModel } from './newton.js';
import type { SchemeContext, TimeScheme } from './types.js';

/**
 * Fraction θ of the bound that keeps the Newton Hessian positive definite: ε⁻² f'(u) is
 * replaced by max(ε⁻² f'(u), −θ/(m τ)), so the mass-like weight 1/(mτ) + ε⁻² f' stays
 * ≥ (1 − θ)/(mτ) > 0 at every quadrature point. Exact Newton whenever m τ ≤ θ ε² (f' ≥ −1).
 */
export const HESSIAN_SHIFT_FRACTION = 0.9;

/**
 * `mms-newton`: the exact minimizing movement step (De Giorgi; Jordan–Kinderlehrer–Otto 1998),
 *
 *   uⁿ⁺¹ = argmin_u Jₙ(u),  Jₙ(u) = E(u) + ‖u − uⁿ‖²/(2 m τ) − (1/m) ∫ s(tⁿ⁺¹) u,
 *
 * whose Euler–Lagrange equation is backward Euler (first order in τ). Jₙ is convex when
 * m τ ≤ ε²; beyond that the Hessian M/(mτ) + K + ε⁻² M_{f'(u)} can be indefinite, so Newton uses
 * the modified Hessian above and an Armijo line search on Jₙ itself (NewtonMinimizer): Jₙ
 * decreases monotonically from uⁿ, hence E(uⁿ⁺¹) + ‖uⁿ⁺¹ − uⁿ‖²/(2mτ) ≤ E(uⁿ) (without source).
 * Pointwise part from the step functional (src/physics): G = ε⁻² F, G' = ε⁻² f, G'' = ε⁻² f'
 * (bulkEnergy, reaction, reactionDerivative), the line search's change through bulkEnergyChange.
 */
export function mmsNewtonScheme(ctx: SchemeContext, settings: NewtonSettings): TimeScheme {
  const J = ctx.functional;
  const lower = -HESSIAN_SHIFT_FRACTION * J.proximalWeight;
  const detJw = ctx.space.basis.detJw;
  const model: PointwiseModel = {
    value: (uq) => J.bulkEnergy(detJw, uq),
    delta: (uq, dq, alpha) => J.bulkEnergyChange(detJw, uq, dq, alpha),
    first(uq, _old, out) {
      for (let i = 0; i < uq.length; i++) out[i] = J.reaction(uq[i]);
    },
    second(uq, _old, out) {
      for (let i = 0; i < uq.length; i++) {
        const h = J.reactionDerivative(uq[i]);
        out[i] = h > lower ? h : lower;
      }
    },
  };
  const newton = new NewtonMinimizer(ctx, model, settings);
  return {
    name: 'mms-newton',
    step: (uOld, uqOld, source, warm, uNew, work) => newton.minimize(uOld, uqOld, source, warm, uNew, work),
  };
}
