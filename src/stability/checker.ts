import type { StepRecord } from '../solver.js';
import { stripUndefined } from '../util/object.js';

/**
 * The energy-stability checker shared by both solvers (DESIGN.md §1).
 *
 * From the step records (E(uⁿ), the movement term ‖uⁿ⁺¹ − uⁿ‖²/(2 m τ), min and max of u) it
 * verifies, for every consecutive pair of records n → n+1:
 *
 *   energy inequality   E(uⁿ⁺¹) + movement_{n+1} ≤ E(uⁿ) + tolₙ
 *   monotone decay      E(uⁿ⁺¹)                 ≤ E(uⁿ) + tolₙ
 *   bound               |u| ≤ 1 + δ            (every record, step 0 included)
 *
 * with tolₙ = atol + rtol·|E(uⁿ)|. The energy inequality is what a minimizing movement step
 * guarantees by construction (uⁿ is itself a candidate of Jₙ, so Jₙ(uⁿ⁺¹) ≤ Jₙ(uⁿ) = E(uⁿ));
 * monotone decay follows from it, and is reported separately because a scheme may decay
 * monotonically while under-reporting its movement.
 *
 * Defaults (why):
 * - rtol = 1e-6. The FEM computes everything in float64 (round-off ~1e-13 relative over 10⁵
 *   quadrature points), so for it 1e-6 is loose. SDMM minimises Jₙ in float32 (unit round-off
 *   6e-8, accumulated over 10⁴–10⁵ quadrature points), then re-evaluates E and the movement in
 *   float64 from the float32 grid values: an iterate that decreased Jₙ in float32 may show an
 *   apparent increase of order 1e-7…1e-6·|E| in float64. rtol = 1e-6 admits that and nothing
 *   larger; any real instability (a wrong sign, a step that climbs the energy) is far above it.
 * - atol = 1e-10 guards the case E(uⁿ) ≈ 0 (a uniform state u ≡ ±1), where rtol·|E| vanishes.
 * - δ = 1e-2 for the bound. The Allen–Cahn equation keeps |u| ≤ 1, but consistent-mass P1/Q1
 *   has no discrete maximum principle: overshoots of a few 1e-3 next to sharp fronts are normal
 *   and harmless; an unstable scheme overshoots far more. SDMM with tanh bounding stays < 1.
 */

export interface StabilityOptions {
  /** Relative tolerance on |E(uⁿ)|; default 1e-6 (see the module comment). */
  rtol?: number;
  /** Absolute tolerance; default 1e-10. */
  atol?: number;
  /** Allowed overshoot δ in |u| ≤ 1 + δ; default 1e-2. */
  boundDelta?: number;
}

/** Tolerances the checker uses unless told otherwise (see StabilityOptions for each). */
export const DEFAULT_STABILITY_OPTIONS: Readonly<Required<StabilityOptions>> = Object.freeze({
  rtol: 1e-6,
  atol: 1e-10,
  boundDelta: 1e-2,
});

/** One failed energy comparison: lhs ≤ rhs + tol did not hold at `step` (the later record). */
export interface EnergyViolation {
  step: number;
  /** E(uⁿ⁺¹) + movement (energy inequality) or E(uⁿ⁺¹) (monotone decay). */
  lhs: number;
  /** E(uⁿ). */
  rhs: number;
  /** tolₙ = atol + rtol·|E(uⁿ)|. */
  tol: number;
  /** lhs − rhs: how much the quantity grew (positive, and larger than tol, for a violation). */
  excess: number;
}

export interface BoundViolation {
  step: number;
  minU: number;
  maxU: number;
  /** max(|minU|, |maxU|). */
  maxAbsU: number;
}

/** The checker's result: the outcome of each check (energy inequality, monotone energy, bounds) with its first violation. */
export interface StabilityVerdict {
  /** All three checks hold. */
  ok: boolean;
  energyInequality: {
    ok: boolean;
    firstViolation?: EnergyViolation;
    /**
     * min over steps of rhs − lhs = E(uⁿ) − E(uⁿ⁺¹) − movement (the slack; negative means the
     * energy inequality failed by that much before the tolerance); null with fewer than 2 records.
     */
    worstMargin: number | null;
    /** The step (later record) where the worst margin occurs; null with fewer than 2 records. */
    worstStep: number | null;
    /** Number of steps (pairs) checked and how many violated. */
    checked: number;
    violations: number;
  };
  monotone: { ok: boolean; firstViolation?: EnergyViolation; violations: number };
  bounds: { ok: boolean; maxAbsU: number; firstViolation?: BoundViolation; violations: number };
  /** The tolerances used. */
  tolerance: Required<StabilityOptions>;
  /** One line for logs and summaries. */
  message: string;
}

function resolveOptions(options: StabilityOptions = {}): Required<StabilityOptions> {
  const o = { ...DEFAULT_STABILITY_OPTIONS, ...stripUndefined(options) };
  for (const key of ['rtol', 'atol', 'boundDelta'] as const) {
    const v = o[key];
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`checkStability: ${key} must be a finite number ≥ 0, got ${v}`);
  }
  return o;
}


/** tolₙ = atol + rtol·|E(uⁿ)| with the given (or default) options. */
export function energyTolerance(previousEnergy: number, options: StabilityOptions = {}): number {
  const o = resolveOptions(options);
  return o.atol + o.rtol * Math.abs(previousEnergy);
}

/**
 * Whether the single step prev → cur satisfies the energy inequality
 * E(cur) + movement(cur) ≤ E(prev) + tol. NaN or infinite energies never satisfy it.
 * This is the `stable` column of steps.csv.
 */
export function satisfiesEnergyInequality(prev: StepRecord, cur: StepRecord, options: StabilityOptions = {}): boolean {
  const tol = energyTolerance(prev.energy, options);
  const lhs = cur.energy + cur.movement;
  return Number.isFinite(lhs) && Number.isFinite(prev.energy) && lhs <= prev.energy + tol;
}

/**
 * Check a sequence of step records (consecutive steps, in order; it need not start at 0).
 * Throws RangeError when the records are not consecutive or a tolerance is invalid.
 */
export function checkStability(records: readonly StepRecord[], options: StabilityOptions = {}): StabilityVerdict {
  const tolerance = resolveOptions(options);
  const { rtol, atol, boundDelta } = tolerance;
  for (let i = 1; i < records.length; i++) {
    if (records[i].step !== records[i - 1].step + 1) {
      throw new RangeError(
        `checkStability: records must be consecutive steps, but record ${i} has step ${records[i].step} after step ${records[i - 1].step}`,
      );
    }
  }

  let eFirst: EnergyViolation | undefined;
  let eViolations = 0;
  let mFirst: EnergyViolation | undefined;
  let mViolations = 0;
  let worstMargin: number | null = null;
  let worstStep: number | null = null;
  for (let i = 1; i < records.length; i++) {
    const prev = records[i - 1];
    const cur = records[i];
    const rhs = prev.energy;
    const tol = atol + rtol * Math.abs(rhs);
    const lhs = cur.energy + cur.movement;
    // Written as !(a ≤ b) so NaN counts as a violation.
    if (!(lhs <= rhs + tol)) {
      eViolations++;
      eFirst ??= { step: cur.step, lhs, rhs, tol, excess: lhs - rhs };
    }
    const margin = rhs - lhs;
    // The first NaN margin becomes the worst and stays so (!(NaN ≥ x) is true).
    if (worstMargin === null || (!Number.isNaN(worstMargin) && !(margin >= worstMargin))) {
      worstMargin = margin;
      worstStep = cur.step;
    }
    if (!(cur.energy <= rhs + tol)) {
      mViolations++;
      mFirst ??= { step: cur.step, lhs: cur.energy, rhs, tol, excess: cur.energy - rhs };
    }
  }

  let maxAbsU = 0;
  let sawNaN = false;
  let bFirst: BoundViolation | undefined;
  let bViolations = 0;
  const bound = 1 + boundDelta;
  for (const r of records) {
    const a = Math.max(Math.abs(r.minU), Math.abs(r.maxU));
    if (Number.isNaN(a)) sawNaN = true;
    else if (a > maxAbsU) maxAbsU = a;
    if (!(a <= bound)) {
      bViolations++;
      bFirst ??= { step: r.step, minU: r.minU, maxU: r.maxU, maxAbsU: a };
    }
  }
  if (sawNaN) maxAbsU = NaN;

  const energyInequality = {
    ok: eViolations === 0,
    ...(eFirst ? { firstViolation: eFirst } : {}),
    worstMargin,
    worstStep,
    checked: Math.max(0, records.length - 1),
    violations: eViolations,
  };
  const monotone = { ok: mViolations === 0, ...(mFirst ? { firstViolation: mFirst } : {}), violations: mViolations };
  const bounds = { ok: bViolations === 0, maxAbsU, ...(bFirst ? { firstViolation: bFirst } : {}), violations: bViolations };
  const ok = energyInequality.ok && monotone.ok && bounds.ok;
  return {
    ok,
    energyInequality,
    monotone,
    bounds,
    tolerance,
    message: verdictMessage(records, energyInequality, monotone, bounds, tolerance),
  };
}

const g = (x: number) => (Number.isFinite(x) ? x.toPrecision(6) : String(x));

function verdictMessage(
  records: readonly StepRecord[],
  e: StabilityVerdict['energyInequality'],
  m: StabilityVerdict['monotone'],
  b: StabilityVerdict['bounds'],
  t: Required<StabilityOptions>,
): string {
  const tolText = `rtol ${t.rtol}, atol ${t.atol}, δ ${t.boundDelta}`;
  const parts: string[] = [];
  if (e.firstViolation) {
    const v = e.firstViolation;
    parts.push(
      `energy inequality violated at ${e.violations} of ${e.checked} steps, first at step ${v.step}: ` +
        `E + movement = ${g(v.lhs)} > E_prev = ${g(v.rhs)} by ${g(v.excess)} (tol ${g(v.tol)})`,
    );
  }
  if (m.firstViolation) {
    const v = m.firstViolation;
    parts.push(`energy increased at ${m.violations} steps, first at step ${v.step} by ${g(v.excess)}`);
  }
  if (b.firstViolation) {
    const v = b.firstViolation;
    parts.push(`|u| exceeded 1 + ${t.boundDelta} at ${b.violations} records, first at step ${v.step} (|u| = ${g(v.maxAbsU)}), max |u| = ${g(b.maxAbsU)}`);
  }
  if (parts.length > 0) return `UNSTABLE: ${parts.join('; ')} [${tolText}]`;
  const first = records.length > 0 ? records[0].step : 0;
  const last = records.length > 0 ? records[records.length - 1].step : 0;
  const worst = e.worstMargin === null ? 'no steps to compare' : `worst margin ${g(e.worstMargin)} at step ${e.worstStep}`;
  return `energy stable over steps ${first}–${last} (${e.checked} checked): ${worst}, max |u| = ${g(b.maxAbsU)} [${tolText}]`;
}
