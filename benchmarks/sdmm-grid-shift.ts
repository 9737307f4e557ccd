/**
 * SDMM on a moving quadrature grid: does moving the Gauss grid between (or within) time steps cure
 * the quadrature aliasing of the reduced star (benchmarks/README.md, "SDMM quadrature and aliasing")?
 *
 * The same scheme as src/sdmm/solver.ts (the fit, then per step L-BFGS on Jₙ warm-started from θⁿ,
 * history kept, float64 acceptance), written out so the grid can move: the engine is moved in place
 * (SdmmEngine.setGrid) to the composite rule whose interior element boundaries are shifted by δh,
 *
 *   breakpoints  0,  (j + δ) h  (j = 1 … n_e − 1),  1,      δ uniform in [−½, ½) per axis, seeded,
 *
 * (shiftedCompositeGaussLegendre), a new δ for every step, or every `switchEvery` iterations within
 * a step (each chunk a new L-BFGS call, so no curvature pair mixes two grids; `resetOnSwitch` clears
 * the history at each move). uⁿ is re-evaluated from θⁿ on each grid. The candidate is accepted when
 * Jₙ decreases on the step's last grid (acceptOn 'step') or on the fixed grid (acceptOn 'base', δ = 0,
 * the fit's grid). Besides the step's own energy it prints E on the fixed grid, on the 2× audit grid
 * (src/sdmm/audit.ts) and on an 800² grid, counts the steps where Jₙ rose on the fixed or the audit grid,
 * and at T the relative L2 distance to the FEM reference of benchmarks/sdmm-aliasing.ts (mms-newton,
 * 2n cells per side, τ/4; on the 101² grid). `extrapolate` β starts each step from θⁿ + β(θⁿ − θⁿ⁻¹)
 * unconditionally, with the stop tests relative to that start (the solver's option tries it only
 * where it lowers Jₙ and keeps the tests relative to θⁿ).
 * One thread (the shared 2-core machine; times are noisy).
 *
 * Run: npx tsx benchmarks/sdmm-grid-shift.ts '{"grid":"shift","fitTolerance":2e-7}'
 *      keys: grid ('none' | 'shift'), switchEvery, resetOnSwitch, acceptOn, extrapolate, and any SDMM option.
 * Environment: PROBLEM (default star), STEPS (default T/τ), EVERY (print every, default 10).
 */
import { compositeGaussLegendre, shiftedCompositeGaussLegendre, tensorRule, type Rule1D } from '../src/quadrature/index.js';
import { movementTerm } from '../src/physics/energy.js';
import { makeProblem, stepCount } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { createLbfgsState, lbfgsMinimize } from '../src/optim/optimizers.js';
import { auditWorkspace, energyOnGrid, type AuditWorkspace } from '../src/sdmm/audit.js';
import { createCpuEngine } from '../src/sdmm/engine/index.js';
import { fitInitialCondition } from '../src/sdmm/fit.js';
import { reducedFemReference } from './fem-reference.js';
import { gridEnergy, newGridField, type GridField } from '../src/sdmm/grid.js';
import { mlpNetwork, networkLayout } from '../src/sdmm/network.js';
import { resolveSdmmOptions } from '../src/sdmm/options.js';
import { uniformGrid } from '../src/solver.js';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const { grid = 'none', switchEvery = 0, resetOnSwitch = false, acceptOn = 'step', extrapolate = 0, ...sdmm } = cfg;
if (!['none', 'shift'].includes(grid)) throw new Error(`grid must be none or shift, got ${grid}`);
const name = process.env.PROBLEM ?? 'star';
const problem = makeProblem(name, 'reduced');
if (problem.dim !== 2) throw new Error(`sdmm-grid-shift: a 2D problem, got ${name}`);
const steps = Number(process.env.STEPS ?? stepCount(problem));
const every = Number(process.env.EVERY ?? 10);
const points = uniformGrid(problem, 101);

const { u: reference } = await reducedFemReference(name, steps, points);

const o = resolveSdmmOptions(problem, { threads: 1, backend: 'js', ...sdmm });
const layout = networkLayout(problem, o);
const network = mlpNetwork(layout);
const ne = o.quadElements;
const axes = layout.axes;
const base = axes.map((a) => compositeGaussLegendre(a.min, a.max, ne, o.quadPoints));
const audit = axes.map((a) => compositeGaussLegendre(a.min, a.max, 2 * ne, o.quadPoints));
const fine = axes.map((a) => compositeGaussLegendre(a.min, a.max, 400, 2));
const rand = mulberry32(12345);
const shifted = (): Rule1D[] => axes.map((a) => shiftedCompositeGaussLegendre(a.min, a.max, ne, o.quadPoints, rand() - 0.5));

const t0 = performance.now();
const engine = createCpuEngine({ layout, rules: base, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau, threads: 1 });
let weights = tensorRule(base).weights;
const u0 = new Float64Array(weights.length);
{
  const pts = tensorRule(base).points;
  for (let q = 0; q < u0.length; q++) u0[q] = problem.initial([pts[2 * q], pts[2 * q + 1]]);
}
let theta = network.initialParameters(o.seed);
const fit = fitInitialCondition(engine, layout, base, theta, u0, o);
const E = (rules: Rule1D[], th: Float64Array, ws?: AuditWorkspace) => energyOnGrid(network, th, rules, problem.epsilon, ws);
console.log(`fit ${fit.mse.toExponential(2)}, ${((performance.now() - t0) / 1000).toFixed(1)} s; E fixed grid ${E(base, theta).toFixed(3)}, 800² ${E(fine, theta).toFixed(3)}`);

/** Jₙ(θ) − Jₙ(θⁿ) on a grid the optimizer does not use (energy and movement from the network's field). */
function jRise(rules: Rule1D[], th: Float64Array, prev: Float64Array): [number, number] {
  const wsPrev = auditWorkspace(rules, layout);
  const ws = auditWorkspace(rules, layout);
  const jPrev = E(rules, prev, wsPrev);
  const j = E(rules, th, ws) + movementTerm(ws.weights, ws.field.u, wsPrev.field.u, problem.mobility, problem.tau);
  return [jPrev, j];
}

const lbfgs = createLbfgsState(layout.size, o.historySize);
const field = (): GridField => newGridField(weights.length, 2);
let iterations = 0;
let baseRises = 0;
let auditRises = 0;
let thetaOld: Float64Array | null = null;
for (let n = 1; n <= steps; n++) {
  const thetaPrev = new Float64Array(theta);
  const cand = new Float64Array(theta);
  if (extrapolate > 0 && thetaOld) for (let p = 0; p < cand.length; p++) cand[p] += extrapolate * (theta[p] - thetaOld[p]);
  thetaOld = thetaPrev;
  const chunks = switchEvery > 0 ? Math.ceil(o.maxIters / switchEvery) : 1;
  let its = 0;
  let reason = '';
  const prev = field();
  for (let c = 0; c < chunks; c++) {
    const rules = grid === 'shift' ? shifted() : base;
    engine.setGrid(rules);
    weights = tensorRule(rules).weights;
    engine.fieldOnGrid(thetaPrev, prev.u, prev.grad);
    engine.setStep(prev.u, prev.grad, null);
    if (c > 0 && resetOnSwitch) lbfgs.count = lbfgs.head = 0;
    const res = lbfgsMinimize((th, g) => engine.evaluate('step', th, g), cand, lbfgs, { maxIters: switchEvery > 0 ? switchEvery : o.maxIters, tol: o.tol, gradTol: o.gradTol });
    its += res.iterations;
    reason = res.stopReason;
    if (res.stopReason === 'non-finite') throw new Error(`step ${n}: the loss became non-finite`);
    if (switchEvery > 0 && res.stopReason !== 'max-iters') break;
  }
  // Acceptance on the step's last grid (uⁿ = prev there) or on the fixed grid.
  const f = field();
  engine.fieldOnGrid(cand, f.u, f.grad);
  const eOwn = gridEnergy(weights, f, problem.epsilon);
  const stepOk = eOwn + movementTerm(weights, f.u, prev.u, problem.mobility, problem.tau) <= gridEnergy(weights, prev, problem.epsilon);
  const [jb0, jb1] = jRise(base, cand, thetaPrev);
  const [ja0, ja1] = jRise(audit, cand, thetaPrev);
  if (jb1 > jb0) baseRises++;
  if (ja1 > ja0) auditRises++;
  const accepted = acceptOn === 'base' ? jb1 <= jb0 : stepOk;
  if (accepted) theta = cand;
  iterations += its;
  if (n % every === 0 || n === steps || n <= 2) {
    console.log(
      `step ${n}: E own ${eOwn.toFixed(3)}, fixed ${E(base, theta).toFixed(3)}, audit ${E(audit, theta).toFixed(3)}, 800² ${E(fine, theta).toFixed(3)}; ${its} iterations, ${reason}${accepted ? '' : ', REFUSED'}`,
    );
  }
}
const u = network.evaluate(theta, points, new Float64Array(points.length / 2));
let num = 0;
let den = 0;
for (let i = 0; i < reference.length; i++) {
  num += (u[i] - reference[i]) ** 2;
  den += reference[i] ** 2;
}
console.log(`Jn rose on the fixed grid in ${baseRises} steps, on the audit grid in ${auditRises}`);
console.log(
  `${name} ${JSON.stringify(cfg)}: relative L2 ${(100 * Math.sqrt(num / den)).toFixed(3)}% at t = ${(steps * problem.tau).toPrecision(3)}, ` +
    `${(iterations / steps).toFixed(1)} iterations per step, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
engine.dispose();
