import { gaussLegendre } from './gauss-legendre.js';
import { tensorRule, type RuleND } from './tensor.js';

/**
 * Quadrature on the reference cells used by the finite elements.
 *
 * Reference triangle: vertices (0,0), (1,0), (0,1), area ½; weights sum to ½.
 * Reference quadrilateral: [−1, 1]², weights sum to 4.
 * Layout as in `RuleND`: points[2i], points[2i+1] are (ξ, η) of point i.
 */

/** A symmetric orbit: barycentric (a, a, 1−2a) in 3 places, or (a, b, 1−a−b) in 6; weight relative to area. */
type Orbit = { weight: number; a: number; b?: number };

// Symmetric rules from D. A. Dunavant, "High degree efficient symmetrical Gaussian quadrature
// rules for the triangle", IJNME 21 (1985) 1129–1148 (degree 4, 6) and Radon's 7-point rule
// (degree 5, Stroud T2:5-1). Weights are relative to the area (they sum to 1).
const SYMMETRIC_RULES: Record<number, Orbit[]> = {
  1: [{ weight: 1, a: 1 / 3 }],
  2: [{ weight: 1 / 3, a: 1 / 6 }],
  4: [
    { weight: 0.223381589678011, a: 0.445948490915965 },
    { weight: 0.109951743655322, a: 0.091576213509771 },
  ],
  5: [
    { weight: 0.225, a: 1 / 3 },
    { weight: 0.132394152788506, a: 0.470142064105115 },
    { weight: 0.125939180544827, a: 0.101286507323456 },
  ],
  6: [
    { weight: 0.116786275726379, a: 0.24928674517091 },
    { weight: 0.050844906370207, a: 0.063089014491502 },
    { weight: 0.082851075618374, a: 0.053145049844817, b: 0.310352451033784 },
  ],
};

function expandOrbits(orbits: Orbit[]): RuleND {
  const pts: number[] = [];
  const wts: number[] = [];
  for (const { weight, a, b } of orbits) {
    let bary: [number, number, number][];
    if (b === undefined) {
      const c = 1 - 2 * a;
      bary = Math.abs(c - a) < 1e-15 ? [[a, a, c]] : [[a, a, c], [a, c, a], [c, a, a]];
    } else {
      const c = 1 - a - b;
      bary = [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]];
    }
    for (const [, l1, l2] of bary) {
      pts.push(l1, l2);
      wts.push(0.5 * weight);
    }
  }
  return { dim: 2, points: Float64Array.from(pts), weights: Float64Array.from(wts) };
}

/**
 * Collapsed (Duffy / Stroud conical product) rule on the reference triangle from n-point
 * Gauss–Legendre in each direction: x = s(1 − t), y = t, dx dy = (1 − t) ds dt.
 * Exact for polynomials of degree ≤ 2n − 2. Any degree; n² points.
 */
export function collapsedTriangleRule(n: number): RuleND {
  const g = gaussLegendre(n);
  const pts = new Float64Array(2 * n * n);
  const wts = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const s = 0.5 * (g.points[i] + 1);
    for (let j = 0; j < n; j++) {
      const t = 0.5 * (g.points[j] + 1);
      pts[2 * k] = s * (1 - t);
      pts[2 * k + 1] = t;
      wts[k] = 0.25 * g.weights[i] * g.weights[j] * (1 - t);
      k++;
    }
  }
  return { dim: 2, points: pts, weights: wts };
}

/**
 * A rule on the reference triangle exact for polynomials of total degree ≤ `degree`:
 * the cheapest symmetric (Dunavant) rule up to degree 6, a collapsed Gauss rule beyond.
 */
export function triangleRule(degree: number): RuleND {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`triangleRule: degree must be a non-negative integer, got ${degree}`);
  for (const d of [1, 2, 4, 5, 6]) {
    if (degree <= d) return expandOrbits(SYMMETRIC_RULES[d]);
  }
  return collapsedTriangleRule(Math.ceil((degree + 2) / 2));
}

/** Gauss rule on [−1, 1]² exact for degree ≤ `degree` in each variable separately. */
export function quadrilateralRule(degree: number): RuleND {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`quadrilateralRule: degree must be a non-negative integer, got ${degree}`);
  const g = gaussLegendre(Math.max(1, Math.ceil((degree + 1) / 2)));
  return tensorRule([g, g]);
}

/** Gauss rule on the reference interval [−1, 1] exact for degree ≤ `degree`. */
export function intervalRule(degree: number): RuleND {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`intervalRule: degree must be a non-negative integer, got ${degree}`);
  const g = gaussLegendre(Math.max(1, Math.ceil((degree + 1) / 2)));
  return { dim: 1, points: g.points, weights: g.weights };
}
