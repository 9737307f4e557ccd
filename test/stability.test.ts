import { describe, expect, it } from 'vitest';
import {
  checkStability,
  DEFAULT_STABILITY_OPTIONS,
  energyTolerance,
  satisfiesEnergyInequality,
} from '../src/stability/index.js';
import type { StepRecord } from '../src/solver.js';

/** A record with only the fields the checker reads set meaningfully. */
function rec(step: number, energy: number, movement: number, minU = -0.9, maxU = 0.9): StepRecord {
  return { step, t: step * 1e-3, energy, movement, iterations: 1, linearIterations: 0, wallMs: 1, minU, maxU, stopReason: 'converged' };
}

/**
 * Exact minimizing movement of E(u) = ½ λ u² (a one-dimensional gradient flow):
 * uⁿ⁺¹ = uⁿ / (1 + m τ λ), the unique minimiser of the strictly convex Jₙ, so the energy
 * inequality holds strictly; the margin is computed in closed form in the test.
 */
function quadraticFlow(steps: number, lambda = 4, m = 1, tau = 0.1, u0 = 0.8): StepRecord[] {
  const out: StepRecord[] = [];
  let u = u0;
  out.push(rec(0, 0.5 * lambda * u * u, 0, -Math.abs(u), Math.abs(u)));
  for (let n = 1; n <= steps; n++) {
    const v = u / (1 + m * tau * lambda);
    out.push(rec(n, 0.5 * lambda * v * v, ((v - u) * (v - u)) / (2 * m * tau), -Math.abs(v), Math.abs(v)));
    u = v;
  }
  return out;
}

describe('checkStability', () => {
  it('accepts an exact minimizing movement and reports its exact worst margin', () => {
    const lambda = 4, tau = 0.1, u0 = 0.8;
    const records = quadraticFlow(10, lambda, 1, tau, u0);
    const v = checkStability(records);
    expect(v.ok).toBe(true);
    expect(v.energyInequality.checked).toBe(10);
    expect(v.energyInequality.violations).toBe(0);
    // Margin at step n: ½λu² − ½λv² − (v−u)²/(2τ) with v = u/(1+τλ). Margins shrink with u,
    // so the smallest is at the last step; compute it independently.
    let u = u0;
    for (let n = 0; n < 9; n++) u /= 1 + tau * lambda;
    const w = u / (1 + tau * lambda);
    const expected = 0.5 * lambda * (u * u - w * w) - ((w - u) * (w - u)) / (2 * tau);
    expect(v.energyInequality.worstStep).toBe(10);
    expect(v.energyInequality.worstMargin).toBeCloseTo(expected, 15);
    expect(v.energyInequality.worstMargin!).toBeGreaterThan(0);
    expect(v.bounds.maxAbsU).toBe(u0);
    expect(v.tolerance).toEqual(DEFAULT_STABILITY_OPTIONS);
    expect(v.message).toMatch(/^energy stable over steps 0–10 \(10 checked\): worst margin .* at step 10, max \|u\| = 0\.800000/);
  });

  it('finds the first energy-inequality violation at a known step with exact lhs, rhs and excess', () => {
    const records = [rec(0, 10, 0), rec(1, 9, 0.5), rec(2, 8.5, 0.6), rec(3, 8, 0.1), rec(4, 8.2, 0.3)];
    // Step 2: 8.5 + 0.6 = 9.1 > 9 → excess 0.1 (monotone still holds: 8.5 < 9).
    // Step 4: 8.2 + 0.3 = 8.5 > 8, and 8.2 > 8 (monotone fails too).
    const v = checkStability(records);
    expect(v.ok).toBe(false);
    expect(v.energyInequality.ok).toBe(false);
    expect(v.energyInequality.violations).toBe(2);
    const f = v.energyInequality.firstViolation!;
    expect(f.step).toBe(2);
    expect(f.lhs).toBe(9.1);
    expect(f.rhs).toBe(9);
    expect(f.excess).toBeCloseTo(0.1, 14);
    expect(f.tol).toBe(1e-10 + 1e-6 * 9);
    expect(v.energyInequality.worstMargin).toBeCloseTo(-0.5, 14);
    expect(v.energyInequality.worstStep).toBe(4);
    expect(v.monotone.ok).toBe(false);
    expect(v.monotone.violations).toBe(1);
    expect(v.monotone.firstViolation!.step).toBe(4);
    expect(v.monotone.firstViolation!.excess).toBeCloseTo(0.2, 14);
    expect(v.message).toContain('energy inequality violated at 2 of 4 steps, first at step 2: E + movement = 9.10000 > E_prev = 9.00000');
    expect(v.message).toContain('energy increased at 1 steps, first at step 4');
    expect(v.message.includes('\n')).toBe(false);
  });

  it('tolerance boundary: an increase of exactly tol passes, slightly more fails', () => {
    const E0 = 1000;
    const opts = { rtol: 1e-3, atol: 0.5 };
    const tol = energyTolerance(E0, opts);
    expect(tol).toBe(0.5 + 1); // atol + rtol·|E|
    // Exactly representable: lhs = 1001.5 = E0 + tol.
    expect(checkStability([rec(0, E0, 0), rec(1, 1001, 0.5)], opts).ok).toBe(true);
    const bad = checkStability([rec(0, E0, 0), rec(1, 1001, 0.5000001)], opts);
    expect(bad.energyInequality.ok).toBe(false);
    expect(bad.monotone.ok).toBe(true);
    // rtol uses |E|: a negative energy gets the same tolerance.
    expect(energyTolerance(-E0, opts)).toBe(1.5);
    expect(satisfiesEnergyInequality(rec(0, E0, 0), rec(1, 1001, 0.5), opts)).toBe(true);
    expect(satisfiesEnergyInequality(rec(0, E0, 0), rec(1, 1001, 0.6), opts)).toBe(false);
    // Default tolerances: an increase of 2e-6 relative fails, 5e-7 passes.
    expect(satisfiesEnergyInequality(rec(0, 1, 0), rec(1, 1 + 5e-7, 0))).toBe(true);
    expect(satisfiesEnergyInequality(rec(0, 1, 0), rec(1, 1 + 2e-6, 0))).toBe(false);
  });

  it('treats NaN and infinite energies as violations', () => {
    const v = checkStability([rec(0, 1, 0), rec(1, 0.9, 0.01), rec(2, NaN, NaN), rec(3, 0.8, 0)]);
    expect(v.ok).toBe(false);
    expect(v.energyInequality.firstViolation!.step).toBe(2);
    expect(v.energyInequality.worstStep).toBe(2);
    expect(Number.isNaN(v.energyInequality.worstMargin)).toBe(true);
    expect(v.monotone.firstViolation!.step).toBe(2);
    expect(satisfiesEnergyInequality(rec(0, 1, 0), rec(1, Infinity, 0))).toBe(false);
    expect(satisfiesEnergyInequality(rec(0, Infinity, 0), rec(1, Infinity, 0))).toBe(false);
  });

  it('checks |u| ≤ 1 + δ on every record, step 0 included', () => {
    const records = [rec(0, 3, 0, -1.02, 1), rec(1, 2, 0.5, -1, 1.005), rec(2, 1, 0.5, -0.99, 1.011)];
    const v = checkStability(records);
    expect(v.energyInequality.ok).toBe(true);
    expect(v.bounds.ok).toBe(false);
    expect(v.bounds.violations).toBe(2);
    expect(v.bounds.firstViolation).toEqual({ step: 0, minU: -1.02, maxU: 1, maxAbsU: 1.02 });
    expect(v.bounds.maxAbsU).toBe(1.02);
    expect(v.message).toContain('|u| exceeded 1 + 0.01 at 2 records, first at step 0 (|u| = 1.02000), max |u| = 1.02000');
    // δ = 0.05 accepts all; δ = 0 rejects the exact bound only when exceeded (1.0 is fine).
    expect(checkStability(records, { boundDelta: 0.05 }).ok).toBe(true);
    expect(checkStability([rec(0, 1, 0, -1, 1)], { boundDelta: 0 }).bounds.ok).toBe(true);
    const nan = checkStability([rec(0, 1, 0, NaN, 0.5)]);
    expect(nan.bounds.ok).toBe(false);
    expect(Number.isNaN(nan.bounds.maxAbsU)).toBe(true);
  });

  it('handles empty and single-record sequences and sequences that start after step 0', () => {
    const empty = checkStability([]);
    expect(empty.ok).toBe(true);
    expect(empty.energyInequality.worstMargin).toBeNull();
    expect(empty.energyInequality.checked).toBe(0);
    const one = checkStability([rec(5, 1, 0.1)]);
    expect(one.ok).toBe(true);
    expect(one.energyInequality.worstStep).toBeNull();
    expect(one.message).toContain('no steps to compare');
    const late = checkStability([rec(7, 2, 0), rec(8, 1, 0.5)]);
    expect(late.energyInequality.worstStep).toBe(8);
    expect(late.energyInequality.worstMargin).toBe(0.5);
  });

  it('rejects non-consecutive records and invalid tolerances with exact messages', () => {
    expect(() => checkStability([rec(0, 1, 0), rec(1, 1, 0), rec(3, 1, 0)])).toThrow(
      'checkStability: records must be consecutive steps, but record 2 has step 3 after step 1',
    );
    expect(() => checkStability([], { rtol: -1 })).toThrow('checkStability: rtol must be a finite number ≥ 0, got -1');
    expect(() => checkStability([], { boundDelta: NaN })).toThrow('checkStability: boundDelta must be a finite number ≥ 0, got NaN');
  });
});
