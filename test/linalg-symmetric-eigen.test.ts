import { describe, expect, it } from 'vitest';
import { Matrix, EigenvalueDecomposition } from 'ml-matrix';
import { symmetricEigen } from '../src/linalg/symmetric-eigen.js';
import { mulberry32 } from '../src/physics/random.js';

/**
 * symmetricEigen (Householder tridiagonalisation + implicit QR with Wilkinson shifts): A v = λ v and
 * orthonormal vectors to rounding on seeded random symmetric matrices of sizes that exercise every
 * branch (1, 2: no reflector; 3+: reflectors and deflation), eigenvalues descending and equal to
 * ml-matrix's, a closed-form case, and the sign convention that makes the vectors deterministic.
 */

function randomSymmetric(n: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = 2 * rand() - 1;
  return A;
}

describe('symmetricEigen', () => {
  for (const n of [1, 2, 3, 7, 40]) {
    it(`n = ${n}: ‖A v − λ v‖ ≤ 1e-13 ‖A‖, VᵀV = I to 1e-13, values descending and equal to ml-matrix's`, () => {
      const A = randomSymmetric(n, 100 + n);
      const { values, vectors } = symmetricEigen(A, n);
      let res = 0;
      let orth = 0;
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += A[i * n + j] * vectors[k * n + j];
          res = Math.max(res, Math.abs(s - values[k] * vectors[k * n + i]));
        }
        for (let l = 0; l < n; l++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += vectors[k * n + j] * vectors[l * n + j];
          orth = Math.max(orth, Math.abs(s - (k === l ? 1 : 0)));
        }
        if (k > 0) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
        // The entry of largest magnitude is positive.
        let big = 0;
        for (let j = 0; j < n; j++) if (Math.abs(vectors[k * n + j]) > Math.abs(big)) big = vectors[k * n + j];
        expect(big).toBeGreaterThan(0);
      }
      expect(res).toBeLessThan(1e-13 * n);
      expect(orth).toBeLessThan(1e-13);
      const M = new Matrix(n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M.set(i, j, A[i * n + j]);
      const reference = new EigenvalueDecomposition(M, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => y - x);
      for (let k = 0; k < n; k++) expect(values[k]).toBeCloseTo(reference[k], 12);
    });
  }

  it('the second-difference matrix tridiag(−1, 2, −1) of size 6: λ_k = 2 − 2 cos(kπ/7), v_k(j) ∝ sin(jkπ/7); A is not modified', () => {
    const n = 6;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = 2;
      if (i > 0) A[i * n + i - 1] = A[(i - 1) * n + i] = -1;
    }
    const copy = Float64Array.from(A);
    const { values, vectors } = symmetricEigen(A, n);
    expect(Array.from(A)).toEqual(Array.from(copy));
    for (let k = 0; k < n; k++) {
      const m = n - k; // descending: the largest is k = n
      expect(values[k]).toBeCloseTo(2 - 2 * Math.cos((m * Math.PI) / (n + 1)), 14);
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < n; j++) {
        const s = Math.sin(((j + 1) * m * Math.PI) / (n + 1));
        dot += s * vectors[k * n + j];
        norm += s * s;
      }
      expect(Math.abs(dot) / Math.sqrt(norm)).toBeCloseTo(1, 13);
    }
  });

  it('a diagonal matrix with a repeated eigenvalue and a zero one: exact values, unit-vector eigenvectors', () => {
    const A = Float64Array.from([3, 0, 0, 0, 0, 0, 0, 0, 3]);
    const { values, vectors } = symmetricEigen(A, 3);
    expect(Array.from(values)).toEqual([3, 3, 0]);
    expect(Array.from(vectors.subarray(6, 9))).toEqual([0, 1, 0]);
  });

  it('refuses a matrix shorter than n² and NaN input', () => {
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow('symmetricEigen: A has 3 entries, need n² = 4');
    const A = randomSymmetric(4, 1);
    A[5] = NaN;
    expect(() => symmetricEigen(A, 4)).toThrow('symmetricEigen: the QR iteration did not converge (NaN or infinite input?)');
  });
});
