/**
 * The reduced star with its centre singularity smoothed, to test whether that singularity seeds the
 * depth-2 networks' quadrature aliasing (benchmarks/README.md, "The star's centre seeds the aliasing").
 * The paper's star u₀ = tanh((0.25 + 0.1 cos 7θ − r)/(√2 ε)) is discontinuous at r = 0 (cos 7θ has
 * no limit there; at ε = 0.04, u₀ ranges over [0.990, 1) around the centre). Here
 *
 *   u₀_δ = tanh((0.25 + 0.1 m_δ(r) cos 7θ − r)/(√2 ε)),   m_δ(r) = r⁷/(r⁷ + δ⁷),
 *
 * and m_δ(r) cos 7θ = Re((x + iy)⁷)/(r⁷ + δ⁷) is smooth at the centre (δ = 0: the singular star of the
 * paper; the catalogue star is δ = 1.25 ε, src/physics/problems.ts, so at ε = 0.04 δ = 0.05 is the catalogue's).
 * The script runs SDMM (its options as JSON) from u₀_δ, printing the energy on its own grid and on an
 * 800² Gauss grid every EVERY steps, then the relative L2 distance at T on the 101² grid to the FEM
 * reference of the same u₀_δ (mms-newton, 2n cells per side, τ/4, as fem-reference.ts builds it), and
 * how far u₀_δ and that reference are from the catalogue star's (δ = 1.25 ε; the table rows in
 * benchmarks/README.md were measured before the catalogue star changed, against the singular star).
 *
 * Run: npx tsx benchmarks/sdmm-star-centre.ts <δ> ['{"depth":1,…}']   Environment: STEPS, EVERY (10).
 * Timings are not printed: the machine is shared.
 */
import { createFemSolver } from '../src/fem/index.js';
import { makeProblem, pointFunction, stepCount, type ProblemConfig } from '../src/physics/problems.js';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import { energyOnGrid } from '../src/sdmm/audit.js';
import { createSdmmSolver, type SdmmOptions } from '../src/sdmm/index.js';
import { mlpNetwork, networkLayout } from '../src/sdmm/network.js';
import { uniformGrid } from '../src/solver.js';
import { atan2, cos, tanh } from '../src/util/portable-math.js';
import { reducedFemReference } from './fem-reference.js';

const delta = Number(process.argv[2] ?? 0.05);
if (!(delta >= 0)) throw new Error(`sdmm-star-centre: δ must be a number ≥ 0, got ${process.argv[2]}`);
const options = JSON.parse(process.argv[3] ?? '{}') as Partial<SdmmOptions>;
const base = makeProblem('star', 'reduced');
const eps = base.epsilon;
const d7 = delta ** 7;
const initial = pointFunction((x) => {
  const dx = x[0] - 0.5;
  const dy = x[1] - 0.5;
  const r = Math.sqrt(dx * dx + dy * dy);
  const r7 = r * r * r * r * r * r * r;
  const m = d7 > 0 ? r7 / (r7 + d7) : 1;
  return tanh((0.25 + 0.1 * m * cos(7 * atan2(dy, dx)) - r) / (Math.SQRT2 * eps));
});
const problem: ProblemConfig = { ...base, initial };
const steps = Number(process.env.STEPS ?? stepCount(problem));
const every = Number(process.env.EVERY ?? 10);
const points = uniformGrid(problem, 101);

const relL2 = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

const solver = await createSdmmSolver(problem, options);
const network = mlpNetwork(networkLayout(problem, solver.describe().options as SdmmOptions));
const fine = network.layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, 400, 2));
const fineEnergy = (): number => energyOnGrid(network, solver.saveState().arrays.theta as Float64Array, fine, problem.epsilon);
const r0 = await solver.initialise();
console.log(`fit: ${r0.stopReason}; E own grid ${r0.energy.toFixed(3)}, fine grid ${fineEnergy().toFixed(3)}`);
let iterations = 0;
for (let s = 1; s <= steps; s++) {
  const r = await solver.step();
  iterations += r.iterations;
  if (s % every === 0 || s === steps) console.log(`step ${s}: E own grid ${r.energy.toFixed(3)}, fine grid ${fineEnergy().toFixed(3)}; ${r.iterations} iterations, ${r.stopReason}`);
}
const u = solver.sample(points);
solver.dispose();

// The FEM reference of u₀_δ, built as reducedFemReference builds the catalogue star's.
const refProblem: ProblemConfig = { ...makeProblem('star', 'reduced', { tau: base.tau / 4, tEnd: steps * base.tau }), initial };
const fem = createFemSolver(refProblem, { scheme: 'mms-newton', n: 2 * base.n });
await fem.initialise();
let femEnergy = Number.NaN;
for (let s = 0; s < 4 * steps; s++) femEnergy = (await fem.step()).energy;
const reference = fem.sample(points);
fem.dispose?.();
const catalogue = await reducedFemReference('star', steps, points);
const u0 = new Float64Array(points.length / 2);
const u0Catalogue = new Float64Array(points.length / 2);
const star = base.initial;
for (let i = 0; i < u0.length; i++) {
  const x = points.subarray(2 * i, 2 * i + 2);
  u0[i] = initial(x);
  u0Catalogue[i] = star(x);
}
console.log(
  `star δ = ${delta} ${JSON.stringify(options)}: relative L2 ${(100 * relL2(u, reference)).toFixed(3)}% at t = ${(steps * base.tau).toPrecision(3)} ` +
    `(its FEM reference E ${femEnergy.toFixed(3)}), ${(iterations / steps).toFixed(1)} iterations per step; ` +
    `relative to the catalogue star's, u₀ moves by ${(100 * relL2(u0, u0Catalogue)).toFixed(3)}% and the FEM reference at t by ${(100 * relL2(reference, catalogue.u)).toFixed(3)}% (catalogue E ${catalogue.energy.toFixed(3)})`,
);
