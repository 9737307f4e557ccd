import * as tf from '@tensorflow/tfjs';
import { isPeriodic, type ProblemConfig } from '../physics/problems.js';
import { mulberry32 } from '../physics/random.js';
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
 * Parameter layout θ (one flat Float32Array): for each axis in order x, y, for each layer l in
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
export function initialParameters(layout: NetworkLayout, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const theta = new Float32Array(layout.size);
  for (const axis of layout.axes) {
    for (const L of axis.layers) {
      const limit = Math.sqrt(6 / (L.inputs + L.outputs));
      for (let i = 0; i < L.inputs * L.outputs; i++) theta[L.weightOffset + i] = limit * (2 * rand() - 1);
    }
  }
  if (layout.alphaIndex >= 0) theta[layout.alphaIndex] = layout.alpha;
  return theta;
}

/** σ(z) and σ'(z) as tensors. GELU is the tanh approximation 0.5 z (1 + tanh(c (z + 0.044715 z³))), c = √(2/π). */
function activateTf(act: Activation, z: tf.Tensor): [tf.Tensor, tf.Tensor] {
  switch (act) {
    case 'tanh': {
      const h = tf.tanh(z);
      return [h, tf.sub(1, tf.square(h))];
    }
    case 'sin':
      return [tf.sin(z), tf.cos(z)];
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      const z2 = tf.square(z);
      const t = tf.tanh(tf.mul(c, tf.add(z, tf.mul(0.044715, tf.mul(z2, z)))));
      const onePlusT = tf.add(1, t);
      const h = tf.mul(0.5, tf.mul(z, onePlusT));
      const dInner = tf.mul(c, tf.add(1, tf.mul(3 * 0.044715, z2)));
      const dh = tf.add(tf.mul(0.5, onePlusT), tf.mul(0.5, tf.mul(z, tf.mul(tf.sub(1, tf.square(t)), dInner))));
      return [h, dh];
    }
  }
}

/** The same σ, σ' in float64 (for sampling and tests). */
function activate64(act: Activation, z: number): [number, number] {
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
 * Features X (n × r) and tangents X' = dX/dx (n × r) of one axis, as tensors, from the flat
 * parameter tensor θ and the encoded inputs (n × inputs) with their derivatives. Differentiable
 * in θ (reverse mode through all of it).
 */
export function axisFeaturesTf(
  theta: tf.Tensor1D,
  axis: AxisLayout,
  activation: Activation,
  enc: tf.Tensor2D,
  dEnc: tf.Tensor2D,
): { X: tf.Tensor2D; dX: tf.Tensor2D } {
  let h: tf.Tensor2D = enc;
  let t: tf.Tensor2D = dEnc;
  const last = axis.layers.length - 1;
  for (let l = 0; l <= last; l++) {
    const L = axis.layers[l];
    const W = tf.reshape(tf.slice(theta, L.weightOffset, L.inputs * L.outputs), [L.inputs, L.outputs]) as tf.Tensor2D;
    const b = tf.slice(theta, L.biasOffset, L.outputs);
    const z = tf.add(tf.matMul(h, W), b) as tf.Tensor2D;
    const tW = tf.matMul(t, W);
    if (l === last) return { X: z, dX: tW as tf.Tensor2D };
    const [hn, dsig] = activateTf(activation, z);
    h = hn as tf.Tensor2D;
    t = tf.mul(dsig, tW) as tf.Tensor2D;
  }
  throw new Error('unreachable: a network has at least one layer');
}

/** Grid quantities of the separable field as tensors: s and its derivatives ∂s/∂x_k, shaped [n_x] (1D) or [n_x, n_y] (2D). */
export interface FieldTensors {
  s: tf.Tensor;
  ds: tf.Tensor[];
}

/**
 * s = Σ_k X_k Y_k on the tensor grid (2D: s = X Yᵀ, ∂s/∂x = X' Yᵀ, ∂s/∂y = X Y'ᵀ; 1D: row sums).
 * `inputs[a]` are the encoded grid coordinates of axis a and their derivatives.
 */
export function separableFieldTf(
  theta: tf.Tensor1D,
  layout: NetworkLayout,
  inputs: readonly { enc: tf.Tensor2D; dEnc: tf.Tensor2D }[],
): FieldTensors {
  const f = layout.axes.map((axis, a) => axisFeaturesTf(theta, axis, layout.activation, inputs[a].enc, inputs[a].dEnc));
  if (layout.dim === 1) return { s: tf.sum(f[0].X, 1), ds: [tf.sum(f[0].dX, 1)] };
  const [x, y] = f;
  return {
    s: tf.matMul(x.X, y.X, false, true),
    ds: [tf.matMul(x.dX, y.X, false, true), tf.matMul(x.X, y.dX, false, true)],
  };
}

/** α as a tensor (trainable: the last entry of θ) or a number. */
export function alphaOf(theta: tf.Tensor1D, layout: NetworkLayout): tf.Tensor | number {
  return layout.alphaIndex >= 0 ? tf.reshape(tf.slice(theta, layout.alphaIndex, 1), []) : layout.alpha;
}

/**
 * u and ∇u on the grid from s: bounded u = tanh(α s), ∂u/∂x_k = α (1 − u²) ∂s/∂x_k;
 * unbounded u = α s, ∂u/∂x_k = α ∂s/∂x_k.
 */
export function boundedFieldTf(field: FieldTensors, alpha: tf.Tensor | number, bound: boolean): { u: tf.Tensor; grad: tf.Tensor[] } {
  const as = tf.mul(alpha, field.s);
  if (!bound) return { u: as, grad: field.ds.map((d) => tf.mul(alpha, d)) };
  const u = tf.tanh(as);
  const g = tf.mul(alpha, tf.sub(1, tf.square(u)));
  return { u, grad: field.ds.map((d) => tf.mul(g, d)) };
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
    const r = layout.rank;
    for (let a = 0; a < layout.dim; a++) this.axisFeatures(a, p[a], this.features[a], this.tangents[a]);
    let s = 0;
    let sx = 0;
    let sy = 0;
    if (layout.dim === 1) {
      for (let k = 0; k < r; k++) {
        s += this.features[0][k];
        sx += this.tangents[0][k];
      }
    } else {
      const [X, Y] = this.features;
      const [dX, dY] = this.tangents;
      for (let k = 0; k < r; k++) {
        s += X[k] * Y[k];
        sx += dX[k] * Y[k];
        sy += X[k] * dY[k];
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
