import type { ProblemConfig } from '../physics/problems.js';
import { mulberry32 } from '../physics/random.js';
import { AxisNet, type SpinnLayout } from './network.js';

/**
 * The SPINN training loss on a space-time tensor grid of collocation points (Cho et al. 2023;
 * the physics-informed loss of Raissi et al. 2019):
 *
 *   L(θ) = (1/n_t) Σ_i w_i L_i + λ_ic · mean_{x,y} (u(0, x, y) − u₀(x, y))² + λ_b · mean_{∂Ω lines} (∂u/∂n)²
 *   L_i  = mean_{x,y} (κ r(t_i, x, y))²,   r = u_t − m(Δu − ε⁻² (u³ − u)) − source,   κ = ε²/m
 *
 * with w_i = 1, or with causal weighting (Wang, Sankaran & Perdikaris, "Respecting causality is
 * all you need for training physics-informed neural networks", 2022) w_i = exp(−ε_c Σ_{j<i} L_j),
 * held constant in the gradient (the time slices are processed in order, so w_i is known before
 * slice i). The Neumann term runs over the lines x ∈ {a, b} × (t_i, y_j) and y ∈ {a, b} × (t_i, x_j);
 * periodic axes need none (the embedding is exact).
 *
 * κ divides the PDE by its reaction coefficient m/ε², so κr = (ε²/m) u_t − ε²Δu + (u³ − u) − … is
 * O(1) whatever ε and the weights λ keep their meaning across problems. Without it the residual
 * outweighs the IC term by ε⁻⁴ and training falls to the trivial solution u ≡ ±1 (measured on the
 * reduced circle, ε = 0.04, λ_ic = 1000: IC misfit 0.27, relative L2 error 0.57 already at t = 0).
 * The optional IC warm start (`evaluateWarmStart`) fits the pre-activation at t = 0 before training.
 *
 * With s = Σ_k T_k X_k Y_k and u = tanh(α s), g = du/ds = α(1 − u²), g_s = dg/ds = −2αug,
 * g_ss = −2α(g² + u g_s) (unbounded: u = αs, g = α, g_s = g_ss = 0):
 *   u_t = g s_t,  u_xx = g s_xx + g_s s_x²  (so Δu = g D + g_s Q, D = s_xx + s_yy, Q = s_x² + s_y²)
 *   ∂r/∂s_t = g,  ∂r/∂s_xx = −m g,  ∂r/∂s_x = −2 m g_s s_x,
 *   ∂r/∂s   = g_s s_t − m (g_s D + g_ss Q) + m ε⁻² (3u² − 1) g.
 * The point adjoints are contracted against the other axes' features (the tensor structure makes
 * every contraction a sum over one grid axis), then each axis MLP runs its reverse pass.
 *
 * Grid layout: point (i_t, i_x, i_y) at index (i_t·n_x + i_x)·n_y + i_y. A 1D problem runs the
 * same kernel with a dummy y axis of one point whose features are Y ≡ 1, Y' = Y'' = 0.
 * Each axis batch holds the collocation points, then (non-periodic space axes) the two boundary
 * coordinates a, b; the time batch holds the n_t collocation times, then t = 0 for the IC term.
 *
 * Collocation points: fixed = cell midpoints of a uniform partition of each axis; resampled =
 * one seeded uniform draw in each cell (stratified), re-drawn by `resample()`.
 */

export interface LossWeights {
  ic: number;
  boundary: number;
  /** ε_c of the causal weights; 0 switches causal weighting off. */
  causalEpsilon: number;
}

/** The parts of the last evaluated loss. */
export interface LossParts {
  total: number;
  /** (1/n_t) Σ w_i L_i. */
  residual: number;
  /** Unweighted mean (κr)² over the grid. */
  residualMean: number;
  /** mean (u(0,·) − u₀)² (before λ_ic). */
  ic: number;
  /** mean (∂u/∂n)² on the boundary lines (before λ_b). */
  boundary: number;
  /** Causal weight of the last time slice (1 without causal weighting). */
  lastCausalWeight: number;
}

export class SpinnLoss {
  readonly nt: number;
  readonly nx: number;
  readonly ny: number;
  readonly tPoints: Float64Array;
  readonly xPoints: Float64Array;
  readonly yPoints: Float64Array;
  readonly parts: LossParts = { total: NaN, residual: NaN, residualMean: NaN, ic: NaN, boundary: NaN, lastCausalWeight: 1 };
  /** The causal weights w_i of the last evaluation (n_t). */
  readonly causalWeights: Float64Array;
  /**
   * Hold the causal weights at their current values in later evaluations (the gradient treats
   * them as constants; freezing makes L itself match, for finite-difference checks).
   */
  freezeCausalWeights = false;
  private readonly nets: AxisNet[];
  /** Boundary terms on the x sides / the y sides (non-periodic axes). */
  private readonly xBoundary: boolean;
  private readonly yBoundary: boolean;
  private readonly u0: Float64Array;
  /** Pre-activation target of the IC warm start: clamp(atanh(u₀), ±3) (bounded) or u₀. */
  private readonly s0: Float64Array;
  private readonly src: Float64Array | null;
  private readonly rand: () => number;
  /** 1D dummy y features. */
  private readonly ones: Float64Array;
  private readonly zeros: Float64Array;
  private readonly yScratch: Float64Array;
  // r-vectors of the contraction.
  private readonly TX: Float64Array;
  private readonly T1X: Float64Array;
  private readonly TX1: Float64Array;
  private readonly TX2: Float64Array;
  private readonly qs: Float64Array;
  private readonly qst: Float64Array;
  private readonly qsx: Float64Array;
  private readonly qsxx: Float64Array;
  private readonly qsy: Float64Array;
  private readonly qsyy: Float64Array;

  constructor(
    readonly problem: ProblemConfig,
    readonly layout: SpinnLayout,
    points: { space: number; time: number },
    readonly weights: LossWeights,
    seed: number,
  ) {
    const { dim } = layout;
    this.nt = points.time;
    this.nx = points.space;
    this.ny = dim === 2 ? points.space : 1;
    this.xBoundary = !layout.axes[1].periodic;
    this.yBoundary = dim === 2 && !layout.axes[2].periodic;
    this.tPoints = new Float64Array(this.nt);
    this.causalWeights = new Float64Array(this.nt).fill(1);
    this.xPoints = new Float64Array(this.nx);
    this.yPoints = new Float64Array(this.ny);
    this.rand = mulberry32(seed ^ 0x5eed);
    const r = layout.rank;
    this.nets = [
      new AxisNet(layout.axes[0], layout.activation, this.nt + 1),
      new AxisNet(layout.axes[1], layout.activation, this.nx + (this.xBoundary ? 2 : 0)),
    ];
    if (dim === 2) this.nets.push(new AxisNet(layout.axes[2], layout.activation, this.ny + (this.yBoundary ? 2 : 0)));
    this.ones = new Float64Array(r).fill(1);
    this.zeros = new Float64Array(r);
    this.yScratch = new Float64Array(r);
    const vec = () => new Float64Array(r);
    this.TX = vec();
    this.T1X = vec();
    this.TX1 = vec();
    this.TX2 = vec();
    this.qs = vec();
    this.qst = vec();
    this.qsx = vec();
    this.qsxx = vec();
    this.qsy = vec();
    this.qsyy = vec();
    this.u0 = new Float64Array(this.nx * this.ny);
    this.s0 = new Float64Array(this.nx * this.ny);
    this.src = problem.source ? new Float64Array(this.nt * this.nx * this.ny) : null;
    this.placePoints(false);
  }

  /** Draw new stratified collocation points (seeded sequence). */
  resample(): void {
    this.placePoints(true);
  }

  private placePoints(random: boolean): void {
    const fill = (out: Float64Array, a: number, b: number) => {
      const h = (b - a) / out.length;
      for (let i = 0; i < out.length; i++) out[i] = a + h * (i + (random ? this.rand() : 0.5));
    };
    const ax = this.layout.axes;
    fill(this.tPoints, ax[0].min, ax[0].max);
    fill(this.xPoints, ax[1].min, ax[1].max);
    if (this.layout.dim === 2) fill(this.yPoints, ax[2].min, ax[2].max);
    else this.yPoints[0] = 0;
    const batch = (pts: Float64Array, extra: number[]) => Float64Array.from([...pts, ...extra]);
    this.nets[0].setCoordinates(batch(this.tPoints, [0]));
    this.nets[1].setCoordinates(batch(this.xPoints, this.xBoundary ? [ax[1].min, ax[1].max] : []));
    if (this.layout.dim === 2) this.nets[2].setCoordinates(batch(this.yPoints, this.yBoundary ? [ax[2].min, ax[2].max] : []));
    const { nx, ny, nt } = this;
    const point = new Float64Array(this.layout.dim);
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        point[0] = this.xPoints[i];
        if (this.layout.dim === 2) point[1] = this.yPoints[j];
        const v = this.problem.initial(point);
        this.u0[i * ny + j] = v;
        this.s0[i * ny + j] = this.layout.bound ? Math.max(-3, Math.min(3, Math.atanh(Math.max(-1, Math.min(1, v))))) : v;
      }
    }
    if (this.src) {
      const f = this.problem.source!;
      for (let t = 0; t < nt; t++) {
        for (let i = 0; i < nx; i++) {
          for (let j = 0; j < ny; j++) {
            point[0] = this.xPoints[i];
            if (this.layout.dim === 2) point[1] = this.yPoints[j];
            this.src[(t * nx + i) * ny + j] = f(point, this.tPoints[t]);
          }
        }
      }
    }
  }

  private yFeatures(): { Y: Float64Array; Y1: Float64Array; Y2: Float64Array; GY: Float64Array; GY1: Float64Array; GY2: Float64Array } {
    if (this.layout.dim === 2) {
      const n = this.nets[2];
      return { Y: n.F, Y1: n.F1, Y2: n.F2, GY: n.GF, GY1: n.GF1, GY2: n.GF2 };
    }
    return { Y: this.ones, Y1: this.zeros, Y2: this.zeros, GY: this.yScratch, GY1: this.yScratch, GY2: this.yScratch };
  }

  /**
   * L(θ); if `grad` is given, ∂L/∂θ is written into it. If `residualOut` (n_t·n_x·n_y) is given,
   * the residual r at every collocation point is written there (grid layout above).
   */
  evaluate(theta: Float64Array, grad?: Float64Array, residualOut?: Float64Array): number {
    const { layout, nt, nx, ny, nets, weights: wts } = this;
    const r = layout.rank;
    const { mobility: m, epsilon } = this.problem;
    const ie2 = 1 / (epsilon * epsilon);
    const kappa = epsilon * epsilon / m;
    const k2 = kappa * kappa;
    const alpha = layout.alpha;
    const bound = layout.bound;
    const withGrad = grad !== undefined;
    for (const net of nets) {
      net.forward(theta);
      if (withGrad) {
        net.GF.fill(0);
        net.GF1.fill(0);
        net.GF2.fill(0);
      }
    }
    const T = nets[0].F;
    const T1 = nets[0].F1;
    const GT = nets[0].GF;
    const GT1 = nets[0].GF1;
    const { F: X, F1: X1, F2: X2, GF: GX, GF1: GX1, GF2: GX2 } = nets[1];
    const { Y, Y1, Y2, GY, GY1, GY2 } = this.yFeatures();
    const yStride = layout.dim === 2 ? r : 0;
    const { TX, T1X, TX1, TX2, qs, qst, qsx, qsxx, qsy, qsyy } = this;
    const src = this.src;

    // Residual over the space-time grid, slice by slice (causal weights need the earlier slices).
    const cR = 1 / (nt * nx * ny);
    let residual = 0;
    let residualMean = 0;
    let cumulative = 0;
    let w = 1;
    for (let t = 0; t < nt; t++) {
      if (!this.freezeCausalWeights) this.causalWeights[t] = wts.causalEpsilon > 0 ? Math.exp(-wts.causalEpsilon * cumulative) : 1;
      w = this.causalWeights[t];
      let slice = 0;
      const to = t * r;
      for (let i = 0; i < nx; i++) {
        const xo = i * r;
        for (let k = 0; k < r; k++) {
          const tk = T[to + k];
          TX[k] = tk * X[xo + k];
          T1X[k] = T1[to + k] * X[xo + k];
          TX1[k] = tk * X1[xo + k];
          TX2[k] = tk * X2[xo + k];
          qs[k] = qst[k] = qsx[k] = qsxx[k] = qsy[k] = qsyy[k] = 0;
        }
        for (let j = 0; j < ny; j++) {
          const yo = j * yStride;
          let s = 0;
          let st = 0;
          let sx = 0;
          let sxx = 0;
          let sy = 0;
          let syy = 0;
          for (let k = 0; k < r; k++) {
            const yk = Y[yo + k];
            s += TX[k] * yk;
            st += T1X[k] * yk;
            sx += TX1[k] * yk;
            sxx += TX2[k] * yk;
            sy += TX[k] * Y1[yo + k];
            syy += TX[k] * Y2[yo + k];
          }
          let u: number;
          let g: number;
          let gs: number;
          let gss: number;
          if (bound) {
            u = Math.tanh(alpha * s);
            g = alpha * (1 - u * u);
            gs = -2 * alpha * u * g;
            gss = -2 * alpha * (g * g + u * gs);
          } else {
            u = alpha * s;
            g = alpha;
            gs = 0;
            gss = 0;
          }
          const D = sxx + syy;
          const Q = sx * sx + sy * sy;
          const p = (t * nx + i) * ny + j;
          const res = g * st - m * (g * D + gs * Q) + m * ie2 * (u * u * u - u) - (src ? src[p] : 0);
          if (residualOut) residualOut[p] = res;
          slice += k2 * res * res;
          if (!withGrad) continue;
          const rho = 2 * w * k2 * res * cR;
          const aS = rho * (gs * st - m * (gs * D + gss * Q) + m * ie2 * (3 * u * u - 1) * g);
          const aSt = rho * g;
          const aSxx = -rho * m * g;
          const aSx = -2 * rho * m * gs * sx;
          const aSy = -2 * rho * m * gs * sy;
          for (let k = 0; k < r; k++) {
            const yk = Y[yo + k];
            qs[k] += aS * yk;
            qst[k] += aSt * yk;
            qsx[k] += aSx * yk;
            qsxx[k] += aSxx * yk;
            qsy[k] += aSy * Y1[yo + k];
            qsyy[k] += aSxx * Y2[yo + k];
            GY[yo + k] += aS * TX[k] + aSt * T1X[k] + aSx * TX1[k] + aSxx * TX2[k];
            GY1[yo + k] += aSy * TX[k];
            GY2[yo + k] += aSxx * TX[k];
          }
        }
        if (!withGrad) continue;
        for (let k = 0; k < r; k++) {
          const q = qs[k] + qsy[k] + qsyy[k];
          GT[to + k] += X[xo + k] * q + X1[xo + k] * qsx[k] + X2[xo + k] * qsxx[k];
          GT1[to + k] += X[xo + k] * qst[k];
          GX[xo + k] += T[to + k] * q + T1[to + k] * qst[k];
          GX1[xo + k] += T[to + k] * qsx[k];
          GX2[xo + k] += T[to + k] * qsxx[k];
        }
      }
      const Li = slice / (nx * ny);
      residual += (w * Li) / nt;
      residualMean += Li / nt;
      cumulative += Li;
    }
    this.parts.lastCausalWeight = w;

    // Initial condition: time row nt is t = 0.
    const ic = this.initialTerm(T, GT, nt * r, X, GX, Y, GY, yStride, wts.ic / (nx * ny), withGrad, false) / (nx * ny);

    // Neumann boundary lines.
    let bSum = 0;
    let bCount = 0;
    if (this.xBoundary && wts.boundary > 0) bCount += 2 * nt * ny;
    if (this.yBoundary && wts.boundary > 0) bCount += 2 * nt * nx;
    if (bCount > 0) {
      const cB = wts.boundary / bCount;
      if (this.xBoundary) bSum += this.boundaryX(T, GT, X, X1, GX, GX1, Y, GY, yStride, cB, withGrad);
      if (this.yBoundary) bSum += this.boundaryY(T, GT, X, GX, Y, Y1, GY, GY1, cB, withGrad);
    }
    const boundary = bCount > 0 ? bSum / bCount : 0;
    const total = residual + wts.ic * ic + (bCount > 0 ? wts.boundary * boundary : 0);
    Object.assign(this.parts, { total, residual, residualMean, ic, boundary });

    if (withGrad) {
      grad.fill(0);
      for (const net of nets) net.backward(theta, grad);
    }
    return total;
  }

  /**
   * The IC warm-start loss mean_{x,y} (α s(0, x, y) − s*)², s* = clamp(atanh u₀, ±3) (bounded;
   * u₀ itself when unbounded), and its gradient. Fitting the pre-activation first avoids the stall
   * of the bounded MSE from a Glorot start, where saturated tanh regions pass no gradient (SDMM's
   * initial fit meets the same stall, src/sdmm/solver.ts; tanh 3 = 0.995).
   */
  evaluateWarmStart(theta: Float64Array, grad?: Float64Array): number {
    const { layout, nt, nx, ny, nets } = this;
    const r = layout.rank;
    const withGrad = grad !== undefined;
    for (const net of nets) {
      net.forward(theta);
      if (withGrad) {
        net.GF.fill(0);
        net.GF1.fill(0);
        net.GF2.fill(0);
      }
    }
    const { Y, GY } = this.yFeatures();
    const value = this.initialTerm(nets[0].F, nets[0].GF, nt * r, nets[1].F, nets[1].GF, Y, GY, layout.dim === 2 ? r : 0, 1 / (nx * ny), withGrad, true) / (nx * ny);
    if (withGrad) {
      grad.fill(0);
      for (const net of nets) net.backward(theta, grad);
    }
    return value;
  }

  /**
   * Σ_{i,j} (u(0, x_i, y_j) − u₀)² from the time row at offset `to` (t = 0); accumulates the
   * adjoints c·2(u − u₀)g, c = λ_ic/(n_x n_y). With `preActivation`, Σ (α s − s*)² and c·2(αs − s*)α.
   */
  private initialTerm(
    T: Float64Array,
    GT: Float64Array,
    to: number,
    X: Float64Array,
    GX: Float64Array,
    Y: Float64Array,
    GY: Float64Array,
    yStride: number,
    c: number,
    withGrad: boolean,
    preActivation: boolean,
  ): number {
    const { nx, ny, TX, qs, u0, s0 } = this;
    const r = this.layout.rank;
    const { alpha, bound } = this.layout;
    let sum = 0;
    for (let i = 0; i < nx; i++) {
      const xo = i * r;
      for (let k = 0; k < r; k++) {
        TX[k] = T[to + k] * X[xo + k];
        qs[k] = 0;
      }
      for (let j = 0; j < ny; j++) {
        const yo = j * yStride;
        let s = 0;
        for (let k = 0; k < r; k++) s += TX[k] * Y[yo + k];
        let d: number;
        let g: number;
        if (preActivation) {
          d = alpha * s - s0[i * ny + j];
          g = alpha;
        } else {
          const u = bound ? Math.tanh(alpha * s) : alpha * s;
          g = bound ? alpha * (1 - u * u) : alpha;
          d = u - u0[i * ny + j];
        }
        sum += d * d;
        if (!withGrad) continue;
        const a = c * 2 * d * g;
        for (let k = 0; k < r; k++) {
          qs[k] += a * Y[yo + k];
          GY[yo + k] += a * TX[k];
        }
      }
      if (!withGrad) continue;
      for (let k = 0; k < r; k++) {
        GT[to + k] += X[xo + k] * qs[k];
        GX[xo + k] += T[to + k] * qs[k];
      }
    }
    return sum;
  }

  /** Σ (∂u/∂x)² over t_i × {a, b} × y_j; accumulates cB-weighted adjoints. ∂(u_x²)/∂s = 2u_x g_s s_x, ∂/∂s_x = 2u_x g. */
  private boundaryX(
    T: Float64Array,
    GT: Float64Array,
    X: Float64Array,
    X1: Float64Array,
    GX: Float64Array,
    GX1: Float64Array,
    Y: Float64Array,
    GY: Float64Array,
    yStride: number,
    cB: number,
    withGrad: boolean,
  ): number {
    const { nt, nx, ny, TX, TX1, qs, qsx } = this;
    const r = this.layout.rank;
    const { alpha, bound } = this.layout;
    let sum = 0;
    for (let t = 0; t < nt; t++) {
      const to = t * r;
      for (let b = nx; b < nx + 2; b++) {
        const xo = b * r;
        for (let k = 0; k < r; k++) {
          TX[k] = T[to + k] * X[xo + k];
          TX1[k] = T[to + k] * X1[xo + k];
          qs[k] = qsx[k] = 0;
        }
        for (let j = 0; j < ny; j++) {
          const yo = j * yStride;
          let s = 0;
          let sx = 0;
          for (let k = 0; k < r; k++) {
            s += TX[k] * Y[yo + k];
            sx += TX1[k] * Y[yo + k];
          }
          const u = bound ? Math.tanh(alpha * s) : alpha * s;
          const g = bound ? alpha * (1 - u * u) : alpha;
          const gs = bound ? -2 * alpha * u * g : 0;
          const un = g * sx;
          sum += un * un;
          if (!withGrad) continue;
          const aS = cB * 2 * un * gs * sx;
          const aSx = cB * 2 * un * g;
          for (let k = 0; k < r; k++) {
            const yk = Y[yo + k];
            qs[k] += aS * yk;
            qsx[k] += aSx * yk;
            GY[yo + k] += aS * TX[k] + aSx * TX1[k];
          }
        }
        if (!withGrad) continue;
        for (let k = 0; k < r; k++) {
          GT[to + k] += X[xo + k] * qs[k] + X1[xo + k] * qsx[k];
          GX[xo + k] += T[to + k] * qs[k];
          GX1[xo + k] += T[to + k] * qsx[k];
        }
      }
    }
    return sum;
  }

  /** Σ (∂u/∂y)² over t_i × x_j × {a, b} (2D only). */
  private boundaryY(
    T: Float64Array,
    GT: Float64Array,
    X: Float64Array,
    GX: Float64Array,
    Y: Float64Array,
    Y1: Float64Array,
    GY: Float64Array,
    GY1: Float64Array,
    cB: number,
    withGrad: boolean,
  ): number {
    const { nt, nx, ny, TX, qs, qsy } = this;
    const r = this.layout.rank;
    const { alpha, bound } = this.layout;
    let sum = 0;
    for (let t = 0; t < nt; t++) {
      const to = t * r;
      for (let i = 0; i < nx; i++) {
        const xo = i * r;
        for (let k = 0; k < r; k++) {
          TX[k] = T[to + k] * X[xo + k];
          qs[k] = qsy[k] = 0;
        }
        for (let b = ny; b < ny + 2; b++) {
          const yo = b * r;
          let s = 0;
          let sy = 0;
          for (let k = 0; k < r; k++) {
            s += TX[k] * Y[yo + k];
            sy += TX[k] * Y1[yo + k];
          }
          const u = bound ? Math.tanh(alpha * s) : alpha * s;
          const g = bound ? alpha * (1 - u * u) : alpha;
          const gs = bound ? -2 * alpha * u * g : 0;
          const un = g * sy;
          sum += un * un;
          if (!withGrad) continue;
          const aS = cB * 2 * un * gs * sy;
          const aSy = cB * 2 * un * g;
          for (let k = 0; k < r; k++) {
            qs[k] += aS * Y[yo + k] + aSy * Y1[yo + k];
            GY[yo + k] += aS * TX[k];
            GY1[yo + k] += aSy * TX[k];
          }
        }
        if (!withGrad) continue;
        for (let k = 0; k < r; k++) {
          GT[to + k] += X[xo + k] * qs[k];
          GX[xo + k] += T[to + k] * qs[k];
        }
      }
    }
    return sum;
  }
}
