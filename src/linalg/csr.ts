/**
 * Compressed sparse row matrices with a fixed sparsity pattern.
 *
 * Layout: row i holds entries k ∈ [rowPtr[i], rowPtr[i+1]) with column colIdx[k] (ascending
 * within the row) and value values[k]. The pattern (rowPtr, colIdx) is built once from the mesh
 * connectivity and shared by every matrix assembled on it; only `values` change between Newton
 * iterations and time steps.
 */
export interface CsrPattern {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  /** Position of the diagonal entry of row i in colIdx/values. */
  readonly diagIdx: Int32Array;
}

export interface CsrMatrix {
  readonly pattern: CsrPattern;
  readonly values: Float64Array;
}

/**
 * Pattern of a finite-element matrix: dofs a and b are coupled when they share a cell.
 * `cellDofs[nodesPerCell·c + j]` is the dof of local node j of cell c (periodic images map to
 * one dof). Every diagonal entry is present.
 */
export function patternFromCells(nDofs: number, cellDofs: Uint32Array | Int32Array, nodesPerCell: number): CsrPattern {
  const nCells = cellDofs.length / nodesPerCell;
  // Collect neighbours per row in a linked structure, then sort and deduplicate.
  const sets: Set<number>[] = new Array(nDofs);
  for (let i = 0; i < nDofs; i++) sets[i] = new Set([i]);
  for (let c = 0; c < nCells; c++) {
    const base = c * nodesPerCell;
    for (let a = 0; a < nodesPerCell; a++) {
      const row = sets[cellDofs[base + a]];
      for (let b = 0; b < nodesPerCell; b++) row.add(cellDofs[base + b]);
    }
  }
  const rowPtr = new Int32Array(nDofs + 1);
  for (let i = 0; i < nDofs; i++) rowPtr[i + 1] = rowPtr[i] + sets[i].size;
  const colIdx = new Int32Array(rowPtr[nDofs]);
  const diagIdx = new Int32Array(nDofs);
  for (let i = 0; i < nDofs; i++) {
    const cols = Int32Array.from(sets[i]).sort();
    colIdx.set(cols, rowPtr[i]);
    diagIdx[i] = rowPtr[i] + cols.indexOf(i);
  }
  return { n: nDofs, rowPtr, colIdx, diagIdx };
}

/** A zero matrix on the pattern. */
export function zeroMatrix(pattern: CsrPattern): CsrMatrix {
  return { pattern, values: new Float64Array(pattern.colIdx.length) };
}

/** Index k of entry (i, j) in values, or −1 when (i, j) is not in the pattern. Binary search. */
export function entryIndex(pattern: CsrPattern, i: number, j: number): number {
  let lo = pattern.rowPtr[i];
  let hi = pattern.rowPtr[i + 1] - 1;
  const c = pattern.colIdx;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid] === j) return mid;
    if (c[mid] < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** out = A x. `out` must not alias `x`. Returns out. */
export function spmv(out: Float64Array, A: CsrMatrix, x: Float64Array): Float64Array {
  const { n, rowPtr, colIdx } = A.pattern;
  const v = A.values;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = rowPtr[i], end = rowPtr[i + 1]; k < end; k++) s += v[k] * x[colIdx[k]];
    out[i] = s;
  }
  return out;
}

/** out.values = α A.values + β B.values (same pattern). `out` may alias A or B. Returns out. */
export function linearCombination(out: CsrMatrix, alpha: number, A: CsrMatrix, beta: number, B: CsrMatrix): CsrMatrix {
  if (A.pattern !== B.pattern || out.pattern !== A.pattern) throw new Error('linearCombination: matrices must share one pattern');
  const o = out.values;
  const a = A.values;
  const b = B.values;
  for (let k = 0; k < o.length; k++) o[k] = alpha * a[k] + beta * b[k];
  return out;
}
