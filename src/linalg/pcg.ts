import { type CsrMatrix, spmv } from './csr.js';
import { dot, norm2 } from './vector.js';

/**
 * A preconditioner applies z = P⁻¹ r. `setup` is called when the matrix values change
 * (the pattern never does); `apply` must not allocate.
 */
export interface Preconditioner {
  readonly name: string;
  setup(A: CsrMatrix): void;
  apply(z: Float64Array, r: Float64Array): void;
}

/**
 * 1 / diag(A) into `out` (reallocated only when the size changes); throws
 * `<who>: diagonal entry i is d, not positive` — an SPD matrix has a positive diagonal.
 */
export function inverseDiagonal(out: Float64Array<ArrayBuffer>, A: CsrMatrix, who: string): Float64Array<ArrayBuffer> {
  const { n, diagIdx } = A.pattern;
  const inv = out.length === n ? out : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = A.values[diagIdx[i]];
    if (!(d > 0)) throw new Error(`${who}: diagonal entry ${i} is ${d}, not positive`);
    inv[i] = 1 / d;
  }
  return inv;
}

/** Jacobi: P = diag(A). */
export class JacobiPreconditioner implements Preconditioner {
  readonly name = 'jacobi';
  private invDiag = new Float64Array(0);
  setup(A: CsrMatrix): void {
    this.invDiag = inverseDiagonal(this.invDiag, A, 'jacobi');
  }
  apply(z: Float64Array, r: Float64Array): void {
    const d = this.invDiag;
    for (let i = 0; i < z.length; i++) z[i] = d[i] * r[i];
  }
}

export interface PcgOptions {
  /** Stop when ‖r‖₂ ≤ rtol ‖b‖₂ (or ≤ atol). Default 1e-10. */
  rtol?: number;
  atol?: number;
  /** Default 10 n. */
  maxIterations?: number;
}

export interface PcgResult {
  iterations: number;
  residualNorm: number;
  converged: boolean;
}

/** Scratch vectors for PCG, allocated once per problem size. */
export class PcgWorkspace {
  readonly r: Float64Array;
  readonly z: Float64Array;
  readonly p: Float64Array;
  readonly q: Float64Array;
  constructor(readonly n: number) {
    this.r = new Float64Array(n);
    this.z = new Float64Array(n);
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
  }
}

/**
 * Preconditioned conjugate gradients for SPD A (Hestenes & Stiefel 1952; Saad, Iterative
 * Methods for Sparse Linear Systems, Alg. 9.1). Solves A x = b starting from the given x
 * (warm start); x is overwritten. The preconditioner must already be set up for A.
 */
export function pcg(
  A: CsrMatrix,
  b: Float64Array,
  x: Float64Array,
  M: Preconditioner,
  work: PcgWorkspace,
  options: PcgOptions = {},
): PcgResult {
  const n = A.pattern.n;
  const rtol = options.rtol ?? 1e-10;
  const atol = options.atol ?? 0;
  const maxIt = options.maxIterations ?? 10 * n;
  const { r, z, p, q } = work;
  spmv(q, A, x);
  for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
  const bNorm = norm2(b);
  const target = Math.max(rtol * bNorm, atol);
  let rNorm = norm2(r);
  if (rNorm <= target) return { iterations: 0, residualNorm: rNorm, converged: true };
  M.apply(z, r);
  p.set(z);
  let rz = dot(r, z);
  for (let it = 1; it <= maxIt; it++) {
    spmv(q, A, p);
    const pq = dot(p, q);
    if (!(pq > 0)) throw new Error(`pcg: matrix is not positive definite (pᵀAp = ${pq} at iteration ${it})`);
    const alpha = rz / pq;
    let rr = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      rr += r[i] * r[i];
    }
    rNorm = Math.sqrt(rr);
    if (rNorm <= target) return { iterations: it, residualNorm: rNorm, converged: true };
    M.apply(z, r);
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return { iterations: maxIt, residualNorm: rNorm, converged: false };
}
