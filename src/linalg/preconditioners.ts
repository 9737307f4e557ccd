import { type CsrMatrix, type CsrPattern, transposeIndex } from './csr.js';
import { inverseDiagonal, type Preconditioner } from './pcg.js';

/**
 * Stronger preconditioners on the fixed CSR pattern: IC(0) and SSOR / symmetric Gauss–Seidel.
 * Both need a structurally symmetric pattern with sorted columns (what patternFromCells builds)
 * and a positive diagonal. `setup` does the per-pattern work (transpose map) only when the pattern
 * object changes, so calling it every Newton iteration costs one numeric pass; `apply` allocates
 * nothing and may be called with z aliasing r.
 */

/** What IC(0) does when a pivot is not positive. */
export type Ic0Breakdown = 'shift' | 'throw';

export interface Ic0Options {
  /**
   * On a non-positive pivot: 'shift' (default) restarts the factorization of A + α·diag(A)
   * with α = initialShift, 2α, 4α, … (Manteuffel 1980, "An incomplete factorization technique
   * for positive definite linear systems", Math. Comp. 34) until it succeeds or α exceeds
   * maxShift; 'throw' raises `ic0: breakdown at row <i> (pivot <value>)` at once.
   */
  onBreakdown?: Ic0Breakdown;
  /** First α tried after a breakdown. Default 1e-3. */
  initialShift?: number;
  /** Largest α tried before giving up with the breakdown error. Default 1e3. */
  maxShift?: number;
}

/**
 * Incomplete Cholesky with zero fill, IC(0): A ≈ L Lᵀ with L restricted to the lower triangle
 * of A's pattern (Meijerink & van der Vorst 1977; Saad, Iterative Methods, §10.3.2).
 *
 * Row-wise (up-looking) recurrence, for i = 0…n−1 and j < i in the pattern of row i:
 *   L_ij = (a_ij − Σ_{k<j, (i,k),(j,k) ∈ pattern} L_ik L_jk) / L_jj,
 *   L_ii = √(a_ii − Σ_{k<i} L_ik²).
 * Layout: one Float64Array `f` on A's pattern; entry (i, j) holds L_ij for j ≤ i and the mirrored
 * L_ji for j > i, so the forward solve L y = r and the backward solve Lᵀ z = y both run row-wise
 * over the CSR arrays. Breakdown (non-positive pivot, possible for SPD matrices that are not
 * M-matrices) is handled per `Ic0Options.onBreakdown`; the shift used is in `shift` (0 when none).
 */
export class Ic0Preconditioner implements Preconditioner {
  readonly name = 'ic0';
  /** α of the last successful factorization of A + α·diag(A) (0 when no breakdown occurred). */
  shift = 0;
  private pattern: CsrPattern | null = null;
  private transpose: Int32Array = new Int32Array(0);
  private f = new Float64Array(0);
  private invDiag = new Float64Array(0);
  /** position map: pos[col] = entry index in the current row, −1 otherwise. */
  private pos = new Int32Array(0);
  private readonly onBreakdown: Ic0Breakdown;
  private readonly initialShift: number;
  private readonly maxShift: number;

  constructor(options: Ic0Options = {}) {
    this.onBreakdown = options.onBreakdown ?? 'shift';
    this.initialShift = options.initialShift ?? 1e-3;
    this.maxShift = options.maxShift ?? 1e3;
    if (this.onBreakdown !== 'shift' && this.onBreakdown !== 'throw') {
      throw new RangeError(`ic0: onBreakdown must be 'shift' or 'throw', got ${String(this.onBreakdown)}`);
    }
    if (!(this.initialShift > 0) || !(this.maxShift >= this.initialShift)) {
      throw new RangeError(`ic0: need 0 < initialShift ≤ maxShift, got ${this.initialShift}, ${this.maxShift}`);
    }
  }

  setup(A: CsrMatrix): void {
    const p = A.pattern;
    if (this.pattern !== p) {
      this.transpose = transposeIndex(p);
      this.f = new Float64Array(p.colIdx.length);
      this.invDiag = new Float64Array(p.n);
      this.pos = new Int32Array(p.n).fill(-1);
      this.pattern = p;
    }
    const { n, diagIdx } = p;
    for (let i = 0; i < n; i++) {
      const d = A.values[diagIdx[i]];
      if (!(d > 0)) throw new Error(`ic0: diagonal entry ${i} is ${d}, not positive`);
    }
    let alpha = 0;
    let failed = this.factor(A, alpha);
    while (failed >= 0) {
      const pivot = this.lastPivot;
      if (this.onBreakdown === 'throw') throw new Error(`ic0: breakdown at row ${failed} (pivot ${pivot})`);
      alpha = alpha === 0 ? this.initialShift : 2 * alpha;
      if (alpha > this.maxShift) {
        throw new Error(`ic0: breakdown at row ${failed} (pivot ${pivot}) even with diagonal shift ${alpha / 2}`);
      }
      failed = this.factor(A, alpha);
    }
    this.shift = alpha;
  }

  private lastPivot = 0;

  /** Factor A + α diag(A) into this.f; returns −1 on success, else the row whose pivot failed. */
  private factor(A: CsrMatrix, alpha: number): number {
    const { n, rowPtr, colIdx, diagIdx } = A.pattern;
    const a = A.values;
    const f = this.f;
    const pos = this.pos;
    const t = this.transpose;
    const invDiag = this.invDiag;
    const scale = 1 + alpha;
    for (let i = 0; i < n; i++) {
      const rs = rowPtr[i];
      const di = diagIdx[i];
      for (let k = rs; k <= di; k++) pos[colIdx[k]] = k;
      let diag = a[di] * scale;
      for (let k = rs; k < di; k++) {
        const j = colIdx[k];
        // s = a_ij − Σ_{m<j} L_im L_jm over row j's strictly lower part.
        let s = a[k];
        for (let m = rowPtr[j], dj = diagIdx[j]; m < dj; m++) {
          const q = pos[colIdx[m]];
          if (q >= 0) s -= f[m] * f[q];
        }
        const l = s * invDiag[j];
        f[k] = l;
        f[t[k]] = l;
        diag -= l * l;
      }
      for (let k = rs; k <= di; k++) pos[colIdx[k]] = -1;
      if (!(diag > 0)) {
        this.lastPivot = diag;
        return i;
      }
      const lii = Math.sqrt(diag);
      f[di] = lii;
      invDiag[i] = 1 / lii;
    }
    return -1;
  }

  /** z = (L Lᵀ)⁻¹ r: forward L y = r, then backward Lᵀ z = y, in place in z (z may alias r). */
  apply(z: Float64Array, r: Float64Array): void {
    const p = this.pattern;
    if (p === null) throw new Error('ic0: apply called before setup');
    const { n, rowPtr, colIdx, diagIdx } = p;
    const f = this.f;
    const invDiag = this.invDiag;
    for (let i = 0; i < n; i++) {
      let s = r[i];
      for (let k = rowPtr[i], di = diagIdx[i]; k < di; k++) s -= f[k] * z[colIdx[k]];
      z[i] = s * invDiag[i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = diagIdx[i] + 1, e = rowPtr[i + 1]; k < e; k++) s -= f[k] * z[colIdx[k]];
      z[i] = s * invDiag[i];
    }
  }
}

export interface SsorOptions {
  /** Relaxation ω ∈ (0, 2). Default 1: symmetric Gauss–Seidel. */
  omega?: number;
}

/**
 * SSOR preconditioner (Saad, Iterative Methods, §10.2), with A = L + D + Lᵀ (L strictly lower):
 *   P = 1/(ω(2−ω)) · (D + ωL) D⁻¹ (D + ωLᵀ),
 * SPD for SPD A and 0 < ω < 2; ω = 1 is symmetric Gauss–Seidel. No factorization: `setup` only
 * stores 1/a_ii and keeps a reference to A (whose values must not change between setup and
 * apply without calling setup again). apply: forward sweep (D + ωL) y = r, y ← ω(2−ω) D y,
 * backward sweep (D + ωLᵀ) z = y, in place in z.
 */
export class SsorPreconditioner implements Preconditioner {
  readonly name: string;
  readonly omega: number;
  private A: CsrMatrix | null = null;
  private invDiag = new Float64Array(0);

  constructor(options: SsorOptions = {}) {
    this.omega = options.omega ?? 1;
    if (!(this.omega > 0 && this.omega < 2)) throw new RangeError(`ssor: omega must lie in (0, 2), got ${this.omega}`);
    this.name = this.omega === 1 ? 'sgs' : `ssor(${this.omega})`;
  }

  setup(A: CsrMatrix): void {
    this.invDiag = inverseDiagonal(this.invDiag, A, 'ssor');
    this.A = A;
  }

  apply(z: Float64Array, r: Float64Array): void {
    const A = this.A;
    if (A === null) throw new Error('ssor: apply called before setup');
    const { n, rowPtr, colIdx, diagIdx } = A.pattern;
    const a = A.values;
    const w = this.omega;
    const invDiag = this.invDiag;
    const scale = w * (2 - w);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = rowPtr[i], di = diagIdx[i]; k < di; k++) s += a[k] * z[colIdx[k]];
      z[i] = (r[i] - w * s) * invDiag[i];
    }
    // After scaling by ω(2−ω) d_i, the backward sweep divides by d_i again: fold both.
    for (let i = n - 1; i >= 0; i--) {
      let s = 0;
      for (let k = diagIdx[i] + 1, e = rowPtr[i + 1]; k < e; k++) s += a[k] * z[colIdx[k]];
      z[i] = scale * z[i] - w * s * invDiag[i];
    }
  }
}
