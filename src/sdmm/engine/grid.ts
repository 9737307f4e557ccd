import { fieldLine, fitDensityLine, preFitDensityLine, stepDensityLine } from './density.js';
import type { SimdKernels } from './wasm.js';

/**
 * The grid contractions of the separable field on the d-dimensional tensor grid (d = 1, 2, 3),
 * fused line by line along the last axis so that no N-sized temporary exists:
 *
 *   s(q)     = Σ_k Π_a X^a_k(i_a),
 *   ∂_a s(q) = Σ_k T^a_k(i_a) Π_{b≠a} X^b_k(i_b)      (T^a = dX^a/dx_a from the axis MLP).
 *
 * A line is a fixed prefix (i_0, …, i_{d−2}) and the whole last axis j. Its prefix factors are
 *   A_k = Π_{a<d−1} X^a_k(i_a),   A^a_k = T^a_k(i_a) Π_{b<d−1, b≠a} X^b_k(i_b)   (A = 1 in 1D),
 * so with Y = X^{d−1}, TY = T^{d−1}:
 *   forward:  s_j = Σ_k A_k Y_jk,  ∂_a s_j = Σ_k A^a_k Y_jk (a < d−1),  ∂_{d−1} s_j = Σ_k A_k TY_jk;
 *   reverse, from Gs_j = ∂J/∂s_j and Gd^a_j = ∂J/∂(∂_a s_j) (the density module):
 *     ∂J/∂A_k   = Σ_j Gs_j Y_jk + Gd^{d−1}_j TY_jk,   ∂J/∂A^a_k = Σ_j Gd^a_j Y_jk,
 *     ∂J/∂Y_jk += Gs_j A_k + Σ_{a<d−1} Gd^a_j A^a_k,  ∂J/∂TY_jk += Gd^{d−1}_j A_k,
 *   and the prefix reverse distributes ∂J/∂A, ∂J/∂A^a to the prefix axes' X^a, T^a by the product
 *   rule. In 2D that is the three forward and six reverse contractions of size n²r of DESIGN.md.
 *
 * Loop orders: the forward runs j outer, k inner (dot products of the row-major Y_j with A, A^a
 * in registers); the reverse runs k outer, j inner on the transposed Yᵀ, TYᵀ (r × n), so ∂J/∂A_k
 * accumulates in a register and ∂J/∂Yᵀ_k is updated contiguously. Blocking (2D): two lines at
 * a time (each load of Y, TY, Yᵀ, ∂J/∂Yᵀ serves both), packed operands, and the reverse in blocks
 * of 128 points along the line (the line's density gradients stay in L1). Measured on one core
 * here, the 2D step pass runs at ≈ 80 ns per point at rank 16 (144 multiply-adds per point:
 * ≈ 2.3 GFMA/s in the contractions plus ≈ 15 ns for the density and its one exp), against ≈ 3.1
 * GFMA/s for the same loops in isolation: V8 emits scalar float64 code, no SIMD. Hence, for 2D
 * grids with an even line length, the paired forward, the bounded step density and the paired
 * reverse run as WebAssembly SIMD kernels (wasm.ts: fwd2, dens2, rev2) on the same buffers; the
 * loops here remain for 1D, 3D, odd lines, the other densities and runtimes without SIMD.
 *
 * Parallel split: lines are cut into `threads` contiguous blocks; each thread writes its own partial
 * gradients (partial.gX[a], partial.gT[a]: n_a × r, except the last axis, stored transposed r × n)
 * and its partial sums acc = [J, ∂J/∂α]; the caller reduces them in thread order, so a given thread
 * count gives bit-identical results. Each line's terms are summed in j order.
 */

/** Which pass a grid run computes. */
export const GridTask = { step: 0, fit: 1, preFit: 2, field: 3 } as const;
export type GridTaskCode = (typeof GridTask)[keyof typeof GridTask];

/** Sizes of the separable grid and its thread split. */
export interface GridGeometry {
  /** n_a per axis (d = shape.length ∈ {1, 2, 3}). */
  readonly shape: readonly number[];
  readonly rank: number;
  readonly threads: number;
  readonly bound: boolean;
  /**
   * Whether the buffers live in a WebAssembly.Memory and the 2D step and field passes use the SIMD
   * kernels of wasm.ts (the engine decides; every thread follows).
   */
  readonly simd?: boolean;
  /** Whether the axis MLPs use their SIMD dense products (AxisMlp; default true where available). */
  readonly simdMlp?: boolean;
}

/** The scalar parameters of one run, in `params` (float64). */
/** hasSource: 1 when the step objective has a source σ (then `sigma` holds it), else 0. */
export const Param = { alpha: 0, invEps2: 1, invMovement: 2, invN: 3, hasSource: 4 } as const;

/** A thread's partial results. */
export interface GridPartial {
  /** ∂J/∂X^a (n_a × r; the last axis transposed, r × n_{d−1}). */
  readonly gX: Float64Array[];
  /** ∂J/∂T^a, same layout. */
  readonly gT: Float64Array[];
  /** [∂J/∂Yᵀ; ∂J/∂TYᵀ] (2r × n): the last axis's gX, gT are views into it. */
  readonly gYTt: Float64Array;
  /** [J, ∂J/∂α]. */
  readonly acc: Float64Array;
  /**
   * The thread's line-pair workspace (GridKernel), here so that the SIMD kernels can address it:
   * SD = [s, ∂s] and G = [Gs, Gd] per line ((1 + d) n each, line 0 then line 1), P = [A, A^a] and
   * gP = their gradients per line ((1 + max(1, d − 1)) r each).
   */
  readonly SD: Float64Array;
  readonly G: Float64Array;
  readonly P: Float64Array;
  readonly gP: Float64Array;
}

/**
 * Every array the grid pass reads or writes, as views into one buffer (a SharedArrayBuffer when
 * workers share it): the same allocation order on every thread gives the same views.
 */
export interface GridBuffers {
  readonly params: Float64Array;
  /** X^a, T^a (n_a × r row-major), written by the axis MLPs. */
  readonly X: Float64Array[];
  readonly T: Float64Array[];
  /** Yᵀ, TYᵀ: the last axis's X, T transposed (r × n_{d−1}); views into YTt = [Yᵀ; TYᵀ] (2r × n). */
  readonly Yt: Float64Array;
  readonly TYt: Float64Array;
  readonly YTt: Float64Array;
  /** The last axis's rows interleaved, row j = [Y_j | TY_j] (n × 2r), for the paired 2D forward. */
  readonly YTY: Float64Array;
  /** Quadrature weights per axis (n_a). */
  readonly w: Float64Array[];
  /** Step and fit data on the grid (N each). */
  readonly uPrev: Float64Array;
  readonly sigma: Float64Array;
  readonly u0: Float64Array;
  readonly sTarget: Float64Array;
  /** fieldOnGrid output: u and ∂_a u (N each). */
  readonly uOut: Float64Array;
  readonly gradOut: Float64Array[];
  readonly partials: GridPartial[];
}

/** Lay out (or, with memory, map) the grid buffers; returns the views and the bytes needed. */
export function gridBuffers(geom: GridGeometry, memory?: ArrayBufferLike): { buffers: GridBuffers; bytes: number } {
  const d = geom.shape.length;
  const r = geom.rank;
  const N = geom.shape.reduce((a, b) => a * b, 1);
  let offset = 0;
  const take = (len: number): Float64Array => {
    const view = memory ? new Float64Array(memory, offset * 8, len) : new Float64Array(0);
    offset += len;
    return view;
  };
  const params = take(8);
  const X = geom.shape.map((n) => take(n * r));
  const T = geom.shape.map((n) => take(n * r));
  const nLast = geom.shape[d - 1];
  const YTt = take(2 * r * nLast);
  const Yt = YTt.subarray(0, r * nLast);
  const TYt = YTt.subarray(r * nLast);
  const YTY = take(2 * r * nLast);
  const w = geom.shape.map((n) => take(n));
  const uPrev = take(N);
  const sigma = take(N);
  const u0 = take(N);
  const sTarget = take(N);
  const uOut = take(N);
  const gradOut = geom.shape.map(() => take(N));
  const partials: GridPartial[] = [];
  for (let t = 0; t < geom.threads; t++) {
    // Each thread's block starts on a 64-byte line: no cache line is written by two threads.
    offset = Math.ceil(offset / 8) * 8;
    const gX = geom.shape.slice(0, d - 1).map((n) => take(n * r));
    const gT = geom.shape.slice(0, d - 1).map((n) => take(n * r));
    const gYTt = take(2 * r * nLast);
    gX.push(gYTt.subarray(0, r * nLast));
    gT.push(gYTt.subarray(r * nLast));
    const acc = take(2);
    const line = (1 + d) * nLast;
    const pre = (1 + Math.max(1, d - 1)) * r;
    partials.push({ gX, gT, gYTt, acc, SD: take(2 * line), G: take(2 * line), P: take(2 * pre), gP: take(2 * pre) });
  }
  return { buffers: { params, X, T, Yt, TYt, YTt, YTY, w, uPrev, sigma, u0, sTarget, uOut, gradOut, partials }, bytes: offset * 8 };
}

/** The block of lines [start, end) of thread t out of `threads` (contiguous, sizes differ by ≤ 1). */
export function lineRange(lines: number, t: number, threads: number): [number, number] {
  const base = Math.floor(lines / threads);
  const extra = lines % threads;
  const start = t * base + Math.min(t, extra);
  return [start, start + base + (t < extra ? 1 : 0)];
}

/** The per-line workspace: line sums, their density gradients, the prefix factors and their gradients. */
interface LineWork {
  readonly s: Float64Array;
  readonly ds: Float64Array;
  readonly Gs: Float64Array;
  readonly Gd: Float64Array;
  readonly A: Float64Array;
  readonly Ad: Float64Array;
  readonly gA: Float64Array;
  readonly gAd: Float64Array;
  readonly idx: Int32Array;
}

/**
 * One thread's share of a grid pass. Holds two line workspaces (allocated once): in 2D with
 * tangents (and for the value-only objectives in 2D and 3D), lines are processed in pairs so that each load of Y_j, TY_j (forward) and of
 * Yᵀ_k, TYᵀ_k, ∂J/∂Yᵀ_k (reverse) serves two lines (register blocking; about 1.5–2× faster
 * in V8 than one line at a time). `run` does not allocate.
 */
export class GridKernel {
  private readonly d: number;
  private readonly r: number;
  private readonly n: number;
  private readonly lines: number;
  private readonly work: [LineWork, LineWork];
  /** Packed pair blocks: [s, ∂s] (SD), [Gs, Gd] (G) per line, [A, A⁰] (P) and their gradients (gP) per line. */
  private readonly SD: Float64Array;
  private readonly G: Float64Array;
  private readonly P: Float64Array;
  private readonly gP: Float64Array;

  /**
   * @param t    the thread whose workspace (buf.partials[t]) this kernel uses
   * @param simd the WebAssembly kernels on the buffers' memory (geom.simd), or null for TypeScript
   */
  constructor(
    readonly geom: GridGeometry,
    readonly buf: GridBuffers,
    t: number,
    private simd: SimdKernels | null = null,
  ) {
    const d = geom.shape.length;
    if (d < 1 || d > 3) throw new Error(`GridKernel: the grid must have 1, 2 or 3 axes, got ${d}`);
    this.d = d;
    this.r = geom.rank;
    this.n = geom.shape[d - 1];
    this.lines = geom.shape.slice(0, d - 1).reduce((a, b) => a * b, 1);
    const m = Math.max(1, d - 1);
    // The two lines' arrays are views into shared blocks (SD, G, P, gP: line 0 then line 1), so
    // the paired kernels index a few arrays with offsets (fewer base registers in V8's loops).
    const n = this.n;
    const r = this.r;
    const line = (1 + d) * n;
    const pre = (1 + m) * r;
    const part = buf.partials[t];
    if (part.SD.length !== 2 * line || part.P.length !== 2 * pre) throw new Error('GridKernel: the thread workspace does not match the geometry');
    this.SD = part.SD;
    this.G = part.G;
    this.P = part.P;
    this.gP = part.gP;
    // The SIMD kernels take pairs of points j: even n only.
    if (this.simd && (d !== 2 || n % 2 !== 0)) this.simd = null;
    const make = (l: number): LineWork => ({
      s: this.SD.subarray(l * line, l * line + n),
      ds: this.SD.subarray(l * line + n, (l + 1) * line),
      Gs: this.G.subarray(l * line, l * line + n),
      Gd: this.G.subarray(l * line + n, (l + 1) * line),
      A: this.P.subarray(l * pre, l * pre + r),
      Ad: this.P.subarray(l * pre + r, (l + 1) * pre),
      gA: this.gP.subarray(l * pre, l * pre + r),
      gAd: this.gP.subarray(l * pre + r, (l + 1) * pre),
      idx: new Int32Array(m),
    });
    this.work = [make(0), make(1)];
  }

  /** Run `task` over thread t's block of lines, writing partials[t] (or the field output). */
  run(task: GridTaskCode, t: number): void {
    const { d, r, n, buf, geom, simd } = this;
    const m = d - 1;
    const [start, end] = lineRange(this.lines, t, geom.threads);
    const part = buf.partials[t];
    const tangents = task === GridTask.step || task === GridTask.field;
    if (task !== GridTask.field) {
      for (let a = 0; a < d; a++) {
        part.gX[a].fill(0);
        part.gT[a].fill(0);
      }
    }
    part.acc[0] = 0;
    part.acc[1] = 0;
    const Y = buf.X[m];
    const TY = buf.T[m];
    const [w0, w1] = this.work;
    let line = start;
    if (m >= 1 && !tangents) {
      // fit, pre-fit: only s, in pairs of lines for any d ≥ 2 (A is the whole prefix product).
      for (; line + 1 < end; line += 2) {
        const wLine0 = this.prefix(line, w0);
        const wLine1 = this.prefix(line + 1, w1);
        forwardValuePair(n, r, w0.A, w1.A, Y, w0.s, w1.s);
        this.density(task, w0, line * n, wLine0, part.acc);
        this.density(task, w1, (line + 1) * n, wLine1, part.acc);
        reverseValuePair(n, r, w0.A, w1.A, buf.Yt, w0.Gs, w1.Gs, w0.gA, w1.gA, part.gX[m]);
        this.prefixReverse(false, part, w0);
        this.prefixReverse(false, part, w1);
      }
    }
    if (m === 1 && tangents) {
      for (; line + 1 < end; line += 2) {
        const wLine0 = this.prefix(line, w0);
        const wLine1 = this.prefix(line + 1, w1);
        if (simd) simd.fwd2(n, r, this.P.byteOffset, buf.YTt.byteOffset, this.SD.byteOffset);
        else forwardTangents2Pair(n, r, this.P, buf.YTY, this.SD);
        this.density(task, w0, line * n, wLine0, part.acc);
        this.density(task, w1, (line + 1) * n, wLine1, part.acc);
        if (task === GridTask.field) continue;
        if (simd) simd.rev2(n, r, this.P.byteOffset, buf.YTt.byteOffset, this.G.byteOffset, part.gYTt.byteOffset, this.gP.byteOffset);
        else reverseTangents2Pair(n, r, this.P, buf.YTt, this.G, part.gYTt, this.gP);
        this.prefixReverse(true, part, w0);
        this.prefixReverse(true, part, w1);
      }
    }
    for (; line < end; line++) {
      const wLine = this.prefix(line, w0);
      const { s, ds, Gs, Gd, A, Ad, gA, gAd } = w0;
      if (tangents) {
        if (m === 1) forwardTangents2(n, r, A, Ad, Y, TY, s, ds);
        else forwardTangents(n, r, m, A, Ad, Y, TY, s, ds);
      } else forwardValue(n, r, A, Y, s);
      this.density(task, w0, line * n, wLine, part.acc);
      if (task === GridTask.field) continue;
      if (tangents) {
        if (m === 1) reverseTangents2(n, r, A, Ad, buf.Yt, buf.TYt, Gs, Gd, gA, gAd, part.gX[m], part.gT[m]);
        else reverseTangents(n, r, m, A, Ad, buf.Yt, buf.TYt, Gs, Gd, gA, gAd, part.gX[m], part.gT[m]);
      } else reverseValue(n, r, A, buf.Yt, Gs, gA, part.gX[m]);
      this.prefixReverse(tangents, part, w0);
    }
  }

  /** The task's density on one line (flat indices q0 …), or the field output for 'field'. */
  private density(task: GridTaskCode, w: LineWork, q0: number, wLine: number, acc: Float64Array): void {
    const { buf, geom, n, d } = this;
    const p = buf.params;
    const alpha = p[Param.alpha];
    switch (task) {
      case GridTask.step:
        if (this.simd && geom.bound) {
          // d = 2, n even (the SIMD kernels are on only then): wasm.ts's dens2, the same density.
          const hasSigma = p[Param.hasSource] === 1 ? 1 : 0;
          this.simd.dens2(n, q0, wLine, buf.w[1].byteOffset, w.s.byteOffset, w.ds.byteOffset, buf.uPrev.byteOffset, buf.sigma.byteOffset, hasSigma, alpha, p[Param.invEps2], p[Param.invMovement], w.Gs.byteOffset, w.Gd.byteOffset, acc.byteOffset);
          return;
        }
        stepDensityLine(n, d, q0, wLine, buf.w[d - 1], w.s, w.ds, buf.uPrev, p[Param.hasSource] === 1 ? buf.sigma : null, alpha, geom.bound, p[Param.invEps2], p[Param.invMovement], w.Gs, w.Gd, acc);
        return;
      case GridTask.fit:
        fitDensityLine(n, q0, w.s, buf.u0, alpha, geom.bound, p[Param.invN], w.Gs, acc);
        return;
      case GridTask.preFit:
        preFitDensityLine(n, q0, w.s, buf.sTarget, alpha, p[Param.invN], w.Gs, acc);
        return;
      case GridTask.field:
        fieldLine(n, d, q0, w.s, w.ds, alpha, geom.bound, buf.uOut, buf.gradOut);
        return;
    }
  }

  /** A, A^a of a line (see the module comment) and its weight product Π_{a<d−1} w_a(i_a). */
  private prefix(line: number, w: LineWork): number {
    const { d, r, buf } = this;
    const { A, Ad, idx } = w;
    const m = d - 1;
    let rest = line;
    for (let a = m - 1; a >= 0; a--) {
      const na = this.geom.shape[a];
      idx[a] = rest % na;
      rest = (rest - idx[a]) / na;
    }
    if (m === 0) {
      A.fill(1);
      return 1;
    }
    if (m === 1) {
      const i = idx[0] * r;
      const X0 = buf.X[0];
      const T0 = buf.T[0];
      for (let k = 0; k < r; k++) {
        A[k] = X0[i + k];
        Ad[k] = T0[i + k];
      }
      return buf.w[0][idx[0]];
    }
    // m = 2
    const i0 = idx[0] * r;
    const i1 = idx[1] * r;
    const X0 = buf.X[0];
    const T0 = buf.T[0];
    const X1 = buf.X[1];
    const T1 = buf.T[1];
    for (let k = 0; k < r; k++) {
      A[k] = X0[i0 + k] * X1[i1 + k];
      Ad[k] = T0[i0 + k] * X1[i1 + k];
      Ad[r + k] = X0[i0 + k] * T1[i1 + k];
    }
    return buf.w[0][idx[0]] * buf.w[1][idx[1]];
  }

  /** ∂J/∂A, ∂J/∂A^a of the line into the prefix axes' partial gradients (product rule). */
  private prefixReverse(tangents: boolean, part: GridPartial, w: LineWork): void {
    const { d, r, buf } = this;
    const { gA, gAd, idx } = w;
    const m = d - 1;
    if (m === 0) return;
    if (m === 1) {
      const i = idx[0] * r;
      const gX0 = part.gX[0];
      const gT0 = part.gT[0];
      for (let k = 0; k < r; k++) gX0[i + k] += gA[k];
      if (tangents) for (let k = 0; k < r; k++) gT0[i + k] += gAd[k];
      return;
    }
    const i0 = idx[0] * r;
    const i1 = idx[1] * r;
    const X0 = buf.X[0];
    const T0 = buf.T[0];
    const X1 = buf.X[1];
    const T1 = buf.T[1];
    const gX0 = part.gX[0];
    const gT0 = part.gT[0];
    const gX1 = part.gX[1];
    const gT1 = part.gT[1];
    for (let k = 0; k < r; k++) {
      const x0 = X0[i0 + k];
      const x1 = X1[i1 + k];
      if (tangents) {
        const ga0 = gAd[k];
        const ga1 = gAd[r + k];
        gX0[i0 + k] += gA[k] * x1 + ga1 * T1[i1 + k];
        gT0[i0 + k] += ga0 * x1;
        gX1[i1 + k] += gA[k] * x0 + ga0 * T0[i0 + k];
        gT1[i1 + k] += ga1 * x0;
      } else {
        gX0[i0 + k] += gA[k] * x1;
        gX1[i1 + k] += gA[k] * x0;
      }
    }
  }
}

/**
 * forwardTangents2 for two lines at once (each Y_jk, TY_jk load serves both). Packed operands:
 * P = [A, A⁰ | B, B⁰] (4r), YTY row j = [Y_j | TY_j] (n × 2r); out SD = [s, ∂₀s, ∂₁s | same for line 1] (6n).
 */
function forwardTangents2Pair(n: number, r: number, P: Float64Array, YTY: Float64Array, SD: Float64Array): void {
  const r2 = 2 * r;
  const n3 = 3 * n;
  for (let j = 0; j < n; j++) {
    const b = j * r2;
    let v = 0;
    let v0 = 0;
    let v1 = 0;
    let u = 0;
    let u0 = 0;
    let u1 = 0;
    for (let k = 0; k < r; k++) {
      const y = YTY[b + k];
      const ty = YTY[b + r + k];
      const a = P[k];
      const c = P[r2 + k];
      v += a * y;
      v0 += P[r + k] * y;
      v1 += a * ty;
      u += c * y;
      u0 += P[r2 + r + k] * y;
      u1 += c * ty;
    }
    SD[j] = v;
    SD[n + j] = v0;
    SD[2 * n + j] = v1;
    SD[n3 + j] = u;
    SD[n3 + n + j] = u0;
    SD[n3 + 2 * n + j] = u1;
  }
}

/**
 * reverseTangents2 for two lines at once (each Yᵀ_kj, TYᵀ_kj, ∂J/∂Yᵀ_kj access serves both).
 * Packed operands: P as above, YTt = [Yᵀ; TYᵀ] (2r × n), G = [Gs, Gd⁰, Gd¹ | line 1] (6n);
 * accumulates into gYTt = [∂J/∂Yᵀ; ∂J/∂TYᵀ] and writes gP = [∂J/∂A, ∂J/∂A⁰ | line 1] (4r):
 *   gP_k  += Σ_j Gs_j Y_jk + Gd¹_j TY_jk,   gP_{r+k} += Σ_j Gd⁰_j Y_jk   (and line 1's),
 *   gYᵀ_kj += Gs_j A_k + Gd⁰_j A⁰_k + (line 1's),   gTYᵀ_kj += Gd¹_j A_k + (line 1's).
 * Two ranks k, k + 1 per pass over the block of j (so each load of the six G values serves four
 * (line, k) pairs: 18 array accesses per 24 multiply-adds instead of 12 per 12); same operations
 * in the same order per output as one k at a time, so the same bits. Measured in isolation
 * (scratch A/B, n = 128 and 512, r = 16, shared 2-core machine): 1.04–1.06× faster than one k per
 * pass. More than two ranks per pass runs out of V8's 16 float registers.
 */
function reverseTangents2Pair(n: number, r: number, P: Float64Array, YTt: Float64Array, G: Float64Array, gYTt: Float64Array, gP: Float64Array): void {
  const r2 = 2 * r;
  const off = r * n;
  const n2 = 2 * n;
  const n3 = 3 * n;
  const n4 = 4 * n;
  const n5 = 5 * n;
  for (let k = 0; k < 2 * r2; k++) gP[k] = 0;
  // Blocks of J points along the line, so that the block of G (6J values) stays in L1 while the
  // k loop streams the rows of Yᵀ, TYᵀ and their gradients (measured on the grid pass at n = 512:
  // 140 → 85–95 ns per point; 64 and 256 were no better).
  for (let j0 = 0; j0 < n; j0 += REVERSE_BLOCK) {
    const j1 = Math.min(n, j0 + REVERSE_BLOCK);
    let k = 0;
    for (; k + 1 < r; k += 2) {
      const a = P[k];
      const a0 = P[r + k];
      const c = P[r2 + k];
      const c0 = P[r2 + r + k];
      const e = P[k + 1];
      const e0 = P[r + k + 1];
      const f = P[r2 + k + 1];
      const f0 = P[r2 + r + k + 1];
      const b = k * n;
      const bt = off + b;
      const b1 = b + n;
      const bt1 = bt + n;
      let accA = 0;
      let accA0 = 0;
      let accC = 0;
      let accC0 = 0;
      let accE = 0;
      let accE0 = 0;
      let accF = 0;
      let accF0 = 0;
      for (let j = j0; j < j1; j++) {
        const y = YTt[b + j];
        const ty = YTt[bt + j];
        const z = YTt[b1 + j];
        const tz = YTt[bt1 + j];
        const gs = G[j];
        const g0 = G[n + j];
        const g1 = G[n2 + j];
        const hs = G[n3 + j];
        const h0 = G[n4 + j];
        const h1 = G[n5 + j];
        accA += gs * y + g1 * ty;
        accA0 += g0 * y;
        accC += hs * y + h1 * ty;
        accC0 += h0 * y;
        accE += gs * z + g1 * tz;
        accE0 += g0 * z;
        accF += hs * z + h1 * tz;
        accF0 += h0 * z;
        gYTt[b + j] += gs * a + g0 * a0 + (hs * c + h0 * c0);
        gYTt[bt + j] += g1 * a + h1 * c;
        gYTt[b1 + j] += gs * e + g0 * e0 + (hs * f + h0 * f0);
        gYTt[bt1 + j] += g1 * e + h1 * f;
      }
      gP[k] += accA;
      gP[r + k] += accA0;
      gP[r2 + k] += accC;
      gP[r2 + r + k] += accC0;
      gP[k + 1] += accE;
      gP[r + k + 1] += accE0;
      gP[r2 + k + 1] += accF;
      gP[r2 + r + k + 1] += accF0;
    }
    for (; k < r; k++) {
      const a = P[k];
      const a0 = P[r + k];
      const c = P[r2 + k];
      const c0 = P[r2 + r + k];
      const b = k * n;
      const bt = off + b;
      let accA = 0;
      let accA0 = 0;
      let accC = 0;
      let accC0 = 0;
      for (let j = j0; j < j1; j++) {
        const y = YTt[b + j];
        const ty = YTt[bt + j];
        const gs = G[j];
        const g0 = G[n + j];
        const g1 = G[n2 + j];
        const hs = G[n3 + j];
        const h0 = G[n4 + j];
        const h1 = G[n5 + j];
        accA += gs * y + g1 * ty;
        accA0 += g0 * y;
        accC += hs * y + h1 * ty;
        accC0 += h0 * y;
        gYTt[b + j] += gs * a + g0 * a0 + (hs * c + h0 * c0);
        gYTt[bt + j] += g1 * a + h1 * c;
      }
      gP[k] += accA;
      gP[r + k] += accA0;
      gP[r2 + k] += accC;
      gP[r2 + r + k] += accC0;
    }
  }
}

/** Points per block of the paired reverse (6 · 128 · 8 B = 6 KB of G per block). */
const REVERSE_BLOCK = 128;

/** forwardValue for two lines (prefix factors A, B) at once. */
function forwardValuePair(n: number, r: number, A: Float64Array, B: Float64Array, Y: Float64Array, s0: Float64Array, s1: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const b = j * r;
    let v = 0;
    let u = 0;
    for (let k = 0; k < r; k++) {
      const y = Y[b + k];
      v += A[k] * y;
      u += B[k] * y;
    }
    s0[j] = v;
    s1[j] = u;
  }
}

/** reverseValue for two lines at once. */
function reverseValuePair(
  n: number,
  r: number,
  A: Float64Array,
  B: Float64Array,
  Yt: Float64Array,
  Gs0: Float64Array,
  Gs1: Float64Array,
  gA: Float64Array,
  gB: Float64Array,
  gYt: Float64Array,
): void {
  for (let k = 0; k < r; k++) {
    const a = A[k];
    const c = B[k];
    const b = k * n;
    let accA = 0;
    let accB = 0;
    for (let j = 0; j < n; j++) {
      const g = Gs0[j];
      const h = Gs1[j];
      const y = Yt[b + j];
      accA += g * y;
      accB += h * y;
      gYt[b + j] += g * a + h * c;
    }
    gA[k] = accA;
    gB[k] = accB;
  }
}

/** s_j = Σ_k A_k Y_jk. */
function forwardValue(n: number, r: number, A: Float64Array, Y: Float64Array, s: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const b = j * r;
    let v = 0;
    for (let k = 0; k < r; k++) v += A[k] * Y[b + k];
    s[j] = v;
  }
}

/** Gs into ∂J/∂A_k = Σ_j Gs_j Y_jk and ∂J/∂Yᵀ_kj += Gs_j A_k. */
function reverseValue(n: number, r: number, A: Float64Array, Yt: Float64Array, Gs: Float64Array, gA: Float64Array, gYt: Float64Array): void {
  for (let k = 0; k < r; k++) {
    const a = A[k];
    const b = k * n;
    let acc = 0;
    for (let j = 0; j < n; j++) {
      const g = Gs[j];
      acc += g * Yt[b + j];
      gYt[b + j] += g * a;
    }
    gA[k] = acc;
  }
}

/** The 2D forward (one prefix axis): s, ∂_0 s = Σ A⁰_k Y_jk, ∂_1 s = Σ A_k TY_jk in one pass. */
function forwardTangents2(n: number, r: number, A: Float64Array, Ad: Float64Array, Y: Float64Array, TY: Float64Array, s: Float64Array, ds: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const b = j * r;
    let v = 0;
    let v0 = 0;
    let v1 = 0;
    for (let k = 0; k < r; k++) {
      const y = Y[b + k];
      const a = A[k];
      v += a * y;
      v0 += Ad[k] * y;
      v1 += a * TY[b + k];
    }
    s[j] = v;
    ds[j] = v0;
    ds[n + j] = v1;
  }
}

/** The forward with tangents for any number m of prefix axes (1D: m = 0, A = 1; 3D: m = 2). */
function forwardTangents(n: number, r: number, m: number, A: Float64Array, Ad: Float64Array, Y: Float64Array, TY: Float64Array, s: Float64Array, ds: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const b = j * r;
    let v = 0;
    let vm = 0;
    for (let k = 0; k < r; k++) {
      v += A[k] * Y[b + k];
      vm += A[k] * TY[b + k];
    }
    s[j] = v;
    ds[m * n + j] = vm;
    for (let a = 0; a < m; a++) {
      const o = a * r;
      let va = 0;
      for (let k = 0; k < r; k++) va += Ad[o + k] * Y[b + k];
      ds[a * n + j] = va;
    }
  }
}

/** The 2D reverse (one prefix axis), all six contractions in one pass over the line. */
function reverseTangents2(
  n: number,
  r: number,
  A: Float64Array,
  Ad: Float64Array,
  Yt: Float64Array,
  TYt: Float64Array,
  Gs: Float64Array,
  Gd: Float64Array,
  gA: Float64Array,
  gAd: Float64Array,
  gYt: Float64Array,
  gTYt: Float64Array,
): void {
  for (let k = 0; k < r; k++) {
    const a = A[k];
    const a0 = Ad[k];
    const b = k * n;
    let accA = 0;
    let accA0 = 0;
    for (let j = 0; j < n; j++) {
      const gs = Gs[j];
      const g0 = Gd[j];
      const g1 = Gd[n + j];
      const y = Yt[b + j];
      accA += gs * y + g1 * TYt[b + j];
      accA0 += g0 * y;
      gYt[b + j] += gs * a + g0 * a0;
      gTYt[b + j] += g1 * a;
    }
    gA[k] = accA;
    gAd[k] = accA0;
  }
}

/** The reverse with tangents for any number m of prefix axes. */
function reverseTangents(
  n: number,
  r: number,
  m: number,
  A: Float64Array,
  Ad: Float64Array,
  Yt: Float64Array,
  TYt: Float64Array,
  Gs: Float64Array,
  Gd: Float64Array,
  gA: Float64Array,
  gAd: Float64Array,
  gYt: Float64Array,
  gTYt: Float64Array,
): void {
  const om = m * n;
  for (let k = 0; k < r; k++) {
    const a = A[k];
    const b = k * n;
    let accA = 0;
    for (let j = 0; j < n; j++) {
      const gs = Gs[j];
      const gm = Gd[om + j];
      accA += gs * Yt[b + j] + gm * TYt[b + j];
      gYt[b + j] += gs * a;
      gTYt[b + j] += gm * a;
    }
    gA[k] = accA;
    for (let c = 0; c < m; c++) {
      const ac = Ad[c * r + k];
      const oc = c * n;
      let accC = 0;
      for (let j = 0; j < n; j++) {
        const g = Gd[oc + j];
        accC += g * Yt[b + j];
        gYt[b + j] += g * ac;
      }
      gAd[c * r + k] = accC;
    }
  }
}
