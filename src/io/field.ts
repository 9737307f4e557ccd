import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCsv } from './csv.js';
import { readVtu } from './vtk.js';

/**
 * A scalar field read from a file, as a function of position: the `--initial <file>` of
 * `allen-cahn run` (u₀ from an earlier run or any other tool).
 *
 * - CSV with a header naming columns x, u (1D) or x, y, u (2D), e.g. a run's final.csv on a
 *   grid (`--grid k`) or a suite snapshot; VTU (any encoding io/vtk.ts reads) with a point field
 *   'u' (or its only point field), e.g. a run's vtk/u_<step>.vtu with --grid.
 * - The points must form a rectilinear grid (every x × every y present once), in any order.
 *   The field is then interpolated bilinearly (linearly in 1D): for x in cell [x_i, x_{i+1}] ×
 *   [y_j, y_{j+1}] with a = (x − x_i)/(x_{i+1} − x_i), b likewise,
 *   u(x, y) = (1−a)(1−b) u_ij + a(1−b) u_{i+1,j} + (1−a) b u_{i,j+1} + a b u_{i+1,j+1},
 *   exact for bilinear fields and second-order accurate for smooth ones.
 * - The grid must cover the problem's domain (a relative slack of 1e-9 of its extent); a point
 *   outside the grid is an error, never an extrapolation.
 *
 * Errors are one line naming the file.
 */
export interface GridField {
  dim: 1 | 2;
  /** Sorted distinct coordinates per axis. */
  axes: Float64Array[];
  /** values[i·ny + j] at (axes[0][i], axes[1][j]) (1D: values[i]). */
  values: Float64Array;
}

function distinctSorted(values: Float64Array): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const out: number[] = [];
  for (const v of sorted) if (out.length === 0 || v !== out[out.length - 1]) out.push(v);
  return Float64Array.from(out);
}

/** Points (dim per point) and values as a rectilinear grid; throws if they are not one. */
export function toGridField(points: Float64Array, values: Float64Array, dim: 1 | 2, file: string): GridField {
  const n = values.length;
  if (n < 2) throw new Error(`${file}: a field needs at least 2 points, got ${n}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) throw new Error(`${file}: u is not finite at point ${i + 1}`);
  const axes: Float64Array[] = [];
  for (let k = 0; k < dim; k++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = points[dim * i + k];
    axes.push(distinctSorted(c));
  }
  const ny = dim === 2 ? axes[1].length : 1;
  if (axes[0].length * ny !== n || axes.some((a) => a.length < 2)) {
    throw new Error(`${file}: the ${n} points are not a rectilinear grid (${axes.map((a) => a.length).join(' × ')} distinct coordinates); write the field on a grid (allen-cahn run --grid k)`);
  }
  const grid = new Float64Array(n).fill(Number.NaN);
  const index = (a: Float64Array, v: number) => {
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let p = 0; p < n; p++) {
    const at = index(axes[0], points[dim * p]) * ny + (dim === 2 ? index(axes[1], points[dim * p + 1]) : 0);
    if (!Number.isNaN(grid[at])) throw new Error(`${file}: point ${p + 1} repeats a grid point`);
    grid[at] = values[p];
  }
  return { dim, axes, values: grid };
}

/** Check that the grid covers the box [min, max]; the message names both boxes. */
export function checkCovers(field: GridField, domain: { min: readonly number[]; max: readonly number[] }, file: string): void {
  const box = (lo: readonly number[], hi: readonly number[]) => lo.map((l, k) => `[${l}, ${hi[k]}]`).join('×');
  const lo = field.axes.map((a) => a[0]);
  const hi = field.axes.map((a) => a[a.length - 1]);
  for (let k = 0; k < field.dim; k++) {
    const slack = 1e-9 * (domain.max[k] - domain.min[k]);
    if (lo[k] > domain.min[k] + slack || hi[k] < domain.max[k] - slack) {
      throw new Error(`${file}: the field covers ${box(lo, hi)}, which does not cover the domain ${box(domain.min.slice(0, field.dim), domain.max.slice(0, field.dim))}`);
    }
  }
}

/** Bilinear (1D: linear) interpolation of a grid field at a point (x[0], x[1]); no extrapolation. */
export function interpolateGrid(field: GridField, x: ArrayLike<number>): number {
  const cell = (a: Float64Array, v: number): [number, number] => {
    if (v < a[0] || v > a[a.length - 1]) {
      const slack = 1e-9 * (a[a.length - 1] - a[0]);
      if (v < a[0] - slack || v > a[a.length - 1] + slack) throw new RangeError(`interpolateGrid: ${v} outside [${a[0]}, ${a[a.length - 1]}]`);
      v = Math.min(a[a.length - 1], Math.max(a[0], v));
    }
    let lo = 0;
    let hi = a.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= v) lo = mid;
      else hi = mid;
    }
    return [lo, (v - a[lo]) / (a[lo + 1] - a[lo])];
  };
  const [i, a] = cell(field.axes[0], x[0]);
  if (field.dim === 1) return (1 - a) * field.values[i] + a * field.values[i + 1];
  const ny = field.axes[1].length;
  const [j, b] = cell(field.axes[1], x[1]);
  const v = field.values;
  return (1 - a) * (1 - b) * v[i * ny + j] + a * (1 - b) * v[(i + 1) * ny + j] + (1 - a) * b * v[i * ny + j + 1] + a * b * v[(i + 1) * ny + j + 1];
}

/** Read a CSV (x[, y], u) or VTU field file as a grid field of the given dimension. */
export function readGridField(path: string, dim: 1 | 2): GridField {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') {
    const { records } = parseCsv(readFileSync(path, 'utf8'));
    const header = records[0]?.map((h) => h.trim()) ?? [];
    const names = dim === 1 ? ['x', 'u'] : ['x', 'y', 'u'];
    const columns = names.map((c) => header.indexOf(c));
    if (columns.some((c) => c < 0)) throw new Error(`${path}: a ${dim}D field needs columns ${names.join(', ')}; the header is '${header.join(',')}'`);
    const rows = records.slice(1).filter((r) => r.length > 1 || r[0] !== '');
    const points = new Float64Array(dim * rows.length);
    const values = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      for (let k = 0; k < dim; k++) points[dim * i + k] = Number(r[columns[k]]);
      values[i] = Number(r[columns[dim]]);
      if ([...Array(dim).keys()].some((k) => !Number.isFinite(points[dim * i + k]))) throw new Error(`${path}: line ${i + 2}: coordinates are not numbers`);
    });
    return toGridField(points, values, dim, path);
  }
  if (ext === '.vtu') {
    const f = readVtu(path);
    const names = Object.keys(f.pointData);
    const name = names.includes('u') ? 'u' : names.length === 1 ? names[0] : undefined;
    if (!name) throw new Error(`${path}: no point field 'u' (fields: ${names.join(', ') || 'none'})`);
    const points = new Float64Array(dim * f.nPoints);
    for (let i = 0; i < f.nPoints; i++) for (let k = 0; k < dim; k++) points[dim * i + k] = f.xyz[3 * i + k];
    return toGridField(points, f.pointData[name], dim, path);
  }
  throw new Error(`${path}: expected a .csv (x, y, u) or .vtu field file`);
}
