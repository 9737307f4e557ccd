import { describe, expect, it } from 'vitest';
import { characteristicLength, phaseFraction, powerSpectrum } from '../src/bench/pattern.js';

/** u(x, y) sampled on the periodic n×n grid of [0, L)², layout i·n + j. */
function sample(n: number, L: number, f: (x: number, y: number) => number): Float64Array {
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i * n + j] = f((i * L) / n, (j * L) / n);
  return u;
}

describe('structure-factor length (exact for single Fourier modes)', () => {
  it('cos(2π m x / L) has L/m for m = 1…5, on even and odd grids, along x and along y', () => {
    for (const n of [32, 45]) {
      for (let m = 1; m <= 5; m++) {
        const L = 2;
        expect(characteristicLength(sample(n, L, (x) => Math.cos((2 * Math.PI * m * x) / L)), n, n, L, L)).toBeCloseTo(L / m, 10);
        expect(characteristicLength(sample(n, L, (_x, y) => 0.3 * Math.sin((2 * Math.PI * m * y) / L) + 0.7), n, n, L, L)).toBeCloseTo(L / m, 10);
      }
    }
  });

  it('a diagonal mode cos(2π(x + y)) on [0,1)² has |k| = 2π√2, so length 1/√2', () => {
    const u = sample(40, 1, (x, y) => Math.cos(2 * Math.PI * (x + y)));
    expect(characteristicLength(u, 40, 40, 1, 1)).toBeCloseTo(1 / Math.SQRT2, 10);
  });

  it('two modes with equal power give the harmonic mean of the wave numbers', () => {
    const u = sample(64, 1, (x, y) => Math.cos(2 * Math.PI * 2 * x) + Math.cos(2 * Math.PI * 6 * y));
    // k₁ = (2π·2 + 2π·6)/2 = 2π·4
    expect(characteristicLength(u, 64, 64, 1, 1)).toBeCloseTo(1 / 4, 10);
  });

  it('Parseval: Σ S = N Σ (u − ū)² for a random field', () => {
    const n = 24;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const u = new Float64Array(n * n).map(() => rand());
    const mean = u.reduce((a, b) => a + b) / u.length;
    const S = powerSpectrum(u, n, n);
    const lhs = S.reduce((a, b) => a + b);
    const rhs = u.length * u.reduce((a, b) => a + (b - mean) ** 2, 0);
    expect(lhs / rhs).toBeCloseTo(1, 12);
  });

  it('a constant field has no length (NaN); a bad grid is one RangeError', () => {
    expect(characteristicLength(new Float64Array(16).fill(0.4), 4, 4, 1, 1)).toBeNaN();
    expect(() => powerSpectrum(new Float64Array(15), 4, 4)).toThrow('powerSpectrum: expected an nx × ny grid with nx, ny ≥ 2 and 4·4 values, got 15');
  });
});

describe('phase fraction', () => {
  it('counts u > 0: a half-plane split is exactly 1/2 and ±1 fields are 1 and 0', () => {
    const n = 20;
    expect(phaseFraction(sample(n, 1, (x) => (x < 0.5 ? 1 : -1)))).toBe(0.5);
    expect(phaseFraction(new Float64Array(9).fill(1))).toBe(1);
    expect(phaseFraction(new Float64Array(9).fill(-1))).toBe(0);
  });
});
