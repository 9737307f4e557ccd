import { encodeAxis } from '../encoding.js';
import type { Activation, AxisLayout } from '../network.js';
import { dotCross, dotRows, transpose } from './dense.js';
import { fastTanh } from './density.js';

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
 * tanh is `fastTanh` (density.ts: a table-driven exponential, ≤ 5e-15 relative error).
 *
 * Layouts: every grid array is row-major (n × columns): X[i·r + k], T[i·r + k]; θ is the flat
 * parameter vector of network.ts (W_l row-major in_l × out_l at weightOffset, b_l at biasOffset).
 * All scratch lives in this object (allocated once in the constructor); forward and backward do
 * not allocate.
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

  /**
   * @param axis     the axis's layout (domain, periodic embedding, layers) from networkLayout
   * @param activation hidden activation σ
   * @param coordinates the n grid coordinates x_i of this axis
   */
  constructor(
    readonly axis: AxisLayout,
    readonly activation: Activation,
    coordinates: ArrayLike<number>,
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
    this.hIn = [enc];
    this.tIn = [dEnc];
    this.d1 = [];
    this.d2 = [];
    this.tw = [];
    let maxWidth = this.rank;
    for (let l = 0; l < last; l++) {
      const out = axis.layers[l].outputs;
      maxWidth = Math.max(maxWidth, out);
      this.hIn.push(new Float64Array(n * out));
      this.tIn.push(new Float64Array(n * out));
      this.d1.push(new Float64Array(n * out));
      this.d2.push(new Float64Array(n * out));
      this.tw.push(new Float64Array(n * out));
    }
    this.hInT = this.hIn.map((h) => new Float64Array(h.length));
    this.tInT = this.tIn.map((t) => new Float64Array(t.length));
    this.weights = axis.layers.map((L) => new Float64Array(L.inputs * L.outputs));
    this.weightsT = axis.layers.map((L) => new Float64Array(L.inputs * L.outputs));
    this.biases = axis.layers.map((L) => new Float64Array(L.outputs));
    this.gH = [new Float64Array(n * maxWidth), new Float64Array(n * maxWidth)];
    this.gT = [new Float64Array(n * maxWidth), new Float64Array(n * maxWidth)];
    this.gZ = new Float64Array(n * maxWidth);
    this.gTW = new Float64Array(n * maxWidth);
    this.gZT = new Float64Array(n * maxWidth);
    this.gTWT = new Float64Array(n * maxWidth);
    for (let l = 0; l < this.hIn.length; l++) {
      const inputs = axis.layers[l].inputs;
      transpose(this.hInT[l], this.hIn[l], n, inputs);
      transpose(this.tInT[l], this.tIn[l], n, inputs);
    }
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
      for (let c = 0; c < inp; c++) {
        for (let j = 0; j < out; j++) {
          const w = theta[L.weightOffset + c * out + j];
          W[c * out + j] = w;
          Wt[j * inp + c] = w;
        }
      }
      for (let j = 0; j < out; j++) b[j] = theta[L.biasOffset + j];
      const isLast = l === last;
      const Zout = isLast ? X : this.hIn[l + 1];
      const TWout = isLast ? T : T ? this.tw[l] : null;
      // Z = H W + b: dotRows contracts H's rows with the rows of Wᵀ.
      dotRows(Zout, TWout, this.hIn[l], TWout ? this.tIn[l] : null, Wt, n, out, inp, b);
      if (!isLast) {
        activateLayer(this.activation, n, out, this.hIn[l + 1], this.hInT[l + 1], this.d1[l], this.d2[l], T ? this.tw[l] : null, this.tIn[l + 1], this.tInT[l + 1]);
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
    for (let l = last; l >= 0; l--) {
      const L = this.layers[l];
      const out = L.outputs;
      const inp = L.inputs;
      let gZ: Float64Array;
      let gTW: Float64Array | null;
      if (l === last) {
        gZ = gH;
        gTW = gTc;
      } else {
        gZ = this.gZ;
        gTW = gTc ? this.gTW : null;
        hiddenGradients(n, out, gH, gTc, this.d1[l], this.d2[l], this.tw[l], gZ, gTW, this.gZT, this.gTWT);
      }
      // ∂L/∂W = H_lᵀ gZ + T_lᵀ gTW (as dot products over the points of the transposes),
      // ∂L/∂b = Σ_i gZ_i.
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
      if (l === 0) break;
      // ∂L/∂H_l = gZ W_lᵀ, ∂L/∂T_l = gTW W_lᵀ (into the buffers not holding gH, gT).
      const nextH = gH === this.gH[0] ? this.gH[1] : this.gH[0];
      const nextT = gTc === this.gT[0] ? this.gT[1] : this.gT[0];
      dotRows(nextH, gTW ? nextT : null, gZ, gTW, this.weights[l], n, inp, out);
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
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * One pass over a hidden layer's output (n × out, row-major) after Z = H W + b: in place Z ← σ(Z)
 * (also written transposed into hT), d1 = σ'(Z), d2 = σ''(Z), and with tangents T_{l+1} = σ'(Z) ⊙ tw
 * (into t and, transposed, tT). Formulas in the module comment.
 */
function activateLayer(
  act: Activation,
  n: number,
  out: number,
  Z: Float64Array,
  hT: Float64Array,
  d1: Float64Array,
  d2: Float64Array,
  tw: Float64Array | null,
  t: Float64Array,
  tT: Float64Array,
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
        h = fastTanh(z);
        s1 = 1 - h * h;
        s2 = -2 * h * s1;
      } else if (kind === 1) {
        h = Math.sin(z);
        s1 = Math.cos(z);
        s2 = -h;
      } else {
        const z2 = z * z;
        const th = fastTanh(GELU_C * (z + GELU_A * z2 * z));
        const v = GELU_C * (1 + 3 * GELU_A * z2);
        const sech2 = 1 - th * th;
        const t1 = sech2 * v;
        const t2 = -2 * th * t1 * v + sech2 * 6 * GELU_A * GELU_C * z;
        h = 0.5 * z * (1 + th);
        s1 = 0.5 * (1 + th) + 0.5 * z * t1;
        s2 = t1 + 0.5 * z * t2;
      }
      Z[q] = h;
      hT[j * n + i] = h;
      d1[q] = s1;
      d2[q] = s2;
      if (tw) {
        const tv = s1 * tw[q];
        t[q] = tv;
        tT[j * n + i] = tv;
      }
    }
  }
}

/**
 * The reverse through a hidden layer's activation (n × out): gZ = gH ⊙ σ'(Z) + gT ⊙ σ''(Z) ⊙ tw and
 * gTW = gT ⊙ σ'(Z) (gT null: gZ = gH ⊙ σ'(Z) only), each also written transposed (gZT, gTWT).
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
  gZT: Float64Array,
  gTWT: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < out; j++) {
      const q = i * out + j;
      if (gT && gTW) {
        const gt = gT[q];
        const z = gH[q] * d1[q] + gt * d2[q] * tw[q];
        const w = gt * d1[q];
        gZ[q] = z;
        gZT[j * n + i] = z;
        gTW[q] = w;
        gTWT[j * n + i] = w;
      } else {
        const z = gH[q] * d1[q];
        gZ[q] = z;
        gZT[j * n + i] = z;
      }
    }
  }
}
