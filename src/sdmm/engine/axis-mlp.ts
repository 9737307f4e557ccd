import { encodeAxis } from '../encoding.js';
import type { Activation, AxisLayout } from '../network.js';
import { dotCross, dotRows, transpose } from './dense.js';
import { tanh } from '../../util/portable-math.js';
import { simdAvailable, simdKernels, type SimdKernels } from './wasm.js';

/**
 * One per-axis MLP of the separable network (src/sdmm/network.ts) evaluated on a whole 1D grid of
 * n coordinates at once, in float64: the features X (n × r), their exact coordinate derivatives
 * T = dX/dx by forward tangent propagation, and the reverse pass that turns ∂L/∂X and ∂L/∂T into
 * ∂L/∂θ for this axis's slice of θ.
 *
 * Forward (per layer l, hidden layers σ, the last layer linear; H_0 = ξ(x), T_0 = dξ/dx):
 *   Z_l = H_l W_l + b_l,  H_{l+1} = σ(Z_l),  T_{l+1} = σ'(Z_l) ⊙ (T_l W_l)
 *   X = H_L W_L + b_L,    T = T_L W_L
 * Reverse, from gH = ∂L/∂H_{l+1}, gT = ∂L/∂T_{l+1} (at the top gH = ∂L/∂X, gT = ∂L/∂T, and the
 * last layer has σ' = 1, σ'' = 0):
 *   gZ  = gH ⊙ σ'(Z) + gT ⊙ σ''(Z) ⊙ (T_l W_l),   gTW = gT ⊙ σ'(Z)
 *   ∂L/∂W_l = H_lᵀ gZ + T_lᵀ gTW,   ∂L/∂b_l = Σ_i gZ_i,
 *   ∂L/∂H_l = gZ W_lᵀ,   ∂L/∂T_l = gTW W_lᵀ.
 * σ'' is exact: tanh: −2 h (1 − h²); sin: −sin; GELU (tanh form, network.ts): t' + ½ z t'' with
 * t = tanh(c(z + a z³)), v = c(1 + 3a z²), t' = (1 − t²) v, t'' = −2 t t' v + (1 − t²) 6 a c z.
 * tanh is the portable tanh of src/util/portable-math.ts (table-driven, ≤ 5e-15 relative error).
 *
 * Layouts: every grid array is row-major (n × columns): X[i·r + k], T[i·r + k]; θ is the flat
 * parameter vector of network.ts (W_l row-major in_l × out_l at weightOffset, b_l at biasOffset).
 * All scratch lives in this object (allocated once in the constructor); forward and backward do
 * not allocate.
 *
 * Kernels: where WebAssembly SIMD is available (wasm.ts), the scratch lives in a private
 * WebAssembly.Memory and the dense products run as f64x2 kernels — Z = H W + b with TW (rows8pair),
 * ∂L/∂H = gZ Wᵀ, and ∂L/∂W = Hᵀ gZ + Tᵀ gTW (cross8pair) read the row-major arrays directly, so
 * the transposes the TypeScript products need are skipped; a layer whose widths the kernels do not
 * take (rows8: output width a multiple of 8; cross8: even input and output width a multiple of 8)
 * uses dense.ts. X, T, gX, gT and θ's gradient are copied in and out (n r and in·out values per
 * layer, small against the n·in·out products). σ = tanh runs as wasm.ts's actTanh. Measured
 * (scratch A/B, same process, rank 16, width 32, depth 2, benchmarks/README.md): adding the dense
 * kernels took the whole 1-thread evaluation at 64² (where the MLP is two thirds of it) from 1.23×
 * to 2.77× the TypeScript engine's rate, and actTanh with the SIMD density to 3.18×.
 *
 * Reuse: this is the building block for anything that needs one axis network on its own grid —
 * the separable engine, and 1D regressions of an axis's features (the initial fit's per-axis
 * least squares on `lastHidden()` and L-BFGS on a 1D misfit through `backward`).
 */
export class AxisMlp {
  /** Grid points n. */
  readonly points: number;
  /** Outputs r (the rank). */
  readonly rank: number;
  /** Width of the last hidden layer (the columns of `lastHidden().H`). */
  readonly hiddenWidth: number;
  private readonly layers: AxisLayout['layers'];
  /** Per layer l: its input H_l and tangent T_l (n × in_l); H_0, T_0 are the encoded coordinates. */
  private readonly hIn: Float64Array[];
  private readonly tIn: Float64Array[];
  /** Their transposes H_lᵀ, T_lᵀ (in_l × n), for ∂L/∂W_l. */
  private readonly hInT: Float64Array[];
  private readonly tInT: Float64Array[];
  /** Per hidden layer l: σ'(Z_l), σ''(Z_l) and T_l W_l (n × out_l). */
  private readonly d1: Float64Array[];
  private readonly d2: Float64Array[];
  private readonly tw: Float64Array[];
  /** W_l (in_l × out_l), W_lᵀ and b_l copied from θ in float64 at each forward. */
  private readonly weights: Float64Array[];
  private readonly weightsT: Float64Array[];
  private readonly biases: Float64Array[];
  /** Reverse scratch: gradients with respect to a layer's output (n × max width), two buffers each. */
  private readonly gH: Float64Array[];
  private readonly gT: Float64Array[];
  private readonly gZ: Float64Array;
  private readonly gTW: Float64Array;
  private readonly gZT: Float64Array;
  private readonly gTWT: Float64Array;
  private withTangents = true;
  /** The SIMD kernels on this object's memory, or null (dense.ts only). */
  private readonly simd: SimdKernels | null;
  /** Per layer: whether the SIMD kernels take its forward / ∂L/∂W / ∂L/∂H products. */
  private readonly simdRows: boolean[];
  private readonly simdCross: boolean[];
  private readonly simdRowsBack: boolean[];
  /** SIMD staging: the last layer's X, T (n × r), the incoming gX, gT, one layer's ∂L/∂W, zero bias. */
  private readonly xStage: Float64Array;
  private readonly tStage: Float64Array;
  private readonly gxStage: Float64Array;
  private readonly gtStage: Float64Array;
  private readonly gW: Float64Array;
  private readonly zeroBias: Float64Array;

  /**
   * @param axis     the axis's layout (domain, periodic embedding, layers) from networkLayout
   * @param activation hidden activation σ
   * @param coordinates the n grid coordinates x_i of this axis
   * @param options  simd: false keeps to dense.ts (default: the SIMD kernels where available)
   */
  constructor(
    readonly axis: AxisLayout,
    readonly activation: Activation,
    coordinates: ArrayLike<number>,
    options: { simd?: boolean } = {},
  ) {
    const n = coordinates.length;
    if (n < 1) throw new Error('AxisMlp: the axis grid has no points');
    if (axis.layers.length < 1) throw new Error('AxisMlp: the axis network has no layers');
    this.points = n;
    this.layers = axis.layers;
    const last = axis.layers.length - 1;
    this.rank = axis.layers[last].outputs;
    this.hiddenWidth = axis.layers[last].inputs;
    const { enc, dEnc } = encodeAxis(axis, coordinates);
    let maxWidth = this.rank;
    let maxWeights = 0;
    for (const L of axis.layers) {
      maxWidth = Math.max(maxWidth, L.outputs, L.inputs);
      maxWeights = Math.max(maxWeights, L.inputs * L.outputs);
    }
    const useSimd = options.simd !== false && simdAvailable(false);
    // Every array of the workspace, from one allocator: views into a WebAssembly.Memory for the
    // SIMD kernels, or plain arrays. (A first pass with a counting allocator sizes the memory.)
    const build = (take: (len: number) => Float64Array) => {
      const hIn = [take(n * axis.inputs)];
      const tIn = [take(n * axis.inputs)];
      const d1: Float64Array[] = [];
      const d2: Float64Array[] = [];
      const tw: Float64Array[] = [];
      for (let l = 0; l < last; l++) {
        const out = axis.layers[l].outputs;
        hIn.push(take(n * out));
        tIn.push(take(n * out));
        d1.push(take(n * out));
        d2.push(take(n * out));
        tw.push(take(n * out));
      }
      return {
        hIn,
        tIn,
        d1,
        d2,
        tw,
        weights: axis.layers.map((L) => take(L.inputs * L.outputs)),
        weightsT: axis.layers.map((L) => take(L.inputs * L.outputs)),
        biases: axis.layers.map((L) => take(L.outputs)),
        gH: [take(n * maxWidth), take(n * maxWidth)],
        gT: [take(n * maxWidth), take(n * maxWidth)],
        gZ: take(n * maxWidth),
        gTW: take(n * maxWidth),
        xStage: take(useSimd ? n * this.rank : 0),
        tStage: take(useSimd ? n * this.rank : 0),
        gxStage: take(useSimd ? n * this.rank : 0),
        gtStage: take(useSimd ? n * this.rank : 0),
        gW: take(useSimd ? maxWeights : 0),
        zeroBias: take(useSimd ? maxWidth : 0),
      };
    };
    let simd: SimdKernels | null = null;
    let w: ReturnType<typeof build>;
    if (useSimd) {
      let doubles = 0;
      build((len) => {
        doubles += len;
        return new Float64Array(0);
      });
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((8 * doubles) / 65536)) });
      simd = simdKernels(memory);
      let offset = 0;
      w = build((len) => {
        const view = new Float64Array(memory.buffer, 8 * offset, len);
        offset += len;
        return view;
      });
    } else w = build((len) => new Float64Array(len));
    this.simd = simd;
    ({ hIn: this.hIn, tIn: this.tIn, d1: this.d1, d2: this.d2, tw: this.tw, weights: this.weights, weightsT: this.weightsT, biases: this.biases } = w);
    ({ gH: this.gH, gT: this.gT, gZ: this.gZ, gTW: this.gTW, xStage: this.xStage, tStage: this.tStage, gxStage: this.gxStage, gtStage: this.gtStage, gW: this.gW, zeroBias: this.zeroBias } = w);
    this.hIn[0].set(enc);
    this.tIn[0].set(dEnc);
    this.simdRows = axis.layers.map((L) => simd !== null && L.outputs % 8 === 0);
    this.simdCross = axis.layers.map((L) => simd !== null && L.inputs % 2 === 0 && L.outputs % 8 === 0);
    this.simdRowsBack = axis.layers.map((L) => simd !== null && L.inputs % 8 === 0);
    // Transposes, for the TypeScript ∂L/∂W of the layers the SIMD kernels do not take.
    this.hInT = this.hIn.map((h, l) => new Float64Array(this.simdCross[l] ? 0 : h.length));
    this.tInT = this.tIn.map((t, l) => new Float64Array(this.simdCross[l] ? 0 : t.length));
    this.gZT = new Float64Array(n * maxWidth);
    this.gTWT = new Float64Array(n * maxWidth);
    for (let l = 0; l < this.hIn.length; l++) {
      if (this.simdCross[l]) continue;
      const inputs = axis.layers[l].inputs;
      transpose(this.hInT[l], this.hIn[l], n, inputs);
      transpose(this.tInT[l], this.tIn[l], n, inputs);
    }
  }

  /**
   * Move the axis grid to new coordinates (the same number n): re-encodes the input layer H_0, T_0
   * (and its transposes). Used when the quadrature grid moves (SdmmEngine.setGrid; benchmarks/sdmm-grid-shift.ts).
   */
  setCoordinates(coordinates: ArrayLike<number>): void {
    const n = this.points;
    if (coordinates.length !== n) throw new Error(`AxisMlp.setCoordinates: ${coordinates.length} coordinates, the axis grid has ${n} points`);
    const { enc, dEnc } = encodeAxis(this.axis, coordinates);
    this.hIn[0].set(enc);
    this.tIn[0].set(dEnc);
    if (!this.simdCross[0]) {
      const inputs = this.layers[0].inputs;
      transpose(this.hInT[0], this.hIn[0], n, inputs);
      transpose(this.tInT[0], this.tIn[0], n, inputs);
    }
  }

  /** Copy layer l's weights and biases from θ into its row-major W, transposed Wᵀ and b buffers. */
  private loadLayer(l: number, theta: ArrayLike<number>): void {
    const L = this.layers[l];
    const W = this.weights[l];
    const Wt = this.weightsT[l];
    const b = this.biases[l];
    const inp = L.inputs;
    const out = L.outputs;
    for (let c = 0; c < inp; c++) {
      for (let j = 0; j < out; j++) {
        const w = theta[L.weightOffset + c * out + j];
        W[c * out + j] = w;
        Wt[j * inp + c] = w;
      }
    }
    for (let j = 0; j < out; j++) b[j] = theta[L.biasOffset + j];
  }

  /**
   * X (n × r) and, if T is given, T = dX/dx (n × r) at parameters θ. Keeps what the reverse pass
   * needs; call `backward` only after a forward at the same θ (with tangents if gT is to be used).
   */
  forward(theta: ArrayLike<number>, X: Float64Array, T: Float64Array | null): void {
    const n = this.points;
    if (X.length < n * this.rank || (T && T.length < n * this.rank)) {
      throw new Error(`AxisMlp.forward: X and T need ${n * this.rank} entries (n × r)`);
    }
    const last = this.layers.length - 1;
    this.withTangents = T !== null;
    for (let l = 0; l <= last; l++) {
      const L = this.layers[l];
      const W = this.weights[l];
      const Wt = this.weightsT[l];
      const b = this.biases[l];
      const inp = L.inputs;
      const out = L.outputs;
      this.loadLayer(l, theta);
      const isLast = l === last;
      const simd = this.simdRows[l] ? this.simd : null;
      // The SIMD kernels write the last layer into staging in their memory (copied to X, T below).
      const Zout = isLast ? (simd ? this.xStage : X) : this.hIn[l + 1];
      const TWout = isLast ? (T ? (simd ? this.tStage : T) : null) : T ? this.tw[l] : null;
      if (simd) {
        // Z = H W + b (and TW = T W), W read row-major.
        if (TWout) simd.rows8pair(n, out, inp, this.hIn[l].byteOffset, this.tIn[l].byteOffset, W.byteOffset, b.byteOffset, Zout.byteOffset, TWout.byteOffset);
        else simd.rows8(n, out, inp, this.hIn[l].byteOffset, W.byteOffset, b.byteOffset, Zout.byteOffset);
      } else {
        // Z = H W + b: dotRows contracts H's rows with the rows of Wᵀ.
        dotRows(Zout, TWout, this.hIn[l], TWout ? this.tIn[l] : null, Wt, n, out, inp, b);
      }
      if (!isLast && this.simd && !!simd && this.activation === 'tanh' && this.simdCross[l + 1] && (n * out) % 2 === 0) {
        // σ = tanh on the whole layer in SIMD (wasm.ts actTanh; no transposes needed here).
        const tw = this.tw[l];
        this.simd.actTanh(n * out, this.hIn[l + 1].byteOffset, this.d1[l].byteOffset, this.d2[l].byteOffset, tw.byteOffset, this.tIn[l + 1].byteOffset, T ? 1 : 0);
      } else if (!isLast) {
        const transposes = !this.simdCross[l + 1];
        activateLayer(this.activation, n, out, this.hIn[l + 1], transposes ? this.hInT[l + 1] : null, this.d1[l], this.d2[l], T ? this.tw[l] : null, this.tIn[l + 1], transposes ? this.tInT[l + 1] : null);
      } else if (simd) {
        X.set(this.xStage.subarray(0, n * out));
        if (T) T.set(this.tStage.subarray(0, n * out));
      }
    }
  }

  /**
   * ∂L/∂θ for this axis's parameters, written into grad at the axis's offsets (other entries are
   * left alone), from gX = ∂L/∂X and gT = ∂L/∂T (n × r each; gT null when L does not depend on T).
   */
  backward(grad: Float64Array, gX: Float64Array, gT: Float64Array | null): void {
    const n = this.points;
    if (gT && !this.withTangents) throw new Error('AxisMlp.backward: gT given but the forward pass ran without tangents');
    const last = this.layers.length - 1;
    let gH: Float64Array = gX;
    let gTc: Float64Array | null = gT;
    if (this.simd) {
      // The SIMD kernels read their operands from this object's memory.
      const nr = n * this.rank;
      this.gxStage.set(gX.subarray(0, nr));
      gH = this.gxStage;
      if (gT) {
        this.gtStage.set(gT.subarray(0, nr));
        gTc = this.gtStage;
      }
    }
    for (let l = last; l >= 0; l--) {
      const L = this.layers[l];
      const out = L.outputs;
      const inp = L.inputs;
      const cross = this.simdCross[l] ? this.simd : null;
      let gZ: Float64Array;
      let gTW: Float64Array | null;
      if (l === last) {
        gZ = gH;
        gTW = gTc;
      } else {
        gZ = this.gZ;
        gTW = gTc ? this.gTW : null;
        hiddenGradients(n, out, gH, gTc, this.d1[l], this.d2[l], this.tw[l], gZ, gTW, cross ? null : this.gZT, cross ? null : this.gTWT);
      }
      // ∂L/∂W = H_lᵀ gZ + T_lᵀ gTW, ∂L/∂b = Σ_i gZ_i (i ascending per column in both paths).
      if (cross) {
        if (gTW) cross.cross8pair(inp, out, n, this.hIn[l].byteOffset, gZ.byteOffset, this.tIn[l].byteOffset, gTW.byteOffset, this.gW.byteOffset);
        else cross.cross8(inp, out, n, this.hIn[l].byteOffset, gZ.byteOffset, this.gW.byteOffset);
        grad.set(this.gW.subarray(0, inp * out), L.weightOffset);
        const b0 = L.biasOffset;
        for (let j = 0; j < out; j++) grad[b0 + j] = 0;
        for (let i = 0; i < n; i++) {
          const row = i * out;
          for (let j = 0; j < out; j++) grad[b0 + j] += gZ[row + j];
        }
      } else {
        // As dot products over the points of the transposes.
        const gZT = this.gZT;
        const gTWT = gTW ? this.gTWT : null;
        if (l === last) {
          transpose(gZT, gZ, n, out);
          if (gTW && gTWT) transpose(gTWT, gTW, n, out);
        }
        dotCross(grad, L.weightOffset, this.hInT[l], gZT, gTWT ? this.tInT[l] : null, gTWT, inp, out, n);
        for (let j = 0; j < out; j++) {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += gZT[j * n + i];
          grad[L.biasOffset + j] = sum;
        }
      }
      if (l === 0) break;
      // ∂L/∂H_l = gZ W_lᵀ, ∂L/∂T_l = gTW W_lᵀ (into the buffers not holding gH, gT).
      const nextH = gH === this.gH[0] ? this.gH[1] : this.gH[0];
      const nextT = gTc === this.gT[0] ? this.gT[1] : this.gT[0];
      const rows = this.simdRowsBack[l] ? this.simd : null;
      if (rows) {
        // W_lᵀ (out × inp) read row-major: nextH[i, c] = Σ_j gZ[i, j] Wᵀ[j, c].
        const Wt = this.weightsT[l].byteOffset;
        if (gTW) rows.rows8pair(n, inp, out, gZ.byteOffset, gTW.byteOffset, Wt, this.zeroBias.byteOffset, nextH.byteOffset, nextT.byteOffset);
        else rows.rows8(n, inp, out, gZ.byteOffset, Wt, this.zeroBias.byteOffset, nextH.byteOffset);
      } else dotRows(nextH, gTW ? nextT : null, gZ, gTW, this.weights[l], n, inp, out);
      gH = nextH;
      gTc = gTW ? nextT : null;
    }
  }

  /**
   * The last hidden layer's activations H_L and tangents T_L from the latest forward (views into
   * the workspace, n × hiddenWidth row-major; valid until the next forward): X = H_L W_L + b_L, so
   * the last layer is a linear least-squares problem in these columns.
   */
  lastHidden(): { H: Float64Array; T: Float64Array; width: number } {
    const last = this.layers.length - 1;
    return { H: this.hIn[last], T: this.tIn[last], width: this.hiddenWidth };
  }

  /**
   * After a forward without tangents, take a new last layer (W_L, b_L) from θ and recompute
   * X = H_L W_L + b_L (n × r) from the kept hidden features, without running the hidden layers again;
   * `backward` then uses the new W_L. (The initial fit re-solves the last layer at every evaluation.)
   */
  replaceLastLayer(theta: ArrayLike<number>, X: Float64Array): void {
    if (this.withTangents) throw new Error('AxisMlp.replaceLastLayer: the forward pass kept tangents (call forward with T = null)');
    const last = this.layers.length - 1;
    const L = this.layers[last];
    const inp = L.inputs;
    const out = L.outputs;
    const W = this.weights[last];
    const Wt = this.weightsT[last];
    const b = this.biases[last];
    this.loadLayer(last, theta);
    // The same products as forward's last layer, so X has the bits a full forward would give.
    const n = this.points;
    if (this.simdRows[last] && this.simd) {
      this.simd.rows8(n, out, inp, this.hIn[last].byteOffset, W.byteOffset, b.byteOffset, this.xStage.byteOffset);
      X.set(this.xStage.subarray(0, n * out));
    } else dotRows(X, null, this.hIn[last], null, Wt, n, out, inp, b);
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * One pass over a hidden layer's output (n × out, row-major) after Z = H W + b: in place Z ← σ(Z)
 * (also written transposed into hT unless null), d1 = σ'(Z), d2 = σ''(Z), and with tangents
 * T_{l+1} = σ'(Z) ⊙ tw (into t and, transposed, tT unless null). Formulas in the module comment.
 */
function activateLayer(
  act: Activation,
  n: number,
  out: number,
  Z: Float64Array,
  hT: Float64Array | null,
  d1: Float64Array,
  d2: Float64Array,
  tw: Float64Array | null,
  t: Float64Array,
  tT: Float64Array | null,
): void {
  const kind = act === 'tanh' ? 0 : act === 'sin' ? 1 : act === 'gelu' ? 2 : -1;
  if (kind < 0) throw new Error(`AxisMlp: unknown activation '${String(act)}'`);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < out; j++) {
      const q = i * out + j;
      const z = Z[q];
      let h: number;
      let s1: number;
      let s2: number;
      if (kind === 0) {
        h = tanh(z);
        s1 = 1 - h * h;
        s2 = -2 * h * s1;
      } else if (kind === 1) {
        h = Math.sin(z);
        s1 = Math.cos(z);
        s2 = -h;
      } else {
        const z2 = z * z;
        const th = tanh(GELU_C * (z + GELU_A * z2 * z));
        const v = GELU_C * (1 + 3 * GELU_A * z2);
        const sech2 = 1 - th * th;
        const t1 = sech2 * v;
        const t2 = -2 * th * t1 * v + sech2 * 6 * GELU_A * GELU_C * z;
        h = 0.5 * z * (1 + th);
        s1 = 0.5 * (1 + th) + 0.5 * z * t1;
        s2 = t1 + 0.5 * z * t2;
      }
      Z[q] = h;
      if (hT) hT[j * n + i] = h;
      d1[q] = s1;
      d2[q] = s2;
      if (tw) {
        const tv = s1 * tw[q];
        t[q] = tv;
        if (tT) tT[j * n + i] = tv;
      }
    }
  }
}

/**
 * The reverse through a hidden layer's activation (n × out): gZ = gH ⊙ σ'(Z) + gT ⊙ σ''(Z) ⊙ tw and
 * gTW = gT ⊙ σ'(Z) (gT null: gZ = gH ⊙ σ'(Z) only), each also written transposed (gZT, gTWT)
 * unless those are null.
 */
function hiddenGradients(
  n: number,
  out: number,
  gH: Float64Array,
  gT: Float64Array | null,
  d1: Float64Array,
  d2: Float64Array,
  tw: Float64Array,
  gZ: Float64Array,
  gTW: Float64Array | null,
  gZT: Float64Array | null,
  gTWT: Float64Array | null,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < out; j++) {
      const q = i * out + j;
      if (gT && gTW) {
        const gt = gT[q];
        const z = gH[q] * d1[q] + gt * d2[q] * tw[q];
        const w = gt * d1[q];
        gZ[q] = z;
        gTW[q] = w;
        if (gZT && gTWT) {
          gZT[j * n + i] = z;
          gTWT[j * n + i] = w;
        }
      } else {
        const z = gH[q] * d1[q];
        gZ[q] = z;
        if (gZT) gZT[j * n + i] = z;
      }
    }
  }
}
