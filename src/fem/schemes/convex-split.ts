import { NewtonMinimizer, type PointwiseModel } from './newton.js';
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
 * found by Newton (NewtonMinimizer) with the SPD Jacobian M/(mτ) + K + 3ε⁻² M_{u²}.
 */
export function convexSplitScheme(ctx: SchemeContext): TimeScheme {
  const { epsilon } = ctx.problem;
  const ie2 = 1 / (epsilon * epsilon);
  const detJw = ctx.space.basis.detJw;
  const model: PointwiseModel = {
    value(uq, old) {
      let s = 0;
      for (let i = 0; i < uq.length; i++) {
        const u = uq[i];
        const u2 = u * u;
        s += detJw[i] * (0.25 * u2 * u2 - old[i] * u);
      }
      return ie2 * s;
    },
    // ¼((u + δ)⁴ − u⁴) − uⁿδ = ¼ δ(2u + δ)((u + δ)² + u²) − uⁿδ
    delta(uq, dq, alpha, old) {
      let s = 0;
      for (let i = 0; i < uq.length; i++) {
        const u = uq[i];
        const dl = alpha * dq[i];
        const v = u + dl;
        s += detJw[i] * (0.25 * dl * (2 * u + dl) * (v * v + u * u) - old[i] * dl);
      }
      return ie2 * s;
    },
    first(uq, old, out) {
      for (let i = 0; i < uq.length; i++) out[i] = ie2 * (uq[i] * uq[i] * uq[i] - old[i]);
    },
    second(uq, _old, out) {
      for (let i = 0; i < uq.length; i++) out[i] = 3 * ie2 * uq[i] * uq[i];
    },
  };
  const newton = new NewtonMinimizer(ctx, model);
  return {
    name: 'convex-split',
    step: (uOld, uqOld, source, warm, uNew, work) => newton.minimize(uOld, uqOld, source, warm, uNew, work),
  };
}
