import type { Rule1D } from '../quadrature/index.js';
import { symmetricEigen } from '../linalg/symmetric-eigen.js';
import { mulberry32 } from '../physics/random.js';
import { DivergenceError, type SolverProgress } from '../solver.js';
import { AxisMlp } from './engine/axis-mlp.js';
import type { SdmmEngine } from './engine/types.js';
import type { NetworkLayout } from './network.js';
import { createLbfgsState, lbfgsMinimize, type MinimizeResult } from '../optim/optimizers.js';
import type { SdmmOptions } from './options.js';
import type { FitReport } from './state.js';
import { atanh, cos, exp, log, sin, tanh } from '../util/portable-math.js';

/**
 * Step 0 of SDMM: fit u_θ = tanh(α s_θ), s_θ = Σ_k Π_a X_k^a(x_a), to u₀ on the quadrature grid.
 * The fit error is the relative MSE  mean_q (u_θ − u₀)² / mean_q u₀²  (relative to the mean
 * square of u₀, so small-amplitude data is held to the same relative accuracy as a ±1 field).
 *
 * Route (DESIGN.md §2: the fit decides the accuracy of everything after it):
 *  1. Pre-activation target s* = atanh(clip(u₀))/α on the tensor grid (u₀/α without the bounding;
 *     atanh, and cos/sin below, are the portable ones of src/util/portable-math.ts, so the fit
 *     takes the same path in every JavaScript engine);
 *     clip(u) keeps |u| ≤ 1 − 2⁻⁵⁰ so that atanh is finite where u₀ rounds to ±1.
 *  2. Separable factors: in 2D the truncated SVD S* ≈ Σ_{k<r} σ_k U_k V_kᵀ (svdFactors) gives the
 *     rank-r factors X*_k = √σ_k U_k, Y*_k = √σ_k V_k directly (the best rank-r approximation in the
 *     Frobenius norm, Eckart–Young); in 1D the target itself, s = Σ_k X_k, is split evenly over the
 *     r outputs (only their sum enters u, and the gradient of every output is the same).
 *  3. Per axis, a 1D regression of the axis MLP onto its factors (float64, the engine's AxisMlp),
 *     from a seeded start whose first-layer ramps sit where the factors bend (centreDensity,
 *     regressionStart): variable projection, i.e. L-BFGS on the axis's hidden weights with the last
 *     layer re-solved by ridge least squares at every evaluation, the ridge term part of the
 *     objective (projectedMisfit). In 2D the misfit of axis x is Σ_k ‖Y*_k‖² ‖X_k − X*_k‖² / N, the first-order
 *     contribution of its error to mean_q (s − s*)² (the V_k are orthonormal); in 1D it is
 *     mean_i w_i (Σ_k X_k(x_i) − s*_i)² with w_i = α²((1 − u₀ᵢ²)² + 10⁻⁶) / mean u₀², the linearised relative
 *     u-error (u − u₀ ≈ α(1 − u₀²)(s − s*)), so a log-singular s* (ac1d touches u = −1) costs nothing
 *     where u cannot see it.
 *  4. L-BFGS on the MSE of u itself through the engine (the full network, α included when trained).
 * Each L-BFGS phase stops at its target, at fitMaxIters iterations, or when the line search can no
 * longer decrease the misfit (working precision). Inputs the network cannot represent are reported,
 * not hidden: ac1d's u₀ = x² cos πx has a kink at the periodic boundary (slopes −2 and +2 where it
 * touches u = −1), which a smooth periodic network under tanh reaches only to relative MSE ≈ 2e-7 on
 * the reduced grid after 2,000 iterations per phase (150 s), 1e-6 on coarse grids.
 *
 * θ is updated in place. The achieved MSE is measured in float64 from the engine's grid values,
 * i.e. on the field the time steps start from.
 */

/** |u| ≤ 1 − 2⁻⁵⁰ before atanh: atanh(1 − 2⁻⁵⁰) ≈ 17.7, tanh of it is 1 to 1e-15. */
const CLIP = 1 - 2 ** -50;

/**
 * Floor of the 1D row weights (1 − u₀²)²: where u₀ = ±1 to rounding the linearised weight vanishes and
 * would leave s free to take the wrong sign there (front1d: a far field at u = −1 instead of +1).
 * 1e-6 keeps that far field in place while a one-point log cusp of s* (ac1d) costs ~1e-9.
 */
const ROW_WEIGHT_FLOOR = 1e-6;

/**
 * L-BFGS history of the fit's phases: 60 pairs take 1.5× fewer iterations than 20 on the circle's
 * axis regressions (measured: 1433 + 944 against 2000+ + 1438 iterations to the same misfit).
 */
const FIT_HISTORY = 60;

/**
 * Each axis regression stops at its misfit ≤ ½ fitTolerance / (d κ), κ = mean_q (1 − u₀²)² (1 without
 * the bounding): the misfit measures the error of s, and u − u₀ ≈ α (1 − u₀²)(s − s*) scales it by
 * κ on average. For a ±1 field (circle: κ ≈ 0.1) this stops the axes 5× earlier than the bare bound
 * (measured: 2.5× fewer axis iterations, u-MSE after the axes 3.9e-9 ≤ 1e-8); for small-amplitude
 * data (coarsening, κ ≈ 1) it keeps the bound, which is tight there. In 1D the row weights already
 * hold (1 − u₀²)², so κ = 1 there (measured on ac1d: with κ the axis phase stopped after 52 iterations
 * and left 977 slow iterations to the u-phase).
 */
const AXIS_TARGET_SAFETY = 0.5;
/**
 * In 1D the linearised misfit underestimates the u-error about 3× near ac1d's kink, and the axis
 * regression converges far faster than the u-phase through the engine: stop it at 0.1 · fitTolerance
 * (measured on ac1d at fitTolerance 1e-5: 194 axis iterations and none in the u-phase, MSE 2.5e-6,
 * against 59 + 330 and 1.0e-5 at 0.5, in the same wall time).
 */
const AXIS_TARGET_SAFETY_1D = 0.1;

/** What the fit reports besides the FitReport: the rank-r SVD's own error (what rank alone allows). */
export interface FitDiagnostics extends FitReport {
  /** Relative MSE of tanh(α · rank-r truncation of s*) against u₀ (2D; 0 in 1D). */
  truncationMse: number;
  /** Wall time of each phase in ms. */
  phaseMs: Record<string, number>;
}

export function preActivationTarget(u0: Float64Array, bound: boolean, alpha: number): Float64Array {
  const s = new Float64Array(u0.length);
  for (let q = 0; q < u0.length; q++) {
    const v = u0[q];
    s[q] = bound ? atanh(Math.max(-CLIP, Math.min(CLIP, v))) / alpha : v / alpha;
  }
  return s;
}

/**
 * Rank-r factors of a 2D grid target S* (n_x × n_y, row-major) by truncated SVD: X* (n_x × r),
 * Y* (n_y × r) row-major with X*_k = √σ_k U_k, Y*_k = √σ_k V_k; columns beyond the matrix rank are ≈ 0.
 * Computed from the Gram matrix of the shorter side (n_y ≤ n_x: G = S*ᵀS* = V Σ² Vᵀ, symmetricEigen):
 * V_k its k-th eigenvector, σ_k = ‖S* V_k‖ and √σ_k U_k = S* V_k/√σ_k, so X*_k Y*_kᵀ = S* V_k V_kᵀ
 * exactly and Σ_k X*_k Y*_kᵀ = S* P_V, the projection on the computed subspace. The Gram squares the
 * condition: V_k is off by ≈ ε σ_1² / (σ_k² − σ_{k±1}²) in angle, which changes the rank-r
 * approximation error only to second order (Eckart–Young: the error is stationary in the subspace);
 * on the reduced star the u-error of the truncation is 7.2e-11 as with ml-matrix's SVD (measured),
 * at 10–35 ms instead of 80–440 ms.
 */
export function svdFactors(target: Float64Array, nx: number, ny: number, rank: number): { X: Float64Array; Y: Float64Array; sigma: Float64Array } {
  const byColumns = ny <= nx;
  const m = byColumns ? ny : nx;
  const len = byColumns ? nx : ny;
  // G = S*ᵀS* (m = n_y) or S* S*ᵀ (m = n_x), lower triangle (symmetricEigen reads it).
  const G = new Float64Array(m * m);
  if (byColumns) {
    for (let i = 0; i < nx; i++) {
      const row = i * ny;
      for (let a = 0; a < ny; a++) {
        const sa = target[row + a];
        const ga = a * ny;
        for (let b = 0; b <= a; b++) G[ga + b] += sa * target[row + b];
      }
    }
  } else {
    for (let a = 0; a < nx; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let j = 0; j < ny; j++) s += target[a * ny + j] * target[b * ny + j];
        G[a * nx + b] = s;
      }
    }
  }
  const { vectors } = symmetricEigen(G, m);
  const X = new Float64Array(nx * rank);
  const Y = new Float64Array(ny * rank);
  const sigma = new Float64Array(rank);
  const w = new Float64Array(len);
  const kmax = Math.min(rank, m);
  for (let k = 0; k < kmax; k++) {
    const v = vectors.subarray(k * m, (k + 1) * m);
    // w = S* v (n_x) or S*ᵀ u (n_y).
    let ww = 0;
    for (let i = 0; i < len; i++) {
      let s = 0;
      if (byColumns) for (let j = 0; j < ny; j++) s += target[i * ny + j] * v[j];
      else for (let j = 0; j < nx; j++) s += target[j * ny + i] * v[j];
      w[i] = s;
      ww += s * s;
    }
    const sk = Math.sqrt(ww);
    sigma[k] = sk;
    if (!(sk > 0)) continue;
    const c = Math.sqrt(sk);
    const [wide, narrow] = byColumns ? [X, Y] : [Y, X];
    for (let i = 0; i < len; i++) wide[i * rank + k] = w[i] / c;
    for (let j = 0; j < m; j++) narrow[j * rank + k] = c * v[j];
  }
  return { X, Y, sigma };
}

/**
 * One axis's regression problem: minimize
 *   sum mode (1D):     Σ_i rowW_i (Σ_k X_k(x_i) − t_i)²            (target t: n)
 *   factor mode (2D):  Σ_i Σ_k colW_k (X_k(x_i) − T_ik)²             (target T: n × r)
 * over the axis's slice of θ, with AxisMlp (float64).
 */
export interface AxisProblem {
  readonly mlp: AxisMlp;
  readonly target: Float64Array;
  readonly sum: boolean;
  readonly rowW: Float64Array | null;
  readonly colW: Float64Array | null;
  /** Least-squares workspace: normal matrix (m × m, m = width + 1), right-hand sides (m × cols), one row. */
  readonly ata: Float64Array;
  readonly atb: Float64Array;
  readonly row: Float64Array;
  /** Ridge λ of the last-layer least squares, set at the regression's first solve and then held (NaN before). */
  lambda: number;
  /** The ridge term λ Σ_k colW_k ‖β_k‖² (sum mode: λ‖β‖²) of the latest solve, part of the objective. */
  penalty: number;
}

export function axisProblem(mlp: AxisMlp, target: Float64Array, sum: boolean, rowW: Float64Array | null, colW: Float64Array | null): AxisProblem {
  const m = mlp.hiddenWidth + 1;
  const cols = sum ? 1 : mlp.rank;
  return { mlp, target, sum, rowW, colW, ata: new Float64Array(m * m), atb: new Float64Array(m * cols), row: new Float64Array(m), lambda: NaN, penalty: 0 };
}

/**
 * Solve A X = B in place for symmetric positive definite A (m × m, row-major; its lower triangle
 * is overwritten by the Cholesky factor L, A = L Lᵀ) and B (m × cols, overwritten by X).
 * Throws if A is not positive definite (cannot happen with the ridge term λ > 0 unless NaN).
 */
function choleskySolveInPlace(A: Float64Array, B: Float64Array, m: number, cols: number): void {
  for (let j = 0; j < m; j++) {
    let d = A[j * m + j];
    for (let k = 0; k < j; k++) d -= A[j * m + k] * A[j * m + k];
    if (!(d > 0)) throw new Error(`SDMM initial fit: the least-squares normal matrix is not positive definite (pivot ${d})`);
    const ljj = Math.sqrt(d);
    A[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let v = A[i * m + j];
      for (let k = 0; k < j; k++) v -= A[i * m + k] * A[j * m + k];
      A[i * m + j] = v / ljj;
    }
  }
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < m; i++) {
      let v = B[i * cols + c];
      for (let k = 0; k < i; k++) v -= A[i * m + k] * B[k * cols + c];
      B[i * cols + c] = v / A[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      let v = B[i * cols + c];
      for (let k = i + 1; k < m; k++) v -= A[k * m + i] * B[k * cols + c];
      B[i * cols + c] = v / A[i * m + i];
    }
  }
}

/** The misfit of AxisProblem at the features X (n × r) of the latest forward, and gX = ∂misfit/∂X. */
function axisMisfit(p: AxisProblem, X: Float64Array, gX: Float64Array): number {
  const { mlp, target } = p;
  const n = mlp.points;
  const r = mlp.rank;
  let f = 0;
  for (let i = 0; i < n; i++) {
    if (p.sum) {
      let s = 0;
      for (let k = 0; k < r; k++) s += X[i * r + k];
      const w = p.rowW ? p.rowW[i] : 1;
      const e = s - target[i];
      f += w * e * e;
      for (let k = 0; k < r; k++) gX[i * r + k] = 2 * w * e;
    } else {
      for (let k = 0; k < r; k++) {
        const w = p.colW ? p.colW[k] : 1;
        const e = X[i * r + k] - target[i * r + k];
        f += w * e * e;
        gX[i * r + k] = 2 * w * e;
      }
    }
  }
  return f;
}

/**
 * A density of hidden-unit centres over an axis's encoded coordinate (centreDensity): the nodes
 * ξ = −1, ξ_0 … ξ_{n−1}, 1 (n + 2 entries) and the cumulative mass F at each (F = 0 at ξ = −1,
 * 1 at ξ = 1; the density is linear between nodes).
 */
export interface CentreDensity {
  readonly nodes: Float64Array;
  readonly cdf: Float64Array;
  /** Largest factor by which a ramp may be steeper than the even spread's (regressionStart). */
  readonly slopeCap: number;
}

/** Share of the ramps spread evenly whatever the target's curvature (where the monitor is ≈ 0, the axis still gets ramps). */
const CENTRE_UNIFORM_SHARE = 0.25;
/**
 * Power of the curvature monitor m = Σ w f''²: de Boor's L2 rule for piecewise-linear knots is 0.2
 * (ρ ∝ |f''|^0.4). Measured on the reduced star (rank 16, width 32, 128 points per axis; axis
 * iterations x + y, slopes following the density before RAMP_SLOPE_SPACINGS bounded them): 0.2 →
 * 314 + 157, 0.3 → 81 + 105, 0.4 → 70 + 102, with 0.3 also at 81 + 76 and 78 + 82 for seeds 2 and 3
 * (tanh ramps are not hat functions; more of them near the cusp pays).
 */
const CENTRE_POWER = 0.3;
/**
 * Ramps no closer than this many average grid spacings: ρ ≤ n/(2 · CENTRE_MIN_SPACING · width). With
 * no bound the star's centre drew ramps closer than its Gauss points; the fit matched u₀ at the
 * points but not between them, and E(u_θ) on the grid was 8,036 against 114.51 for u₀ (measured).
 * With 1, the fitted field's energy on a 2× refined grid (the solver's aliasing audit) is within
 * 5e-4 of its own grid's on the default star, circle and coarsening; 2 lost most of the gain (1,195
 * axis iterations on the star, measured with unbounded slopes).
 */
const CENTRE_MIN_SPACING = 1;
/**
 * Ramps at most max(1, n/(RAMP_SLOPE_SPACINGS · width)) times steeper than the even spread's
 * (width/4 per unit ξ): with n/width = 4 (the default star) at most twice, i.e. a ramp's transition
 * 1/κ spans at least 4 grid spacings. Measured on the reduced star (rank 16, width 32, 128 points per
 * axis): slopes following the density up to its own bound (4×) fit in 81 + 105 axis iterations, but the
 * steps of the aliasing check's depth-1 network (test/sdmm-aliasing.test.ts) then exceeded its 1 %
 * refined-grid tolerance (1.0 % and 2.1 % at steps 2 and 3); this bound: 117 + 169 iterations and
 * 0.05–0.36 %; a tighter one (n/(4 width)) let the regression build its own sharper features: the
 * fitted field's energy on the refined grid was 68 % above its own grid's.
 */
const RAMP_SLOPE_SPACINGS = 2;

/**
 * Where an axis's regression target needs its hidden units: a density over the encoded coordinate
 * ξ = 2(x − a)/L − 1 ∈ [−1, 1] (the angle φ = π(ξ + 1) on a periodic axis) from the target's
 * curvature. At each grid point the monitor is
 *   m_i = Σ_k colW_k (T_k''(ξ_i))²   (factor mode),     m_i = rowW_i (t''(ξ_i))²   (sum mode),
 * T'' the second divided difference over the point and its two neighbours (the ends copy the next
 * point's); the density is ρ ∝ min(s (m^CENTRE_POWER + c), ρ_max), linear between the points and
 * constant beyond the first and last, with c giving CENTRE_UNIFORM_SHARE of the mass to an even
 * spread, ρ_max = n/(2 · CENTRE_MIN_SPACING · width), and s such that ∫ ρ dξ = 1 (bisection).
 * Equidistributing a power of |f''| is de Boor's rule for the knots of a piecewise-linear
 * approximation (de Boor, A Practical Guide to Splines, ch. III); the ramps of regressionStart are
 * smoothed knots. Why: with evenly spaced ramps the reduced star's factors (a cusp at the centre,
 * where u₀'s cos 7θ is discontinuous) start at misfit 1.4e-2 and needed 1,000–2,000 L-BFGS
 * iterations per axis, and the y-axis ended in a failed line search; with these centres (and slopes
 * bounded by RAMP_SLOPE_SPACINGS) they start at 2.8e-3 and 5.7e-4 and need 117 and 169 (measured, rank 16,
 * width 32, 128 points per axis; seeds 2 and 3: 157 + 131, 355 + 132).
 * Returns null where the target has no curvature or fewer than 3 points (even spread).
 */
export function centreDensity(p: AxisProblem, xi: ArrayLike<number>, width: number): CentreDensity | null {
  const n = p.mlp.points;
  const r = p.mlp.rank;
  if (n < 3) return null;
  const T = p.target;
  const cols = p.sum ? 1 : r;
  const monitor = new Float64Array(n);
  for (let i = 1; i < n - 1; i++) {
    const h0 = xi[i] - xi[i - 1];
    const h1 = xi[i + 1] - xi[i];
    let m = 0;
    for (let k = 0; k < cols; k++) {
      const d2 = (2 * ((T[(i + 1) * cols + k] - T[i * cols + k]) / h1 - (T[i * cols + k] - T[(i - 1) * cols + k]) / h0)) / (h0 + h1);
      m += (p.sum ? (p.rowW ? p.rowW[i] : 1) : p.colW ? p.colW[k] : 1) * d2 * d2;
    }
    // m^p by the portable exp and log (Math.pow's accuracy is left open by the standard).
    monitor[i] = m > 0 ? exp(CENTRE_POWER * log(m)) : 0;
  }
  monitor[0] = monitor[1];
  monitor[n - 1] = monitor[n - 2];
  const nodes = new Float64Array(n + 2);
  const rho = new Float64Array(n + 2);
  nodes[0] = -1;
  nodes[n + 1] = 1;
  for (let i = 0; i < n; i++) {
    nodes[i + 1] = xi[i];
    rho[i + 1] = monitor[i];
  }
  rho[0] = rho[1];
  rho[n + 1] = rho[n];
  let mass = 0;
  for (let i = 0; i <= n; i++) mass += 0.5 * (rho[i] + rho[i + 1]) * (nodes[i + 1] - nodes[i]);
  if (!(mass > 0) || !Number.isFinite(mass)) return null;
  // The even share: a constant c with 2c = share/(1 − share) · mass.
  const c = (CENTRE_UNIFORM_SHARE / (1 - CENTRE_UNIFORM_SHARE)) * (mass / 2);
  // Normalise to ∫ ρ dξ = 1 with ρ ≤ ρmax: the level s of ∫ min(s(ρ + c), ρmax) dξ = 1 by bisection.
  for (let i = 0; i < n + 2; i++) rho[i] += c;
  const rhoMax = n / (2 * CENTRE_MIN_SPACING * width);
  const massAt = (sc: number) => {
    let m = 0;
    for (let i = 0; i <= n; i++) m += 0.5 * (Math.min(sc * rho[i], rhoMax) + Math.min(sc * rho[i + 1], rhoMax)) * (nodes[i + 1] - nodes[i]);
    return m;
  };
  let lo = 0;
  let hi = 1 / (mass + 2 * c);
  if (2 * rhoMax <= 1) hi = lo = Infinity;
  else {
    while (massAt(hi) < 1) hi *= 2;
    for (let it = 0; it < 100; it++) {
      const mid = 0.5 * (lo + hi);
      if (massAt(mid) < 1) lo = mid;
      else hi = mid;
    }
  }
  const cdf = new Float64Array(n + 2);
  for (let i = 0; i <= n; i++) cdf[i + 1] = cdf[i] + 0.5 * (Math.min(hi * rho[i], rhoMax) + Math.min(hi * rho[i + 1], rhoMax)) * (nodes[i + 1] - nodes[i]);
  const total = cdf[n + 1];
  for (let i = 0; i < n + 2; i++) cdf[i] /= total;
  return { nodes, cdf, slopeCap: Math.max(1, n / (width * RAMP_SLOPE_SPACINGS)) };
}

/**
 * The centre ξ = F⁻¹(q) of quantile q ∈ [0, 1) under a centre density (linear between its nodes), and
 * the density there relative to the even spread (ρ/½): the local ramp spacing is 2/(width · ratio).
 * Without a density: ξ = −1 + 2q, ratio 1.
 */
function centreAt(density: CentreDensity | null, q: number): { c: number; ratio: number } {
  if (!density) return { c: -1 + 2 * q, ratio: 1 };
  const { nodes, cdf } = density;
  let i = 0;
  while (i < cdf.length - 2 && cdf[i + 1] <= q) i++;
  const dq = cdf[i + 1] - cdf[i];
  const dx = nodes[i + 1] - nodes[i];
  return { c: nodes[i] + (dq > 0 ? ((q - cdf[i]) / dq) * dx : 0), ratio: dx > 0 ? (2 * dq) / dx : 1 };
}

/**
 * A seeded start for the per-axis regressions whose hidden features resolve the axis: the first
 * layer's units are ramps z_j = κ_j (ξ − c_j), one centre per quantile stratum of the centre density
 * (c_j = F⁻¹((j + U_j)/width), U_j uniform; centreDensity, or evenly spaced without one) and slopes
 * of alternating sign with |κ_j| = (width/4)(0.75 + 0.5 V_j) · min(ρ(c_j)/½, slopeCap) (a ramp spans
 * about two local spacings, and never fewer grid points than RAMP_SLOPE_SPACINGS allows). With an
 * even spread, steeper ramps (width/2) fit u₀ as well at the grid points but leave wiggles whose
 * gradients the quadrature sees: E(u_θ) of the reduced star was 116.28 against 114.51 for u₀ itself
 * on the same grid (width 64), 114.46 with width/4, and the steps then released that spurious energy
 * (relative L2 10–19 % at t_end); width/8 no longer fits to 1e-8. On a periodic axis the ramps are arcs
 * κ_j (cos φ cos β_j + sin φ sin β_j − cos γ_j) with β_j = π(c_j + 1), γ_j alternating 0.5 and 1.
 * Every later hidden layer starts as the identity plus uniform noise of ±0.05. Glorot weights
 * instead give nearly linear features (|w| ≤ 0.43 for one input), a basis in which least squares
 * cannot fit the factors. The last layer is left to the least squares.
 */
export function regressionStart(layout: NetworkLayout, a: number, theta: Float64Array, seed: number, density: CentreDensity | null = null): void {
  const rand = mulberry32((seed + 7919 * (a + 1)) >>> 0);
  const axis = layout.axes[a];
  const [first, ...rest] = axis.layers;
  const w = first.outputs;
  for (let j = 0; j < w; j++) {
    const { c, ratio } = centreAt(density, (j + rand()) / w);
    const slope = (w / 4) * (0.75 + 0.5 * rand()) * Math.min(ratio, density ? density.slopeCap : 1) * (j % 2 ? 1 : -1);
    if (axis.inputs === 1) {
      theta[first.weightOffset + j] = slope;
      theta[first.biasOffset + j] = -slope * c;
    } else {
      const beta = Math.PI * (c + 1);
      const gamma = j % 2 ? 0.5 : 1;
      theta[first.weightOffset + j] = slope * cos(beta);
      theta[first.weightOffset + w + j] = slope * sin(beta);
      theta[first.biasOffset + j] = -slope * cos(gamma);
    }
  }
  for (const L of rest.slice(0, -1)) {
    for (let i = 0; i < L.inputs; i++) {
      for (let j = 0; j < L.outputs; j++) theta[L.weightOffset + i * L.outputs + j] = (i === j ? 1 : 0) + 0.1 * (rand() - 0.5);
    }
    for (let j = 0; j < L.outputs; j++) theta[L.biasOffset + j] = 0;
  }
}

/**
 * Least squares for the last layer (W_L, b_L) of the axis given its last hidden features H (a forward
 * at θ), written into θ, with X (n × r) the features at the new θ: per target column the ridge
 * problem  min_β Σ_i w_i ([H 1]_i β − t_i)² + λ‖β‖²  (w: the misfit's row weights in sum mode, 1 in
 * factor mode), by the normal equations (AᵀWA + λI) β = AᵀWB and Cholesky. λ = 1e-12 · tr(AᵀWA)/(width + 1)
 * at the first solve of a regression (AxisProblem.lambda), then held: the hidden features can be
 * nearly dependent, and an unregularised solution with huge cancelling coefficients is an
 * ill-conditioned start. The ridge term is part of the regression's objective (AxisProblem.penalty,
 * λ Σ_k colW_k ‖β_k‖² in factor mode, λ‖β‖² in sum mode; see projectedMisfit). In sum mode the single
 * column is split evenly over the r outputs.
 */
export function lastLayerLeastSquares(p: AxisProblem, layout: NetworkLayout, a: number, theta: Float64Array, X: Float64Array): void {
  const { mlp, target } = p;
  const n = mlp.points;
  const r = mlp.rank;
  mlp.forward(theta, X, null);
  const { H, width } = mlp.lastHidden();
  const m = width + 1;
  const cols = p.sum ? 1 : r;
  const { ata, atb, row } = p;
  ata.fill(0);
  atb.fill(0);
  // Lower triangle of AᵀWA and AᵀWB, one row of A = [H 1] at a time.
  for (let i = 0; i < n; i++) {
    const w = p.rowW ? p.rowW[i] : 1;
    for (let c = 0; c < width; c++) row[c] = H[i * width + c];
    row[width] = 1;
    const t = i * cols;
    for (let c = 0; c < m; c++) {
      const wc = w * row[c];
      const o = c * m;
      for (let d = 0; d <= c; d++) ata[o + d] += wc * row[d];
      const ob = c * cols;
      for (let k = 0; k < cols; k++) atb[ob + k] += wc * target[t + k];
    }
  }
  if (Number.isNaN(p.lambda)) {
    let trace = 0;
    for (let c = 0; c < m; c++) trace += ata[c * m + c];
    p.lambda = (1e-12 * trace) / m;
  }
  const lambda = p.lambda;
  for (let c = 0; c < m; c++) ata[c * m + c] += lambda;
  choleskySolveInPlace(ata, atb, m, cols);
  let penalty = 0;
  for (let k = 0; k < cols; k++) {
    let bb = 0;
    for (let c = 0; c < m; c++) bb += atb[c * cols + k] * atb[c * cols + k];
    penalty += (!p.sum && p.colW ? p.colW[k] : 1) * bb;
  }
  p.penalty = lambda * penalty;
  const L = layout.axes[a].layers[layout.axes[a].layers.length - 1];
  const split = p.sum ? 1 / r : 1;
  for (let k = 0; k < r; k++) {
    const col = p.sum ? 0 : k;
    for (let c = 0; c < width; c++) theta[L.weightOffset + c * r + k] = split * atb[c * cols + col];
    theta[L.biasOffset + k] = split * atb[width * cols + col];
  }
  mlp.replaceLastLayer(theta, X);
}

/**
 * Variable projection (Golub & Pereyra, SIAM J. Numer. Anal. 10, 1973): the regression's objective
 * as a function of the hidden weights alone, the last layer always at its ridge least-squares
 * optimum β̂(θ) (lastLayerLeastSquares, written into θ, so θ is the point actually evaluated):
 *   φ(θ) = misfit(θ, β̂(θ)) + λ Σ_k colW_k ‖β̂_k(θ)‖².
 * Because β̂ minimises exactly this sum (λ held fixed), ∂φ/∂β = 0 there and by the envelope theorem
 * ∇φ is the partial gradient of the misfit in the hidden weights (last-layer entries set to 0). The
 * ridge term belongs in φ: without it (as before) ∂misfit/∂β = −2λβ̂ ≠ 0 and the partial gradient
 * missed −2λ β̂ᵀ dβ̂/dθ, large where the features are nearly dependent (|β̂| ≈ 10³): on the reduced
 * star's y-axis the reported slope along −∇φ was −9.2e-5 where central differences gave +5e-5, and
 * L-BFGS stopped in a failed line search at 2.8e-6 against its 2.1e-8 target (test/sdmm-fit.test.ts
 * checks ∇φ against central differences).
 */
export function projectedMisfit(p: AxisProblem, layout: NetworkLayout, a: number, theta: Float64Array, grad: Float64Array, X: Float64Array, gX: Float64Array): number {
  lastLayerLeastSquares(p, layout, a, theta, X);
  const f = axisMisfit(p, X, gX) + p.penalty;
  grad.fill(0);
  p.mlp.backward(grad, gX, null);
  const L = layout.axes[a].layers[layout.axes[a].layers.length - 1];
  grad.fill(0, L.weightOffset, L.weightOffset + L.inputs * L.outputs);
  grad.fill(0, L.biasOffset, L.biasOffset + L.outputs);
  return f;
}

/** Indices into θ of axis a's hidden layers (every layer but the last), ascending. */
function hiddenIndices(layout: NetworkLayout, a: number): Int32Array {
  const layers = layout.axes[a].layers;
  const out: number[] = [];
  for (const L of layers.slice(0, -1)) {
    for (let q = 0; q < L.inputs * L.outputs; q++) out.push(L.weightOffset + q);
    for (let q = 0; q < L.outputs; q++) out.push(L.biasOffset + q);
  }
  return Int32Array.from(out.sort((x, y) => x - y));
}

export function fitInitialCondition(
  engine: SdmmEngine,
  layout: NetworkLayout,
  rules: readonly Rule1D[],
  theta: Float64Array,
  u0: Float64Array,
  o: Pick<SdmmOptions, 'fitTolerance' | 'fitMaxIters' | 'historySize' | 'seed'>,
  onProgress?: (progress: SolverProgress) => void,
): FitDiagnostics {
  const N = u0.length;
  const P = theta.length;
  const r = layout.rank;
  const dim = layout.dim;
  const alpha = layout.alphaIndex >= 0 ? theta[layout.alphaIndex] : layout.alpha;
  let meanSquare = 0;
  for (let q = 0; q < N; q++) meanSquare += u0[q] * u0[q];
  meanSquare /= N;
  if (!Number.isFinite(meanSquare)) throw new DivergenceError('SDMM initial fit: u₀ is NaN or infinite on the quadrature grid (check the initial condition)', 0);
  const scale = meanSquare > 1e-300 ? meanSquare : 1;
  const phases: string[] = [];
  const phaseMs: Record<string, number> = {};
  let iterations = 0;
  // Progress: every 50 iterations of a phase and at each phase's end (never stops the phase).
  let inPhase = 0;
  const progress = (label: string) => {
    inPhase = 0;
    if (!onProgress) return undefined;
    onProgress({ phase: `initial fit ${label}`, iterations: 0, maxIterations: o.fitMaxIters });
    return {
      everyIters: 50,
      test: () => {
        onProgress({ phase: `initial fit ${label}`, iterations: (inPhase += 50), maxIterations: o.fitMaxIters });
        return false;
      },
    };
  };
  const run = (label: string, t0: number, res: MinimizeResult) => {
    onProgress?.({ phase: `initial fit ${label}`, iterations: res.iterations, maxIterations: o.fitMaxIters });
    iterations += res.iterations;
    phases.push(`${label} ${res.iterations}/${res.evaluations} ${res.stopReason} ${res.initial.toExponential(1)}→${res.best.toExponential(1)}`);
    phaseMs[label] = (phaseMs[label] ?? 0) + performance.now() - t0;
    if (res.stopReason === 'non-finite') {
      throw new DivergenceError(`SDMM initial fit (${label}): the loss became NaN or infinite (check the initial condition u₀)`, 0);
    }
  };

  // 1–2. Target and its separable factors.
  let t0 = performance.now();
  const sTarget = preActivationTarget(u0, layout.bound, alpha);
  const shape = rules.map((ru) => ru.points.length);
  const problems: AxisProblem[] = [];
  let truncationMse = 0;
  if (dim === 1) {
    let rowW: Float64Array | null = null;
    if (layout.bound) {
      rowW = new Float64Array(N);
      for (let i = 0; i < N; i++) rowW[i] = (alpha * alpha * ((1 - u0[i] * u0[i]) ** 2 + ROW_WEIGHT_FLOOR)) / (N * scale);
    } else {
      rowW = new Float64Array(N).fill((alpha * alpha) / (N * scale));
    }
    problems.push(axisProblem(new AxisMlp(layout.axes[0], layout.activation, rules[0].points), sTarget, true, rowW, null));
  } else {
    const [nx, ny] = shape;
    const { X, Y } = svdFactors(sTarget, nx, ny, r);
    // The rank-r truncation's own u-error: what the rank allows.
    let se = 0;
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += X[i * r + k] * Y[j * r + k];
        const u = layout.bound ? tanh(alpha * s) : alpha * s;
        se += (u - u0[i * ny + j]) ** 2;
      }
    }
    truncationMse = se / N / scale;
    const colWeights = (F: Float64Array, n: number) => {
      const w = new Float64Array(r);
      for (let k = 0; k < r; k++) {
        let ss = 0;
        for (let i = 0; i < n; i++) ss += F[i * r + k] ** 2;
        w[k] = (alpha * alpha * ss) / (N * scale);
      }
      return w;
    };
    problems.push(axisProblem(new AxisMlp(layout.axes[0], layout.activation, rules[0].points), X, false, null, colWeights(Y, ny)));
    problems.push(axisProblem(new AxisMlp(layout.axes[1], layout.activation, rules[1].points), Y, false, null, colWeights(X, nx)));
  }
  phaseMs.factors = performance.now() - t0;

  // 3. Per-axis regressions: last layer by least squares, then L-BFGS on the axis's weights.
  // In 1D the rows already carry (1 − u₀²)², so the misfit is the linearised u-error itself (κ = 1).
  let kappa = 1;
  if (layout.bound && dim > 1) {
    kappa = 0;
    for (let q = 0; q < N; q++) kappa += (1 - u0[q] * u0[q]) ** 2;
    kappa = Math.max(kappa / N, 1e-3);
  }
  const axisTarget = ((dim > 1 ? AXIS_TARGET_SAFETY : AXIS_TARGET_SAFETY_1D) * o.fitTolerance) / (dim * kappa);
  for (let a = 0; a < dim; a++) {
    const p = problems[a];
    const X = new Float64Array(p.mlp.points * r);
    const gX = new Float64Array(p.mlp.points * r);
    t0 = performance.now();
    const ax = layout.axes[a];
    const xi = rules[a].points.map((x) => (2 * (x - ax.min)) / (ax.max - ax.min) - 1);
    // 2D only: in 1D (sum mode, rows weighted by (1 − u₀²)²) the even spread measured better on
    // ac1d (128 axis iterations against 171 with centreDensity, same MSE).
    regressionStart(layout, a, theta, o.seed, p.sum ? null : centreDensity(p, xi, layout.axes[a].layers[0].outputs));
    lastLayerLeastSquares(p, layout, a, theta, X);
    phaseMs[`ls${a}`] = performance.now() - t0;
    // L-BFGS on the hidden weights of this axis only (the last layer is projected out, the other
    // axis is not involved): a state of their size, not θ's.
    const hidden = hiddenIndices(layout, a);
    const sub = new Float64Array(hidden.length);
    const gFull = new Float64Array(P);
    for (let q = 0; q < hidden.length; q++) sub[q] = theta[hidden[q]];
    const objective = (th: Float64Array, g: Float64Array) => {
      for (let q = 0; q < hidden.length; q++) theta[hidden[q]] = th[q];
      const f = projectedMisfit(p, layout, a, theta, gFull, X, gX);
      for (let q = 0; q < hidden.length; q++) g[q] = gFull[hidden[q]];
      return f;
    };
    t0 = performance.now();
    const res = lbfgsMinimize(objective, sub, createLbfgsState(hidden.length, FIT_HISTORY), { maxIters: o.fitMaxIters, tol: 0, target: axisTarget, stop: progress(`axis${a}`) });
    // θ at the best hidden weights, with their last layer.
    for (let q = 0; q < hidden.length; q++) theta[hidden[q]] = sub[q];
    lastLayerLeastSquares(p, layout, a, theta, X);
    run(`axis${a}`, t0, res);
  }

  // 4. L-BFGS on mean (u − u₀)² through the engine.
  engine.setFitTargets(u0, sTarget);
  const mseTarget = o.fitTolerance * scale;
  t0 = performance.now();
  run('u', t0, lbfgsMinimize((th, g) => engine.evaluate('fit', th, g), theta, createLbfgsState(P, FIT_HISTORY), { maxIters: o.fitMaxIters, tol: 0, target: mseTarget, stop: progress('u') }));

  const u = new Float64Array(N);
  const grad = layout.axes.map(() => new Float64Array(N));
  engine.fieldOnGrid(theta, u, grad);
  let se = 0;
  for (let q = 0; q < N; q++) se += (u[q] - u0[q]) ** 2;
  const mse = se / N / scale;
  const ok = mse <= o.fitTolerance;
  const stopReason =
    `fit relative mse ${mse.toExponential(3)} ${ok ? '<=' : '>'} tolerance ${o.fitTolerance.toExponential(3)}` + ` (${phases.join(', ')})` + (ok ? '' : ' REFUSED');
  return { mse, iterations, stopReason, tolerance: o.fitTolerance, truncationMse, phaseMs };
}

/**
 * The one-line refusal for a fit above its tolerance, naming the achieved MSE and what to change:
 * the rank when its own SVD truncation already misses the tolerance, else the width/depth of the
 * axis networks or the iteration cap; quadElements when the grid has fewer points per axis than
 * the least squares has unknowns (width + 1).
 */
export function fitRefusal(fit: FitReport & { truncationMse?: number }, o: Pick<SdmmOptions, 'rank' | 'width' | 'depth' | 'fitMaxIters' | 'quadElements' | 'quadPoints'>): string {
  const head = `SDMM refuses to step: initial fit relative MSE ${fit.mse.toExponential(3)} exceeds fitTolerance ${fit.tolerance.toExponential(3)}`;
  const t = fit.truncationMse;
  if (o.quadElements * o.quadPoints < o.width + 1) {
    return `${head}: ${o.quadElements * o.quadPoints} grid points per axis cannot determine ${o.width + 1} output weights per axis (raise quadElements or lower width)`;
  }
  if (t !== undefined && t > fit.tolerance) {
    return `${head}: rank ${o.rank} cannot represent u₀ (its best rank-${o.rank} approximation alone has relative MSE ${t.toExponential(2)}; raise rank)`;
  }
  const rank = t === undefined ? '' : ` (rank ${o.rank} suffices: its truncation error is ${t.toExponential(2)})`;
  return `${head}${rank}: raise width (${o.width}) or depth (${o.depth}) of the axis networks, or fitMaxIters (${o.fitMaxIters})`;
}
