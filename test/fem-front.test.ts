import { describe, expect, it } from 'vitest';
import { createFemSolver, type FemScheme, FemSolver } from '../src/fem/index.js';
import { frontEnergyPerLength, makeProblem, stepCount } from '../src/physics/index.js';

/**
 * Exact solution: the 1D steady front u = tanh(x/(√2 ε)) on [−1, 1] with Neumann ends
 * (catalogue problem front1d, ε = 0.05; the ends are 28 ε away, so the tails are 1 to 1e-17).
 * Its energy per unit length is 2√2/(3ε). At h = ε/4 (N = 160) the discrete front must stay put
 * and its energy match within 0.5%, for each scheme.
 */
describe('front1d: the steady front stays put', () => {
  const problem = makeProblem('front1d', 'reduced'); // ε = 0.05, τ = 1e-3, T = 0.02 (20 steps)
  const N = 160; // h = 2/160 = 0.0125 = ε/4
  const exactEnergy = frontEnergyPerLength(problem.epsilon);
  for (const scheme of ['mms-newton', 'stabilized', 'convex-split'] as FemScheme[]) {
    it(`${scheme}: max nodal change < 1e-3 (measured 5.9e-4), zero crossing within h/100 of 0, |E − 2√2/(3ε)| < 0.5% (measured 0.10%)`, async () => {
      const solver = createFemSolver(problem, { scheme, n: N }) as FemSolver;
      const r0 = await solver.initialise();
      const u0 = Float64Array.from(solver.values);
      expect(Math.abs(r0.energy - exactEnergy) / exactEnergy).toBeLessThan(5e-3);
      let last = r0;
      for (let i = 0; i < stepCount(problem); i++) last = await solver.step();
      const u = solver.values;
      let change = 0;
      for (let i = 0; i < u.length; i++) change = Math.max(change, Math.abs(u[i] - u0[i]));
      // zero crossing of the P1 interpolant
      const nodes = solver.space.mesh.nodes;
      let crossing = NaN;
      for (let i = 0; i + 1 < u.length; i++) {
        const a = u[solver.space.dofOfNode[i]];
        const b = u[solver.space.dofOfNode[i + 1]];
        if (a <= 0 && b > 0) crossing = nodes[i] + ((nodes[i + 1] - nodes[i]) * -a) / (b - a);
      }
      expect(change).toBeLessThan(1e-3);
      expect(Math.abs(crossing)).toBeLessThan(2 / N / 100);
      expect(Math.abs(last.energy - exactEnergy) / exactEnergy).toBeLessThan(5e-3);
      expect(last.energy).toBeLessThanOrEqual(r0.energy);
    });
  }
});
