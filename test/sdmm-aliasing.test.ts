import { describe, expect, it } from 'vitest';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import { energyOnGrid, refinedRules } from '../src/sdmm/audit.js';
import { mlpNetwork, networkLayout } from '../src/sdmm/network.js';
import { createSdmmSolver, type SdmmOptions } from '../src/sdmm/index.js';
import { ALIASING_TOLERANCE } from '../src/sdmm/solver.js';
import type { GradientFlowSolver, StepRecord } from '../src/solver.js';

/**
 * The aliasing check of SDMM (src/sdmm/audit.ts): a step minimizes Jₙ on its own Gauss grid, so
 * it is a minimizing movement of the continuous energy only if the network's field is resolved
 * there, i.e. if its energy on a refined grid agrees. The solver measures E on a grid of twice
 * the elements after every step and reports an excess above ALIASING_TOLERANCE in the step's
 * stopReason. Small networks and grids, so each case takes a few seconds.
 */

const SMALL: Partial<SdmmOptions> = { rank: 8, width: 16, quadElements: 24, fitTolerance: 1e-4, maxIters: 100, backend: 'js', threads: 1 };

/** θ of the solver's current state (the checkpoint's copy). */
const thetaOf = (solver: GradientFlowSolver): Float64Array => solver.saveState().arrays.theta as Float64Array;

async function run(problem: ProblemConfig, options: Partial<SdmmOptions>, steps: number): Promise<{ solver: GradientFlowSolver; records: StepRecord[]; fine: number[] }> {
  const solver = await createSdmmSolver(problem, options);
  const layout = networkLayout(problem, { rank: 8, width: 16, depth: 2, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true, ...options } as SdmmOptions);
  const network = mlpNetwork(layout);
  const rules = refinedRules(layout.axes, options.quadElements!, 2);
  const records = [await solver.initialise()];
  const fine = [energyOnGrid(network, thetaOf(solver), rules, problem.epsilon)];
  for (let i = 0; i < steps; i++) {
    records.push(await solver.step());
    fine.push(energyOnGrid(network, thetaOf(solver), rules, problem.epsilon));
    // A step computes synchronously: give the test runner's messages a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { solver, records, fine };
}

describe('SDMM aliasing check', () => {
  it('energyOnGrid on the own grid is the energy the solver reports (2D and 1D)', async () => {
    for (const [name, ne] of [['star', 24], ['ac1d', 160]] as const) {
      const problem = makeProblem(name, 'reduced');
      const options = { ...SMALL, quadElements: ne, fitTolerance: name === 'ac1d' ? 1e-3 : 1e-4 };
      const solver = await createSdmmSolver(problem, options);
      const rec = await solver.initialise();
      const layout = networkLayout(problem, solver.describe().options as SdmmOptions);
      const own = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, ne, 2));
      const e = energyOnGrid(mlpNetwork(layout), thetaOf(solver), own, problem.epsilon);
      expect(Math.abs(e - rec.energy) / rec.energy, name).toBeLessThan(1e-12);
      solver.dispose();
    }
  });

  it('a resolved field (circle): every step lowers the refined-grid energy, which agrees with the own grid, and no step reports aliasing', async () => {
    const { solver, records, fine } = await run(makeProblem('circle', 'reduced'), SMALL, 3);
    for (let n = 0; n < records.length; n++) {
      expect(Math.abs(fine[n] - records[n].energy) / records[n].energy, `step ${n}`).toBeLessThan(ALIASING_TOLERANCE);
      expect(records[n].stopReason).not.toMatch(/aliasing/);
      if (n > 0) expect(fine[n], `step ${n}`).toBeLessThan(fine[n - 1]);
    }
    const d = solver.describe();
    expect(d.auditGrid).toEqual([96, 96]);
    expect(d.aliasingExcess as number).toBeLessThan(ALIASING_TOLERANCE);
    solver.dispose();
  });

  it('reports aliasing exactly on the steps whose refined-grid energy exceeds the own grid by more than the tolerance (star, depth 2)', async () => {
    const { solver, records, fine } = await run(makeProblem('star', 'reduced'), SMALL, 2);
    let flagged = 0;
    let worst = -Infinity;
    for (let n = 0; n < records.length; n++) {
      const excess = (fine[n] - records[n].energy) / records[n].energy;
      worst = Math.max(worst, excess);
      const noted = /; aliasing: E = \S+ on a 96×96 Gauss grid, [\d.]+% above this grid's$/.test(records[n].stopReason);
      expect(noted, `step ${n}: excess ${excess}`).toBe(excess > ALIASING_TOLERANCE);
      if (noted) flagged++;
    }
    // This small star is aliased from its fit on, and more with every step (measured: +5.4 %, +10.1 %,
    // +12.2 %, +14.1 % on the 96×96 grid after the fit and steps 1–3).
    expect(flagged).toBeGreaterThan(0);
    expect(solver.describe().aliasingExcess).toBeCloseTo(worst, 12);
    solver.dispose();
  });

  // On the star's own resolved grid (64 elements, 5 Gauss points per ε) with a rank-8 network and
  // 100 iterations per step (measured: depth 1 stays within 2.8e-4 over 3 steps; depth 2 reaches
  // +2.0 % and +3.0 % at steps 2 and 3). Depth 1, width 64 with converged steps (3,000 iterations)
  // is the measured cure of the full-size regression (0.38 % at T, benchmarks/README.md).
  const RESOLVED: Partial<SdmmOptions> = { ...SMALL, width: 32, quadElements: 64 };

  it('depth 1 on the star: every step lowers the refined-grid energy, which stays within the tolerance of the own grid', async () => {
    const { solver, records, fine } = await run(makeProblem('star', 'reduced'), { ...RESOLVED, depth: 1 }, 3);
    solver.dispose();
    for (let n = 0; n < records.length; n++) {
      expect((fine[n] - records[n].energy) / records[n].energy, `step ${n}`).toBeLessThan(ALIASING_TOLERANCE);
      expect(records[n].stopReason).not.toMatch(/aliasing/);
      if (n > 0) expect(fine[n], `step ${n}`).toBeLessThan(fine[n - 1]);
    }
  });

  // The former regression (benchmarks/README.md, "The star's centre seeds the aliasing"): with the
  // star's u₀ singular at its centre (cos 7θ at r → 0), the exact fit of rank 16 seeded steps that
  // aliased (+14 %, +26 %, +35 % at steps 1–3, measured); with the centre smoothed over δ = 1.25 ε
  // (src/physics/problems.ts, starInitial) the depth-2 steps stay within the tolerance. This fails on
  // the singular u₀.
  it('depth-2 steps on the star from an exact rank-16 fit keep the refined-grid energy within the tolerance of the own grid', async () => {
    const { solver, records, fine } = await run(makeProblem('star', 'reduced'), { ...RESOLVED, rank: 16, fitTolerance: 1e-8, depth: 2 }, 3);
    solver.dispose();
    for (let n = 1; n < records.length; n++) expect((fine[n] - records[n].energy) / records[n].energy, `step ${n}`).toBeLessThan(ALIASING_TOLERANCE);
  });
});
