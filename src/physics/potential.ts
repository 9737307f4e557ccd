/**
 * The double-well potential of the Allen–Cahn equation as one named object (DESIGN.md §1):
 *
 *   F(u) = ¼ (u² − 1)²,   f(u) = F'(u) = u³ − u,   f'(u) = F''(u) = 3u² − 1,
 *
 * with the pieces the time schemes need: the change F(u + δ) − F(u) written without
 * cancellation (line searches compare iterates whose F differs by far less than ε_mach·F), and
 * Eyre's convex splitting F = F_c − F_e, F_c(u) = ¼u⁴ + ¼, F_e(u) = ½u² (both convex), for the
 * convex-split scheme (D. J. Eyre, MRS Proc. 529, 1998).
 *
 * Every member is a plain function of numbers: safe to call from a hot loop (no allocation).
 * A different potential (e.g. a logarithmic Flory–Huggins well) is a second object of this type.
 */
export interface Potential {
  readonly name: string;
  /** F(u). */
  F(u: number): number;
  /** f(u) = F'(u). */
  f(u: number): number;
  /** f'(u) = F''(u). */
  fPrime(u: number): number;
  /** F(u + δ) − F(u), accurate to round-off of the change (not of F). */
  change(u: number, delta: number): number;
  /** Eyre's splitting F = F_c − F_e into convex parts (F_c implicit, F_e explicit). */
  readonly split: ConvexSplit;
}

/** F = F_c − F_e with F_c and F_e convex; constants dropped (they do not move a minimizer). */
export interface ConvexSplit {
  /** F_c(u) without its constant. */
  convex(u: number): number;
  /** F_c(u + δ) − F_c(u) without cancellation. */
  convexChange(u: number, delta: number): number;
  /** F_c'(u). */
  convexDerivative(u: number): number;
  /** F_c''(u) ≥ 0. */
  convexSecond(u: number): number;
  /** F_e'(u): the explicit part of f = F_c' − F_e'. */
  expansiveDerivative(u: number): number;
}

/** The quartic double well F(u) = ¼(u² − 1)² with minima at u = ±1. */
export const DOUBLE_WELL: Potential = Object.freeze({
  name: 'double-well',
  F(u: number): number {
    const s = u * u - 1;
    return 0.25 * s * s;
  },
  f(u: number): number {
    return u * (u * u - 1);
  },
  fPrime(u: number): number {
    return 3 * u * u - 1;
  },
  // F(u + δ) − F(u) = ¼ (a − b)(a + b), a = (u + δ)² − 1, b = u² − 1: a − b = δ(2u + δ).
  change(u: number, delta: number): number {
    const v = u + delta;
    return 0.25 * delta * (2 * u + delta) * (v * v + u * u - 2);
  },
  split: Object.freeze({
    // F_c = ¼u⁴ (+ ¼), F_e = ½u²: F_c − F_e = ¼u⁴ − ½u² + ¼ = F.
    convex(u: number): number {
      const u2 = u * u;
      return 0.25 * u2 * u2;
    },
    // ¼((u + δ)⁴ − u⁴) = ¼ δ(2u + δ)((u + δ)² + u²)
    convexChange(u: number, delta: number): number {
      const v = u + delta;
      return 0.25 * delta * (2 * u + delta) * (v * v + u * u);
    },
    convexDerivative(u: number): number {
      return u * u * u;
    },
    convexSecond(u: number): number {
      return 3 * u * u;
    },
    expansiveDerivative(u: number): number {
      return u;
    },
  }),
});
