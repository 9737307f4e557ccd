import { describe, expect, it } from 'vitest';
import {
  maxAbs,
  phaseAreaOnGrid,
  radiusFromArea,
  relativeL2Error,
  timeToAccuracy,
  trapezoidWeights,
} from '../src/bench/metrics.js';
import { positiveAreaLinearTriangle, positiveLengthLinearInterval } from '../src/mesh/phase.js';
import { makeProblem, shrinkingCircleRadius } from '../src/physics/problems.js';
import { uniformGrid } from '../src/solver.js';

const square = { dim: 2 as const, domain: { min: [0, 0], max: [1, 1] } };
function field(k: number, f: (x: number, y: number) => number, problem: { dim: 1 | 2; domain: { min: number[]; max: number[] } } = square) {
  const pts = uniformGrid(problem, k);
  const n = problem.dim === 2 ? k * k : k;
  const out = new Float64Array(n);
  for (let q = 0; q < n; q++) out[q] = problem.dim === 2 ? f(pts[2 * q], pts[2 * q + 1]) : f(pts[q], 0);
  return out;
}

describe('relative L2 error on the uniform grid', () => {
  it('trapezoid weights sum to the domain measure', () => {
    const w = trapezoidWeights({ dim: 2, domain: { min: [-1, 0], max: [1, 3] } }, 17);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(6, 13);
    expect(trapezoidWeights({ dim: 1, domain: { min: [-1], max: [1] } }, 9).reduce((a, b) => a + b, 0)).toBeCloseTo(2, 14);
  });

  it('is exact for trigonometric fields over full periods', () => {
    // ref = cos 2πx: ‖ref‖² = 1/2; u − ref = 0.1 cos 2πy: ‖·‖² = 0.005 → relative error 0.1 exactly
    const k = 9;
    const ref = field(k, (x) => Math.cos(2 * Math.PI * x));
    const u = field(k, (x, y) => Math.cos(2 * Math.PI * x) + 0.1 * Math.cos(2 * Math.PI * y));
    expect(relativeL2Error(u, ref, trapezoidWeights(square, k))).toBeCloseTo(0.1, 14);
    expect(relativeL2Error(ref, ref, trapezoidWeights(square, k))).toBe(0);
    u[3] = Number.NaN;
    expect(relativeL2Error(u, ref, trapezoidWeights(square, k))).toBeNaN();
    expect(maxAbs(u)).toBeNaN();
    expect(maxAbs(ref)).toBe(1);
    expect(() => relativeL2Error(new Float64Array(3), ref, trapezoidWeights(square, k))).toThrow(
      'relativeL2Error: lengths differ (u 3, ref 81, weights 81)',
    );
  });
});

describe('phase area {u > 0}', () => {
  it('positive part of a linear function on a triangle', () => {
    // u = x on the triangle (0,0),(1,0),(0,1): {x > 0} is all of it; u = x − ½: area of {x > ½} = 1/8
    expect(positiveAreaLinearTriangle(0, 1, 0, 0.5)).toBeCloseTo(0.5 - 0, 15);
    expect(positiveAreaLinearTriangle(-0.5, 0.5, -0.5, 0.5)).toBeCloseTo(0.125, 15);
    expect(positiveAreaLinearTriangle(0.5, -0.5, 0.5, 0.5)).toBeCloseTo(0.375, 15);
    expect(positiveAreaLinearTriangle(-1, -2, -3, 0.5)).toBe(0);
  });

  it('is exact for a linear field (half-plane x + y > 0.7 has area 1 − 0.7²/2 = 0.755)', () => {
    for (const k of [5, 12, 33]) expect(phaseAreaOnGrid(field(k, (x, y) => x + y - 0.7), square, k)).toBeCloseTo(0.755, 14);
    // 1D: {x > 0.3} on [−1, 1] has length 0.7
    const line = { dim: 1 as const, domain: { min: [-1], max: [1] } };
    expect(phaseAreaOnGrid(field(7, (x) => x - 0.3, line), line, 7)).toBeCloseTo(0.7, 14);
  });

  it('converges at second order to the area of a disc, π/16 for R = 0.25', () => {
    const err = [33, 65, 129].map((k) => Math.abs(phaseAreaOnGrid(field(k, (x, y) => 0.25 - Math.hypot(x - 0.5, y - 0.5)), square, k) - Math.PI / 16));
    const rate1 = Math.log2(err[0] / err[1]);
    const rate2 = Math.log2(err[1] / err[2]);
    expect((rate1 + rate2) / 2).toBeGreaterThan(1.7);
    expect(err[2]).toBeLessThan(2e-4);
    expect(radiusFromArea(Math.PI / 16)).toBeCloseTo(0.25, 15);
  });
});

describe('circle law and time to accuracy', () => {
  it('R(t)² = R₀² − 2 m t, zero after extinction; the circle carries it as its radius law', () => {
    expect(shrinkingCircleRadius(0.25, 1, 0.01) ** 2).toBeCloseTo(0.0625 - 0.02, 15);
    expect(shrinkingCircleRadius(0.25, 2, 0.1)).toBe(0);
    const circle = makeProblem('circle', 'reduced', { mobility: 2 });
    expect(circle.laws?.radius?.(0.01)).toBe(shrinkingCircleRadius(0.25, 2, 0.01));
    expect(circle.laws?.energy).toBeUndefined();
    expect(makeProblem('star').laws).toEqual({});
  });

  it('the phase length of a linear function on an interval', () => {
    expect(positiveLengthLinearInterval(1, -3, 2)).toBeCloseTo(0.5, 15);
    expect(positiveLengthLinearInterval(-1, 1, 2)).toBeCloseTo(1, 15);
    expect(positiveLengthLinearInterval(1, 2, 2)).toBe(2);
    expect(positiveLengthLinearInterval(0, -1, 2)).toBe(0);
  });

  it('picks the cheapest run reaching each target, null when none does', () => {
    const rows = timeToAccuracy(
      [
        { family: 'fem', label: 'n16', wallMs: 10, error: 0.1 },
        { family: 'fem', label: 'n32', wallMs: 40, error: 0.02 },
        { family: 'fem', label: 'n64', wallMs: 160, error: 0.005 },
        { family: 'sdmm', label: 'q16', wallMs: 500, error: Number.NaN },
        { family: 'sdmm', label: 'q32', wallMs: 900, error: 0.03 },
      ],
      [0.05, 0.01],
    );
    expect(rows).toEqual([
      { family: 'fem', target: 0.05, wallMs: 40, label: 'n32', error: 0.02 },
      { family: 'fem', target: 0.01, wallMs: 160, label: 'n64', error: 0.005 },
      { family: 'sdmm', target: 0.05, wallMs: 900, label: 'q32', error: 0.03 },
      { family: 'sdmm', target: 0.01, wallMs: null, label: null, error: null },
    ]);
  });
});
