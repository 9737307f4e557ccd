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
 * one dof). Every diagonal entry is present, also for a dof that lies in no cell.
 *
 * Typed arrays only (no Set): rows are first filled with every (possibly repeated) neighbour
 * into a buffer sized by Σ_cells nodesPerCell², then each row segment is sorted (insertion sort,
 * rows are short) and deduplicated in place, and the result compacted. O(nCells·nodesPerCell²).
 * Measured on the 512×512 P1 triangle mesh (263,169 dofs): 670 ms with the former Set version,
 * see benchmarks/linalg.ts for the current figure.
 */
export function patternFromCells(nDofs: number, cellDofs: Uint32Array | Int32Array, nodesPerCell: number): CsrPattern {
  if (!Number.isInteger(nDofs) || nDofs < 0) throw new RangeError(`patternFromCells: nDofs must be a non-negative integer, got ${nDofs}`);
  if (!Number.isInteger(nodesPerCell) || nodesPerCell < 1) {
    throw new RangeError(`patternFromCells: nodesPerCell must be a positive integer, got ${nodesPerCell}`);
  }
  if (cellDofs.length % nodesPerCell !== 0) {
    throw new RangeError(`patternFromCells: cellDofs has length ${cellDofs.length}, not a multiple of nodesPerCell = ${nodesPerCell}`);
  }
  const nCells = cellDofs.length / nodesPerCell;
  // Pass 1: upper bound of each row length (the diagonal plus nodesPerCell per incident cell).
  const start = new Int32Array(nDofs + 1);
  for (let i = 0; i < nDofs; i++) start[i + 1] = 1;
  for (let k = 0; k < cellDofs.length; k++) {
    const d = cellDofs[k];
    if (!(d >= 0 && d < nDofs)) {
      throw new RangeError(`patternFromCells: cell ${Math.floor(k / nodesPerCell)} refers to dof ${d}, outside [0, ${nDofs})`);
    }
    start[d + 1] += nodesPerCell;
  }
  for (let i = 0; i < nDofs; i++) start[i + 1] += start[i];
  // Pass 2: scatter every neighbour (with repeats) into the row segments.
  const buf = new Int32Array(start[nDofs]);
  const fill = new Int32Array(nDofs);
  for (let i = 0; i < nDofs; i++) {
    buf[start[i]] = i;
    fill[i] = start[i] + 1;
  }
  for (let c = 0; c < nCells; c++) {
    const base = c * nodesPerCell;
    for (let a = 0; a < nodesPerCell; a++) {
      const row = cellDofs[base + a];
      let f = fill[row];
      for (let b = 0; b < nodesPerCell; b++) buf[f++] = cellDofs[base + b];
      fill[row] = f;
    }
  }
  // Pass 3: sort and deduplicate each segment in place; rowPtr gets the unique counts.
  const rowPtr = new Int32Array(nDofs + 1);
  for (let i = 0; i < nDofs; i++) {
    const s = start[i];
    const e = start[i + 1];
    if (e - s > 64) buf.subarray(s, e).sort();
    else {
      for (let k = s + 1; k < e; k++) {
        const v = buf[k];
        let m = k - 1;
        while (m >= s && buf[m] > v) {
          buf[m + 1] = buf[m];
          m--;
        }
        buf[m + 1] = v;
      }
    }
    let u = s;
    for (let k = s + 1; k < e; k++) if (buf[k] !== buf[u]) buf[++u] = buf[k];
    rowPtr[i + 1] = rowPtr[i] + (u - s + 1);
  }
  // Pass 4: compact and locate the diagonal.
  const colIdx = new Int32Array(rowPtr[nDofs]);
  const diagIdx = new Int32Array(nDofs);
  for (let i = 0; i < nDofs; i++) {
    const len = rowPtr[i + 1] - rowPtr[i];
    const s = start[i];
    const o = rowPtr[i];
    for (let k = 0; k < len; k++) {
      const col = buf[s + k];
      colIdx[o + k] = col;
      if (col === i) diagIdx[i] = o + k;
    }
  }
  return { n: nDofs, rowPtr, colIdx, diagIdx };
}

/**
 * For a structurally symmetric pattern: `t[k]` is the index of entry (j, i) when entry k is
 * (i, j). Throws when some entry has no transpose. O(nnz) with a per-row cursor.
 */
export function transposeIndex(pattern: CsrPattern): Int32Array {
  const { n, rowPtr, colIdx } = pattern;
  const t = new Int32Array(colIdx.length);
  // Walking rows in increasing order, the entries (j, i) of column i are met with j ascending,
  // which is the order of row i's columns: a cursor per row suffices.
  const cursor = rowPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
      const j = colIdx[k];
      const c = cursor[j];
      if (c >= rowPtr[j + 1] || colIdx[c] !== i) {
        throw new Error(`csr: pattern is not symmetric (entry (${i}, ${j}) has no transpose (${j}, ${i}))`);
      }
      t[k] = c;
      cursor[j] = c + 1;
    }
  }
  return t;
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
