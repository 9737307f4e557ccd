import { DOUBLE_WELL } from '../../physics/potential.js';
import { tanh } from '../../util/portable-math.js';
/**
 * The objectives' densities on one grid line (the last axis, n points, flat indices q0 … q0 + n − 1),
 * from the separable sums s and ∂_a s on that line. Each writes what the reverse contraction
 * needs: Gs = ∂J/∂s and Gd[a·n + j] = ∂J/∂(∂_a s) per point (quadrature weight included), and adds
 * the line's value and ∂J/∂α to acc[0], acc[1].
 *
 * With u = tanh(αs) (bounded) the chain rule through u and ∂_a u = α(1 − u²) ∂_a s gives
 *   ∂J/∂s      = w α(1 − u²) [∂φ/∂u − 2αu Σ_a ∂φ/∂(∂_a u) ∂_a s]
 *   ∂J/∂(∂_a s) = w α(1 − u²) ∂φ/∂(∂_a u)
 *   ∂J/∂α      = w (1 − u²) [∂φ/∂u s + Σ_a ∂φ/∂(∂_a u) ∂_a s (1 − 2αus)]
 * and without the bounding (u = αs): w α ∂φ/∂u, w α ∂φ/∂(∂_a u), w [∂φ/∂u s + Σ_a ∂φ/∂(∂_a u) ∂_a s].
 * (DESIGN.md §2, "Engine"; the densities are those of src/sdmm/engine/types.ts.)
 *
 * Line layouts: s, Gs (n); ds, Gd (d × n, axis-major: ds[a·n + j]); w (n) the last axis's weights,
 * multiplied by the line's weight product wLine = Π_{a<d−1} w_a(i_a) (w_q = Π_a w_a(i_a)).
 */

/** The double well F and f = F′ of the step functional (src/physics/potential.ts), the one definition both solvers use. */
const { F, f } = DOUBLE_WELL;

/**
 * Jₙ density φ = ½|∇u|² + ε⁻² ¼(u² − 1)² + (u − uⁿ)²/(2mτ) − σu, with
 * ∂φ/∂u = ε⁻² (u³ − u) + (u − uⁿ)/(mτ) − σ and ∂φ/∂(∂_a u) = ∂_a u.
 * uPrev, sigma: the grid arrays (sigma null: no source).
 */
export function stepDensityLine(
  n: number,
  d: number,
  q0: number,
  wLine: number,
  w: Float64Array,
  s: Float64Array,
  ds: Float64Array,
  uPrev: Float64Array,
  sigma: Float64Array | null,
  alpha: number,
  bound: boolean,
  invEps2: number,
  invMovement: number,
  Gs: Float64Array,
  Gd: Float64Array,
  acc: Float64Array,
): void {
  if (d === 2 && bound) {
    stepDensityLine2Bound(n, q0, wLine, w, s, ds, uPrev, sigma, alpha, invEps2, invMovement, Gs, Gd, acc);
    return;
  }
  let value = 0;
  let gAlpha = 0;
  const twoInvMovement = 2 * invMovement;
  for (let j = 0; j < n; j++) {
    const wq = wLine * w[j];
    const sj = s[j];
    let u: number;
    let g: number;
    let one: number;
    if (bound) {
      u = tanh(alpha * sj);
      one = 1 - u * u;
      g = alpha * one;
    } else {
      u = alpha * sj;
      one = 1;
      g = alpha;
    }
    // Σ_a ∂φ/∂(∂_a u) ∂_a s = g Σ_a (∂_a s)², and |∇u|² = g² Σ_a (∂_a s)².
    let ds2 = 0;
    for (let a = 0; a < d; a++) {
      const v = ds[a * n + j];
      ds2 += v * v;
    }
    const du = u - uPrev[q0 + j];
    const src = sigma === null ? 0 : sigma[q0 + j];
    const phi = 0.5 * g * g * ds2 + invEps2 * F(u) + invMovement * du * du - src * u;
    const phiU = invEps2 * f(u) + twoInvMovement * du - src;
    const c = g * ds2;
    const wg = wq * g;
    value += wq * phi;
    if (bound) {
      Gs[j] = wg * (phiU - 2 * alpha * u * c);
      gAlpha += wq * one * (phiU * sj + c * (1 - 2 * alpha * u * sj));
    } else {
      Gs[j] = wg * phiU;
      gAlpha += wq * (phiU * sj + c);
    }
    const wgg = wg * g;
    for (let a = 0; a < d; a++) Gd[a * n + j] = wgg * ds[a * n + j];
  }
  acc[0] += value;
  acc[1] += gAlpha;
}

/** stepDensityLine for the common case d = 2 with the bounding, without the loops over axes. */
function stepDensityLine2Bound(
  n: number,
  q0: number,
  wLine: number,
  w: Float64Array,
  s: Float64Array,
  ds: Float64Array,
  uPrev: Float64Array,
  sigma: Float64Array | null,
  alpha: number,
  invEps2: number,
  invMovement: number,
  Gs: Float64Array,
  Gd: Float64Array,
  acc: Float64Array,
): void {
  let value = 0;
  let gAlpha = 0;
  const twoInvMovement = 2 * invMovement;
  const twoAlpha = 2 * alpha;
  for (let j = 0; j < n; j++) {
    const wq = wLine * w[j];
    const sj = s[j];
    const u = tanh(alpha * sj);
    const one = 1 - u * u;
    const g = alpha * one;
    const dx = ds[j];
    const dy = ds[n + j];
    const ds2 = dx * dx + dy * dy;
    const du = u - uPrev[q0 + j];
    const src = sigma === null ? 0 : sigma[q0 + j];
    const c = g * ds2;
    value += wq * (0.5 * g * c + invEps2 * F(u) + invMovement * du * du - src * u);
    const phiU = invEps2 * f(u) + twoInvMovement * du - src;
    const wg = wq * g;
    Gs[j] = wg * (phiU - twoAlpha * u * c);
    gAlpha += wq * one * (phiU * sj + c * (1 - twoAlpha * u * sj));
    const wgg = wg * g;
    Gd[j] = wgg * dx;
    Gd[n + j] = wgg * dy;
  }
  acc[0] += value;
  acc[1] += gAlpha;
}

/** Fit density φ = (u − u₀)²/N (the plain mean over the grid), ∂φ/∂u = 2(u − u₀)/N. */
export function fitDensityLine(
  n: number,
  q0: number,
  s: Float64Array,
  u0: Float64Array,
  alpha: number,
  bound: boolean,
  invN: number,
  Gs: Float64Array,
  acc: Float64Array,
): void {
  let value = 0;
  let gAlpha = 0;
  for (let j = 0; j < n; j++) {
    const sj = s[j];
    const u = bound ? tanh(alpha * sj) : alpha * sj;
    const e = u - u0[q0 + j];
    value += e * e;
    const phiU = 2 * invN * e;
    const one = bound ? 1 - u * u : 1;
    Gs[j] = alpha * one * phiU;
    gAlpha += one * sj * phiU;
  }
  acc[0] += invN * value;
  acc[1] += gAlpha;
}

/** Pre-fit density φ = (αs − s*)²/N on s itself: ∂φ/∂s = 2α(αs − s*)/N, ∂φ/∂α = 2s(αs − s*)/N. */
export function preFitDensityLine(
  n: number,
  q0: number,
  s: Float64Array,
  sTarget: Float64Array,
  alpha: number,
  invN: number,
  Gs: Float64Array,
  acc: Float64Array,
): void {
  let value = 0;
  let gAlpha = 0;
  for (let j = 0; j < n; j++) {
    const sj = s[j];
    const e = alpha * sj - sTarget[q0 + j];
    value += e * e;
    Gs[j] = 2 * invN * alpha * e;
    gAlpha += 2 * invN * sj * e;
  }
  acc[0] += invN * value;
  acc[1] += gAlpha;
}

/** u and ∂_a u = g ∂_a s on a line, written at flat indices q0 + j (u: N; grad[a]: N). */
export function fieldLine(
  n: number,
  d: number,
  q0: number,
  s: Float64Array,
  ds: Float64Array,
  alpha: number,
  bound: boolean,
  u: Float64Array,
  grad: readonly Float64Array[],
): void {
  for (let j = 0; j < n; j++) {
    const as = alpha * s[j];
    let g = alpha;
    if (bound) {
      const v = tanh(as);
      u[q0 + j] = v;
      g = alpha * (1 - v * v);
    } else u[q0 + j] = as;
    for (let a = 0; a < d; a++) grad[a][q0 + j] = g * ds[a * n + j];
  }
}
