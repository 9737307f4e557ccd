import { NODES_PER_CELL, boundingBox, cellCount, nodeCount, type Mesh } from './mesh.js';

/**
 * Mesh validation: structure, degenerate and inverted cells, overlapping cells, boundary facets,
 * and whether a mesh fits a problem's box domain.
 *
 * Orientation convention (see mesh.ts): triangles and quadrilaterals counter-clockwise (positive
 * signed area / Jacobian), intervals left to right. Boundary facets in 2D are returned by
 * {@link boundaryFacets} with the domain on their left, i.e. the boundary is traversed
 * counter-clockwise and the outward normal of facet (a, b) is (y_b − y_a, −(x_b − x_a)) / |b − a|.
 */

/**
 * A malformed, unsupported or geometrically invalid mesh. The message is one line:
 * `file:line: what was expected` (the line is left out when it is not known).
 */
export class MeshFormatError extends Error {
  override readonly name = 'MeshFormatError';
  constructor(
    message: string,
    readonly fileName?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/**
 * A cell is degenerate when |signed area| ≤ DEGENERATE_TOLERANCE · L², L its longest edge
 * (for quadrilaterals: any corner Jacobian, i.e. twice the corner triangle's area, measured the
 * same way); in 1D when its length ≤ DEGENERATE_TOLERANCE · (mesh length).
 * 1e-10 flags only truly collapsed cells: a triangle with this ratio has an aspect ratio ~1e10.
 */
export const DEGENERATE_TOLERANCE = 1e-10;

/** Where a cell came from, for error messages (the Gmsh reader passes element tag and line). */
export type CellLocator = (cell: number) => { line?: number; label: string };

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/**
 * Signed measure of every cell: length x₁ − x₀ (1D), signed area (2D).
 * Triangle (a, b, c): ½ [(b − a) × (c − a)]. Quadrilateral (a, b, c, d) (shoelace):
 * ½ [(c − a) × (d − b)], exact for any straight-sided quadrilateral.
 */
export function cellMeasures(mesh: Mesh): Float64Array {
  const n = cellCount(mesh);
  const out = new Float64Array(n);
  const { nodes: X, cells: C } = mesh;
  if (mesh.cellType === 'interval') {
    for (let c = 0; c < n; c++) out[c] = X[C[2 * c + 1]] - X[C[2 * c]];
  } else if (mesh.cellType === 'triangle') {
    for (let c = 0; c < n; c++) {
      const a = 2 * C[3 * c], b = 2 * C[3 * c + 1], d = 2 * C[3 * c + 2];
      out[c] = 0.5 * ((X[b] - X[a]) * (X[d + 1] - X[a + 1]) - (X[b + 1] - X[a + 1]) * (X[d] - X[a]));
    }
  } else {
    for (let c = 0; c < n; c++) {
      const a = 2 * C[4 * c], b = 2 * C[4 * c + 1], p = 2 * C[4 * c + 2], d = 2 * C[4 * c + 3];
      out[c] = 0.5 * ((X[p] - X[a]) * (X[d + 1] - X[b + 1]) - (X[p + 1] - X[a + 1]) * (X[d] - X[b]));
    }
  }
  return out;
}

/** Total length (1D) or area (2D): the sum of the signed cell measures. */
export function meshMeasure(mesh: Mesh): number {
  const m = cellMeasures(mesh);
  let s = 0;
  for (let c = 0; c < m.length; c++) s += m[c];
  return s;
}

/**
 * The directed edges (j → j+1 mod k) of all cells of a 2D mesh, grouped by start node (CSR):
 * the edges leaving node a are target[start[a] .. start[a+1]) with their cells in `cell`.
 * Lookups scan one node's few edges (about 6 for triangles), so no hashing is needed.
 */
class DirectedEdges {
  readonly start: Int32Array;
  readonly target: Int32Array;
  readonly cell: Int32Array;

  constructor(mesh: Mesh) {
    const N = nodeCount(mesh);
    const k = NODES_PER_CELL[mesh.cellType];
    const C = mesh.cells;
    const n = C.length / k;
    this.start = new Int32Array(N + 1);
    for (let i = 0; i < C.length; i++) this.start[C[i] + 1]++;
    for (let a = 0; a < N; a++) this.start[a + 1] += this.start[a];
    this.target = new Int32Array(C.length);
    this.cell = new Int32Array(C.length);
    const fill = this.start.slice(0, N);
    for (let c = 0; c < n; c++) {
      for (let j = 0; j < k; j++) {
        const a = C[k * c + j];
        const e = fill[a]++;
        this.target[e] = C[k * c + ((j + 1) % k)];
        this.cell[e] = c;
      }
    }
  }

  /** Index of the first edge a → b, or −1. */
  find(a: number, b: number): number {
    for (let e = this.start[a]; e < this.start[a + 1]; e++) if (this.target[e] === b) return e;
    return -1;
  }
}

/**
 * Boundary facets computed from the cells alone (ignoring mesh.facets).
 * 2D: every directed edge (a, b) of a cell whose reverse (b, a) belongs to no cell, in cell order,
 * oriented as in its cell (domain on the left for counter-clockwise cells); layout [a₀, b₀, a₁, b₁, …].
 * 1D: every node that is the left end of one interval and the right end of none, or the reverse,
 * in node order; layout [n₀, n₁, …].
 * Assumes a validated mesh (no duplicate directed edges).
 */
export function boundaryFacets(mesh: Mesh): Uint32Array {
  const N = nodeCount(mesh);
  if (mesh.dim === 1) {
    const degree = new Int32Array(N);
    for (let i = 0; i < mesh.cells.length; i++) degree[mesh.cells[i]]++;
    const out: number[] = [];
    for (let i = 0; i < N; i++) if (degree[i] === 1) out.push(i);
    return Uint32Array.from(out);
  }
  const edges = new DirectedEdges(mesh);
  const k = NODES_PER_CELL[mesh.cellType];
  const C = mesh.cells;
  const out: number[] = [];
  for (let i = 0; i < C.length; i++) {
    const a = C[i], b = C[i + 1 - (i % k === k - 1 ? k : 0)];
    if (edges.find(b, a) < 0) out.push(a, b);
  }
  return Uint32Array.from(out);
}

/**
 * Checks a mesh and returns the mesh to use. Throws {@link MeshFormatError} (one line, naming the
 * file, and the cell, and its file line when `locate` is given) on:
 * - inconsistent array lengths, node indices out of range, non-finite coordinates;
 * - degenerate cells: a node repeated in a cell, or |signed area| ≤ {@link DEGENERATE_TOLERANCE}·L²
 *   (L the cell's longest edge; quadrilaterals: each of the 4 corner Jacobians
 *   J_k = (x_{k+1} − x_k) × (x_{k−1} − x_k) is tested, |J_k| ≤ tol·L²);
 * - non-convex or self-intersecting quadrilaterals (corner Jacobians of both signs);
 * - mixed orientation: some cells counter-clockwise, others clockwise (the first cell of the
 *   minority orientation is named; ties name the first clockwise cell);
 * - overlapping or duplicate cells: a directed edge used by two cells after orientation
 *   (a consistently oriented conforming mesh uses each interior edge once in each direction);
 * - nodes used by no cell (they would give singular FEM matrices);
 * - facets that are not boundary facets of the cells (in either orientation).
 *
 * Orientation decision: when ALL cells are clockwise (2D) or right-to-left (1D) — what Gmsh writes
 * for a surface whose normal points along −z — the mesh is consistently reoriented: triangles
 * (a, b, c) → (a, c, b), quadrilaterals (a, b, c, d) → (a, d, c, b), intervals and 2D facets
 * reversed. A new Mesh is returned in that case; otherwise the input object itself.
 */
export function validateMesh(mesh: Mesh, fileName?: string, locate?: CellLocator): Mesh {
  const file = fileName ?? 'mesh';
  const fail = (msg: string): never => {
    throw new MeshFormatError(`${file}: ${msg}`, fileName);
  };
  const failCell = (c: number, msg: string): never => {
    const where = locate?.(c);
    const prefix = where?.line !== undefined ? `${file}:${where.line}` : file;
    throw new MeshFormatError(`${prefix}: ${where ? where.label : `cell ${c}`} ${msg}`, fileName, where?.line);
  };

  // --- structure
  const { dim, cellType } = mesh;
  const expectedDim = cellType === 'interval' ? 1 : 2;
  if (dim !== expectedDim) fail(`cell type ${cellType} needs dim ${expectedDim}, got dim ${dim}`);
  const k = NODES_PER_CELL[cellType];
  if (mesh.nodes.length % dim !== 0) fail(`nodes has length ${mesh.nodes.length}, not a multiple of dim ${dim}`);
  if (mesh.cells.length % k !== 0) fail(`cells has length ${mesh.cells.length}, not a multiple of ${k} (${cellType})`);
  const N = nodeCount(mesh);
  const nCells = cellCount(mesh);
  if (nCells === 0) fail('the mesh has no cells');
  if (mesh.cellTags.length !== nCells) fail(`cellTags has length ${mesh.cellTags.length}, expected ${nCells} (one per cell)`);
  const facetSize = dim;
  if (mesh.facets.length % facetSize !== 0) fail(`facets has length ${mesh.facets.length}, not a multiple of ${facetSize}`);
  const nFacets = mesh.facets.length / facetSize;
  if (mesh.facetTags.length !== nFacets) fail(`facetTags has length ${mesh.facetTags.length}, expected ${nFacets} (one per facet)`);
  for (let i = 0; i < mesh.nodes.length; i++) {
    if (!Number.isFinite(mesh.nodes[i])) fail(`node ${Math.floor(i / dim)} has a non-finite coordinate ${mesh.nodes[i]}`);
  }
  for (let i = 0; i < mesh.cells.length; i++) {
    if (mesh.cells[i] >= N) failCell(Math.floor(i / k), `references node ${mesh.cells[i]}, but the mesh has ${N} nodes`);
  }
  for (let i = 0; i < mesh.facets.length; i++) {
    if (mesh.facets[i] >= N) fail(`facet ${Math.floor(i / facetSize)} references node ${mesh.facets[i]}, but the mesh has ${N} nodes`);
  }

  // --- repeated nodes, degenerate and inverted cells
  const X = mesh.nodes;
  const C = mesh.cells;
  const sign = new Int8Array(nCells);
  let lengthScale = 0;
  if (dim === 1) {
    const box = boundingBox(mesh);
    lengthScale = box.max[0] - box.min[0];
  }
  for (let c = 0; c < nCells; c++) {
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        if (C[k * c + i] === C[k * c + j]) failCell(c, `is degenerate: node ${C[k * c + i]} appears twice`);
      }
    }
    if (dim === 1) {
      const len = X[C[2 * c + 1]] - X[C[2 * c]];
      if (Math.abs(len) <= DEGENERATE_TOLERANCE * lengthScale) {
        failCell(c, `is degenerate: length ${fmt(len)} is below ${DEGENERATE_TOLERANCE}·(mesh length ${fmt(lengthScale)})`);
      }
      sign[c] = len > 0 ? 1 : -1;
      continue;
    }
    let L2 = 0;
    for (let j = 0; j < k; j++) {
      const a = 2 * C[k * c + j], b = 2 * C[k * c + ((j + 1) % k)];
      L2 = Math.max(L2, (X[b] - X[a]) ** 2 + (X[b + 1] - X[a + 1]) ** 2);
    }
    const tol = DEGENERATE_TOLERANCE * L2;
    if (k === 3) {
      const a = 2 * C[3 * c], b = 2 * C[3 * c + 1], d = 2 * C[3 * c + 2];
      const area = 0.5 * ((X[b] - X[a]) * (X[d + 1] - X[a + 1]) - (X[b + 1] - X[a + 1]) * (X[d] - X[a]));
      if (Math.abs(area) <= tol) {
        failCell(c, `is degenerate: area ${fmt(area)} is below ${DEGENERATE_TOLERANCE}·h² (h = ${fmt(Math.sqrt(L2))}, its longest edge)`);
      }
      sign[c] = area > 0 ? 1 : -1;
    } else {
      let s = 0;
      for (let j = 0; j < 4; j++) {
        const p = 2 * C[4 * c + j], q = 2 * C[4 * c + ((j + 1) % 4)], r = 2 * C[4 * c + ((j + 3) % 4)];
        const J = (X[q] - X[p]) * (X[r + 1] - X[p + 1]) - (X[q + 1] - X[p + 1]) * (X[r] - X[p]);
        if (Math.abs(J) <= 2 * tol) {
          failCell(c, `is degenerate: Jacobian ${fmt(J)} at corner ${j} is below ${DEGENERATE_TOLERANCE}·h² (h = ${fmt(Math.sqrt(L2))}, its longest edge)`);
        }
        const sj = J > 0 ? 1 : -1;
        if (j === 0) s = sj;
        else if (sj !== s) {
          failCell(c, `is inverted: its Jacobian is ${s > 0 ? 'positive' : 'negative'} at corner 0 but ${fmt(J)} at corner ${j} (non-convex or self-intersecting quadrilateral)`);
        }
      }
      sign[c] = s;
    }
  }
  let nNegative = 0;
  for (let c = 0; c < nCells; c++) if (sign[c] < 0) nNegative++;
  const nPositive = nCells - nNegative;
  if (nNegative > 0 && nPositive > 0) {
    const minority = nNegative <= nPositive ? -1 : 1;
    let c = 0;
    while (sign[c] !== minority) c++;
    const what = dim === 1 ? (minority < 0 ? 'runs right to left' : 'runs left to right') : minority < 0 ? 'is clockwise' : 'is counter-clockwise';
    const others = dim === 1 ? (minority < 0 ? 'run left to right' : 'run right to left') : minority < 0 ? 'are counter-clockwise' : 'are clockwise';
    failCell(c, `is inverted: it ${what} while ${minority < 0 ? nPositive : nNegative} other cells ${others} (mixed orientation)`);
  }
  let out = mesh;
  if (nPositive === 0) out = reorient(mesh);

  // --- overlapping / duplicate cells, unused nodes
  const used = new Uint8Array(N);
  for (let i = 0; i < out.cells.length; i++) used[out.cells[i]] = 1;
  for (let i = 0; i < N; i++) if (!used[i]) fail(`node ${i} is not used by any cell`);
  if (dim === 2) {
    const edges = new DirectedEdges(out);
    const { start, target, cell } = edges;
    // Within each node's edge list, a repeated target is a directed edge used twice. Report the
    // first cell (in cell order) that repeats a directed edge of an earlier cell.
    let worst = -1, first = -1, ea = -1, eb = -1;
    for (let a = 0; a < N; a++) {
      for (let e = start[a]; e < start[a + 1]; e++) {
        for (let g = start[a]; g < e; g++) {
          if (target[g] !== target[e]) continue;
          const later = Math.max(cell[e], cell[g]);
          if (worst < 0 || later < worst) [worst, first, ea, eb] = [later, Math.min(cell[e], cell[g]), a, target[e]];
        }
      }
    }
    if (worst >= 0) {
      failCell(worst, `overlaps cell ${first}: both use edge ${ea}→${eb} in the same direction (duplicate, overlapping or non-manifold cells)`);
    }
    for (let f = 0; f < nFacets; f++) {
      const a = out.facets[2 * f], b = out.facets[2 * f + 1];
      const ab = edges.find(a, b) >= 0, ba = edges.find(b, a) >= 0;
      if (!(ab !== ba)) fail(`facet ${f} (nodes ${a}, ${b}) is not a boundary edge of the cells`);
    }
  } else {
    const left = new Int32Array(N).fill(-1), right = new Int32Array(N).fill(-1);
    for (let c = 0; c < nCells; c++) {
      const a = out.cells[2 * c], b = out.cells[2 * c + 1];
      if (left[a] >= 0) failCell(c, `overlaps cell ${left[a]}: both start at node ${a}`);
      if (right[b] >= 0) failCell(c, `overlaps cell ${right[b]}: both end at node ${b}`);
      left[a] = c;
      right[b] = c;
    }
    for (let f = 0; f < nFacets; f++) {
      const a = out.facets[f];
      if ((left[a] >= 0) === (right[a] >= 0)) fail(`facet ${f} (node ${a}) is not a boundary point of the cells`);
    }
  }
  return out;
}

/** The same mesh with every cell's (and 2D facet's) orientation reversed. */
function reorient(mesh: Mesh): Mesh {
  const cells = mesh.cells.slice();
  const k = NODES_PER_CELL[mesh.cellType];
  for (let c = 0; c < cells.length; c += k) {
    // interval (a,b)→(b,a); triangle (a,b,c)→(a,c,b); quadrilateral (a,b,c,d)→(a,d,c,b)
    const i = k === 2 ? c : c + 1;
    const j = c + k - 1;
    const t = cells[i];
    cells[i] = cells[j];
    cells[j] = t;
  }
  const facets = mesh.facets.slice();
  if (mesh.dim === 2) {
    for (let f = 0; f < facets.length; f += 2) {
      const t = facets[f];
      facets[f] = facets[f + 1];
      facets[f + 1] = t;
    }
  }
  return { ...mesh, cells, facets };
}

/** `[0,1]×[0,1]` */
export function formatBox(domain: { min: readonly number[]; max: readonly number[] }): string {
  return domain.min.map((lo, k) => `[${lo},${domain.max[k]}]`).join('×');
}

/**
 * Throws a one-line Error when the mesh does not fill the problem's box:
 * `disk.msh does not fit the problem domain [0,1]×[0,1]: …` when
 * - the mesh dimension differs from the box dimension;
 * - the mesh's bounding box differs from the box by more than 1e-9 of the box size per axis;
 * - a boundary node (on a boundary facet computed from the cells, {@link boundaryFacets}) is
 *   farther than 1e-9·(box size) from every side of the box (e.g. a disk, the re-entrant corner of
 *   an L-shape, or a hole), or a boundary edge has its two nodes on different sides (a cut corner).
 * Does not check that the mesh covers the box; together with validateMesh (no overlaps) these
 * conditions imply it for a connected mesh.
 */
export function checkMeshFitsDomain(
  mesh: Mesh,
  domain: { min: readonly number[]; max: readonly number[] },
  fileName?: string,
): void {
  const head = `${fileName ?? 'mesh'} does not fit the problem domain ${formatBox(domain)}`;
  const dim = domain.min.length;
  if (domain.max.length !== dim) throw new Error(`${head}: domain min and max have different lengths`);
  if (mesh.dim !== dim) throw new Error(`${head}: the mesh is ${mesh.dim}D, the problem is ${dim}D`);
  const size = domain.min.map((lo, k) => domain.max[k] - lo);
  const tol = size.map((s) => 1e-9 * s);
  const X = mesh.nodes;
  const { min: lo, max: hi } = boundingBox(mesh);
  const point = (i: number) => Array.from({ length: dim }, (_, k) => fmt(X[dim * i + k])).join(', ');
  for (let k = 0; k < dim; k++) {
    if (Math.abs(lo[k] - domain.min[k]) > tol[k] || Math.abs(hi[k] - domain.max[k]) > tol[k]) {
      const box = lo.map((l, j) => `[${fmt(l)},${fmt(hi[j])}]`).join('×');
      throw new Error(`${head}: the mesh's bounding box is ${box}`);
    }
  }
  // A boundary facet must lie on one side of the box: all its nodes on the same side.
  const bnd = boundaryFacets(mesh);
  const facetSize = dim;
  const onSide = (i: number, k: number, bound: number) => Math.abs(X[dim * i + k] - bound) <= tol[k];
  for (let f = 0; f < bnd.length; f += facetSize) {
    let fits = false;
    for (let k = 0; k < dim && !fits; k++) {
      for (const bound of [domain.min[k], domain.max[k]]) {
        let all = true;
        for (let j = 0; j < facetSize; j++) all &&= onSide(bnd[f + j], k, bound);
        if (all) fits = true;
      }
    }
    if (!fits) {
      // Name a node that is off the box boundary when there is one, else the facet.
      for (let j = 0; j < facetSize; j++) {
        const i = bnd[f + j];
        let on = false;
        for (let k = 0; k < dim; k++) on ||= onSide(i, k, domain.min[k]) || onSide(i, k, domain.max[k]);
        if (!on) throw new Error(`${head}: boundary node ${i} at (${point(i)}) is not on the box boundary`);
      }
      throw new Error(
        `${head}: boundary edge from (${point(bnd[f])}) to (${point(bnd[f + 1])}) cuts across the box (its nodes are on different sides)`,
      );
    }
  }
}
