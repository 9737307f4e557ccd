import { describe, expect, it } from 'vitest';
import { makeProblem } from '../src/physics/problems.js';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import { createEngine, createSdmmSolver, defaultSdmmOptions, networkLayout, type SdmmOptions } from '../src/sdmm/index.js';
import { uniformGrid, type SolverState, type StepRecord } from '../src/solver.js';
import { checkStability } from '../src/stability/index.js';

/**
 * Converged SDMM steps on the float64 engine (issue: stop rules that do not depend on |Jₙ|):
 * - each step stops on the gradient test ‖∇_θ Jₙ(θⁿ⁺¹)‖ ≤ gradTol ‖∇_θ Jₙ(θⁿ)‖, re-checked here with
 *   a fresh engine on the checkpointed θ and uⁿ, and the recorded gradientNorm is that norm;
 * - the discrete energy inequality holds with zero tolerance;
 * - the default tolerances converge the steps to what the discretisation shows: halving them
 *   changes the reduced circle by less than 1e-4 relative L2 (after 6 of its 40 steps, to keep the
 *   file fast; measured at t_end = 0.004 with the same network: 9.3e-5).
 * A small network (rank 8, width 16) on the reduced circle's grid, ε, τ and T. (On a grid that does
 * not resolve the interface, h = 1/48 > ε/2, converging the steps further only finds the quadrature's
 * blind spots: E fell from 34.5 to 3.6 in 40 steps with a gradient tolerance of 1e-6.)
 */

const problem = makeProblem('circle', 'reduced');
const DEFAULTS = defaultSdmmOptions(problem);
const SMALL: Partial<SdmmOptions> = { rank: 8, width: 16, backend: 'js', threads: 1 };
const STEPS = 6;

function norm(g: Float64Array): number {
  let s = 0;
  for (const v of g) s += v * v;
  return Math.sqrt(s);
}

describe('SDMM converged steps', () => {
  it('each step ends with ‖∇_θ Jₙ‖ ≤ gradTol · ‖∇_θ Jₙ(θⁿ)‖ (checked by a fresh engine) and the energy inequality holds with zero tolerance', async () => {
    // The gradient rule alone (tol 0 switches the decrease rule off).
    const gradTol = 1e-4;
    const solver = await createSdmmSolver(problem, { ...SMALL, tol: 0, gradTol, maxIters: 2000 });
    const records: StepRecord[] = [await solver.initialise()];
    const layout = networkLayout(problem, { rank: 8, width: 16, depth: 2, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
    const rules = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, DEFAULTS.quadElements, 2));
    const { engine } = await createEngine('js', { layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads: 1 });
    const grad = new Float64Array(layout.size);
    for (let n = 0; n < 2; n++) {
      const before: SolverState = solver.saveState();
      const r = await solver.step();
      records.push(r);
      const after = solver.saveState();
      expect(r.stopReason).toBe('gradient');
      engine.setStep(before.arrays.uPrev as Float64Array, [before.arrays.grad0 as Float64Array, before.arrays.grad1 as Float64Array], null);
      engine.evaluate('step', before.arrays.theta as Float64Array, grad);
      const g0 = norm(grad);
      engine.evaluate('step', after.arrays.theta as Float64Array, grad);
      const g1 = norm(grad);
      expect(g0).toBeGreaterThan(0);
      expect(g1).toBeLessThanOrEqual(gradTol * g0);
      expect(Math.abs(r.gradientNorm! - g1)).toBeLessThanOrEqual(1e-12 * g0);
    }
    const verdict = checkStability(records, { rtol: 0, atol: 0 });
    expect(verdict.energyInequality.ok, verdict.message).toBe(true);
    expect(records.every((r, i) => i === 0 || r.movement > 0)).toBe(true);
    engine.dispose();
    solver.dispose();
  });

  it('halving the default step tolerances (gradTol, tol) changes the reduced circle after 6 steps by less than 1e-4 relative L2', async () => {
    const fitted = await createSdmmSolver(problem, SMALL);
    await fitted.initialise();
    const state = fitted.saveState();
    fitted.dispose();
    const grid = uniformGrid(problem, 101);
    const run = async (options: Partial<SdmmOptions>) => {
      const s = await createSdmmSolver(problem, { ...SMALL, ...options });
      s.restoreState(state);
      for (let n = 0; n < STEPS; n++) await s.step();
      const u = s.sample(grid);
      s.dispose();
      return u;
    };
    const a = await run({});
    const b = await run({ gradTol: DEFAULTS.gradTol / 2, tol: DEFAULTS.tol / 2 });
    let d = 0;
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) ** 2;
      m += b[i] * b[i];
    }
    expect(Math.sqrt(d / m)).toBeLessThan(1e-4);
    expect(Math.sqrt(d / m)).toBeGreaterThan(0);
  });
  it('the default predictor and 100-pair history reach the field of predictor 0, history 20 in far fewer iterations', async () => {
    const grid = uniformGrid(problem, 101);
    const run = async (options: Partial<SdmmOptions>) => {
      const s = await createSdmmSolver(problem, { ...SMALL, ...options });
      await s.initialise();
      let iterations = 0;
      for (let n = 0; n < STEPS; n++) iterations += (await s.step()).iterations;
      const u = s.sample(grid);
      s.dispose();
      return { u, iterations };
    };
    expect([DEFAULTS.predictor, DEFAULTS.historySize]).toEqual([0.9, 100]);
    const now = await run({});
    const before = await run({ predictor: 0, historySize: 20 });
    let d = 0;
    let m = 0;
    for (let i = 0; i < now.u.length; i++) {
      d += (now.u[i] - before.u[i]) ** 2;
      m += before.u[i] * before.u[i];
    }
    // The fields differ by the steps' own convergence error (halving the tolerances moves them
    // by less than 1e-4, above); the iterations must fall by half at least.
    expect(Math.sqrt(d / m)).toBeLessThan(1e-4);
    expect(now.iterations).toBeLessThan(0.5 * before.iterations);
  });
});
