import { describe, expect, it } from 'vitest';
import { makeProblem } from '../src/physics/problems.js';
import { defaultQuadElements, POINTS_PER_EPSILON, resolveSdmmOptions, SdmmOptionsError } from '../src/sdmm/options.js';

/**
 * The resolution rule of SDMM's default quadrature (src/sdmm/options.ts): quadElements =
 * max(n, ⌈POINTS_PER_EPSILON · L / (quadPoints · ε)⌉), L the longest side.
 */
describe('SDMM default quadrature follows ε', () => {
  it('leaves every catalogue problem at its own n (they already have ≥ 5 Gauss points per ε)', () => {
    for (const name of ['star', 'circle', 'coarsening', 'random', 'front1d', 'ac1d']) {
      for (const scale of ['reduced', 'paper'] as const) {
        const p = makeProblem(name, scale);
        expect(resolveSdmmOptions(p).quadElements, `${name} ${scale}`).toBe(p.n);
      }
    }
  });

  it('raises the grid to 5 Gauss points per ε when ε is smaller than the problem was set up for', () => {
    expect(POINTS_PER_EPSILON).toBe(5);
    // Reduced star (n = 64, [0,1]²) at ε = 0.01: ⌈5 · 1 / (2 · 0.01)⌉ = 250 elements, 500 points per axis.
    const star = makeProblem('star', 'reduced', { epsilon: 0.01 });
    expect(resolveSdmmOptions(star).quadElements).toBe(250);
    // 3 Gauss points per element need fewer elements for the same density: ⌈5 / (3 · 0.01)⌉ = 167.
    expect(resolveSdmmOptions(star, { quadPoints: 3 }).quadElements).toBe(167);
    // ac1d on [−1, 1] (L = 2) at ε = 1e-3: ⌈5 · 2 / (2 · 1e-3)⌉ = 5000 > n = 1200.
    expect(resolveSdmmOptions(makeProblem('ac1d', 'reduced', { epsilon: 1e-3 })).quadElements).toBe(5000);
    // Exactly 5 points per ε needs no rounding up: ε = 0.05 on [0,1] gives 50 < n.
    expect(defaultQuadElements({ n: 10, epsilon: 0.05, domain: { min: [0, 0], max: [1, 1] } }, 2)).toBe(50);
  });

  it('keeps an explicit quadElements, and a problem without ε or domain falls back to n', () => {
    const star = makeProblem('star', 'reduced', { epsilon: 0.01 });
    expect(resolveSdmmOptions(star, { quadElements: 32 }).quadElements).toBe(32);
    expect(defaultQuadElements({ n: 48 }, 2)).toBe(48);
  });

  it('names the rule when its default grid is above the limit on quadrature points', () => {
    const tiny = makeProblem('star', 'reduced', { epsilon: 1e-4 });
    expect(() => resolveSdmmOptions(tiny)).toThrow(SdmmOptionsError);
    expect(() => resolveSdmmOptions(tiny)).toThrow(/^the default quadElements 25000 \(5 Gauss points per ε = 0\.0001; set quadElements to override\) with quadPoints 2 in 2D gives/);
  });
});
