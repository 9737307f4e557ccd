import { cos } from '../util/portable-math.js';

/**
 * Gauss–Legendre quadrature, computed (not tabulated).
 *
 * The n nodes are the roots of the Legendre polynomial P_n on [−1, 1], found by Newton's method
 * from the Tricomi initial guess cos(π(i − ¼)/(n + ½)) (the portable cos, so the nodes do not
 * depend on the JavaScript engine's Math.cos); the weights are
 * w_i = 2 / ((1 − x_i²) P_n'(x_i)²). The rule integrates every polynomial of degree ≤ 2n − 1
 * exactly (Golub & Welsch 1969 give the same nodes through the Jacobi matrix).
 */
export interface Rule1D {
  /** Nodes, ascending. */
  readonly points: Float64Array;
  /** Weights, aligned with `points`. */
  readonly weights: Float64Array;
}

const cache = new Map<number, Rule1D>();

/** The n-point Gauss–Legendre rule on [−1, 1] (exact to degree 2n − 1). Cached; do not mutate. */
export function gaussLegendre(n: number): Rule1D {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gaussLegendre: n must be a positive integer, got ${n}`);
  const hit = cache.get(n);
  if (hit) return hit;
  const points = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = Math.floor((n + 1) / 2);
  for (let i = 0; i < half; i++) {
    let x = cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      const [pn, pnm1] = legendrePair(n, x);
      dp = (n * (x * pn - pnm1)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const [pn, pnm1] = legendrePair(n, x);
    dp = (n * (x * pn - pnm1)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * dp * dp);
    points[i] = -x;
    points[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) points[half - 1] = 0;
  const rule = { points, weights };
  cache.set(n, rule);
  return rule;
}

/**
 * Composite Gauss–Legendre rule on [a, b]: `nElements` equal sub-intervals with the q-point
 * rule on each (SDMM uses q = 2, as in Mattey & Ghosh's code). Exact to degree 2q − 1 on each
 * sub-interval. Points are ascending.
 */
export function compositeGaussLegendre(a: number, b: number, nElements: number, q: number): Rule1D {
  if (!(b > a)) throw new RangeError(`compositeGaussLegendre: need a < b, got [${a}, ${b}]`);
  if (!Number.isInteger(nElements) || nElements < 1) {
    throw new RangeError(`compositeGaussLegendre: nElements must be a positive integer, got ${nElements}`);
  }
  const ref = gaussLegendre(q);
  const h = (b - a) / nElements;
  const points = new Float64Array(nElements * q);
  const weights = new Float64Array(nElements * q);
  for (let e = 0; e < nElements; e++) {
    const left = a + e * h;
    for (let j = 0; j < q; j++) {
      points[e * q + j] = left + 0.5 * h * (ref.points[j] + 1);
      weights[e * q + j] = 0.5 * h * ref.weights[j];
    }
  }
  return { points, weights };
}

/**
 * The composite Gauss–Legendre rule on [a, b] with its interior element boundaries shifted by δ
 * element lengths: with h = (b − a)/nElements the breakpoints are
 *
 *   a,  a + (j + δ) h  for j = 1 … nElements − 1,  b,       δ ∈ [−½, ½],
 *
 * so there are still nElements elements (the first of length (1 + δ) h, the last (1 − δ) h, all
 * others h) and nElements · q points, each element with the q-point rule (exact to degree 2q − 1
 * on it). δ = 0 is compositeGaussLegendre. Averaged over δ uniform in [−½, ½] every interior
 * point sweeps its whole element, so the mean of the shifted rules is the exact integral away from
 * the two boundary elements: a field that hides features between the points of one shift (SDMM's
 * quadrature aliasing; the experiment of benchmarks/sdmm-grid-shift.ts) is seen by the others.
 */
export function shiftedCompositeGaussLegendre(a: number, b: number, nElements: number, q: number, delta: number): Rule1D {
  if (!(delta >= -0.5 && delta <= 0.5)) throw new RangeError(`shiftedCompositeGaussLegendre: delta must be in [-0.5, 0.5], got ${delta}`);
  const rule = compositeGaussLegendre(a, b, nElements, q);
  if (delta === 0 || nElements === 1) return rule;
  const ref = gaussLegendre(q);
  const h = (b - a) / nElements;
  const { points, weights } = rule;
  for (let e = 0; e < nElements; e++) {
    const left = e === 0 ? a : a + (e + delta) * h;
    const right = e === nElements - 1 ? b : a + (e + 1 + delta) * h;
    const len = right - left;
    for (let j = 0; j < q; j++) {
      points[e * q + j] = left + 0.5 * len * (ref.points[j] + 1);
      weights[e * q + j] = 0.5 * len * ref.weights[j];
    }
  }
  return rule;
}

/** [P_n(x), P_{n−1}(x)] by the recurrence (k+1) P_{k+1} = (2k+1) x P_k − k P_{k−1}. */
function legendrePair(n: number, x: number): [number, number] {
  let p0 = 1;
  let p1 = x;
  for (let k = 1; k < n; k++) {
    const p2 = ((2 * k + 1) * x * p1 - k * p0) / (k + 1);
    p0 = p1;
    p1 = p2;
  }
  return [p1, p0];
}

/**
 * The largest gap between adjacent points of a 1D rule on the axis [min, max] (points ascending,
 * as every rule here has them): max_i (x_{i+1} − x_i), and on a periodic axis also the gap across
 * the wrap, x_0 + (max − min) − x_{n−1}. A single point has no neighbour: its gap is the axis
 * length. For the composite rule with q = 2 on elements of size H that is H/√3 (the gap inside
 * an element; across element boundaries it is H(1 − 1/√3)).
 */
export function largestGap(points: Float64Array, axis: { min: number; max: number; periodic?: boolean }): number {
  const n = points.length;
  if (n === 0) throw new RangeError('largestGap: a rule needs at least one point');
  const length = axis.max - axis.min;
  if (!(length > 0)) throw new RangeError(`largestGap: need min < max, got [${axis.min}, ${axis.max}]`);
  if (n === 1) return length;
  let gap = axis.periodic ? points[0] + length - points[n - 1] : 0;
  for (let i = 1; i < n; i++) {
    const d = points[i] - points[i - 1];
    if (d > gap) gap = d;
  }
  return gap;
}
