import { describe, expect, it } from 'vitest';
import {
  collapsedTriangleRule,
  compositeGaussLegendre,
  gaussLegendre,
  quadrilateralRule,
  shiftedCompositeGaussLegendre,
  tensorRule,
  triangleRule,
} from '../src/quadrature/index.js';

/** ∫_{−1}^{1} x^k dx: 0 for odd k, 2/(k+1) for even k. */
const monomialIntegral = (k: number) => (k % 2 === 1 ? 0 : 2 / (k + 1));

/** ∫_T x^i y^j over the reference triangle = i! j! / (i + j + 2)!. */
function triangleMonomial(i: number, j: number): number {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  return (fact(i) * fact(j)) / fact(i + j + 2);
}

describe('Gauss–Legendre', () => {
  it.each(Array.from({ length: 20 }, (_, i) => i + 1))('n = %i integrates monomials up to degree 2n − 1 to 1e-13', (n) => {
    const { points, weights } = gaussLegendre(n);
    for (let k = 0; k <= 2 * n - 1; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[i] * points[i] ** k;
      expect(Math.abs(s - monomialIntegral(k))).toBeLessThan(1e-13);
    }
  });

  it('is not exact at degree 2n (the rule has exactly its stated degree)', () => {
    for (const n of [1, 2, 5, 10]) {
      const { points, weights } = gaussLegendre(n);
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[i] * points[i] ** (2 * n);
      expect(Math.abs(s - monomialIntegral(2 * n))).toBeGreaterThan(1e-6);
    }
  });

  it('has ascending nodes inside (−1, 1) and positive weights', () => {
    const { points, weights } = gaussLegendre(17);
    for (let i = 0; i < 17; i++) {
      expect(weights[i]).toBeGreaterThan(0);
      expect(Math.abs(points[i])).toBeLessThan(1);
      if (i > 0) expect(points[i]).toBeGreaterThan(points[i - 1]);
    }
  });

  it('rejects a non-positive order with a message', () => {
    expect(() => gaussLegendre(0)).toThrow('gaussLegendre: n must be a positive integer, got 0');
  });
});

describe('composite and tensor rules', () => {
  it('composite rule (16 × 2 points on [0, 2]): exp to O(h⁴), cubics exactly', () => {
    // exp(x) on [0, 2] with 16 elements × 2 points: error O(h^4) ≈ 1e-7.
    const r = compositeGaussLegendre(0, 2, 16, 2);
    let s = 0;
    for (let i = 0; i < r.points.length; i++) s += r.weights[i] * Math.exp(r.points[i]);
    expect(Math.abs(s - (Math.exp(2) - 1))).toBeLessThan(1e-6);
    // and cubics exactly
    let c = 0;
    for (let i = 0; i < r.points.length; i++) c += r.weights[i] * r.points[i] ** 3;
    expect(c).toBeCloseTo(4, 12);
  });

  it('tensor rule in 2D and 3D integrates products of monomials', () => {
    const g = compositeGaussLegendre(0, 1, 3, 3);
    const r2 = tensorRule([g, g]);
    let s = 0;
    for (let i = 0; i < r2.weights.length; i++) s += r2.weights[i] * r2.points[2 * i] ** 4 * r2.points[2 * i + 1] ** 5;
    expect(s).toBeCloseTo(1 / 30, 13);
    const r3 = tensorRule([g, g, g]);
    let s3 = 0;
    for (let i = 0; i < r3.weights.length; i++) s3 += r3.weights[i] * r3.points[3 * i] * r3.points[3 * i + 1] ** 2 * r3.points[3 * i + 2] ** 3;
    expect(s3).toBeCloseTo(1 / 24, 13);
  });

  it('orders points row-major: the first axis varies slowest', () => {
    const a = { points: Float64Array.of(0, 1), weights: Float64Array.of(1, 1) };
    const b = { points: Float64Array.of(10, 20, 30), weights: Float64Array.of(1, 1, 1) };
    const r = tensorRule([a, b]);
    expect(Array.from(r.points)).toEqual([0, 10, 0, 20, 0, 30, 1, 10, 1, 20, 1, 30]);
  });
});

describe('shifted composite rule (SDMM moving grid)', () => {
  const integrate = (r: { points: Float64Array; weights: Float64Array }, f: (x: number) => number) => {
    let s = 0;
    for (let i = 0; i < r.points.length; i++) s += r.weights[i] * f(r.points[i]);
    return s;
  };

  it('δ = 0 is the composite rule, bit for bit', () => {
    const a = shiftedCompositeGaussLegendre(0.2, 1.7, 9, 2, 0);
    const b = compositeGaussLegendre(0.2, 1.7, 9, 2);
    expect(Array.from(a.points)).toEqual(Array.from(b.points));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
  });

  it('every shift keeps n_e·q ascending points inside [a, b] and integrates cubics exactly', () => {
    // ∫_{0.2}^{1.7} (x³ − 2x + 1) dx = [x⁴/4 − x² + x] = 1.7⁴/4 − 1.7² + 1.7 − (0.2⁴/4 − 0.04 + 0.2).
    const exact = 1.7 ** 4 / 4 - 1.7 ** 2 + 1.7 - (0.2 ** 4 / 4 - 0.04 + 0.2);
    for (const delta of [-0.5, -0.2, 0.3, 0.5]) {
      const r = shiftedCompositeGaussLegendre(0.2, 1.7, 9, 2, delta);
      expect(r.points.length).toBe(18);
      for (let i = 1; i < r.points.length; i++) expect(r.points[i]).toBeGreaterThan(r.points[i - 1]);
      expect(r.points[0]).toBeGreaterThan(0.2);
      expect(r.points[17]).toBeLessThan(1.7);
      expect(integrate(r, () => 1)).toBeCloseTo(1.5, 13);
      expect(integrate(r, (x) => x ** 3 - 2 * x + 1)).toBeCloseTo(exact, 12);
      // The first element is (1 + δ)h long: its two points sit at its Gauss nodes.
      const h = 1.5 / 9;
      expect(r.points[0]).toBeCloseTo(0.2 + 0.5 * (1 + delta) * h * (1 - 1 / Math.sqrt(3)), 13);
    }
  });

  it('a bump narrower than the point spacing: one grid misses it, the mean over shifts integrates it', () => {
    // f = exp(−((x − c)/w)²), w = h/40, centred between the two Gauss points of element 4 of 8 on
    // [0, 1] (h = 1/8): ∫ f = w√π (the tails beyond [0, 1] are < 1e-300).
    const h = 1 / 8;
    const w = h / 40;
    const c = 4.5 * h;
    const f = (x: number) => Math.exp(-(((x - c) / w) ** 2));
    const exact = w * Math.sqrt(Math.PI);
    expect(integrate(compositeGaussLegendre(0, 1, 8, 2), f) / exact).toBeLessThan(1e-20);
    // Mean over 400 equally spaced shifts δ ∈ [−½, ½): within 2 % of the exact integral.
    let mean = 0;
    const K = 400;
    for (let k = 0; k < K; k++) mean += integrate(shiftedCompositeGaussLegendre(0, 1, 8, 2, -0.5 + k / K), f) / K;
    expect(Math.abs(mean / exact - 1)).toBeLessThan(0.02);
  });

  it('rejects a shift outside [−½, ½] with one line naming it', () => {
    expect(() => shiftedCompositeGaussLegendre(0, 1, 4, 2, 0.7)).toThrow('shiftedCompositeGaussLegendre: delta must be in [-0.5, 0.5], got 0.7');
  });
});

describe('triangle and quadrilateral rules', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 10])('triangle rule of degree %i is exact to its degree', (deg) => {
    const r = triangleRule(deg);
    for (let i = 0; i <= deg; i++) {
      for (let j = 0; i + j <= deg; j++) {
        let s = 0;
        for (let q = 0; q < r.weights.length; q++) s += r.weights[q] * r.points[2 * q] ** i * r.points[2 * q + 1] ** j;
        expect(Math.abs(s - triangleMonomial(i, j))).toBeLessThan(1e-13);
      }
    }
  });

  it('collapsed rule with n points per direction is exact to degree 2n − 2', () => {
    const n = 5;
    const r = collapsedTriangleRule(n);
    for (let i = 0; i <= 2 * n - 2; i++) {
      for (let j = 0; i + j <= 2 * n - 2; j++) {
        let s = 0;
        for (let q = 0; q < r.weights.length; q++) s += r.weights[q] * r.points[2 * q] ** i * r.points[2 * q + 1] ** j;
        expect(Math.abs(s - triangleMonomial(i, j))).toBeLessThan(1e-14);
      }
    }
  });

  it.each([3, 5, 7])('quadrilateral rule of degree %i is exact per variable', (deg) => {
    const r = quadrilateralRule(deg);
    for (let i = 0; i <= deg; i++) {
      for (let j = 0; j <= deg; j++) {
        let s = 0;
        for (let q = 0; q < r.weights.length; q++) s += r.weights[q] * r.points[2 * q] ** i * r.points[2 * q + 1] ** j;
        expect(Math.abs(s - monomialIntegral(i) * monomialIntegral(j))).toBeLessThan(1e-13);
      }
    }
  });
});
