/**
 * The projected time of a benchmark suite from SHORT runs (`npx tsx benchmarks/suite-cost.ts
 * benchmarks/paper.json --steps 5`): for every problem, its FEM reference and each configuration,
 * build the solver as the suite does and take step 0 (the set-up: FEM mesh and matrices, or the
 * SDMM initial fit, in full), then `--steps` time steps, and measure wall time and the process's
 * CPU time (all threads, process.cpuUsage) of each. Then
 *
 *   projected = set-up + N · (mean cost of the measured steps)      with N the run's step count,
 *
 * once from wall time (what this machine gave now) and once from CPU time (what an idle machine
 * gives a single-threaded run; a run on k threads then takes about CPU/k). On a shared machine the
 * wall figures are inflated by the load (printed with every row); the CPU figures are not, apart
 * from cache and memory-bandwidth contention. The first steps of a run are its most expensive
 * (more Newton or L-BFGS iterations while the interfaces relax), so the projection errs long.
 * Nothing is written to disk. `--only star,coarsening` and `--skip-reference` narrow it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { availableParallelism, loadavg } from 'node:os';
import { loadSuite, resolveSuite, type SolverSpec } from '../src/bench/config.js';
import { SuiteLayout } from '../src/bench/layout.js';
import { createBenchSolver } from '../src/bench/solvers.js';
import { referenceTask } from '../src/bench/suite.js';
import { stepCount, type ProblemConfig } from '../src/physics/problems.js';

interface Cost {
  problem: string;
  label: string;
  steps: number;
  measured: number;
  setupWallS: number;
  setupCpuS: number;
  stepWallS: number;
  stepCpuS: number;
  iterations: number;
  load: number;
  /** E(uⁿ) and Jₙ = E + movement term after each measured step (a first look at the numbers). */
  energies: { t: number; energy: number; j: number }[];
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

async function measure(problem: ProblemConfig, spec: SolverSpec & { label: string }, steps: number): Promise<Cost> {
  // Set-up: building the solver (FEM mesh, assembly, factorization) and step 0 (SDMM: the initial fit).
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  const solver = await createBenchSolver(problem, spec);
  try {
    await solver.initialise();
    const setupWallS = (performance.now() - t0) / 1000;
    const setupCpuS = cpuSeconds(process.cpuUsage(c0));
    const k = Math.min(steps, stepCount(problem));
    let iterations = 0;
    const energies: Cost['energies'] = [];
    c0 = process.cpuUsage();
    t0 = performance.now();
    for (let i = 0; i < k; i++) {
      const r = await solver.step();
      iterations += r.iterations;
      energies.push({ t: r.t, energy: r.energy, j: r.energy + r.movement });
    }
    return {
      problem: problem.name,
      label: spec.label,
      steps: stepCount(problem),
      measured: k,
      setupWallS,
      setupCpuS,
      stepWallS: (performance.now() - t0) / 1000 / k,
      stepCpuS: cpuSeconds(process.cpuUsage(c0)) / k,
      iterations: iterations / k,
      load: loadavg()[0],
      energies,
    };
  } finally {
    solver.dispose();
  }
}

const f = (x: number, d = 1) => x.toFixed(d);

const program = new Command('suite-cost')
  .argument('<suite>', 'suite file')
  .option('--steps <k>', 'time steps measured per configuration', (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'.`);
    return n;
  }, 5)
  .option('--only <problems>', 'comma-separated problems', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--skip-reference', 'leave the references out')
  .action(async (path: string, o: { steps: number; only?: string[]; skipReference?: boolean }) => {
    const suite = loadSuite(path);
    const layout = new SuiteLayout('unused', suite.name);
    const rows: Cost[] = [];
    process.stdout.write(`suite ${path}, ${o.steps} measured steps per configuration, ${availableParallelism()} cores\n`);
    process.stdout.write('problem | configuration | steps | set-up wall/CPU [s] | step wall/CPU [s] | iter/step | projected wall/CPU [min] | load | (t, E, Jₙ) of the measured steps\n');
    for (const p of resolveSuite(suite, path)) {
      if (o.only && !o.only.includes(p.problem.name)) continue;
      const ref = referenceTask(p, layout);
      const tasks: { problem: ProblemConfig; spec: SolverSpec & { label: string } }[] = [
        ...(o.skipReference ? [] : [{ problem: ref.runProblem, spec: ref.spec }]),
        ...p.solvers.map((spec) => ({ problem: p.problem, spec })),
      ];
      for (const t of tasks) {
        let c: Cost;
        try {
          c = await measure(t.problem, t.spec, o.steps);
        } catch (e) {
          process.stdout.write(`${p.problem.name} | ${t.spec.label} | failed: ${(e as Error).message.split('\n')[0]}\n`);
          continue;
        }
        rows.push(c);
        const wall = (c.setupWallS + c.steps * c.stepWallS) / 60;
        const cpu = (c.setupCpuS + c.steps * c.stepCpuS) / 60;
        process.stdout.write(
          `${c.problem} | ${c.label} | ${c.steps} | ${f(c.setupWallS)}/${f(c.setupCpuS)} | ${f(c.stepWallS, 3)}/${f(c.stepCpuS, 3)} | ${f(c.iterations)} | ${f(wall)}/${f(cpu)} | ${f(c.load)} | ${c.energies.map((e) => `(${e.t}, ${f(e.energy, 2)}, ${f(e.j, 2)})`).join(' ')}\n`,
        );
      }
    }
    const total = (sel: (c: Cost) => boolean, key: 'Wall' | 'Cpu') =>
      rows.filter(sel).reduce((s, c) => s + (key === 'Wall' ? c.setupWallS + c.steps * c.stepWallS : c.setupCpuS + c.steps * c.stepCpuS), 0) / 60;
    const isRef = (c: Cost) => c.label === 'reference';
    process.stdout.write(
      `total without references: ${f(total((c) => !isRef(c), 'Wall'))} min wall here, ${f(total((c) => !isRef(c), 'Cpu'))} min CPU; references: ${f(total(isRef, 'Wall'))} min wall, ${f(total(isRef, 'Cpu'))} min CPU\n`,
    );
  });

await program.parseAsync();
