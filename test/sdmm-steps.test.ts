import * as tf from '../src/sdmm/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { frontEnergyPerLength } from '../src/physics/energy.js';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { createSdmmSolver, SdmmFitError, selectBackend, type SdmmOptions } from '../src/sdmm/index.js';
import { DivergenceError, type SolverState, type StepRecord } from '../src/solver.js';
import { checkStability } from '../src/stability/index.js';

/**
 * SDMM time stepping on reduced problems with tiny networks and grids (fast, not accurate):
 * the discrete energy inequality E(uⁿ⁺¹) + ‖uⁿ⁺¹ − uⁿ‖²/(2mτ) ≤ E(uⁿ) on every step, checked by
 * the shared checker with ZERO tolerance (SDMM accepts a step only if its float64 Jₙ decreased),
 * |u| < 1 from the tanh bounding, determinism, no tensor leak, checkpoint restore, divergence
 * and option errors.
 */

const TINY: Partial<SdmmOptions> = {
  rank: 6,
  width: 12,
  depth: 2,
  quadElements: 12,
  learningRate: 1e-2,
  fitMaxIters: 300,
  fitTolerance: 0.1,
  maxIters: 12,
  historySize: 8,
  backend: 'wasm',
};

const STEPS = 4;

/**
 * Fit tolerances per problem (relative MSE, mean (u − u₀)² / mean u₀²): loose, because these tests
 * check the stepping, not the accuracy of a 24×24-point fit of a 7-pointed star or of the
 * coarsening data (mean u₀² ≈ 0.033).
 */
const FIT_TOLERANCE: Record<string, number> = { star: 0.15, circle: 0.03, coarsening: 0.5 };

/** The fitted step-0 state of each problem, shared by the L-BFGS and Adam runs (fit once). */
const fitted = new Map<string, { state: SolverState; record: StepRecord }>();

beforeAll(async () => {
  await selectBackend('wasm');
  for (const name of ['star', 'circle', 'coarsening']) {
    const solver = await createSdmmSolver(makeProblem(name, 'reduced'), { ...TINY, fitTolerance: FIT_TOLERANCE[name] });
    const record = await solver.initialise();
    expect(record.stopReason).toMatch(/^fit relative mse .* <= tolerance/);
    fitted.set(name, { state: solver.saveState(), record });
    solver.dispose();
  }
});

async function runFromFit(name: string, options: Partial<SdmmOptions>, steps: number): Promise<StepRecord[]> {
  const { state, record } = fitted.get(name)!;
  const solver = await createSdmmSolver(makeProblem(name, 'reduced'), { ...TINY, fitTolerance: FIT_TOLERANCE[name], ...options });
  solver.restoreState(state);
  const records = [record];
  for (let i = 0; i < steps; i++) records.push(await solver.step());
  solver.dispose();
  return records;
}

describe('SDMM steps: energy inequality and the tanh bound', () => {
  for (const name of ['star', 'circle', 'coarsening']) {
    for (const optimizer of ['lbfgs', 'adam'] as const) {
      it(`${name}, ${optimizer}: checkStability with zero tolerance passes on every step, |u| < 1, and the energy decreases`, async () => {
        // Adam's step size is absolute: after the least-squares fit (output weights of order 10) 1e-3 already overshoots every step of the star.
        const records = await runFromFit(name, optimizer === 'adam' ? { optimizer, learningRate: 1e-4 } : { optimizer }, STEPS);
        const verdict = checkStability(records, { rtol: 0, atol: 0 });
        expect(verdict.energyInequality.ok, verdict.message).toBe(true);
        expect(verdict.monotone.ok).toBe(true);
        expect(verdict.energyInequality.checked).toBe(STEPS);
        for (const r of records) {
          expect(Math.max(Math.abs(r.minU), Math.abs(r.maxU))).toBeLessThan(1);
          expect(Number.isFinite(r.energy)).toBe(true);
        }
        for (const r of records.slice(1)) {
          expect(r.iterations).toBeGreaterThan(0);
          expect(r.stopReason).toMatch(/^(rel-decrease|gradient|max-iters|line-search|converged)/);
          expect(r.t).toBeCloseTo(r.step * makeProblem(name, 'reduced').tau, 12);
        }
        // The steps really move (at least one accepted step with a positive movement term) and E decays.
        expect(records.some((r) => r.movement > 0)).toBe(true);
        expect(records[STEPS].energy).toBeLessThan(records[0].energy);
      });
    }
  }
});

describe('SDMM reproducibility and state', () => {
  const quick: Partial<SdmmOptions> = { ...TINY, quadElements: 8, fitMaxIters: 60, fitTolerance: 1, maxIters: 5 };
  const run = async (seed: number) => {
    const solver = await createSdmmSolver(makeProblem('circle', 'reduced'), { ...quick, seed });
    const records = [await solver.initialise(), await solver.step(), await solver.step()];
    solver.dispose();
    return records.map((r) => [r.energy, r.movement, r.iterations, r.minU, r.maxU, r.stopReason]);
  };

  it('the same seed gives identical step records (fit included); a different seed gives different ones', async () => {
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(b).toEqual(a);
    expect(c[0][0]).not.toBe(a[0][0]);
    expect(c[2][0]).not.toBe(a[2][0]);
  });

  it('no tensor leak: tf.memory().numTensors is the same after step 2 and after step 20', async () => {
    const solver = await createSdmmSolver(makeProblem('circle', 'reduced'), { ...quick, maxIters: 3 });
    await solver.initialise();
    await solver.step();
    await solver.step();
    const after2 = tf.memory().numTensors;
    for (let i = 2; i < 20; i++) await solver.step();
    expect(solver.stepIndex).toBe(20);
    expect(tf.memory().numTensors).toBe(after2);
    solver.dispose();
  });

  for (const optimizer of ['lbfgs', 'adam'] as const) {
    it(`${optimizer}: restoring a checkpoint taken after step 2 and stepping gives the same step 3 as not stopping`, async () => {
      const problem = makeProblem('star', 'reduced');
      const { state: fitState } = fitted.get('star')!;
      const a = await createSdmmSolver(problem, { ...TINY, fitTolerance: FIT_TOLERANCE.star, optimizer });
      a.restoreState(fitState);
      await a.step();
      await a.step();
      const checkpoint = a.saveState();
      expect(checkpoint.kind).toBe('sdmm');
      expect(checkpoint.step).toBe(2);
      expect(checkpoint.arrays.theta).toBeInstanceOf(Float64Array);
      const third = await a.step();
      const b = await createSdmmSolver(problem, { ...TINY, fitTolerance: FIT_TOLERANCE.star, optimizer });
      b.restoreState(checkpoint);
      expect(b.stepIndex).toBe(2);
      const again = await b.step();
      expect({ ...again, wallMs: 0 }).toEqual({ ...third, wallMs: 0 });
      const pts = Float64Array.from([0.1, 0.2, 0.5, 0.5, 0.77, 0.31]);
      expect(b.sample(pts)).toEqual(a.sample(pts));
      a.dispose();
      b.dispose();
    });
  }

  it('predictor: steps from θⁿ + c(θⁿ − θⁿ⁻¹) stay energy stable with zero tolerance, and a checkpoint carries θⁿ⁻¹ so a restored solver repeats the next step bit for bit', async () => {
    const problem = makeProblem('star', 'reduced');
    const { state: fitState, record } = fitted.get('star')!;
    const options = { ...TINY, fitTolerance: FIT_TOLERANCE.star, predictor: 1 };
    const a = await createSdmmSolver(problem, options);
    a.restoreState(fitState);
    const records = [record, await a.step(), await a.step()];
    const checkpoint = a.saveState();
    expect(checkpoint.arrays.thetaPrevious).toBeInstanceOf(Float64Array);
    const third = await a.step();
    records.push(third);
    expect(checkStability(records, { rtol: 0, atol: 0 }).ok).toBe(true);
    const b = await createSdmmSolver(problem, options);
    b.restoreState(checkpoint);
    expect({ ...(await b.step()), wallMs: 0 }).toEqual({ ...third, wallMs: 0 });
    a.dispose();
    b.dispose();
  });

  it('restoreState refuses a checkpoint of a different network', async () => {
    const solver = await createSdmmSolver(makeProblem('circle', 'reduced'), { ...TINY, activation: 'sin' });
    expect(() => solver.restoreState(fitted.get('circle')!.state)).toThrow(
      'restoreState: checkpoint was written with activation = tanh, this solver has sin',
    );
    solver.dispose();
  });

  it('sample: float64 values on any point inside the box, |u| < 1, and an error outside', async () => {
    const solver = await createSdmmSolver(makeProblem('circle', 'reduced'), TINY);
    solver.restoreState(fitted.get('circle')!.state);
    const u = solver.sample(Float64Array.from([0.5, 0.5, 0.02, 0.03, 1, 1]));
    expect(u).toBeInstanceOf(Float64Array);
    expect(u[0]).toBeGreaterThan(0.5); // inside the circle
    expect(u[1]).toBeLessThan(-0.5); // outside
    for (const v of u) expect(Math.abs(v)).toBeLessThan(1);
    expect(() => solver.sample(Float64Array.from([0.5, 1.5]))).toThrow('sample: point 0 coordinate 1 = 1.5 is outside the domain [0, 1]');
    expect(solver.describe()).toMatchObject({ solver: 'sdmm', backend: 'wasm', quadrature: { gridShape: [24, 24] } });
    solver.dispose();
  });
});

describe('SDMM failures are loud', () => {
  it('a NaN in the step loss (source term) stops with DivergenceError naming the step', async () => {
    const base = makeProblem('circle', 'reduced');
    const problem: ProblemConfig = { ...base, source: () => NaN };
    const solver = await createSdmmSolver(problem, TINY);
    solver.restoreState(fitted.get('circle')!.state);
    const err = await solver.step().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).step).toBe(1);
    expect((err as Error).message).toBe('SDMM step 1: the loss Jₙ became NaN (lbfgs); the run stops at step 0');
    solver.dispose();
  });

  it('a NaN initial condition stops the fit with DivergenceError', async () => {
    const problem: ProblemConfig = { ...makeProblem('circle', 'reduced'), initial: () => NaN };
    const solver = await createSdmmSolver(problem, { ...TINY, fitMaxIters: 5 });
    await expect(solver.initialise()).rejects.toThrow(
      'SDMM initial fit: u₀ is NaN or infinite on the quadrature grid (check the initial condition)',
    );
    solver.dispose();
  });

  it('a bad initial fit is reported and the solver refuses to step from it', async () => {
    const solver = await createSdmmSolver(makeProblem('star', 'reduced'), { ...TINY, fitMaxIters: 2, fitTolerance: 1e-6 });
    const r0 = await solver.initialise();
    expect(r0.stopReason).toMatch(/^fit relative mse \S+ > tolerance 1\.000e-6 .*REFUSED$/);
    await expect(solver.step()).rejects.toBeInstanceOf(SdmmFitError);
    await expect(solver.step()).rejects.toThrow(/^SDMM refuses to step: initial fit relative MSE \S+ exceeds fitTolerance 1\.000e-6/);
    solver.dispose();
  });

  const star = makeProblem('star', 'reduced');
  const bad: [Partial<SdmmOptions>, string][] = [
    [{ rank: 0 }, 'rank must be a positive integer, got 0'],
    [{ width: 2.5 }, 'width must be a positive integer, got 2.5'],
    [{ activation: 'relu' as never }, 'activation must be one of tanh, gelu, sin, got relu'],
    [{ optimizer: 'sgd' as never }, 'optimizer must be one of lbfgs, adam, got sgd'],
    [{ alpha: 0 }, 'alpha must be a finite non-zero number, got 0'],
    [{ tol: -1 }, 'tol must be a non-negative number, got -1'],
    [{ learningRate: Number.NaN }, 'learningRate must be a positive number, got NaN'],
    [{ bound: 'yes' as never }, 'bound must be true or false, got yes'],
    [{ backend: 'gpu' as never }, 'backend must be one of auto, js, tensorflow, wasm, cpu, got gpu'],
    [{ ranks: 3 } as never, "unknown SDMM option 'ranks'"],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)} with: ${message}`, async () => {
      await expect(createSdmmSolver(star, options)).rejects.toThrow(message);
    });
  }

  it('a Dirichlet condition on any side is refused, not silently treated as Neumann', async () => {
    const dirichlet: ProblemConfig = { ...star, boundary: { ...star.boundary, xmax: { kind: 'dirichlet', value: 1 } } };
    await expect(createSdmmSolver(dirichlet, TINY)).rejects.toThrow(
      "SDMM supports Neumann and periodic boundaries only; problem 'star' has a Dirichlet side",
    );
  });

  it('a forced tensorflow backend that is not installed is a clear error', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow("backend 'tensorflow' is not available: install @tensorflow/tfjs-node");
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('SDMM source term', () => {
  it('a uniform source s on a periodic 1D box gives the backward-Euler value of (u − uⁿ)/τ = m ε⁻²(u − u³) + s (source enters Jₙ as −(1/m)∫ s u)', async () => {
    // ε = 0.5, m = 2, τ = 0.05, s = 3, u⁰ = 0: 20 u = 8 (u − u³) + 3  ⇔  8u³ + 12u − 3 = 0.
    const base = makeProblem('ac1d', 'reduced', { epsilon: 0.5, mobility: 2, tau: 0.05 });
    const problem: ProblemConfig = { ...base, initial: () => 0, source: () => 3 };
    let exact = 0.25;
    for (let i = 0; i < 50; i++) exact -= (8 * exact ** 3 + 12 * exact - 3) / (24 * exact ** 2 + 12);
    const solver = await createSdmmSolver(problem, { rank: 4, width: 8, depth: 1, quadElements: 16, fitTolerance: 1e-6, maxIters: 200, tol: 1e-9, backend: 'wasm' });
    await solver.initialise();
    const r1 = await solver.step();
    expect(r1.stopReason).not.toMatch(/kept previous/);
    const u = solver.sample(Float64Array.from([-0.9, -0.3, 0.2, 0.75]));
    for (const v of u) expect(Math.abs(v - exact)).toBeLessThan(2e-3);
    // With −∫ s u (no 1/m) the step would reach 8u³ + 12u − 6 = 0, u ≈ 0.43: far outside the tolerance.
    expect(exact).toBeCloseTo(0.2407, 3);
    solver.dispose();
  });
});

describe('SDMM in 1D', () => {
  it('front1d: the exact steady front stays put — energy within 1% of 2√2/(3ε) on every step, zero-tolerance stability', async () => {
    const problem = makeProblem('front1d', 'reduced');
    const solver = await createSdmmSolver(problem, { rank: 4, width: 12, depth: 2, learningRate: 1e-2, fitTolerance: 1e-4, maxIters: 20, backend: 'wasm' });
    const records = [await solver.initialise()];
    for (let i = 0; i < 3; i++) records.push(await solver.step());
    const exact = frontEnergyPerLength(problem.epsilon);
    for (const r of records) expect(Math.abs(r.energy - exact) / exact).toBeLessThan(0.01);
    expect(checkStability(records, { rtol: 0, atol: 0 }).energyInequality.ok).toBe(true);
    const u = solver.sample(Float64Array.from([-0.5, 0, 0.5]));
    expect(u[0]).toBeLessThan(-0.99);
    expect(Math.abs(u[1])).toBeLessThan(0.02);
    expect(u[2]).toBeGreaterThan(0.99);
    solver.dispose();
  });
});
