import type { CsrPattern } from './csr.js';

/**
 * Fill-reducing orderings for sparse Cholesky, on the adjacency graph of a structurally
 * symmetric CSR pattern (the diagonal is ignored).
 *
 * A permutation is an Int32Array `perm` of length n with perm[k] = the original index of the
 * k-th unknown in the new order (new → old); `inversePermutation(perm)[old] = new`.
 */

/** perm[k] = k. */
export function naturalOrdering(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** iperm[perm[k]] = k. Throws when perm is not a permutation of 0…n−1. */
export function inversePermutation(perm: Int32Array): Int32Array {
  const n = perm.length;
  const iperm = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const i = perm[k];
    if (!(i >= 0 && i < n) || iperm[i] !== -1) {
      throw new RangeError(`ordering: not a permutation of 0…${n - 1} (entry ${k} is ${i})`);
    }
    iperm[i] = k;
  }
  return iperm;
}

/**
 * Breadth-first level structure of the connected component of `root` among nodes with
 * `region[v] === tag`. Writes the visit order into `order` (from 0) and `level[v]`; returns the
 * number of nodes reached. `level` must be −1 on the region's nodes on entry; the caller resets.
 */
function bfs(
  pattern: CsrPattern,
  root: number,
  region: Int32Array,
  tag: number,
  level: Int32Array,
  order: Int32Array,
): number {
  const { rowPtr, colIdx } = pattern;
  let head = 0;
  let tail = 0;
  order[tail++] = root;
  level[root] = 0;
  while (head < tail) {
    const v = order[head++];
    const lv = level[v] + 1;
    for (let k = rowPtr[v]; k < rowPtr[v + 1]; k++) {
      const w = colIdx[k];
      if (region[w] === tag && level[w] < 0) {
        level[w] = lv;
        order[tail++] = w;
      }
    }
  }
  return tail;
}

/**
 * Pseudo-peripheral node of the component of `start` (George & Liu 1979): repeat a BFS from a
 * node of minimum degree in the last level while the eccentricity grows. Leaves `level` at −1.
 */
function pseudoPeripheral(
  pattern: CsrPattern,
  start: number,
  region: Int32Array,
  tag: number,
  level: Int32Array,
  order: Int32Array,
): number {
  const { rowPtr } = pattern;
  let root = start;
  let ecc = -1;
  for (let iter = 0; iter < 8; iter++) {
    const count = bfs(pattern, root, region, tag, level, order);
    const depth = level[order[count - 1]];
    let best = order[count - 1];
    let bestDeg = Infinity;
    for (let q = count - 1; q >= 0 && level[order[q]] === depth; q--) {
      const v = order[q];
      const deg = rowPtr[v + 1] - rowPtr[v];
      if (deg < bestDeg) {
        bestDeg = deg;
        best = v;
      }
    }
    for (let q = 0; q < count; q++) level[order[q]] = -1;
    if (depth <= ecc) break;
    ecc = depth;
    root = best;
  }
  return root;
}

/**
 * Reverse Cuthill–McKee (Cuthill & McKee 1969; George & Liu, Computer Solution of Large Sparse
 * Positive Definite Systems, 1981, §4.3): BFS from a pseudo-peripheral node, neighbours visited in
 * increasing degree, order reversed. Reduces the profile; every connected component is ordered.
 */
export function reverseCuthillMcKee(pattern: CsrPattern): Int32Array {
  const { n, rowPtr, colIdx } = pattern;
  const region = new Int32Array(n); // all tag 0
  const level = new Int32Array(n).fill(-1);
  const scratch = new Int32Array(n);
  const visited = new Uint8Array(n);
  const order = new Int32Array(n);
  const nbr = new Int32Array(n);
  let filled = 0;
  for (let s = 0; s < n; s++) {
    if (visited[s]) continue;
    const root = pseudoPeripheral(pattern, s, region, 0, level, scratch);
    let head = filled;
    order[filled++] = root;
    visited[root] = 1;
    while (head < filled) {
      const v = order[head++];
      let m = 0;
      for (let k = rowPtr[v]; k < rowPtr[v + 1]; k++) {
        const w = colIdx[k];
        if (!visited[w]) {
          visited[w] = 1;
          nbr[m++] = w;
        }
      }
      // insertion sort of the new neighbours by degree (short lists)
      for (let a = 1; a < m; a++) {
        const w = nbr[a];
        const dw = rowPtr[w + 1] - rowPtr[w];
        let b = a - 1;
        while (b >= 0 && rowPtr[nbr[b] + 1] - rowPtr[nbr[b]] > dw) {
          nbr[b + 1] = nbr[b];
          b--;
        }
        nbr[b + 1] = w;
      }
      for (let a = 0; a < m; a++) order[filled++] = nbr[a];
    }
  }
  order.reverse();
  return order;
}

export interface NestedDissectionOptions {
  /**
   * Node coordinates, `coordinates[dim·i + k]` (the Mesh.nodes layout). When given, each
   * subdomain is split at the median along its longest bounding-box axis (geometric nested
   * dissection: straight separators on structured meshes); otherwise by the middle BFS level
   * from a pseudo-peripheral node.
   */
  coordinates?: Float64Array;
  /** Components per node in `coordinates`. Default 2. */
  dim?: number;
  /** Subdomains with at most this many nodes are not split further (ordered by reversed BFS). Default 8 (smaller leaves gave less fill: 2.50M against 3.00M nonzeros of L with 64 on the 256² P1 mesh). */
  leafSize?: number;
}

/**
 * Nested dissection (George 1973, "Nested dissection of a regular finite element mesh", SIAM J.
 * Numer. Anal. 10): find a vertex separator S splitting the subdomain into A and B with no edge
 * between them, order A, then B (recursively), then S last. On an N×N grid this gives
 * O(N² log N) fill and O(N³) factorization work against O(N³) fill and O(N⁴) work for banded
 * orderings.
 *
 * Separator: with coordinates, the nodes are split at the median coordinate of the longest axis
 * into halves H₁ (below) and H₂; S = the nodes of H₁ that have a neighbour in H₂ (a valid
 * separator on any graph, also periodic ones, where it has two parts). Without coordinates, BFS
 * levels from a pseudo-peripheral node: S = the level holding the median node. Disconnected
 * subdomains are split into their components without a separator. A split that leaves one side
 * empty (e.g. equal coordinates) stops the dissection of that subdomain, which is then ordered
 * like a leaf: correct, with more fill.
 *
 * Measured fill (nonzeros of L) on the 256² P1 mesh: 2.50M geometric, 2.73M graph-based, against
 * 11.4M for RCM; on a 128² 5-point grid 0.47M / 0.38M against 1.42M for RCM and 2.10M natural.
 */
export function nestedDissection(pattern: CsrPattern, options: NestedDissectionOptions = {}): Int32Array {
  const { n, rowPtr, colIdx } = pattern;
  const dim = options.dim ?? 2;
  const coords = options.coordinates;
  const leafSize = options.leafSize ?? 8;
  if (coords !== undefined && coords.length !== dim * n) {
    throw new RangeError(`nestedDissection: coordinates has length ${coords.length}, expected dim·n = ${dim * n}`);
  }
  if (!Number.isInteger(leafSize) || leafSize < 1) throw new RangeError(`nestedDissection: leafSize must be a positive integer, got ${leafSize}`);

  const perm = new Int32Array(n);
  let front = 0; // next position of perm to fill, in elimination order
  // region[v]: id of the subdomain v currently belongs to (−1 once ordered).
  const region = new Int32Array(n);
  const level = new Int32Array(n).fill(-1);
  const order = new Int32Array(n);
  let nextTag = 1;

  // Explicit stack (no recursion): a task either splits a subdomain or emits a separator, which
  // is pushed below its two halves so that it is ordered after both (post-order).
  type Task = { kind: 'split'; nodes: Int32Array; tag: number } | { kind: 'emit'; nodes: Int32Array };
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const stack: Task[] = [{ kind: 'split', nodes: all, tag: 0 }];

  const emit = (nodes: Int32Array) => {
    for (let q = 0; q < nodes.length; q++) {
      perm[front++] = nodes[q];
      region[nodes[q]] = -1;
    }
  };

  while (stack.length > 0) {
    const task = stack.pop()!;
    if (task.kind === 'emit') {
      emit(task.nodes);
      continue;
    }
    const { nodes, tag } = task;
    const m = nodes.length;
    if (m <= leafSize) {
      // Leaf: order by a BFS (Cuthill–McKee-like) inside the leaf for locality.
      emitLeaf(nodes, tag);
      continue;
    }
    // Connected component of the first node; if it is not everything, split off components.
    const root = pseudoPeripheral(pattern, nodes[0], region, tag, level, order);
    const reached = bfs(pattern, root, region, tag, level, order);
    if (reached < m) {
      const comp = order.slice(0, reached);
      for (let q = 0; q < reached; q++) level[comp[q]] = -1;
      const rest = new Int32Array(m - reached);
      const tagA = nextTag++;
      const tagB = nextTag++;
      for (let q = 0; q < reached; q++) region[comp[q]] = tagA;
      let r = 0;
      for (let q = 0; q < m; q++) if (region[nodes[q]] === tag) rest[r++] = nodes[q];
      for (let q = 0; q < rest.length; q++) region[rest[q]] = tagB;
      stack.push({ kind: 'split', nodes: rest, tag: tagB });
      stack.push({ kind: 'split', nodes: comp, tag: tagA });
      continue;
    }
    // Label nodes: 1 = half A, 2 = half B, 3 = separator. `level` (BFS levels of this subdomain)
    // is reused for the labels and reset to −1 afterwards.
    const side = level;
    if (coords !== undefined) {
      for (let q = 0; q < m; q++) side[nodes[q]] = -1;
      // longest axis of the bounding box
      let axis = 0;
      let best = -1;
      for (let k = 0; k < dim; k++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let q = 0; q < m; q++) {
          const c = coords[dim * nodes[q] + k];
          if (c < lo) lo = c;
          if (c > hi) hi = c;
        }
        if (hi - lo > best) {
          best = hi - lo;
          axis = k;
        }
      }
      const vals = new Float64Array(m);
      for (let q = 0; q < m; q++) vals[q] = coords[dim * nodes[q] + axis];
      vals.sort();
      const median = vals[m >> 1];
      for (let q = 0; q < m; q++) {
        const v = nodes[q];
        side[v] = coords[dim * v + axis] < median ? 1 : 2;
      }
      // Separator: nodes on side 1 with a neighbour on side 2 (one layer of the boundary).
      for (let q = 0; q < m; q++) {
        const v = nodes[q];
        if (side[v] !== 1) continue;
        for (let k = rowPtr[v]; k < rowPtr[v + 1]; k++) {
          const w = colIdx[k];
          if (region[w] === tag && side[w] === 2) {
            side[v] = 3;
            break;
          }
        }
      }
    } else {
      // BFS levels from the pseudo-peripheral root: separator = the median level.
      let half = -1;
      for (let q = 0; q < m; q++) {
        if (q >= m >> 1) {
          half = level[order[q]];
          break;
        }
      }
      for (let q = 0; q < m; q++) {
        const v = nodes[q];
        const l = level[v];
        side[v] = l < half ? 1 : l > half ? 2 : 3;
      }
    }
    let nA = 0;
    let nB = 0;
    let nS = 0;
    for (let q = 0; q < m; q++) {
      const s = side[nodes[q]];
      if (s === 1) nA++;
      else if (s === 2) nB++;
      else nS++;
    }
    const A = new Int32Array(nA);
    const B = new Int32Array(nB);
    const S = new Int32Array(nS);
    nA = nB = nS = 0;
    const tagA = nextTag++;
    const tagB = nextTag++;
    for (let q = 0; q < m; q++) {
      const v = nodes[q];
      const s = side[v];
      side[v] = -1;
      if (s === 1) {
        A[nA++] = v;
        region[v] = tagA;
      } else if (s === 2) {
        B[nB++] = v;
        region[v] = tagB;
      } else {
        S[nS++] = v;
        region[v] = -2;
      }
    }
    if (nA === 0 || nB === 0) {
      // Degenerate split (e.g. all coordinates equal): stop dissecting this subdomain.
      for (let q = 0; q < m; q++) region[nodes[q]] = tag;
      emitLeaf(nodes, tag);
      continue;
    }
    // Post-order: A, B, then S (stack is LIFO).
    stack.push({ kind: 'emit', nodes: S });
    stack.push({ kind: 'split', nodes: B, tag: tagB });
    stack.push({ kind: 'split', nodes: A, tag: tagA });
  }
  if (front !== n) throw new Error(`nestedDissection: internal error, ordered ${front} of ${n} nodes`);
  return perm;

  function emitLeaf(nodes: Int32Array, tag: number) {
    let done = 0;
    for (let q = 0; q < nodes.length; q++) {
      const s = nodes[q];
      if (region[s] !== tag) continue; // already emitted via a previous component
      const root = pseudoPeripheral(pattern, s, region, tag, level, order);
      const count = bfs(pattern, root, region, tag, level, order);
      for (let c = count - 1; c >= 0; c--) {
        const v = order[c];
        level[v] = -1;
        perm[front++] = v;
        region[v] = -1;
      }
      done += count;
    }
    if (done !== nodes.length) throw new Error(`nestedDissection: internal error in a leaf (${done} of ${nodes.length})`);
  }
}
