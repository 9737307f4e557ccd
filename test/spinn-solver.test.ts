import { describe, expect, it } from 'vitest';
import { relativeL2Error, trapezoidWeights } from '../src/bench/metrics.js';
import { gradientEnergy, potentialEnergy } from '../src/physics/energy.js';
import { makeProblem, pointFunction, sourceTerm, stepCount, type ProblemConfig } from '../src/physics/problems.js';
import { compositeGaussLegendre, tensorRule } from '../src/quadrature/index.js';
import { uniformGrid, type GradientFlowSolver, type StepRecord } from '../src/solver.js';
import { optionFields } from '../src/options.js';
import { createSolver } from '../src/registry.js';
import { createSpinnSolver, spinnKind, spinnOptionsSchema, type SpinnOptionsInput } from '../src/spinn/index.js';

/**
 * SPINN end to end on manufactured space-time solutions: u* is chosen, the source
 * s = u*_t − m(Δu* − ε⁻² (u*³ − u*)) makes it exact, and the trained network must reproduce u*
 * at the output times. Also: the solver contract (step 0 = training, step n evaluates at nτ,
 * energy by the shared functional), reproducibility from the seed, and resume from saveState.
 */

/**
 * 2D, Neumann on [0,1]²: u* = tanh(S), S = c(t) cos πx cos πy, c(t) = 0.9 − 0.6 t
 * (the normal derivative of u* is 0 on every side). With 1 − u² =: q,
 *   u_t = q S_t,  u_xx = q (S_xx − 2u S_x²),  S_x = −π c sin πx cos πy,  S_xx = −π² S.
 */
function manufactured2d(): { problem: ProblemConfig; exact: (x: number, y: number, t: number) => number } {
  const epsilon = 0.3;
  const m = 0.5;
  const S = (x: number, y: number, t: number) => (0.9 - 0.6 * t) * Math.cos(Math.PI * x) * Math.cos(Math.PI * y);
  const exact = (x: number, y: number, t: number) => Math.tanh(S(x, y, t));
  const source = (x: number, y: number, t: number) => {
    const c = 0.9 - 0.6 * t;
    const s = S(x, y, t);
    const u = Math.tanh(s);
    const q = 1 - u * u;
    const sx = -Math.PI * c * Math.sin(Math.PI * x) * Math.cos(Math.PI * y);
    const sy = -Math.PI * c * Math.cos(Math.PI * x) * Math.sin(Math.PI * y);
    const lap = q * (-2 * Math.PI * Math.PI * s - 2 * u * (sx * sx + sy * sy));
    const ut = q * -0.6 * Math.cos(Math.PI * x) * Math.cos(Math.PI * y);
    return ut - m * (lap - (u * u * u - u) / (epsilon * epsilon));
  };
  const base = makeProblem('circle');
  return {
    problem: {
      ...base,
      name: 'manufactured-2d',
      epsilon,
      mobility: m,
      tau: 0.1,
      tEnd: 0.5,
      n: 8,
      initial: pointFunction((p) => exact(p[0], p[1], 0)),
      source: sourceTerm((p, t) => source(p[0], p[1], t)),
    },
    exact,
  };
}

/** 1D, periodic on [−1,1]: u* = tanh(S), S = (0.5 + t) sin πx + 0.3 cos 2πx t;  u_xx = q(S_xx − 2u S_x²). */
function manufactured1d(): { problem: ProblemConfig; exact: (x: number, y: number, t: number) => number } {
  const epsilon = 0.25;
  const m = 0.2;
  const P = Math.PI;
  const S = (x: number, t: number) => (0.5 + t) * Math.sin(P * x) + 0.3 * t * Math.cos(2 * P * x);
  const exact = (x: number, _y: number, t: number) => Math.tanh(S(x, t));
  const source = (x: number, _y: number, t: number) => {
    const u = Math.tanh(S(x, t));
    const q = 1 - u * u;
    const st = Math.sin(P * x) + 0.3 * Math.cos(2 * P * x);
    const sx = (0.5 + t) * P * Math.cos(P * x) - 0.6 * P * t * Math.sin(2 * P * x);
    const sxx = -(0.5 + t) * P * P * Math.sin(P * x) - 1.2 * P * P * t * Math.cos(2 * P * x);
    return q * st - m * (q * (sxx - 2 * u * sx * sx) - (u * u * u - u) / (epsilon * epsilon));
  };
  const base = makeProblem('ac1d');
  return {
    problem: {
      ...base,
      name: 'manufactured-1d',
      epsilon,
      mobility: m,
      tau: 0.1,
      tEnd: 0.5,
      n: 16,
      initial: pointFunction((p) => exact(p[0], 0, 0)),
      source: sourceTerm((p, t) => source(p[0], 0, t)),
    },
    exact,
  };
}

const SMALL: SpinnOptionsInput = {
  rank: 6,
  width: 16,
  depth: 2,
  spacePoints: 16,
  timePoints: 10,
  icWeight: 10,
  boundaryWeight: 1,
  warmStartIters: 0,
  adamIters: 400,
  lbfgsIters: 400,
  learningRate: 5e-3,
  seed: 3,
};

async function runAll(solver: GradientFlowSolver, steps: number): Promise<StepRecord[]> {
  const records = [await solver.initialise()];
  for (let i = 0; i < steps; i++) records.push(await solver.step());
  return records;
}

function errorAt(solver: GradientFlowSolver, problem: ProblemConfig, exact: (x: number, y: number, t: number) => number): number {
  const k = 41;
  const pts = uniformGrid(problem, k);
  const got = solver.sample(pts);
  const want = new Float64Array(got.length);
  for (let i = 0; i < got.length; i++) want[i] = exact(pts[problem.dim * i], problem.dim === 2 ? pts[problem.dim * i + 1] : 0, solver.time);
  return relativeL2Error(got, want, trapezoidWeights(problem, k));
}

/** E(u*(t)) on the composite Gauss grid of `elements` × 2 points per axis, ∇u* by central differences. */
function exactEnergy(problem: ProblemConfig, exact: (x: number, y: number, t: number) => number, elements: number, t: number) {
  const rule = compositeGaussLegendre(0, 1, elements, 2);
  const grid = tensorRule([rule, rule]);
  const N = grid.weights.length;
  const u = new Float64Array(N);
  const gx = new Float64Array(N);
  const gy = new Float64Array(N);
  const h = 1e-6;
  for (let q = 0; q < N; q++) {
    const [x, y] = [grid.points[2 * q], grid.points[2 * q + 1]];
    u[q] = exact(x, y, t);
    gx[q] = (exact(x + h, y, t) - exact(x - h, y, t)) / (2 * h);
    gy[q] = (exact(x, y + h, t) - exact(x, y - h, t)) / (2 * h);
  }
  return {
    energy: potentialEnergy(grid.weights, u, problem.epsilon) + gradientEnergy(grid.weights, [gx, gy]),
    min: u.reduce((a, b) => Math.min(a, b), Infinity),
    max: u.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

describe('SPINN on manufactured space-time solutions', () => {
  // Measured worst errors over the output times (seed 3): 2D 3.9e-3, 1D 9.6e-4; tolerances ~2.5–3× that.
  for (const [label, make, tolerance] of [
    ['2D Neumann', manufactured2d, 1e-2],
    ['1D periodic', manufactured1d, 3e-3],
  ] as const) {
    it(`${label}: u* is reproduced to relative L2 ≤ ${tolerance} at every output time`, async () => {
      const { problem, exact } = make();
      const solver = await createSpinnSolver(problem, { ...SMALL, quadElements: 12 });
      const errors = [];
      const records = [await solver.initialise()];
      errors.push(errorAt(solver, problem, exact));
      for (let n = 1; n <= stepCount(problem); n++) {
        records.push(await solver.step());
        errors.push(errorAt(solver, problem, exact));
      }
      const r0 = records[0];
      expect(r0.step).toBe(0);
      const phases = [...r0.stopReason.split(';')[0].matchAll(/(warm-start|adam|lbfgs) (\d+)/g)];
      expect(phases.map((m) => m[1])).toEqual(['adam', 'lbfgs']);
      expect(r0.iterations).toBe(phases.reduce((a, m) => a + Number(m[2]), 0));
      expect(r0.stopReason).toMatch(/^trained: adam 400 max-iters, lbfgs \d+ /);
      expect(solver.time).toBeCloseTo(problem.tEnd, 12);
      for (const e of errors) expect(e).toBeLessThan(tolerance);
      if (problem.dim === 1) return;
      // Step n reports E(u(nτ)) by the shared functional, the movement term and min/max u.
      for (const rec of records) {
        const ref = exactEnergy(problem, exact, 12, rec.t);
        expect(Math.abs(rec.energy - ref.energy) / ref.energy).toBeLessThan(2e-2);
        expect(rec.t).toBeCloseTo(rec.step * problem.tau, 14);
        expect(Math.abs(rec.minU - ref.min)).toBeLessThan(2e-2);
        expect(Math.abs(rec.maxU - ref.max)).toBeLessThan(2e-2);
        if (rec.step > 0) {
          expect(rec.movement).toBeGreaterThan(0);
          expect(rec.stopReason).toBe('evaluated');
        } else expect(rec.movement).toBe(0);
      }
    });
  }
});

describe('SPINN solver contract', () => {
  const quick: SpinnOptionsInput = { ...SMALL, adamIters: 60, lbfgsIters: 20 };

  it('same seed → identical training and steps; another seed → different', async () => {
    const { problem } = manufactured2d();
    const a = await runAll(await createSpinnSolver(problem, quick), 3);
    const b = await runAll(await createSpinnSolver(problem, quick), 3);
    const c = await runAll(await createSpinnSolver(problem, { ...quick, seed: 4 }), 3);
    const strip = (rs: StepRecord[]) => rs.map(({ wallMs: _w, ...rest }) => rest);
    expect(strip(b)).toEqual(strip(a));
    expect(c[0].energy).not.toBe(a[0].energy);
  });

  it('resampled collocation points are seeded too', async () => {
    const { problem } = manufactured1d();
    const o = { ...quick, resampleEvery: 10 };
    const a = await runAll(await createSpinnSolver(problem, o), 2);
    const b = await runAll(await createSpinnSolver(problem, o), 2);
    expect(b.map((r) => r.energy)).toEqual(a.map((r) => r.energy));
    const fixed = await runAll(await createSpinnSolver(problem, quick), 2);
    expect(fixed[2].energy).not.toBe(a[2].energy);
  });

  it('saveState/restoreState into a fresh solver continues identically', async () => {
    const { problem } = manufactured2d();
    const a = await createSpinnSolver(problem, quick);
    await a.initialise();
    await a.step();
    await a.step();
    const state = a.saveState();
    const tail = [await a.step(), await a.step()];
    const b = await createSpinnSolver(problem, quick);
    b.restoreState(state);
    expect(b.stepIndex).toBe(2);
    const resumed = [await b.step(), await b.step()];
    expect(resumed.map(({ wallMs: _w, ...r }) => r)).toEqual(tail.map(({ wallMs: _w, ...r }) => r));
    expect(JSON.parse(JSON.stringify(b.describe()))).toEqual(b.describe());
    const pts = uniformGrid(problem, 7);
    expect(b.sample(pts)).toEqual(a.sample(pts));
  });

  it('describe() is JSON-safe and records the training', async () => {
    const { problem } = manufactured1d();
    const s = await createSpinnSolver(problem, { ...quick, causal: true, causalEpsilon: 0.01, warmStartIters: 15 });
    const r0 = await s.initialise();
    const d = s.describe() as { solver: string; parameters: number; training: { iterations: number; summary: string; loss: { total: number } } };
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.solver).toBe('spinn');
    expect(d.parameters).toBe(2 * (2 * 16 + 16 + 16 * 16 + 16 + 16 * 6 + 6) - (2 * 16 - 16)); // t axis: 1 input; x axis (periodic): 2 inputs
    expect(d.training.iterations).toBe(r0.iterations);
    expect(d.training.summary).toBe(r0.stopReason);
    expect(d.training.summary).toContain('last causal weight');
    expect(d.training.summary).toMatch(/^trained: warm-start \d+ [a-z-]+, adam 60 max-iters, lbfgs \d+ /);
    expect(Number.isFinite(d.training.loss.total)).toBe(true);
  });

  it('bad input: options, points outside the domain, wrong checkpoint, step before initialise', async () => {
    const { problem } = manufactured2d();
    await expect(createSpinnSolver(problem, { rank: -2 })).rejects.toThrow('rank must be a positive integer, got -2');
    await expect(createSpinnSolver(problem, { timePoints: 1.5 } as SpinnOptionsInput)).rejects.toThrow('timePoints must be an integer in [2, 4096], got 1.5');
    await expect(createSpinnSolver({ ...problem, tEnd: 0.55 }, quick)).rejects.toThrow(/whole number|steps/);
    const s = await createSpinnSolver(problem, quick);
    await expect(s.step()).rejects.toThrow('SPINN solver: call initialise() before step()');
    expect(() => s.sample(Float64Array.from([0.5, 1.5]))).toThrow('sample: point 0 coordinate 1 = 1.5 is outside the domain [0, 1]');
    expect(() => s.restoreState({ kind: 'sdmm', step: 0, t: 0, arrays: {}, meta: {} })).toThrow("restoreState: checkpoint is for solver 'sdmm', not 'spinn'");
    const other = await createSpinnSolver(problem, { ...quick, rank: 3 });
    expect(() => s.restoreState(other.saveState())).toThrow(/restoreState: array 'theta' has \d+ entries, expected \d+/);
  });
});

describe('SPINN solver kind', () => {
  it('every option carries a one-line description; the kind builds through the registry', async () => {
    const fields = optionFields(spinnOptionsSchema);
    expect(fields.map((f) => f.key)).toEqual(Object.keys(spinnOptionsSchema.shape));
    for (const f of fields) expect(f.meta.description).not.toContain('\n');
    expect(fields.find((f) => f.key === 'rank')?.defaultValue).toBe(32);
    expect(fields.find((f) => f.key === 'quadElements')?.defaultValue).toBeUndefined();
    // The registry lists the kind (src/registry.ts): the suite and the CLI build it by name.
    {
      const { problem } = manufactured1d();
      const s = await createSolver(problem, 'spinn', { adamIters: 5, lbfgsIters: 2, warmStartIters: 2, spacePoints: 8, timePoints: 4 });
      const r0 = await s.initialise();
      expect(s.kind).toBe('spinn');
      expect(r0.iterations).toBeGreaterThan(0);
      expect(s.describe()).toMatchObject({ solver: 'spinn', precision: 'float64', backend: 'js (float64)' });
      expect(spinnKind.label({ rank: 8, spacePoints: 48, causal: true }, 64)).toBe('spinn-r8-p48-causal');
      await expect(createSolver(problem, 'spinn', { rank: 0 })).rejects.toThrow('rank must be a positive integer, got 0');
    }
  });
});
