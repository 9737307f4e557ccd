import { positiveAreaLinearTriangle, positiveLengthLinearInterval } from '../mesh/phase.js';
import type { ProblemConfig } from '../physics/problems.js';

/**
 * Accuracy measures of a run against the reference, all on the common uniform grid of
 * `uniformGrid(problem, k)` (2D point (i, j) at index i·k + j, x along i, y along j; 1D: k points).
 *
 * - relative L2 error ‖u − u_ref‖ / ‖u_ref‖ with the composite trapezoid rule (second order,
 *   exact for bilinear integrands on each cell);
 * - phase area |{u > 0}|: each grid cell is cut into two triangles, u is linear on each and the
 *   positive part of a linear function on a triangle has a closed-form area (src/mesh/phase.ts;
 *   second order in h for a smooth interface, exact for a linear field);
 * - the radius of a disc from its area, R = √(A/π), for the problems whose catalogue entry
 *   carries a radius law (the circle: R(t)² = R₀² − 2 m t, DESIGN.md §1);
 * - time to accuracy: the least wall time at which a solver family reaches each target error,
 *   from a resolution sweep.
 */

/** Trapezoid weights on the uniform grid (sum = |Ω|). Layout as the grid. */
export function trapezoidWeights(problem: Pick<ProblemConfig, 'dim' | 'domain'>, k: number): Float64Array {
  const { min, max } = problem.domain;
  const hx = (max[0] - min[0]) / (k - 1);
  const wx = new Float64Array(k).fill(hx);
  wx[0] = wx[k - 1] = hx / 2;
  if (problem.dim === 1) return wx;
  const hy = (max[1] - min[1]) / (k - 1);
  const w = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) w[i * k + j] = wx[i] * (j === 0 || j === k - 1 ? hy / 2 : hy);
  }
  return w;
}

/** ‖u − ref‖_w / ‖ref‖_w (weighted discrete L2); NaN anywhere in u gives NaN. */
export function relativeL2Error(u: ArrayLike<number>, ref: ArrayLike<number>, weights: Float64Array): number {
  if (u.length !== weights.length || ref.length !== weights.length) {
    throw new RangeError(`relativeL2Error: lengths differ (u ${u.length}, ref ${ref.length}, weights ${weights.length})`);
  }
  let num = 0;
  let den = 0;
  for (let q = 0; q < weights.length; q++) {
    const d = u[q] - ref[q];
    num += weights[q] * d * d;
    den += weights[q] * ref[q] * ref[q];
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

/** max_q |u_q| (NaN if any value is NaN). */
export function maxAbs(u: ArrayLike<number>): number {
  let m = 0;
  for (let q = 0; q < u.length; q++) {
    const a = Math.abs(u[q]);
    if (a > m) m = a;
    else if (Number.isNaN(a)) return Number.NaN;
  }
  return m;
}

/**
 * |{u > 0}| of the piecewise-linear interpolant on the uniform grid (2D: each cell split along
 * its (i,j)–(i+1,j+1) diagonal; 1D: length of {u > 0}).
 */
export function phaseAreaOnGrid(u: ArrayLike<number>, problem: Pick<ProblemConfig, 'dim' | 'domain'>, k: number): number {
  const { min, max } = problem.domain;
  const hx = (max[0] - min[0]) / (k - 1);
  if (problem.dim === 1) {
    let len = 0;
    for (let i = 0; i + 1 < k; i++) len += positiveLengthLinearInterval(u[i], u[i + 1], hx);
    return len;
  }
  const hy = (max[1] - min[1]) / (k - 1);
  const tri = 0.5 * hx * hy;
  let area = 0;
  for (let i = 0; i + 1 < k; i++) {
    for (let j = 0; j + 1 < k; j++) {
      const u00 = u[i * k + j];
      const u10 = u[(i + 1) * k + j];
      const u01 = u[i * k + j + 1];
      const u11 = u[(i + 1) * k + j + 1];
      area += positiveAreaLinearTriangle(u00, u10, u11, tri) + positiveAreaLinearTriangle(u00, u11, u01, tri);
    }
  }
  return area;
}

/** Radius of a disc with the given area, √(A/π). */
export function radiusFromArea(area: number): number {
  return Math.sqrt(Math.max(0, area) / Math.PI);
}

/** One run of a resolution sweep: a solver family (e.g. 'fem-stabilized', 'sdmm'), its cost and error. */
export interface SweepPoint {
  family: string;
  label: string;
  wallMs: number;
  error: number;
}

/** For each family and target: the cheapest run reaching error ≤ target, or null if none did. */
export interface TimeToAccuracyRow {
  family: string;
  target: number;
  wallMs: number | null;
  label: string | null;
  error: number | null;
}

/**
 * Time to accuracy: for every family (in order of first appearance) and target error, the least
 * wall time among sweep runs whose error is ≤ target (NaN errors never qualify).
 */
export function timeToAccuracy(points: readonly SweepPoint[], targets: readonly number[]): TimeToAccuracyRow[] {
  const families = [...new Set(points.map((p) => p.family))];
  const rows: TimeToAccuracyRow[] = [];
  for (const family of families) {
    for (const target of targets) {
      let best: SweepPoint | null = null;
      for (const p of points) {
        if (p.family === family && p.error <= target && (best === null || p.wallMs < best.wallMs)) best = p;
      }
      rows.push({ family, target, wallMs: best?.wallMs ?? null, label: best?.label ?? null, error: best?.error ?? null });
    }
  }
  return rows;
}
