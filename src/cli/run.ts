import { join } from 'node:path';
import type { Command } from 'commander';
import { checkCovers, interpolateGrid, readGridField } from '../io/field.js';
import { CATALOGUE, makeProblem, pointFunction, type ProblemConfig, type Scale } from '../physics/problems.js';
import { plannedSteps } from '../util/limits.js';
import { solverKind } from '../registry.js';
import { runSolver, type RunOptions, type RunSummary } from '../run/index.js';
import type { GradientFlowSolver, SolverKind } from '../solver.js';
import { progressBar } from './progress.js';
import { underResolvedMessage } from '../physics/resolution.js';
import { flagOf, kindOptionsFromFlags, type KindFlag } from './flags.js';
import { g } from './format.js';

/** The run-level flags of `allen-cahn run` (the kinds' flags are generated: src/cli/flags.ts). */
export interface RunFlags {
  problem: string;
  solver: string;
  scale: Scale;
  out?: string;
  epsilon?: number;
  dt?: number;
  tEnd?: number;
  mobility?: number;
  n?: number;
  seed?: number;
  grid?: number;
  checkpointEvery?: number;
  vtkEvery?: number;
  vtkFormat: 'ascii' | 'base64' | 'zlib';
  initial?: string;
  resume?: boolean;
  overwrite?: boolean;
  progress: boolean;
  [kindFlag: string]: unknown;
}

/**
 * `allen-cahn run`: build the problem and the chosen kind's solver from the flags, run it to the
 * final time, print one summary line. Returns the exit code: 0 completed, 1 failed, 3 completed
 * with an UNSTABLE stability verdict, 130 interrupted (Ctrl-C: the step is checkpointed,
 * `--resume` continues). The output folder is the run layer's: locked while the run lasts,
 * `--resume` continues the run it holds, `--overwrite` replaces another run (src/run/run.ts).
 */
/** What `run` calls to build and run a solver (tests replace them to check the parsing alone). */
export interface RunDeps {
  createSolver(kind: SolverKind, problem: ProblemConfig, options: Record<string, unknown>): GradientFlowSolver | Promise<GradientFlowSolver>;
  runSolver(solver: GradientFlowSolver, options: RunOptions): Promise<RunSummary>;
}

export const DEFAULT_RUN_DEPS: RunDeps = { createSolver: (kind, problem, options) => kind.create(problem, options), runSolver };

export async function runCommand(o: RunFlags, cmd: Command, flags: readonly KindFlag[], deps: RunDeps = DEFAULT_RUN_DEPS): Promise<number> {
  const kind = solverKind(o.solver);
  const given = (attribute: string) => cmd.getOptionValueSource(attribute) === 'cli';
  const options = kindOptionsFromFlags(kind, flags, o, given);
  const base = Object.hasOwn(CATALOGUE, o.problem) ? CATALOGUE[o.problem][o.scale] : undefined;
  if (base) plannedSteps(o.tEnd ?? base.tEnd, o.dt ?? base.tau); // refused in the flags' own names: --t-end, --dt
  let problem: ProblemConfig = makeProblem(o.problem, o.scale, { epsilon: o.epsilon, tau: o.dt, tEnd: o.tEnd, mobility: o.mobility, n: o.n, seed: o.seed });
  if (o.initial !== undefined) {
    // u₀ from a file (io/field.ts): a grid field interpolated bilinearly at the solver's points.
    const field = readGridField(o.initial, problem.dim);
    checkCovers(field, problem.domain, o.initial);
    problem = { ...problem, initial: pointFunction((x) => interpolateGrid(field, x)) };
  }
  const solver = await deps.createSolver(kind, problem, options);
  const label = kind.runName(options);
  const outDir = o.out ?? join('results', 'runs', `${problem.name}-${problem.scale}-${label}`);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nallen-cahn: interrupt: stopping after this step and checkpointing (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let summary: RunSummary;
  try {
    summary = await deps.runSolver(solver, {
      outDir,
      grid: o.grid,
      checkpointEvery: o.checkpointEvery,
      vtkEvery: o.vtkEvery,
      vtkFormat: o.vtkFormat,
      resume: o.resume ?? false,
      overwrite: o.overwrite ?? false,
      // A resume must use the same solver options as written (the problem is compared as well).
      identity: { options },
      onNotice: (line) => process.stderr.write(`allen-cahn: ${line}\n`),
      // One line per warning (h > ε), the options spelled as flags; summary.json records it too.
      onWarning: (w) => process.stderr.write(`allen-cahn: warning: ${underResolvedMessage(w, (key) => flagOf(kind, key))}\n`),
      ...(o.progress ? progressBar(`${problem.name} ${kind.name}`) : {}),
      signal: controller.signal,
      config: { command: ['allen-cahn', ...process.argv.slice(2)].join(' '), ...(o.initial !== undefined ? { initial: o.initial } : {}) },
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    solver.dispose();
  }
  const t = summary.totals;
  const head = `${problem.name} (${problem.scale}) ${label}`;
  if (summary.status === 'failed') {
    process.stderr.write(`allen-cahn: ${head} failed: ${summary.reason}; files up to step ${t.steps} are in ${outDir}\n`);
    return 1;
  }
  if (summary.status === 'interrupted') {
    process.stderr.write(`allen-cahn: ${head} interrupted at step ${t.steps}/${t.plannedSteps}; continue with --resume (outputs in ${outDir})\n`);
    return 130;
  }
  process.stdout.write(
    `${head}: ${t.steps} steps to t = ${g(t.finalTime)}, ${g(t.msPerStep, 4)} ms/step, ` +
      `${g(t.iterationsPerStep, 4)} iterations/step, final energy ${g(t.finalEnergy)}\n` +
      `stability: ${summary.stability.message}\n` +
      `outputs: ${outDir}/ (steps.csv, final.csv, summary.json, u.pvd)\n`,
  );
  if (!summary.stability.ok) {
    process.stderr.write(`allen-cahn: ${head} completed, but the stability verdict is UNSTABLE (exit code 3)\n`);
    return 3;
  }
  return 0;
}

