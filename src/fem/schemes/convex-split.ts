import { NewtonMinimizer, type NewtonSettings, type PointwiseModel } from './newton.js';
import type { SchemeContext, TimeScheme } from './types.js';

/**
 * `convex-split`: Eyre's convex splitting (D. J. Eyre, "Unconditionally gradient stable time
 * marching the Cahn–Hilliard equation", MRS Proc. 529, 1998). F = F_c − F_e with
 * F_c(u) = ¼u⁴ + ¼ (convex, implicit) and F_e(u) = ½u² (convex, explicit):
 *
 *   (uⁿ⁺¹ − uⁿ)/(m τ) = Δuⁿ⁺¹ − ε⁻² ((uⁿ⁺¹)³ − uⁿ) + s(tⁿ⁺¹)/m,
 *
 * first order in τ, unconditionally energy stable. uⁿ⁺¹ is the minimizer of the strictly convex
 *
 *   Φ(u) = ½∫|∇u|² + ‖u − uⁿ‖²/(2mτ) + ε⁻² ∫ (¼u⁴ − uⁿ u) − (1/m) ∫ s u,
 *
 * found by Newton (NewtonMinimizer) with the SPD Jacobian M/(mτ) + K + 3ε⁻² M_{u²}. The splitting
 * is the potential's own (StepFunctional.potential.split, src/physics/potential.ts).
 */
export function convexSplitScheme(ctx: SchemeContext, settings: NewtonSettings): TimeScheme {
  const J = ctx.functional;
  const { convex, convexChange, convexDerivative, convexSecond, expansiveDerivative } = J.potential.split;
  const scale = J.bulkScale;
  const detJw = ctx.space.basis.detJw;
  const model: PointwiseModel = {
    // ε⁻² Σ w (F_c(u) − F_e'(uⁿ) u)
    value(uq, old) {
      let s = 0;
      for (let i = 0; i < uq.length; i++) s += detJw[i] * (convex(uq[i]) - expansiveDerivative(old[i]) * uq[i]);
      return scale * s;
    },
    delta(uq, dq, alpha, old) {
      let s = 0;
      for (let i = 0; i < uq.length; i++) {
        const dl = alpha * dq[i];
        s += detJw[i] * (convexChange(uq[i], dl) - expansiveDerivative(old[i]) * dl);
      }
      return scale * s;
    },
    first(uq, old, out) {
      for (let i = 0; i < uq.length; i++) out[i] = scale * (convexDerivative(uq[i]) - expansiveDerivative(old[i]));
    },
    second(uq, _old, out) {
      for (let i = 0; i < uq.length; i++) out[i] = scale * convexSecond(uq[i]);
    },
  };
  const newton = new NewtonMinimizer(ctx, model, settings);
  return {
    name: 'convex-split',
    step: (uOld, uqOld, source, warm, uNew, work) => newton.minimize(uOld, uqOld, source, warm, uNew, work),
  };
}
