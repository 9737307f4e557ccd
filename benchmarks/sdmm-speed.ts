/**
 * SDMM whole-run speed at equal accuracy (issue 9's whole-run targets): one reduced problem with given
 * SDMM options, repeated, alternating the configurations round by round (the machine is shared, so
 * A and B run back to back and each is repeated):
 *
 *   fit_ms, step_ms, total_ms = fit_ms + step_ms  (the solver's time: summary.json's totalWallMs)
 *   iterations, evaluations   (L-BFGS iterations and engine evaluations of the 40 steps; load-free)
 *   cpu_ms                    (the process's CPU time over the run, all threads)
 *   rel_l2                    ( Σ_i (u − u_ref)² / Σ_i u_ref² )^½ on the 101 × 101 (1D: 101) uniform grid
 *
 * against the quick suite's reference (FEM mms-newton on 2n cells per side, τ/4; computed once and
 * cached in results/sdmm-speed-<problem>-reference.json). Also `halving`: the relative L2 change at
 * t_end when tol and gradTol are halved, from the same fit (issue 8 item 2: must stay < 1e-4).
 *
 * Run: npx tsx benchmarks/sdmm-speed.ts <problem> '<json array of option objects>' [rounds] [--halving]
 *   e.g. npx tsx benchmarks/sdmm-speed.ts circle '[{"predictor":0},{}]' 3
 * → one JSON line per run on stdout and results/sdmm-speed-<problem>.json (all rows, with load).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { relativeL2Error } from '../src/bench/metrics.js';
import { createFemSolver } from '../src/fem/index.js';
import { makeProblem, stepCount } from '../src/physics/problems.js';
import { createSdmmSolver, defaultSdmmOptions, type SdmmOptions } from '../src/sdmm/index.js';
import type { SdmmEngine } from '../src/sdmm/engine/types.js';
import { uniformGrid } from '../src/solver.js';

const args = process.argv.slice(2);
const NAME = args[0] ?? 'circle';
const CONFIGS = JSON.parse(args[1] ?? '[{}]') as Partial<SdmmOptions>[];
const ROUNDS = Number(args.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 1);
const HALVING = args.includes('--halving');
const problem = makeProblem(NAME, 'reduced');
const STEPS = stepCount(problem);
const points = uniformGrid(problem, 101);
const unit = new Float64Array(points.length / problem.dim).fill(1);

const refPath = `results/sdmm-speed-${NAME}-reference.json`;
let reference: Float64Array;
if (existsSync(refPath)) reference = Float64Array.from(JSON.parse(readFileSync(refPath, 'utf8')) as number[]);
else {
  const fem = createFemSolver({ ...problem, tau: problem.tau / 4 }, { scheme: 'mms-newton', n: 2 * problem.n });
  await fem.initialise();
  for (let i = 0; i < 4 * STEPS; i++) await fem.step();
  reference = fem.sample(points);
  fem.dispose();
  mkdirSync('results', { recursive: true });
  writeFileSync(refPath, JSON.stringify([...reference]));
}

/** The solver's engine with its evaluations counted (the engine is the solver's public field). */
function countEvaluations(solver: object): { count: number } {
  const counter = { count: 0 };
  const engine = (solver as { engine: SdmmEngine }).engine;
  const evaluate = engine.evaluate.bind(engine);
  engine.evaluate = (objective, theta, grad) => {
    counter.count++;
    return evaluate(objective, theta, grad);
  };
  return counter;
}

async function run(config: Partial<SdmmOptions>): Promise<Record<string, unknown>> {
  const load = os.loadavg()[0];
  const cpu0 = process.cpuUsage();
  const solver = await createSdmmSolver(problem, config);
  const evaluations = countEvaluations(solver);
  const r0 = await solver.initialise();
  const fitEvaluations = evaluations.count;
  let stepMs = 0;
  let iterations = 0;
  for (let i = 0; i < STEPS; i++) {
    const r = await solver.step();
    stepMs += r.wallMs;
    iterations += r.iterations;
  }
  const cpu = process.cpuUsage(cpu0);
  const u = solver.sample(points);
  const d = solver.describe();
  solver.dispose();
  return {
    problem: NAME,
    config: JSON.stringify(config),
    threads: d.threads,
    fit_ms: Math.round(r0.wallMs),
    step_ms: Math.round(stepMs),
    total_ms: Math.round(r0.wallMs + stepMs),
    cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
    iterations,
    evaluations: evaluations.count - fitEvaluations,
    rel_l2: relativeL2Error(u, reference, unit),
    fit_mse: d.fitMse,
    load_1min: Number(load.toFixed(2)),
  };
}

/** Relative L2 change at t_end between `config` and the same with tol and gradTol halved, from one fit. */
async function halving(config: Partial<SdmmOptions>): Promise<number> {
  const defaults = defaultSdmmOptions(problem);
  const fitted = await createSdmmSolver(problem, config);
  await fitted.initialise();
  const state = fitted.saveState();
  fitted.dispose();
  const final = async (o: Partial<SdmmOptions>) => {
    const s = await createSdmmSolver(problem, { ...config, ...o });
    s.restoreState(state);
    for (let n = 0; n < STEPS; n++) await s.step();
    const u = s.sample(points);
    s.dispose();
    return u;
  };
  const a = await final({});
  const b = await final({ tol: (config.tol ?? defaults.tol) / 2, gradTol: (config.gradTol ?? defaults.gradTol) / 2 });
  return relativeL2Error(a, b, unit);
}

const rows: Record<string, unknown>[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const config of CONFIGS) {
    const row = { round, ...(await run(config)) };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
if (HALVING) {
  for (const config of CONFIGS) {
    const row = { problem: NAME, config: JSON.stringify(config), halving: await halving(config) };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
mkdirSync('results', { recursive: true });
writeFileSync(
  `results/sdmm-speed-${NAME}.json`,
  JSON.stringify({ benchmark: 'sdmm-speed', problem: NAME, steps: STEPS, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, date: new Date().toISOString(), rows }, null, 2),
);
