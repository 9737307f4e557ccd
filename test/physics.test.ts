import { describe, expect, it } from 'vitest';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import {
  CATALOGUE,
  PROBLEM_NAMES,
  frontEnergyPerLength,
  gradientEnergy,
  latticeNoise,
  makeProblem,
  movementTerm,
  potential,
  potentialDerivative,
  potentialEnergy,
  potentialSecondDerivative,
  stepCount,
} from '../src/physics/index.js';

describe('double-well potential', () => {
  it('F, f = F\', f\' agree with finite differences and vanish at the wells', () => {
    for (const u of [-1.3, -1, -0.4, 0, 0.25, 1, 1.7]) {
      const h = 1e-6;
      expect(potentialDerivative(u)).toBeCloseTo((potential(u + h) - potential(u - h)) / (2 * h), 8);
      expect(potentialSecondDerivative(u)).toBeCloseTo((potentialDerivative(u + h) - potentialDerivative(u - h)) / (2 * h), 8);
    }
    expect(potential(1)).toBe(0);
    expect(potential(-1)).toBe(0);
    expect(potential(0)).toBe(0.25);
  });
});

describe('energy functional by quadrature', () => {
  it('the 1D steady front tanh(x/(√2ε)) has energy 2√2/(3ε) (to 1e-6 relative)', () => {
    // Exact solution: E = ∫ ½u'² + ε⁻²F(u) = 2√2/(3ε) on ℝ; [−1, 1] truncates only e^{−1/(√2·0.05)} tails.
    const eps = 0.05;
    const rule = compositeGaussLegendre(-1, 1, 400, 3);
    const n = rule.points.length;
    const u = new Float64Array(n);
    const du = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = Math.tanh(rule.points[i] / (Math.SQRT2 * eps));
      u[i] = t;
      du[i] = (1 - t * t) / (Math.SQRT2 * eps);
    }
    const e = gradientEnergy(rule.weights, [du]) + potentialEnergy(rule.weights, u, eps);
    expect(Math.abs(e / frontEnergyPerLength(eps) - 1)).toBeLessThan(1e-6);
    // Equipartition: at the exact front the two parts are equal.
    expect(gradientEnergy(rule.weights, [du])).toBeCloseTo(potentialEnergy(rule.weights, u, eps), 6);
  });

  it('movement term is ‖u − v‖²/(2mτ)', () => {
    const w = Float64Array.of(0.5, 0.5);
    expect(movementTerm(w, [1, 2], [0, 0], 2, 0.25)).toBeCloseTo((0.5 * 1 + 0.5 * 4) / (2 * 2 * 0.25), 15);
  });
});

describe('problem catalogue', () => {
  it('has every problem of DESIGN.md §3 with its paper-scale parameters', () => {
    expect([...PROBLEM_NAMES].sort()).toEqual(['ac1d', 'circle', 'coarsening', 'front1d', 'random', 'star']);
    const star = makeProblem('star', 'paper');
    expect([star.epsilon, star.mobility, star.tau, star.tEnd]).toEqual([0.01, 1, 1e-5, 0.02]);
    expect(stepCount(star)).toBe(2000);
    const ac = makeProblem('ac1d', 'paper');
    // u_t = 1e-4 u_xx − 5(u³ − u): m = 1e-4 and m/ε² = 5.
    expect(ac.mobility / ac.epsilon ** 2).toBeCloseTo(5, 10);
    expect(ac.boundary.xmin).toEqual({ kind: 'periodic' });
  });

  it('resolves the interface at the suggested size for the reduced problems (ε/h ≥ 2.5)', () => {
    for (const name of PROBLEM_NAMES) {
      const p = makeProblem(name, 'reduced');
      const h = (p.domain.max[0] - p.domain.min[0]) / p.n;
      expect(p.epsilon / h, name).toBeGreaterThanOrEqual(2.5 - 1e-12);
      expect(CATALOGUE[name].reduced.tEnd).toBeLessThanOrEqual(CATALOGUE[name].paper.tEnd);
    }
  });

  it('initial conditions: star and circle are ±1 far from the interface, coarsening matches its formula', () => {
    const star = makeProblem('star', 'reduced');
    expect(star.initial(0.5, 0.5)).toBeCloseTo(1, 3);
    expect(star.initial(0.02, 0.02)).toBeCloseTo(-1, 3);
    const circle = makeProblem('circle', 'reduced');
    expect(circle.initial(0.75, 0.5)).toBeCloseTo(0, 12);
    const c = makeProblem('coarsening', 'reduced');
    expect(c.initial(0, 0)).toBeCloseTo(0.02 - 0.02 + 0.01 + 0.02, 15);
  });

  it('random noise is seeded, periodic and bounded by its amplitude', () => {
    const a = latticeNoise(7, 16, 0.05);
    const b = latticeNoise(7, 16, 0.05);
    const c = latticeNoise(8, 16, 0.05);
    expect(a(0.3, 0.7)).toBe(b(0.3, 0.7));
    expect(a(0.3, 0.7)).not.toBe(c(0.3, 0.7));
    expect(a(0, 0.3)).toBeCloseTo(a(1, 0.3), 14);
    expect(a(0.3, 0)).toBeCloseTo(a(0.3, 1), 14);
    for (let i = 0; i < 100; i++) expect(Math.abs(a(i / 97, (i * 7) / 97))).toBeLessThanOrEqual(0.05);
  });

  it('overrides are validated with one-line messages', () => {
    expect(() => makeProblem('blob')).toThrow("unknown problem 'blob' (known: star, circle, coarsening, random, front1d, ac1d)");
    expect(() => makeProblem('star', 'reduced', { epsilon: 0 })).toThrow('epsilon must be a positive number, got 0');
    expect(() => makeProblem('star', 'reduced', { tau: -1 })).toThrow('dt must be a positive number, got -1');
    expect(() => makeProblem('star', 'reduced', { n: 2.5 })).toThrow('n must be a positive integer, got 2.5');
    expect(makeProblem('star', 'reduced', { epsilon: 0.02 }).epsilon).toBe(0.02);
  });
});
