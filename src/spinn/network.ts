import { isPeriodic, type ProblemConfig } from '../physics/problems.js';
import { glorotUniform } from '../nn/init.js';
import type { SpinnOptions } from './options.js';

/**
 * The space-time separable network of SPINN (Cho et al., "Separable Physics-Informed Neural
 * Networks", NeurIPS 2023), in float64 on flat typed arrays:
 *
 *   2D: s(t, x, y) = Σ_{k<r} T_k(t) X_k(x) Y_k(y),   1D: s(t, x) = Σ_{k<r} T_k(t) X_k(x)
 *   u = tanh(α s) (bounded, as SDMM) or u = α s
 *
 * with one MLP per axis (time first, then x, then y) mapping an encoded scalar coordinate to the r
 * features of that axis.
 *
 * Coordinate encoding per axis on [a, b], L = b − a (time: [0, T]):
 *   non-periodic: ξ = 2(x − a)/L − 1,             ξ' = 2/L,           ξ'' = 0
 *   periodic:     ξ = (cos φ, sin φ), φ = ω(x − a), ξ' = ω(−sin φ, cos φ), ξ'' = −ω² (cos φ, sin φ), ω = 2π/L
 * so a periodic axis is periodic with all its derivatives (exact, no penalty).
 *
 * Forward tangents of first and second order through each MLP, by hand:
 *   z = h W + b,  z' = h' W,  z'' = h'' W
 *   h⁺ = σ(z),    h⁺' = σ'(z) z',  h⁺'' = σ''(z) z'² + σ'(z) z''
 * and the linear output layer gives X, X', X''. The reverse pass runs through all three:
 *   ∂/∂z   = ∂/∂h⁺ σ' + ∂/∂h⁺' σ'' z' + ∂/∂h⁺'' (σ''' z'² + σ'' z'')
 *   ∂/∂z'  = ∂/∂h⁺' σ' + ∂/∂h⁺'' 2 σ'' z'
 *   ∂/∂z'' = ∂/∂h⁺'' σ'
 *   ∂/∂W  += hᵀ ∂/∂z + h'ᵀ ∂/∂z' + h''ᵀ ∂/∂z'',  ∂/∂b += Σ_i ∂/∂z_i,  ∂/∂h = ∂/∂z Wᵀ (and ' '')
 *
 * Parameter layout θ (one Float64Array): for each axis in order (t, x[, y]), for each layer in
 * order, W row-major (inputs × outputs, W[i·out + j]) then b (outputs). Initialisation: Glorot
 * uniform, limit √(6/(in + out)), zero biases, from mulberry32(seed).
 */

export type SpinnActivation = SpinnOptions['activation'];

export interface SpinnLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weightOffset: number;
  readonly biasOffset: number;
}

export interface SpinnAxis {
  readonly name: 't' | 'x' | 'y';
  readonly min: number;
  readonly max: number;
  readonly periodic: boolean;
  readonly inputs: 1 | 2;
  readonly layers: readonly SpinnLayer[];
}

export interface SpinnLayout {
  /** Space dimension (the network has dim + 1 axes). */
  readonly dim: 1 | 2;
  readonly rank: number;
  readonly width: number;
  readonly depth: number;
  readonly activation: SpinnActivation;
  readonly bound: boolean;
  readonly alpha: number;
  /** axes[0] is time on [0, T]; axes[1..] are space. */
  readonly axes: readonly SpinnAxis[];
  readonly size: number;
}

export function spinnLayout(
  problem: ProblemConfig,
  o: Pick<SpinnOptions, 'rank' | 'width' | 'depth' | 'activation' | 'bound' | 'alpha'>,
): SpinnLayout {
  let offset = 0;
  const axes: SpinnAxis[] = [];
  const add = (name: 't' | 'x' | 'y', min: number, max: number, periodic: boolean) => {
    const inputs = periodic ? 2 : 1;
    const sizes = [inputs, ...new Array<number>(o.depth).fill(o.width), o.rank];
    const layers: SpinnLayer[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const weightOffset = offset;
      offset += sizes[l] * sizes[l + 1];
      layers.push({ inputs: sizes[l], outputs: sizes[l + 1], weightOffset, biasOffset: offset });
      offset += sizes[l + 1];
    }
    axes.push({ name, min, max, periodic, inputs, layers });
  };
  add('t', 0, problem.tEnd, false);
  for (let a = 0; a < problem.dim; a++) {
    add(a === 0 ? 'x' : 'y', problem.domain.min[a], problem.domain.max[a], isPeriodic(problem, a as 0 | 1));
  }
  return {
    dim: problem.dim,
    rank: o.rank,
    width: o.width,
    depth: o.depth,
    activation: o.activation,
    bound: o.bound,
    alpha: o.alpha,
    axes,
    size: offset,
  };
}

/** Seeded Glorot-uniform weights and zero biases. */
export function spinnInitialParameters(layout: SpinnLayout, seed: number): Float64Array {
  return glorotUniform(new Float64Array(layout.size), layout.axes.flatMap((a) => a.layers), seed);
}

/**
 * σ and its first three derivatives at z into d[0..3].
 * tanh: σ' = 1 − h², σ'' = −2hσ', σ''' = σ'(6h² − 2).
 * sin: sin, cos, −sin, −cos.
 * gelu (tanh approximation, as SDMM): σ = ½ z (1 + t), t = tanh(v), v = c(z + a z³), c = √(2/π),
 * a = 0.044715; with q = 1 − t², t₁ = q v', t₂ = −2tq v'² + q v'', t₃ = q(4t² − 2q) v'³ − 6tq v' v'' + q v''':
 * σ' = ½(1 + t) + ½ z t₁, σ'' = t₁ + ½ z t₂, σ''' = 3/2 t₂ + ½ z t₃.
 */
export function activationDerivatives(kind: SpinnActivation, z: number, d: Float64Array): void {
  if (kind === 'tanh') {
    const h = Math.tanh(z);
    const d1 = 1 - h * h;
    d[0] = h;
    d[1] = d1;
    d[2] = -2 * h * d1;
    d[3] = d1 * (6 * h * h - 2);
  } else if (kind === 'sin') {
    const s = Math.sin(z);
    const c = Math.cos(z);
    d[0] = s;
    d[1] = c;
    d[2] = -s;
    d[3] = -c;
  } else {
    const c = GELU_C;
    const a = 0.044715;
    const v = c * (z + a * z * z * z);
    const v1 = c * (1 + 3 * a * z * z);
    const v2 = 6 * a * c * z;
    const v3 = 6 * a * c;
    const t = Math.tanh(v);
    const q = 1 - t * t;
    const t1 = q * v1;
    const t2 = -2 * t * q * v1 * v1 + q * v2;
    const t3 = q * (4 * t * t - 2 * q) * v1 * v1 * v1 - 6 * t * q * v1 * v2 + q * v3;
    d[0] = 0.5 * z * (1 + t);
    d[1] = 0.5 * (1 + t) + 0.5 * z * t1;
    d[2] = t1 + 0.5 * z * t2;
    d[3] = 1.5 * t2 + 0.5 * z * t3;
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * One axis MLP evaluated on a batch of n coordinates, with the tangents of first and second order,
 * and its reverse pass. All buffers are allocated once for the batch size n.
 *
 * Layouts (row-major, point i first): `F`, `F1`, `F2` are n × r (the features X, X', X'');
 * hidden buffers are n × width per layer. `GF`, `GF1`, `GF2` (n × r) receive ∂loss/∂X, ∂X', ∂X''
 * from the caller before `backward`.
 */
export class AxisNet {
  readonly F: Float64Array;
  readonly F1: Float64Array;
  readonly F2: Float64Array;
  readonly GF: Float64Array;
  readonly GF1: Float64Array;
  readonly GF2: Float64Array;
  /** Encoded inputs e, e', e'' (n × inputs). */
  private readonly e0: Float64Array;
  private readonly e1: Float64Array;
  private readonly e2: Float64Array;
  /** Per hidden layer: post-activation h, h', h'' and pre-activation z', z'' and σ', σ'', σ''' (n × width). */
  private readonly h0: Float64Array[];
  private readonly h1: Float64Array[];
  private readonly h2: Float64Array[];
  private readonly z1: Float64Array[];
  private readonly z2: Float64Array[];
  private readonly s1: Float64Array[];
  private readonly s2: Float64Array[];
  private readonly s3: Float64Array[];
  /** Reverse scratch (n × max(width, r)). */
  private readonly g0: Float64Array;
  private readonly g1: Float64Array;
  private readonly g2: Float64Array;
  private readonly q0: Float64Array;
  private readonly q1: Float64Array;
  private readonly q2: Float64Array;
  private readonly d = new Float64Array(4);

  constructor(
    readonly axis: SpinnAxis,
    readonly activation: SpinnActivation,
    readonly n: number,
  ) {
    const last = axis.layers[axis.layers.length - 1];
    const r = last.outputs;
    this.F = new Float64Array(n * r);
    this.F1 = new Float64Array(n * r);
    this.F2 = new Float64Array(n * r);
    this.GF = new Float64Array(n * r);
    this.GF1 = new Float64Array(n * r);
    this.GF2 = new Float64Array(n * r);
    this.e0 = new Float64Array(n * axis.inputs);
    this.e1 = new Float64Array(n * axis.inputs);
    this.e2 = new Float64Array(n * axis.inputs);
    const hidden = axis.layers.slice(0, -1);
    const alloc = () => hidden.map((L) => new Float64Array(n * L.outputs));
    this.h0 = alloc();
    this.h1 = alloc();
    this.h2 = alloc();
    this.z1 = alloc();
    this.z2 = alloc();
    this.s1 = alloc();
    this.s2 = alloc();
    this.s3 = alloc();
    const wmax = Math.max(r, ...axis.layers.map((L) => L.outputs), axis.inputs);
    this.g0 = new Float64Array(n * wmax);
    this.g1 = new Float64Array(n * wmax);
    this.g2 = new Float64Array(n * wmax);
    this.q0 = new Float64Array(n * wmax);
    this.q1 = new Float64Array(n * wmax);
    this.q2 = new Float64Array(n * wmax);
  }

  /** Encode the n coordinates (see the module comment). */
  setCoordinates(xs: ArrayLike<number>): void {
    const { axis, n } = this;
    if (xs.length !== n) throw new Error(`AxisNet(${axis.name}): ${xs.length} coordinates for a batch of ${n}`);
    const L = axis.max - axis.min;
    if (axis.periodic) {
      const w = (2 * Math.PI) / L;
      for (let i = 0; i < n; i++) {
        const phi = w * (xs[i] - axis.min);
        const c = Math.cos(phi);
        const s = Math.sin(phi);
        this.e0[2 * i] = c;
        this.e0[2 * i + 1] = s;
        this.e1[2 * i] = -w * s;
        this.e1[2 * i + 1] = w * c;
        this.e2[2 * i] = -w * w * c;
        this.e2[2 * i + 1] = -w * w * s;
      }
    } else {
      for (let i = 0; i < n; i++) {
        this.e0[i] = (2 * (xs[i] - axis.min)) / L - 1;
        this.e1[i] = 2 / L;
        this.e2[i] = 0;
      }
    }
  }

  /** X, X', X'' of the encoded batch into F, F1, F2. */
  forward(theta: Float64Array): void {
    const { axis, n, d } = this;
    const last = axis.layers.length - 1;
    let a0 = this.e0;
    let a1 = this.e1;
    let a2 = this.e2;
    for (let l = 0; l <= last; l++) {
      const { inputs: I, outputs: O, weightOffset: wo, biasOffset: bo } = axis.layers[l];
      const out0 = l === last ? this.F : this.h0[l];
      const out1 = l === last ? this.F1 : this.z1[l];
      const out2 = l === last ? this.F2 : this.z2[l];
      for (let i = 0; i < n; i++) {
        const io = i * O;
        for (let j = 0; j < O; j++) {
          out0[io + j] = theta[bo + j];
          out1[io + j] = 0;
          out2[io + j] = 0;
        }
        for (let k = 0; k < I; k++) {
          const x0 = a0[i * I + k];
          const x1 = a1[i * I + k];
          const x2 = a2[i * I + k];
          const wk = wo + k * O;
          for (let j = 0; j < O; j++) {
            const w = theta[wk + j];
            out0[io + j] += x0 * w;
            out1[io + j] += x1 * w;
            out2[io + j] += x2 * w;
          }
        }
      }
      if (l === last) break;
      const h0 = this.h0[l];
      const h1 = this.h1[l];
      const h2 = this.h2[l];
      const z1 = this.z1[l];
      const z2 = this.z2[l];
      const s1 = this.s1[l];
      const s2 = this.s2[l];
      const s3 = this.s3[l];
      for (let p = 0; p < n * O; p++) {
        activationDerivatives(this.activation, h0[p], d);
        const y1 = z1[p];
        h0[p] = d[0];
        h1[p] = d[1] * y1;
        h2[p] = d[2] * y1 * y1 + d[1] * z2[p];
        s1[p] = d[1];
        s2[p] = d[2];
        s3[p] = d[3];
      }
      a0 = h0;
      a1 = h1;
      a2 = h2;
    }
  }

  /**
   * Accumulate ∂loss/∂θ of this axis into grad (at the axis's offsets) from GF, GF1, GF2,
   * using the activations of the last `forward`.
   */
  backward(theta: Float64Array, grad: Float64Array): void {
    const { axis, n } = this;
    const last = axis.layers.length - 1;
    // Gradients w.r.t. the outputs of layer l (pre-activation for hidden layers) in (c0, c1, c2).
    let c0 = this.GF;
    let c1 = this.GF1;
    let c2 = this.GF2;
    for (let l = last; l >= 0; l--) {
      const { inputs: I, outputs: O, weightOffset: wo, biasOffset: bo } = axis.layers[l];
      const a0 = l === 0 ? this.e0 : this.h0[l - 1];
      const a1 = l === 0 ? this.e1 : this.h1[l - 1];
      const a2 = l === 0 ? this.e2 : this.h2[l - 1];
      // ∂W += aᵀ c + a'ᵀ c' + a''ᵀ c'';  ∂b += Σ_i c.
      for (let i = 0; i < n; i++) {
        const io = i * O;
        for (let j = 0; j < O; j++) grad[bo + j] += c0[io + j];
        for (let k = 0; k < I; k++) {
          const x0 = a0[i * I + k];
          const x1 = a1[i * I + k];
          const x2 = a2[i * I + k];
          const wk = wo + k * O;
          for (let j = 0; j < O; j++) grad[wk + j] += x0 * c0[io + j] + x1 * c1[io + j] + x2 * c2[io + j];
        }
      }
      if (l === 0) break;
      // ∂/∂a = c Wᵀ (and ' ''), then through the activation of layer l − 1.
      const g0 = c0 === this.g0 ? this.q0 : this.g0;
      const g1 = c0 === this.g0 ? this.q1 : this.g1;
      const g2 = c0 === this.g0 ? this.q2 : this.g2;
      for (let i = 0; i < n; i++) {
        const io = i * O;
        for (let k = 0; k < I; k++) {
          const wk = wo + k * O;
          let b0 = 0;
          let b1 = 0;
          let b2 = 0;
          for (let j = 0; j < O; j++) {
            const w = theta[wk + j];
            b0 += c0[io + j] * w;
            b1 += c1[io + j] * w;
            b2 += c2[io + j] * w;
          }
          g0[i * I + k] = b0;
          g1[i * I + k] = b1;
          g2[i * I + k] = b2;
        }
      }
      const z1 = this.z1[l - 1];
      const z2 = this.z2[l - 1];
      const s1 = this.s1[l - 1];
      const s2 = this.s2[l - 1];
      const s3 = this.s3[l - 1];
      for (let p = 0; p < n * I; p++) {
        const y1 = z1[p];
        const gh0 = g0[p];
        const gh1 = g1[p];
        const gh2 = g2[p];
        g0[p] = gh0 * s1[p] + gh1 * s2[p] * y1 + gh2 * (s3[p] * y1 * y1 + s2[p] * z2[p]);
        g1[p] = gh1 * s1[p] + 2 * gh2 * s2[p] * y1;
        g2[p] = gh2 * s1[p];
      }
      c0 = g0;
      c1 = g1;
      c2 = g2;
    }
  }
}
