/**
 * SPINN baseline benchmark (issue 12): SPINN trained once over the space-time box against a FEM
 * reference at the final time, on the reduced circle, star and ac1d, and the trend over
 * ε = 0.08, 0.04, 0.02 on the circle.
 *
 * Reference: FEM mms-newton on 2·problem.n cells per side (P1), the problem's τ, stepped to T.
 * Both fields are sampled on a uniform grid (101² in 2D, 1001 points in 1D: ac1d's interfaces
 * are 0.006 wide) and compared by the trapezoid-weighted relative L2 error
 * ‖u − u_ref‖ / ‖u_ref‖ (src/bench/metrics.ts), at t = 0 (the IC misfit) and at t = T.
 * SPINN's wall time is its training time plus the evaluation of every output step (cpu_ms: the
 * process CPU time over the same span, steadier than wall time on a loaded machine); the shared
 * stability checker's verdict over SPINN's steps is reported too. Times come from a shared
 * 2-core machine: noisy.
 *
 * With --sdmm (createSdmmSolver) or --fem (mms-newton on problem.n cells per side unless the
 * options say otherwise) the same rows are made for those solvers, so every solver meets the same
 * reference on the same grid.
 *
 * Run: npx tsx benchmarks/spinn-baseline.ts [circle star ac1d] [--epsilon ε] [--eps-sweep] [--sdmm | --fem] [--options '{"adamIters":500}']
 *   → results/spinn-baseline.csv (one row per run, appended) and the FEM references cached in
 *     results/spinn-baseline/ref-<problem>-eps<ε>.json.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { relativeL2Error, trapezoidWeights } from '../src/bench/metrics.js';
import { createFemSolver } from '../src/fem/index.js';
import { makeProblem, stepCount, type ProblemConfig } from '../src/physics/problems.js';
import { uniformGrid, type StepRecord } from '../src/solver.js';
import { createSdmmSolver, type SdmmOptions } from '../src/sdmm/index.js';
import { createSpinnSolver, type SpinnOptionsInput } from '../src/spinn/index.js';
import { checkStability } from '../src/stability/index.js';

const OUT = 'results/spinn-baseline';

/**
 * Per-problem SPINN options under the command-line ones: ac1d's dynamics on [0, 0.25] need 32 time
 * points (16 gave a final error of 0.20, 32 gave 0.04 at λ_ic = 40; one seed each).
 */
const PROBLEM_OPTIONS: Record<string, SpinnOptionsInput> = { ac1d: { timePoints: 32 } };
const CSV = 'results/spinn-baseline.csv';

function gridSize(p: ProblemConfig): number {
  return p.dim === 2 ? 101 : 1001;
}

interface Reference {
  u0: Float64Array;
  uT: Float64Array;
  e0: number;
  eT: number;
  wallMs: number;
}

async function femReference(p: ProblemConfig): Promise<Reference> {
  const file = `${OUT}/ref-${p.name}-eps${p.epsilon.toPrecision(4)}-n${2 * p.n}.json`;
  if (existsSync(file)) {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    if (j.e0 !== undefined) return { u0: Float64Array.from(j.u0), uT: Float64Array.from(j.uT), e0: j.e0, eT: j.eT, wallMs: j.wallMs };
  }
  const pts = uniformGrid(p, gridSize(p));
  const t0 = performance.now();
  const fem = createFemSolver(p, { scheme: 'mms-newton', n: 2 * p.n });
  const e0 = (await fem.initialise()).energy;
  const u0 = fem.sample(pts);
  let eT = e0;
  for (let i = 0; i < stepCount(p); i++) eT = (await fem.step()).energy;
  const uT = fem.sample(pts);
  const wallMs = performance.now() - t0;
  writeFileSync(file, JSON.stringify({ problem: p.name, epsilon: p.epsilon, n: 2 * p.n, steps: stepCount(p), wallMs, e0, eT, u0: [...u0], uT: [...uT] }));
  return { u0, uT, e0, eT, wallMs };
}

async function runOne(p: ProblemConfig, options: SpinnOptionsInput, kind: 'spinn' | 'sdmm' | 'fem'): Promise<void> {
  const ref = await femReference(p);
  const pts = uniformGrid(p, gridSize(p));
  const w = trapezoidWeights(p, gridSize(p));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const solver =
    kind === 'spinn'
      ? await createSpinnSolver(p, options)
      : kind === 'sdmm'
        ? await createSdmmSolver(p, options as Partial<SdmmOptions>)
        : createFemSolver(p, { scheme: 'mms-newton', ...(options as object) });
  const records: StepRecord[] = [await solver.initialise()];
  const u0 = solver.sample(pts);
  for (let i = 0; i < stepCount(p); i++) records.push(await solver.step());
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const uT = solver.sample(pts);
  const verdict = checkStability(records);
  const d = solver.describe() as { parameters: number; training?: { summary: string } };
  const row = {
    solver: kind,
    problem: p.name,
    epsilon: p.epsilon,
    steps: stepCount(p),
    parameters: d.parameters,
    options: JSON.stringify(options),
    train_ms: Math.round(records[0].wallMs),
    total_ms: Math.round(wallMs),
    cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
    fem_ref_ms: Math.round(ref.wallMs),
    rel_l2_t0: relativeL2Error(u0, ref.u0, w),
    rel_l2_final: relativeL2Error(uT, ref.uT, w),
    fem_ref_drift: relativeL2Error(ref.uT, ref.u0, w),
    energy_0: records[0].energy,
    energy_final: records[records.length - 1].energy,
    fem_energy_0: ref.e0,
    fem_energy_final: ref.eT,
    stable: verdict.ok,
    stability: verdict.message,
    training: d.training?.summary ?? records[0].stopReason,
  };
  console.log(JSON.stringify(row));
  appendFileSync(CSV, stringify([row], { header: !existsSync(CSV) }));
  solver.dispose();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const optIndex = args.indexOf('--options');
  const options: SpinnOptionsInput = optIndex >= 0 ? JSON.parse(args[optIndex + 1]) : {};
  const valueOf = new Set([args.indexOf('--options') + 1, args.indexOf('--epsilon') + 1].filter((i) => i > 0));
  const names = args.filter((a, i) => !a.startsWith('--') && !valueOf.has(i));
  mkdirSync(OUT, { recursive: true });
  const kind = args.includes('--sdmm') ? 'sdmm' : args.includes('--fem') ? 'fem' : 'spinn';
  const done = new Set<string>();
  const run = async (p: ProblemConfig) => {
    const key = `${p.name}:${p.epsilon}`;
    if (done.has(key)) return;
    done.add(key);
    await runOne(p, kind === 'spinn' ? { ...PROBLEM_OPTIONS[p.name], ...options } : options, kind);
  };
  const epsIndex = args.indexOf('--epsilon');
  const overrides = epsIndex >= 0 ? { epsilon: Number(args[epsIndex + 1]) } : {};
  for (const name of names.length > 0 ? names : ['circle', 'star', 'ac1d']) await run(makeProblem(name, 'reduced', overrides));
  if (args.includes('--eps-sweep')) {
    for (const epsilon of [0.08, 0.04, 0.02]) await run(makeProblem('circle', 'reduced', { epsilon }));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
