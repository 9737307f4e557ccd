import { createFemSolver } from '../src/fem/index.js';
import { makeProblem } from '../src/physics/problems.js';

/**
 * The reduced problem's FEM reference the SDMM scratch benchmarks (sdmm-aliasing.ts,
 * sdmm-grid-shift.ts) compare with, as the quick suite builds it: mms-newton on 2n cells per side
 * with τ/4, run to `steps` of the problem's own τ; u sampled at `points`, and the final energy.
 */
export async function reducedFemReference(name: string, steps: number, points: Float64Array): Promise<{ u: Float64Array; energy: number }> {
  const problem = makeProblem(name, 'reduced');
  const refProblem = makeProblem(name, 'reduced', { tau: problem.tau / 4, tEnd: steps * problem.tau });
  const fem = createFemSolver(refProblem, { scheme: 'mms-newton', n: 2 * problem.n });
  await fem.initialise();
  let energy = Number.NaN;
  for (let s = 0; s < 4 * steps; s++) energy = (await fem.step()).energy;
  const u = fem.sample(points);
  fem.dispose?.();
  return { u, energy };
}
