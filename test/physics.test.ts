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
  DOUBLE_WELL,
  sourceTerm,
  stepFunctional,
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
    expect(star.initial([0.5, 0.5])).toBeCloseTo(1, 3);
    expect(star.initial([0.02, 0.02])).toBeCloseTo(-1, 3);
    const circle = makeProblem('circle', 'reduced');
    expect(circle.initial([0.75, 0.5])).toBeCloseTo(0, 12);
    // a(cos4πx cos8πy − cos6πx cos2πy + ½cos10πx cos4πy + cos6πx cos6πy): the paper's a = 0.02, the reduced a = 0.2
    expect(makeProblem('coarsening', 'paper').initial([0, 0])).toBeCloseTo(0.02 - 0.02 + 0.01 + 0.02, 15);
    const c = makeProblem('coarsening', 'reduced');
    expect(c.initial([0, 0])).toBeCloseTo(0.2 - 0.2 + 0.1 + 0.2, 15);
    expect(c.initial([0.25, 0.125])).toBeCloseTo(0.2 * (Math.cos(Math.PI) * Math.cos(Math.PI) - Math.cos(1.5 * Math.PI) * Math.cos(0.25 * Math.PI) + 0.5 * Math.cos(2.5 * Math.PI) * Math.cos(0.5 * Math.PI) + Math.cos(1.5 * Math.PI) * Math.cos(0.75 * Math.PI)), 14);
    // random: the paper's noise of amplitude 0.05 on a 32² lattice; reduced 0.5 on 16² (the lattice spacing ≈ 3ε at both scales)
    expect(makeProblem('random', 'reduced').initial([3 / 16, 5 / 16])).toBe(latticeNoise(1, 16, 0.5)([3 / 16, 5 / 16]));
    expect(makeProblem('random', 'paper').initial([3 / 32, 5 / 32])).toBe(latticeNoise(1, 32, 0.05)([3 / 32, 5 / 32]));
  });

  it('random noise is seeded, periodic and bounded by its amplitude', () => {
    const a = latticeNoise(7, 16, 0.05);
    const b = latticeNoise(7, 16, 0.05);
    const c = latticeNoise(8, 16, 0.05);
    expect(a([0.3, 0.7])).toBe(b([0.3, 0.7]));
    expect(a([0.3, 0.7])).not.toBe(c([0.3, 0.7]));
    expect(a([0, 0.3])).toBeCloseTo(a([1, 0.3]), 14);
    expect(a([0.3, 0])).toBeCloseTo(a([0.3, 1]), 14);
    for (let i = 0; i < 100; i++) expect(Math.abs(a([i / 97, (i * 7) / 97]))).toBeLessThanOrEqual(0.05);
  });

  it('overrides are validated with one-line messages', () => {
    expect(() => makeProblem('blob')).toThrow("unknown problem 'blob' (known: star, circle, coarsening, random, front1d, ac1d)");
    expect(() => makeProblem('star', 'reduced', { epsilon: 0 })).toThrow('epsilon must be a positive number, got 0');
    expect(() => makeProblem('star', 'reduced', { tau: -1 })).toThrow('dt must be a positive number, got -1');
    expect(() => makeProblem('star', 'reduced', { n: 2.5 })).toThrow('n must be a positive integer, got 2.5');
    expect(makeProblem('star', 'reduced', { epsilon: 0.02 }).epsilon).toBe(0.02);
  });
});

describe('the potential object and the step functional', () => {
  it('DOUBLE_WELL: change(u, δ) = F(u + δ) − F(u) without cancellation; the convex split gives back F and f', () => {
    const { F, f, fPrime, change, split } = DOUBLE_WELL;
    for (const u of [-1.2, -0.5, 0, 0.3, 1, 1.4]) {
      for (const d of [1e-9, -0.2, 0.7]) expect(change(u, d)).toBeCloseTo(F(u + d) - F(u), 14);
      // F = F_c − F_e with F_e = ½u² and F_c = ¼u⁴ + ¼ (constant dropped)
      expect(split.convex(u) + 0.25 - 0.5 * u * u).toBeCloseTo(F(u), 14);
      expect(split.convexDerivative(u) - split.expansiveDerivative(u)).toBeCloseTo(f(u), 14);
      expect(split.convexSecond(u) - 1).toBeCloseTo(fPrime(u), 14);
      expect(split.convexSecond(u)).toBeGreaterThanOrEqual(0);
      for (const d of [1e-9, -0.2]) expect(split.convexChange(u, d)).toBeCloseTo(split.convex(u + d) - split.convex(u), 14);
    }
    // near a well the change of F is resolved far below ε_mach·F(u): F(1 + δ) − F(1) = δ² + δ³ + δ⁴/4
    expect(change(1, 1e-9) / 1e-18).toBeCloseTo(1, 6);
  });

  it('Jₙ = E + ‖u − uⁿ‖²/(2mτ) − (1/m)∫su on a two-point rule, and the pointwise densities agree with the sums', () => {
    const J = stepFunctional({ epsilon: 0.5, mobility: 2, tau: 0.1, source: sourceTerm((x) => 3 * x[0]) });
    const w = Float64Array.of(0.25, 0.75);
    const u = [0.2, -0.6];
    const old = [0, -1];
    const grad = [[1, 2]];
    const s = [J.scaledSource([1], 0), J.scaledSource([2], 0)]; // s/m = 1.5, 3
    expect(s).toEqual([1.5, 3]);
    const bulk = 4 * (0.25 * DOUBLE_WELL.F(0.2) + 0.75 * DOUBLE_WELL.F(-0.6));
    const grad2 = 0.5 * (0.25 * 1 + 0.75 * 4);
    const move = (0.25 * 0.04 + 0.75 * 0.16) / (2 * 2 * 0.1);
    const work = 0.25 * 1.5 * 0.2 + 0.75 * 3 * -0.6;
    expect(J.value(w, u, old, w, grad, s)).toBeCloseTo(bulk + grad2 + move - work, 14);
    expect(J.bulkEnergy(w, u)).toBeCloseTo(0.25 * J.bulk(0.2) + 0.75 * J.bulk(-0.6), 14);
    expect(J.movement(w, u, old)).toBeCloseTo(0.25 * J.movementDensity(0.2, 0) + 0.75 * J.movementDensity(-0.6, -1), 14);
    expect(J.bulkEnergyChange(w, u, [1, -1], 0.1)).toBeCloseTo(J.bulkEnergy(w, [0.3, -0.7]) - J.bulkEnergy(w, u), 14);
    expect(J.reaction(0.2)).toBeCloseTo(4 * DOUBLE_WELL.f(0.2), 14);
    expect(J.reactionDerivative(0.2)).toBeCloseTo(4 * DOUBLE_WELL.fPrime(0.2), 14);
    expect(J.metric.kind).toBe('L2');
    // ψ(u) = ε⁻²F(u) + (u − uⁿ)²/(2mτ) − s̃u: its change and its derivative (central differences)
    const psi = (v: number) => J.bulk(v) + J.movementDensity(v, -1) - 3 * v;
    for (const v of [-0.9, -0.2, 0.4, 1.1]) {
      expect(J.localChange(v, -1, 3)).toBeCloseTo(psi(v) - psi(-1), 12);
      expect(J.localDerivative(v, -1, 3)).toBeCloseTo((psi(v + 1e-6) - psi(v - 1e-6)) / 2e-6, 5);
    }
    expect(J.localChange(0.3, 0.3, 3)).toBe(0);
    expect(() => stepFunctional({ epsilon: 0.1, mobility: 0, tau: 1 })).toThrow('mobility must be a positive number, got 0');
  });
});
