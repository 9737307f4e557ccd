import * as tf from '../tf.js';
import { gradientEnergy, potentialEnergy, sourceWork } from '../../physics/energy.js';
import { tensorRule, type Rule1D } from '../../quadrature/index.js';
import { encodeAxis, type Activation, type AxisLayout, type NetworkLayout } from '../network.js';
import type { EngineObjective, EngineSetup, SdmmEngine } from './types.js';

/**
 * The SDMM losses on TensorFlow.js (the accelerator path: tfjs-node(-gpu), wasm, cpu; float32),
 * implementing the SdmmEngine contract. The per-axis MLPs with their hand-propagated input
 * tangents are written as tf ops (tfjs has no forward mode, and nested tf.grad through tanh is
 * broken in tfjs 4.x); one reverse-mode pass (tf.valueAndGrad) gives the θ-gradient.
 *
 * θ arrives as a Float64Array and is rounded to float32 for the evaluation; values and gradients
 * come back as float64 numbers.
 *
 * The 'step' objective is evaluated as the difference Jₙ(u) − Jₙ(uⁿ), with every term written so
 * that it vanishes at u = uⁿ,
 *   ½(|∇u|² − |∇uⁿ|²) = ½ Σ_k (∂_k u − ∂_k uⁿ)(∂_k u + ∂_k uⁿ),
 *   ε⁻²(F(u) − F(uⁿ)) = ¼ ε⁻² (u − uⁿ)(u + uⁿ)(u² + uⁿ² − 2),
 *   (u − uⁿ)²/(2mτ) − σ (u − uⁿ),
 * and the float64 offset Jₙ(uⁿ) = E(uⁿ) − Σ_q w_q σ_q uⁿ_q (computed in `setStep`) is added to the
 * returned value, so the engine returns the full Jₙ as the contract asks while float32 keeps the
 * small changes of Jₙ that decide a step. Summing Jₙ itself in float32 buries them: small-amplitude
 * data (coarsening, |u| ≤ 0.05) has Jₙ ≈ ε⁻²/4 = 156 from the bulk term, float32 rounding of order
 * 1e-5 there, and per-step changes of Jₙ of 1e-4 to 1e-6.
 */

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


/** The TensorFlow.js engine; `backend` is the tfjs backend that runs ('tensorflow', 'wasm', 'cpu'). */
export class TfjsEngine implements SdmmEngine {
  readonly name: string;
  readonly precision = 'float32' as const;
  readonly threads = 1;
  readonly points: number;
  readonly versions = { 'tfjs-core': tf.version_core, tfjsBackend: tf.getBackend() };
  private readonly layout: NetworkLayout;
  private readonly shape: number[];
  private weights: Float64Array;
  private weightsT: tf.Tensor;
  private inputs: { enc: tf.Tensor2D; dEnc: tf.Tensor2D }[];
  private readonly invEps2: number;
  private readonly invMovement: number;
  private readonly epsilon: number;
  private uPrevT: tf.Tensor | null = null;
  private uPrevGradT: tf.Tensor[] = [];
  private sigmaT: tf.Tensor | null = null;
  /** Jₙ(uⁿ) in float64: the offset added to the float32 difference. */
  private jPrev = NaN;
  private targetT: tf.Tensor | null = null;
  private preTargetT: tf.Tensor | null = null;
  private readonly lossGrad: Record<EngineObjective, (theta: tf.Tensor1D) => { value: tf.Scalar; grad: tf.Tensor1D }>;
  private disposed = false;

  constructor(setup: EngineSetup, backend: string) {
    this.name = `tfjs-${backend}`;
    this.layout = setup.layout;
    this.shape = setup.rules.map((r) => r.points.length);
    this.weights = tensorRule(setup.rules).weights;
    this.points = this.weights.length;
    this.weightsT = tf.tensor(Float32Array.from(this.weights), this.shape, 'float32');
    this.inputs = this.encodeInputs(setup.rules);
    this.epsilon = setup.epsilon;
    this.invEps2 = 1 / (setup.epsilon * setup.epsilon);
    this.invMovement = 1 / (2 * setup.mobility * setup.tau);
    this.lossGrad = {
      step: tf.valueAndGrad((theta: tf.Tensor1D) => this.stepDifference(theta)),
      fit: tf.valueAndGrad((theta: tf.Tensor1D) => {
        if (!this.targetT) throw new Error('TfjsEngine: setFitTargets() before evaluate("fit")');
        return tf.mean(tf.square(tf.sub(this.fieldTf(theta).u, this.targetT))) as tf.Scalar;
      }),
      'pre-fit': tf.valueAndGrad((theta: tf.Tensor1D) => {
        if (!this.preTargetT) throw new Error('TfjsEngine: setFitTargets() before evaluate("pre-fit")');
        const field = separableFieldTf(theta, this.layout, this.inputs);
        return tf.mean(tf.square(tf.sub(tf.mul(alphaOf(theta, this.layout), field.s), this.preTargetT))) as tf.Scalar;
      }),
    };
  }

  /** The encoded coordinates of each axis and their derivatives, as float32 tensors. */
  private encodeInputs(rules: readonly Rule1D[]): { enc: tf.Tensor2D; dEnc: tf.Tensor2D }[] {
    return this.layout.axes.map((axis, a) => {
      const { enc, dEnc } = encodeAxis(axis, rules[a].points);
      const n = this.shape[a];
      return {
        enc: tf.tensor2d(Float32Array.from(enc), [n, axis.inputs], 'float32'),
        dEnc: tf.tensor2d(Float32Array.from(dEnc), [n, axis.inputs], 'float32'),
      };
    });
  }

  setGrid(rules: readonly Rule1D[]): void {
    this.checkAlive();
    if (rules.length !== this.shape.length) throw new Error(`TfjsEngine: setGrid got ${rules.length} rules for ${this.shape.length} axes`);
    rules.forEach((rule, a) => {
      if (rule.points.length !== this.shape[a] || rule.weights.length !== this.shape[a]) {
        throw new Error(`TfjsEngine: setGrid rules[${a}] has ${rule.points.length} points and ${rule.weights.length} weights, the grid has ${this.shape[a]}`);
      }
    });
    for (const { enc, dEnc } of this.inputs) tf.dispose([enc, dEnc]);
    this.weightsT.dispose();
    this.weights = tensorRule(rules).weights;
    this.weightsT = tf.tensor(Float32Array.from(this.weights), this.shape, 'float32');
    this.inputs = this.encodeInputs(rules);
    for (const t of [this.uPrevT, this.sigmaT, this.targetT, this.preTargetT, ...this.uPrevGradT]) t?.dispose();
    this.uPrevT = this.sigmaT = this.targetT = this.preTargetT = null;
    this.uPrevGradT = [];
  }

  private fieldTf(theta: tf.Tensor1D) {
    return boundedFieldTf(separableFieldTf(theta, this.layout, this.inputs), alphaOf(theta, this.layout), this.layout.bound);
  }

  /** Jₙ(u_θ) − Jₙ(uⁿ) in float32, every term a difference that vanishes at u = uⁿ (module comment). */
  private stepDifference(theta: tf.Tensor1D): tf.Scalar {
    const uPrev = this.uPrevT;
    if (!uPrev) throw new Error('TfjsEngine: setStep() before evaluate("step")');
    const { u, grad } = this.fieldTf(theta);
    const gPrev = this.uPrevGradT;
    let density = tf.mul(0.5, grad.map((g, k) => tf.mul(tf.sub(g, gPrev[k]), tf.add(g, gPrev[k]))).reduce((a, b) => tf.add(a, b)));
    const du = tf.sub(u, uPrev);
    const bulk = tf.mul(tf.mul(du, tf.add(u, uPrev)), tf.sub(tf.add(tf.square(u), tf.square(uPrev)), 2));
    density = tf.add(density, tf.mul(0.25 * this.invEps2, bulk));
    density = tf.add(density, tf.mul(this.invMovement, tf.square(du)));
    if (this.sigmaT) density = tf.sub(density, tf.mul(this.sigmaT, du));
    return tf.sum(tf.mul(this.weightsT, density)) as tf.Scalar;
  }

  private upload(v: Float64Array): tf.Tensor {
    if (v.length !== this.points) throw new Error(`TfjsEngine: grid array has ${v.length} entries, the grid has ${this.points}`);
    return tf.tensor(Float32Array.from(v), this.shape, 'float32');
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('TfjsEngine used after dispose()');
  }

  setStep(uPrev: Float64Array, gradPrev: readonly Float64Array[], sigma: Float64Array | null): void {
    this.checkAlive();
    this.uPrevT?.dispose();
    for (const t of this.uPrevGradT) t.dispose();
    this.sigmaT?.dispose();
    this.uPrevT = this.upload(uPrev);
    this.uPrevGradT = gradPrev.map((g) => this.upload(g));
    this.sigmaT = sigma ? this.upload(sigma) : null;
    this.jPrev =
      potentialEnergy(this.weights, uPrev, this.epsilon) + gradientEnergy(this.weights, gradPrev) - (sigma ? sourceWork(this.weights, sigma, uPrev) : 0);
  }

  setFitTargets(u0: Float64Array, sTarget: Float64Array): void {
    this.checkAlive();
    this.targetT?.dispose();
    this.preTargetT?.dispose();
    this.targetT = this.upload(u0);
    this.preTargetT = this.upload(sTarget);
  }

  evaluate(objective: EngineObjective, theta: Float64Array, grad: Float64Array): number {
    this.checkAlive();
    const vg = this.lossGrad[objective];
    let value = NaN;
    tf.tidy(() => {
      const r = vg(tf.tensor1d(Float32Array.from(theta), 'float32'));
      value = r.value.dataSync()[0];
      const g = r.grad.dataSync();
      for (let p = 0; p < grad.length; p++) grad[p] = g[p];
    });
    return objective === 'step' ? value + this.jPrev : value;
  }

  /**
   * u and ∇u on the grid in float64 from the float32 separable sums s, ∂s/∂x_k:
   * u = tanh(α s), ∂u/∂x_k = α sech²(α s) ∂s/∂x_k (bounded) or u = α s, ∂u/∂x_k = α ∂s/∂x_k.
   */
  fieldOnGrid(theta: Float64Array, u: Float64Array, grad: readonly Float64Array[]): void {
    this.checkAlive();
    const theta32 = Float32Array.from(theta);
    const arrays = tf.tidy(() => {
      const f = separableFieldTf(tf.tensor1d(theta32, 'float32'), this.layout, this.inputs);
      return [f.s, ...f.ds].map((t) => t.dataSync() as Float32Array);
    });
    const [s, ...ds] = arrays;
    const alpha = this.layout.alphaIndex >= 0 ? theta32[this.layout.alphaIndex] : this.layout.alpha;
    for (let q = 0; q < s.length; q++) {
      const as = alpha * s[q];
      let g = alpha;
      if (this.layout.bound) {
        u[q] = Math.tanh(as);
        const c = Math.cosh(as);
        g = alpha / (c * c);
      } else u[q] = as;
      for (let k = 0; k < ds.length; k++) grad[k][q] = g * ds[k][q];
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weightsT.dispose();
    for (const i of this.inputs) {
      i.enc.dispose();
      i.dEnc.dispose();
    }
    this.uPrevT?.dispose();
    for (const t of this.uPrevGradT) t.dispose();
    this.sigmaT?.dispose();
    this.targetT?.dispose();
    this.preTargetT?.dispose();
  }
}
