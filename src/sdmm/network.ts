import { isPeriodic, type ProblemConfig } from '../physics/problems.js';
import { glorotUniform } from '../nn/init.js';
import type { SdmmOptions } from './options.js';
import { encodeAxis, encodePoint } from './encoding.js';

// The coordinate encoding lives in encoding.ts (no TensorFlow.js import, so the engine's worker
// threads can load it); re-exported here as part of the network's API.
export { encodeAxis };

/**
 * The separable network of SDMM (Mattey & Ghosh, arXiv 2405.06119; the separable structure of
 * SPINN, Cho et al. 2023):
 *
 *   2D: u_θ(x, y) = tanh(α s(x, y)),  s = Σ_{k<r} X_k(x) Y_k(y)
 *   1D: u_θ(x)    = tanh(α s(x)),     s = Σ_{k<r} X_k(x)      (the r outputs of one MLP, summed)
 *
 * with one MLP per axis mapping an encoded scalar coordinate to r features (a third axis would
 * add Z_k(z) to the product: s = Σ_k X_k Y_k Z_k; the layout below is per axis already). With the
 * bounding switched off, u = α s.
 *
 * Coordinate encoding per axis, on [a, b] with L = b − a:
 *   non-periodic: ξ = 2(x − a)/L − 1 ∈ [−1, 1],         dξ/dx = 2/L
 *   periodic:     ξ = (cos φ, sin φ), φ = 2π(x − a)/L,  dξ/dx = (−sin φ, cos φ) 2π/L
 * so periodicity (of u and all its derivatives) is exact.
 *
 * Exact spatial derivatives by forward tangent propagation through each MLP, by hand
 * (tfjs has no forward mode):
 *   z_l = h_l W_l + b_l,  h_{l+1} = σ(z_l),  t_{l+1} = σ'(z_l) ⊙ (t_l W_l),  t_0 = dξ/dx
 *   X = h_L W_L + b_L,  X' = t_L W_L
 * and then ∂u/∂x = α (1 − u²) Σ_k X'_k Y_k, ∂u/∂y = α (1 − u²) Σ_k X_k Y'_k.
 *
 * Parameter layout θ (one flat Float64Array): for each axis in order x, y, for each layer l in
 * order, W_l row-major (in_l × out_l: W[i·out + j]), then b_l (out_l); then α if trainable.
 * Initialisation: Glorot (Xavier) uniform, limit √(6/(in + out)), biases zero, from mulberry32(seed).
 */

export type Activation = SdmmOptions['activation'];

export interface LayerLayout {
  readonly inputs: number;
  readonly outputs: number;
  /** Offset of W (inputs × outputs, row-major) in θ. */
  readonly weightOffset: number;
  /** Offset of b (outputs) in θ. */
  readonly biasOffset: number;
}

export interface AxisLayout {
  readonly min: number;
  readonly max: number;
  readonly periodic: boolean;
  /** 1 (ξ) or 2 (cos φ, sin φ). */
  readonly inputs: 1 | 2;
  /** Hidden layers then the linear output layer (outputs = rank). */
  readonly layers: readonly LayerLayout[];
}

export interface NetworkLayout {
  readonly dim: 1 | 2;
  readonly rank: number;
  readonly width: number;
  readonly depth: number;
  readonly activation: Activation;
  readonly bound: boolean;
  readonly axes: readonly AxisLayout[];
  /** Index of α in θ, or −1 when α is fixed. */
  readonly alphaIndex: number;
  /** α when fixed; the initial α when trained. */
  readonly alpha: number;
  /** Length of θ. */
  readonly size: number;
}

export function networkLayout(
  problem: ProblemConfig,
  o: Pick<SdmmOptions, 'rank' | 'width' | 'depth' | 'activation' | 'alpha' | 'trainAlpha' | 'bound'>,
): NetworkLayout {
  let offset = 0;
  const axes: AxisLayout[] = [];
  for (let a = 0; a < problem.dim; a++) {
    const periodic = isPeriodic(problem, a as 0 | 1);
    const inputs = periodic ? 2 : 1;
    const sizes = [inputs, ...new Array<number>(o.depth).fill(o.width), o.rank];
    const layers: LayerLayout[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const weightOffset = offset;
      offset += sizes[l] * sizes[l + 1];
      const biasOffset = offset;
      offset += sizes[l + 1];
      layers.push({ inputs: sizes[l], outputs: sizes[l + 1], weightOffset, biasOffset });
    }
    axes.push({ min: problem.domain.min[a], max: problem.domain.max[a], periodic, inputs, layers });
  }
  const alphaIndex = o.trainAlpha ? offset++ : -1;
  return {
    dim: problem.dim,
    rank: o.rank,
    width: o.width,
    depth: o.depth,
    activation: o.activation,
    bound: o.bound,
    axes,
    alphaIndex,
    alpha: o.alpha,
    size: offset,
  };
}

/** Seeded Glorot-uniform weights, zero biases, α at its initial value. */
export function initialParameters(layout: NetworkLayout, seed: number): Float64Array {
  const theta = glorotUniform(new Float64Array(layout.size), layout.axes.flatMap((a) => a.layers), seed);
  if (layout.alphaIndex >= 0) theta[layout.alphaIndex] = layout.alpha;
  return theta;
}

/** σ(z), σ'(z) in float64. GELU is the tanh approximation 0.5 z (1 + tanh(c (z + 0.044715 z³))), c = √(2/π). */
export function activate64(act: Activation, z: number): [number, number] {
  switch (act) {
    case 'tanh': {
      const h = Math.tanh(z);
      return [h, 1 - h * h];
    }
    case 'sin':
      return [Math.sin(z), Math.cos(z)];
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      const t = Math.tanh(c * (z + 0.044715 * z * z * z));
      return [0.5 * z * (1 + t), 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z)];
    }
  }
}

/**
 * Float64 evaluation of the network at single points, in plain JavaScript (for `sample` and the
 * tests). θ is copied in by `setParameters`; the scratch buffers are allocated once.
 */
export class NetworkEvaluator {
  private theta = new Float64Array(0);
  private readonly h: Float64Array;
  private readonly hNext: Float64Array;
  private readonly t: Float64Array;
  private readonly tNext: Float64Array;
  private readonly features: Float64Array[];
  private readonly tangents: Float64Array[];
  private readonly enc = new Float64Array(2);
  private readonly dEnc = new Float64Array(2);

  constructor(readonly layout: NetworkLayout) {
    const n = Math.max(layout.width, layout.rank, 2);
    this.h = new Float64Array(n);
    this.hNext = new Float64Array(n);
    this.t = new Float64Array(n);
    this.tNext = new Float64Array(n);
    this.features = layout.axes.map(() => new Float64Array(layout.rank));
    this.tangents = layout.axes.map(() => new Float64Array(layout.rank));
  }

  setParameters(theta: ArrayLike<number>): void {
    if (theta.length !== this.layout.size) {
      throw new Error(`parameter vector has ${theta.length} entries, the network needs ${this.layout.size}`);
    }
    this.theta = Float64Array.from(theta);
  }

  get alpha(): number {
    return this.layout.alphaIndex >= 0 ? this.theta[this.layout.alphaIndex] : this.layout.alpha;
  }

  /** X(x) and X'(x) of axis a into out (r) and dOut (r). */
  axisFeatures(a: number, x: number, out: Float64Array, dOut: Float64Array): void {
    const axis = this.layout.axes[a];
    const th = this.theta;
    const { enc, dEnc } = this;
    encodePoint(axis, x, enc, dEnc, 0);
    let h: Float64Array = enc;
    let t: Float64Array = dEnc;
    const last = axis.layers.length - 1;
    const tanhActivation = this.layout.activation === 'tanh';
    for (let l = 0; l <= last; l++) {
      const { inputs, outputs, weightOffset, biasOffset } = axis.layers[l];
      const hOut = l === last ? out : h === this.h ? this.hNext : this.h;
      const tOut = l === last ? dOut : t === this.t ? this.tNext : this.t;
      for (let j = 0; j < outputs; j++) {
        let z = th[biasOffset + j];
        let tw = 0;
        for (let i = 0; i < inputs; i++) {
          const w = th[weightOffset + i * outputs + j];
          z += h[i] * w;
          tw += t[i] * w;
        }
        if (l === last) {
          hOut[j] = z;
          tOut[j] = tw;
        } else if (tanhActivation) {
          // activate64('tanh', z) without its pair: the same two operations, no allocation per unit.
          const s = Math.tanh(z);
          hOut[j] = s;
          tOut[j] = (1 - s * s) * tw;
        } else {
          const [s, ds] = activate64(this.layout.activation, z);
          hOut[j] = s;
          tOut[j] = ds * tw;
        }
      }
      h = hOut;
      t = tOut;
    }
  }

  /**
   * u at one point (p[0], p[1]) in float64; if `grad` is given, ∇u is written to it
   * (exact, by the tangent propagation above).
   */
  value(p: ArrayLike<number>, grad?: Float64Array): number {
    const { layout } = this;
    for (let a = 0; a < layout.dim; a++) this.axisFeatures(a, p[a], this.features[a], this.tangents[a]);
    return this.combine(this.features, this.tangents, 0, 0, grad);
  }

  /**
   * u = tanh(α s), s = Σ_k Π_a X_k^a, and ∇u (into `grad` if given) from the per-axis features
   * X^a_k = features[a][o_a + k], X^a_k' = tangents[a][o_a + k] (k < r), o_0 = offset0, o_1 = offset1
   * (unused in 1D). The same arithmetic for a point whose features were just computed (value) and
   * for one whose features are shared with other points on the same grid line (mlpNetwork's
   * evaluate), so both give the same bits.
   */
  combine(features: readonly Float64Array[], tangents: readonly Float64Array[], offset0: number, offset1: number, grad?: Float64Array): number {
    const { layout } = this;
    const r = layout.rank;
    let s = 0;
    let sx = 0;
    let sy = 0;
    if (layout.dim === 1) {
      const X = features[0];
      const dX = tangents[0];
      for (let k = 0; k < r; k++) {
        s += X[offset0 + k];
        sx += dX[offset0 + k];
      }
    } else {
      const [X, Y] = features;
      const [dX, dY] = tangents;
      for (let k = 0; k < r; k++) {
        s += X[offset0 + k] * Y[offset1 + k];
        sx += dX[offset0 + k] * Y[offset1 + k];
        sy += X[offset0 + k] * dY[offset1 + k];
      }
    }
    const alpha = this.alpha;
    let u: number;
    let g: number;
    if (layout.bound) {
      u = Math.tanh(alpha * s);
      const c = Math.cosh(alpha * s);
      g = alpha / (c * c);
    } else {
      u = alpha * s;
      g = alpha;
    }
    if (grad) {
      grad[0] = g * sx;
      if (layout.dim === 2) grad[1] = g * sy;
    }
    return u;
  }
}

/**
 * A separable network architecture, u_θ = tanh(α Σ_k Π_a X_k^a(x_a)) with one feature map per axis:
 * what the solver, the initial fit and the engines need from it. The engines evaluate the losses
 * from `layout` (the per-axis MLP today); a new architecture is a new implementation of this
 * interface and a layout the engines know.
 */
export interface SeparableNetwork {
  readonly layout: NetworkLayout;
  /** Seeded initial parameters θ (length layout.size). */
  initialParameters(seed: number): Float64Array;
  /**
   * Forward pass of axis a with input tangents, float64: X_k(x_i) into X[i·r + k] and
   * X'_k(x_i) = dX_k/dx into dX[i·r + k] for the points xs (r = layout.rank).
   */
  axisFeatures(theta: Float64Array, a: number, xs: ArrayLike<number>, X: Float64Array, dX: Float64Array): void;
  /** u_θ at points (layout points[dim·i + k]) into out[i], float64; ∇u_θ into grad[dim·i + k] if given. */
  evaluate(theta: Float64Array, points: Float64Array, out: Float64Array, grad?: Float64Array): Float64Array;
}

/** The per-axis MLP architecture of the module comment as a SeparableNetwork. */
export function mlpNetwork(layout: NetworkLayout): SeparableNetwork {
  const ev = new NetworkEvaluator(layout);
  const r = layout.rank;
  const dim = layout.dim;
  const out1 = new Float64Array(r);
  const dOut1 = new Float64Array(r);
  const g = new Float64Array(dim);
  return {
    layout,
    initialParameters: (seed) => initialParameters(layout, seed),
    axisFeatures(theta, a, xs, X, dX) {
      ev.setParameters(theta);
      for (let i = 0; i < xs.length; i++) {
        ev.axisFeatures(a, xs[i], out1, dOut1);
        X.set(out1, i * r);
        dX.set(dOut1, i * r);
      }
    },
    evaluate(theta, points, out, grad) {
      ev.setParameters(theta);
      const n = points.length / dim;
      // Each axis's MLP runs once per distinct coordinate (a k × k sample grid: 2k forward passes,
      // not 2k²); the features are then combined per point exactly as NetworkEvaluator.value does.
      const rows: Int32Array[] = [];
      const features: Float64Array[] = [];
      const tangents: Float64Array[] = [];
      for (let a = 0; a < dim; a++) {
        const index = new Map<number, number>();
        const row = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const x = points[dim * i + a];
          let j = index.get(x);
          if (j === undefined) index.set(x, (j = index.size));
          row[i] = j;
        }
        const X = new Float64Array(index.size * r);
        const dX = new Float64Array(index.size * r);
        for (const [x, j] of index) {
          ev.axisFeatures(a, x, out1, dOut1);
          X.set(out1, j * r);
          dX.set(dOut1, j * r);
        }
        rows.push(row);
        features.push(X);
        tangents.push(dX);
      }
      for (let i = 0; i < n; i++) {
        out[i] = ev.combine(features, tangents, rows[0][i] * r, dim === 2 ? rows[1][i] * r : 0, grad ? g : undefined);
        if (grad) for (let k = 0; k < dim; k++) grad[dim * i + k] = g[k];
      }
      return out;
    },
  };
}
