import { type Mesh, NODES_PER_CELL, boundingBox, cellCount } from '../mesh/mesh.js';

/** The grid of a structured mesh from intervalMesh/rectangleMesh: nx × ny squares over the box [min, max] (ny = 1 in 1D). */
export interface StructuredLayout {
  nx: number;
  ny: number;
  min: readonly number[];
  max: readonly number[];
}

/**
 * Point location on a mesh: which cell contains (x, y) and at which reference coordinates.
 *
 * - Structured meshes made by intervalMesh/rectangleMesh (`structured` given): the cell index is
 *   computed directly from the coordinates (square (i, j) of an nx × ny grid holds cell j·nx + i
 *   for quadrilaterals, cells 2(j·nx + i) and 2(j·nx + i) + 1 for triangles).
 * - General meshes: a uniform bucket grid over the mesh bounding box, about one cell per bucket;
 *   each cell is listed in every bucket its bounding box overlaps (CSR layout bucketStart /
 *   bucketCells). Built once.
 *
 * Reference coordinates: P1 interval ξ ∈ [−1, 1]; P1 triangle (ξ, η) = (λ₁, λ₂); Q1 (ξ, η) in
 * [−1, 1]² by Newton on the bilinear map. Points within 1e-10 × the box size of a cell count as
 * inside it.
 */
export class PointLocator {
  private readonly nLoc: number;
  private readonly tol: number;
  private readonly bbMin: number[];
  private readonly bbMax: number[];
  private readonly nb: number[] = [1, 1];
  private bucketStart = new Int32Array(0);
  private bucketCells = new Int32Array(0);
  /** Scratch: corner coordinates of the Q1 cell being tested (no allocation per point). */
  private readonly qx = new Float64Array(4);
  private readonly qy = new Float64Array(4);

  constructor(
    readonly mesh: Mesh,
    private readonly structured?: StructuredLayout,
  ) {
    this.nLoc = NODES_PER_CELL[mesh.cellType];
    const dim = mesh.dim;
    const box = boundingBox(mesh);
    this.bbMin = box.min;
    this.bbMax = box.max;
    let size = 0;
    for (let k = 0; k < dim; k++) size = Math.max(size, this.bbMax[k] - this.bbMin[k]);
    this.tol = 1e-10 * size;
    if (!structured) this.buildBuckets();
  }

  private buildBuckets(): void {
    const { mesh, nLoc } = this;
    const dim = mesh.dim;
    const nCells = cellCount(mesh);
    const per = Math.max(1, Math.round(Math.pow(nCells, 1 / dim)));
    for (let k = 0; k < dim; k++) this.nb[k] = per;
    const nBuckets = dim === 1 ? per : per * per;
    const range = (c: number, k: number): [number, number] => {
      let lo = Infinity;
      let hi = -Infinity;
      for (let a = 0; a < nLoc; a++) {
        const v = mesh.nodes[mesh.cells[c * nLoc + a] * dim + k];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return [this.bucketOf(lo - this.tol, k), this.bucketOf(hi + this.tol, k)];
    };
    const count = new Int32Array(nBuckets + 1);
    const visit = (c: number, fn: (b: number) => void) => {
      const [i0, i1] = range(c, 0);
      if (dim === 1) {
        for (let i = i0; i <= i1; i++) fn(i);
        return;
      }
      const [j0, j1] = range(c, 1);
      for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) fn(j * per + i);
    };
    for (let c = 0; c < nCells; c++) visit(c, (b) => count[b + 1]++);
    for (let b = 0; b < nBuckets; b++) count[b + 1] += count[b];
    const fill = count.slice(0, nBuckets);
    const list = new Int32Array(count[nBuckets]);
    for (let c = 0; c < nCells; c++) visit(c, (b) => (list[fill[b]++] = c));
    this.bucketStart = count;
    this.bucketCells = list;
  }

  private bucketOf(v: number, k: number): number {
    const n = this.nb[k];
    const span = this.bbMax[k] - this.bbMin[k];
    const i = Math.floor(((v - this.bbMin[k]) / span) * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
  }

  /**
   * The cell containing the point (x, y) (y ignored in 1D), writing its reference coordinates
   * into xi; −1 when no cell contains it.
   */
  locate(x: number, y: number, xi: Float64Array): number {
    const { mesh, structured } = this;
    if (structured) {
      const i = this.gridIndex(x, 0, structured.nx);
      if (mesh.dim === 1) return this.inside(i, x, y, xi) ? i : -1;
      const j = this.gridIndex(y, 1, structured.ny);
      const sq = j * structured.nx + i;
      if (mesh.cellType === 'quadrilateral') return this.inside(sq, x, y, xi) ? sq : -1;
      if (this.inside(2 * sq, x, y, xi)) return 2 * sq;
      if (this.inside(2 * sq + 1, x, y, xi)) return 2 * sq + 1;
      return -1;
    }
    const bi = this.bucketOf(x, 0);
    const b = mesh.dim === 1 ? bi : this.bucketOf(y, 1) * this.nb[0] + bi;
    for (let k = this.bucketStart[b]; k < this.bucketStart[b + 1]; k++) {
      const c = this.bucketCells[k];
      if (this.inside(c, x, y, xi)) return c;
    }
    return -1;
  }

  private gridIndex(v: number, k: 0 | 1, n: number): number {
    const s = this.structured!;
    const i = Math.floor(((v - s.min[k]) / (s.max[k] - s.min[k])) * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
  }

  /** Whether cell c contains (x, y); writes the reference coordinates. */
  private inside(c: number, x: number, y: number, xi: Float64Array): boolean {
    const { mesh, nLoc, tol } = this;
    const nd = mesh.nodes;
    const cl = mesh.cells;
    if (mesh.cellType === 'interval') {
      const x0 = nd[cl[2 * c]];
      const x1 = nd[cl[2 * c + 1]];
      if (x < x0 - tol || x > x1 + tol) return false;
      xi[0] = Math.min(1, Math.max(-1, (2 * (x - x0)) / (x1 - x0) - 1));
      return true;
    }
    const base = c * nLoc;
    if (mesh.cellType === 'triangle') {
      const x0 = nd[2 * cl[base]];
      const y0 = nd[2 * cl[base] + 1];
      const ax = nd[2 * cl[base + 1]] - x0;
      const ay = nd[2 * cl[base + 1] + 1] - y0;
      const bx = nd[2 * cl[base + 2]] - x0;
      const by = nd[2 * cl[base + 2] + 1] - y0;
      const det = ax * by - ay * bx;
      const px = x - x0;
      const py = y - y0;
      const l1 = (px * by - py * bx) / det;
      const l2 = (ax * py - ay * px) / det;
      // tolerance in barycentric units: tol / (cell size)
      const t = tol / Math.sqrt(Math.abs(det));
      if (l1 < -t || l2 < -t || l1 + l2 > 1 + t) return false;
      xi[0] = l1;
      xi[1] = l2;
      return true;
    }
    // Q1: invert x(ξ) = Σ φ_a(ξ) x_a by Newton from the centre.
    const X = this.qx;
    const Y = this.qy;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let a = 0; a < 4; a++) {
      const xa = (X[a] = nd[2 * cl[base + a]]);
      const ya = (Y[a] = nd[2 * cl[base + a] + 1]);
      if (xa < minX) minX = xa;
      if (xa > maxX) maxX = xa;
      if (ya < minY) minY = ya;
      if (ya > maxY) maxY = ya;
    }
    if (x < minX - tol || x > maxX + tol || y < minY - tol || y > maxY + tol) return false;
    let s = 0;
    let t = 0;
    for (let it = 0; it < 30; it++) {
      const w0 = 0.25 * (1 - s) * (1 - t), w1 = 0.25 * (1 + s) * (1 - t), w2 = 0.25 * (1 + s) * (1 + t), w3 = 0.25 * (1 - s) * (1 + t);
      const fx = w0 * X[0] + w1 * X[1] + w2 * X[2] + w3 * X[3] - x;
      const fy = w0 * Y[0] + w1 * Y[1] + w2 * Y[2] + w3 * Y[3] - y;
      const dxs = 0.25 * (-(1 - t) * X[0] + (1 - t) * X[1] + (1 + t) * X[2] - (1 + t) * X[3]);
      const dxt = 0.25 * (-(1 - s) * X[0] - (1 + s) * X[1] + (1 + s) * X[2] + (1 - s) * X[3]);
      const dys = 0.25 * (-(1 - t) * Y[0] + (1 - t) * Y[1] + (1 + t) * Y[2] - (1 + t) * Y[3]);
      const dyt = 0.25 * (-(1 - s) * Y[0] - (1 + s) * Y[1] + (1 + s) * Y[2] + (1 - s) * Y[3]);
      const det = dxs * dyt - dxt * dys;
      const ds = (dyt * fx - dxt * fy) / det;
      const dt = (-dys * fx + dxs * fy) / det;
      s -= ds;
      t -= dt;
      if (Math.abs(ds) + Math.abs(dt) < 1e-14) break;
    }
    const rt = 1e-9;
    if (!(Math.abs(s) <= 1 + rt && Math.abs(t) <= 1 + rt)) return false;
    xi[0] = Math.min(1, Math.max(-1, s));
    xi[1] = Math.min(1, Math.max(-1, t));
    return true;
  }
}
