/**
 * SDMM quadrature aliasing on a reduced problem: after every EVERY-th step, the field's energy on its
 * own Gauss grid (what the step minimizes) against the same field's energy on a fine grid (800
 * points per axis: 400 elements × 2 Gauss points), and at the end the relative L2 distance to the
 * FEM reference the quick suite uses (mms-newton, 2n cells per side, τ/4), on the 101×101 grid:
 *
 *   relative L2 = ( Σ_i (u_sdmm − u_fem)² / Σ_i u_fem² )^½.
 *
 * A step is a minimizing movement of the continuous energy only where the two energies agree
 * (src/sdmm/audit.ts). Times come from a shared 2-core machine: noisy.
 *
 * Run: npx tsx benchmarks/sdmm-aliasing.ts <problem> ['{"depth":1,"width":64,…}']   (default star, default options)
 * The last line is the stability checker's verdict on the solver's own step records.
 * Environment: STEPS (default: the problem's T/τ), EVERY (default 10).
 */
import { makeProblem, stepCount } from '../src/physics/problems.js';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import { energyOnGrid } from '../src/sdmm/audit.js';
import { createSdmmSolver, type SdmmOptions } from '../src/sdmm/index.js';
import { mlpNetwork, networkLayout } from '../src/sdmm/network.js';
import { uniformGrid, type GradientFlowSolver } from '../src/solver.js';
import { checkStability } from '../src/stability/index.js';
import { reducedFemReference } from './fem-reference.js';

const name = process.argv[2] ?? 'star';
const options = JSON.parse(process.argv[3] ?? '{}') as Partial<SdmmOptions>;
const problem = makeProblem(name, 'reduced');
const steps = Number(process.env.STEPS ?? stepCount(problem));
const every = Number(process.env.EVERY ?? 10);
const points = uniformGrid(problem, 101);

// The FEM reference at the same end time.
const { u: reference, energy: femEnergy } = await reducedFemReference(name, steps, points);

const t0 = performance.now();
const solver = await createSdmmSolver(problem, options);
const resolved = solver.describe().options as SdmmOptions;
const network = mlpNetwork(networkLayout(problem, resolved));
const fine = network.layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, 400, 2));
const fineEnergy = (s: GradientFlowSolver): number => energyOnGrid(network, s.saveState().arrays.theta as Float64Array, fine, problem.epsilon);

const r0 = await solver.initialise();
const records = [r0];
console.log(`fit: ${r0.stopReason} (${(r0.wallMs / 1000).toFixed(1)} s); E own grid ${r0.energy.toFixed(3)}, fine grid ${fineEnergy(solver).toFixed(3)}`);
let iterations = 0;
for (let s = 1; s <= steps; s++) {
  const r = await solver.step();
  records.push(r);
  iterations += r.iterations;
  if (s % every === 0 || s === steps) console.log(`step ${s}: E own grid ${r.energy.toFixed(3)}, fine grid ${fineEnergy(solver).toFixed(3)}; ${r.iterations} iterations, ${r.stopReason}`);
}
const u = solver.sample(points);
let num = 0;
let den = 0;
for (let i = 0; i < reference.length; i++) {
  num += (u[i] - reference[i]) ** 2;
  den += reference[i] ** 2;
}
console.log(
  `${name} ${JSON.stringify(options)}: relative L2 ${(100 * Math.sqrt(num / den)).toFixed(3)}% at t = ${(steps * problem.tau).toPrecision(3)} ` +
    `(FEM reference E ${femEnergy.toFixed(3)}), ${(iterations / steps).toFixed(1)} iterations per step, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
// The stability checker on the solver's own records (with quadShift each step's energy is on its own grid).
console.log(checkStability(records).message);
solver.dispose();
