import { describe, expect, it } from 'vitest';
import { JacobiPreconditioner, PcgWorkspace, entryIndex, patternFromCells, pcg, spmv, zeroMatrix } from '../src/linalg/index.js';

/** 1D chain of n nodes: cells (i, i+1). Matrix tridiag(−1, 2 + c, −1): SPD for c ≥ 0. */
function chainMatrix(n: number, c: number) {
  const cells = new Uint32Array(2 * (n - 1));
  for (let i = 0; i < n - 1; i++) {
    cells[2 * i] = i;
    cells[2 * i + 1] = i + 1;
  }
  const pattern = patternFromCells(n, cells, 2);
  const A = zeroMatrix(pattern);
  for (let i = 0; i < n; i++) {
    A.values[entryIndex(pattern, i, i)] = 2 + c;
    if (i > 0) A.values[entryIndex(pattern, i, i - 1)] = -1;
    if (i < n - 1) A.values[entryIndex(pattern, i, i + 1)] = -1;
  }
  return A;
}

describe('CSR pattern and PCG', () => {
  it('builds the tridiagonal pattern with sorted columns and diagonal positions', () => {
    const A = chainMatrix(5, 0);
    expect(Array.from(A.pattern.rowPtr)).toEqual([0, 2, 5, 8, 11, 13]);
    expect(Array.from(A.pattern.colIdx)).toEqual([0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4]);
    expect(Array.from(A.pattern.diagIdx)).toEqual([0, 3, 6, 9, 12]);
    expect(entryIndex(A.pattern, 0, 4)).toBe(-1);
  });

  it('solves A x = b for a known x to the requested tolerance', () => {
    const n = 200;
    const A = chainMatrix(n, 0.01);
    const xExact = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 7) + 0.1 * i);
    const b = spmv(new Float64Array(n), A, xExact);
    const x = new Float64Array(n);
    const M = new JacobiPreconditioner();
    M.setup(A);
    const res = pcg(A, b, x, M, new PcgWorkspace(n), { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(x[i] - xExact[i]));
    expect(err).toBeLessThan(1e-8);
  });

  it('rejects an indefinite matrix with a message', () => {
    const A = chainMatrix(10, -3.9);
    const M = new JacobiPreconditioner();
    expect(() => M.setup(A)).toThrow('jacobi: diagonal entry 0 is -1.9, not positive');
  });
});
