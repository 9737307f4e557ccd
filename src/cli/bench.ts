import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadSuite, type SuiteConfig } from '../bench/config.js';
import { writeReport } from '../bench/report.js';
import { runScaling, SCALING_DEFAULTS } from '../bench/scaling.js';
import { defaultSuiteDeps } from '../bench/solvers.js';
import { mergeShards } from '../bench/merge.js';
import { parseShard, runSuiteParallel, type Shard } from '../bench/parallel.js';
import { availableParallelism } from 'node:os';
import { CliError, parseInteger } from './flags.js';
import { progressBar } from './progress.js';

/** The default suite of `allen-cahn bench` (npm run bench). */
export const DEFAULT_SUITE = 'benchmarks/quick.json';

function intList(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got '${v}'.`);
  return list;
}

/** The command that computes a suite's references alone, as the suite's log names it. */
function referenceCommand(path: string, root: string): string {
  return `allen-cahn bench reference ${path}${root === 'results' ? '' : ` --root ${root}`}`;
}

/** SIGINT/SIGTERM abort the controller (the current run checkpoints); a second one exits at once. */
function interruptible(controller: AbortController): () => void {
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupt: checkpointing the current run; run the same command again to resume (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  };
}

function problemList(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('expected at least one problem name.');
  return list;
}

function positiveInteger(v: string): number {
  const n = parseInteger(v);
  if (n < 1) throw new InvalidArgumentError(`must be a positive integer, got ${v}.`);
  return n;
}

/** Keep only the named problems of a suite (and of its sweep). */
function onlyProblems(suite: SuiteConfig, only: readonly string[], path: string): SuiteConfig {
  const known = suite.problems.map((p) => p.label ?? p.name);
  for (const name of only) if (!known.includes(name)) throw new CliError(`--only: '${name}' is not a problem of ${path} (${known.join(', ')})`);
  const sweepProblems = suite.sweep?.problems.filter((p) => only.includes(p)) ?? [];
  return {
    ...suite,
    problems: suite.problems.filter((p) => only.includes(p.label ?? p.name)),
    sweep: suite.sweep && sweepProblems.length > 0 ? { ...suite.sweep, problems: sweepProblems } : undefined,
  };
}

/**
 * `allen-cahn bench [suite.json]`: run a head-to-head suite (src/bench), resuming whatever an
 * earlier, interrupted invocation left; Ctrl-C checkpoints the current run and stops (run again to
 * continue), a second Ctrl-C exits at once. Exit 1 if a run failed (its row says why), 130 if
 * interrupted. `allen-cahn bench reference [suite.json]`: only the suite's converged FEM references,
 * computed once and cached where the suite reuses them (src/bench/reference.ts). `allen-cahn bench
 * scaling`: the cost-growth benchmark (src/bench/scaling.ts).
 */
export function addBenchCommands(program: Command, outcome: { exitCode: number }): void {
  const bench = program
    .command('bench')
    .description(`run a benchmark suite (default ${DEFAULT_SUITE}) into <root>/<suite name>/; "bench scaling" for cost growth`)
    .argument('[suite]', 'suite definition (benchmarks/README.md)', DEFAULT_SUITE)
    // `bench scaling --root …`: options after the subcommand are the subcommand's own.
    .enablePositionalOptions()
    .option('--root <dir>', 'results root', 'results')
    .option('--only <problems>', "comma-separated subset of the suite's problems", problemList)
    .option('--no-report', 'skip REPORT.md and the pictures')
    .option('--no-progress', 'no progress bars even on a terminal')
    .option('--jobs <n>', `worker processes for the suite's independent runs (default: the cores, ${availableParallelism()} here)`, positiveInteger, availableParallelism())
    .option('--shard <i/n>', 'run only shard i of n (a deterministic subset; join the shard folders with "bench report")', (v: string) => {
      try {
        return parseShard(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message.replace(/^--shard: /, ''));
      }
    })
    .action(async (path: string, o: { root: string; only?: string[]; report: boolean; progress: boolean; jobs: number; shard?: Shard }) => {
      let suite = loadSuite(path);
      if (o.only) suite = onlyProblems(suite, o.only, path);
      const controller = new AbortController();
      const release = interruptible(controller);
      const t0 = performance.now();
      try {
        const results = await runSuiteParallel(suite, {
          jobs: o.jobs,
          shard: o.shard,
          root: o.root,
          deps: defaultSuiteDeps(),
          signal: controller.signal,
          referenceCommand: referenceCommand(path, o.root),
          // With workers the runs happen elsewhere; their log lines are the progress.
          ...(o.progress && o.jobs === 1 ? { progress: (name: string) => progressBar(name, process.stderr) } : {}),
          ...(o.report ? { report: writeReport } : {}),
        });
        const failed = results.runs.filter((r) => r.status === 'failed');
        const interrupted = results.runs.filter((r) => r.status === 'interrupted');
        const stopped = controller.signal.aborted;
        process.stderr.write(
          `${stopped ? 'interrupted' : 'done'}: ${results.runs.length} runs (${failed.length} failed${interrupted.length > 0 ? `, ${interrupted.length} interrupted` : ''}) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${results.outDir}/${stopped || !o.report ? '' : 'REPORT.md'}\n`,
        );
        outcome.exitCode = stopped ? 130 : failed.length > 0 ? 1 : 0;
      } finally {
        release();
      }
    });

  bench
    .command('reference')
    .description('compute once and cache the converged FEM reference of every problem of a suite in <root>/<suite name>/reference/, where "bench <suite>" finds and reuses it')
    .argument('[suite]', 'suite definition (benchmarks/README.md)', DEFAULT_SUITE)
    .option('--root <dir>', 'results root', 'results')
    .option('--only <problems>', "comma-separated subset of the suite's problems", problemList)
    .option('--no-progress', 'no progress bars even on a terminal')
    .option('--jobs <n>', `worker processes, one problem's reference each (default: the cores, ${availableParallelism()} here)`, positiveInteger, availableParallelism())
    .action(async (path: string, o: { root: string; only?: string[]; progress: boolean; jobs: number }) => {
      let suite = loadSuite(path);
      if (o.only) suite = onlyProblems(suite, o.only, path);
      const controller = new AbortController();
      const release = interruptible(controller);
      const t0 = performance.now();
      const jobs = Math.min(o.jobs, suite.problems.length);
      try {
        const results = await runSuiteParallel(suite, {
          jobs,
          root: o.root,
          deps: defaultSuiteDeps(),
          signal: controller.signal,
          select: (t) => t.role === 'reference',
          tables: false,
          ...(o.progress && jobs === 1 ? { progress: (name: string) => progressBar(name, process.stderr) } : {}),
        });
        for (const r of results.runs) {
          const where = results.layout.run(r).dir;
          process.stdout.write(`${r.problem}: reference ${r.status}${r.reason ? ` (${r.reason})` : ''}, ${r.steps} steps, ${(r.totalWallMs / 1000).toFixed(1)} s of steps → ${where}/\n`);
        }
        const failed = results.runs.filter((r) => r.status === 'failed');
        const stopped = controller.signal.aborted;
        process.stderr.write(`${stopped ? 'interrupted' : 'done'}: ${results.runs.length} references (${failed.length} failed) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        outcome.exitCode = stopped ? 130 : failed.length > 0 ? 1 : 0;
      } finally {
        release();
      }
    });

  bench
    .command('report')
    .description('join the folders of shards of one suite (--shard i/n runs) into <root>/<suite name>/ and write its tables and report')
    .argument('<dirs...>', 'suite folders of the shards')
    .option('--root <dir>', 'results root', 'results')
    .option('--no-report', 'tables only, no REPORT.md and pictures')
    .action(async (dirs: string[], o: { root: string; report: boolean }) => {
      const results = await mergeShards(dirs, { root: o.root, deps: defaultSuiteDeps(), ...(o.report ? { report: writeReport } : {}) });
      const failed = results.runs.filter((r) => r.status === 'failed');
      process.stderr.write(`merged ${dirs.length} folders: ${results.runs.length} runs (${failed.length} failed) → ${results.outDir}/\n`);
      outcome.exitCode = failed.length > 0 ? 1 : 0;
    });

  bench
    .command('scaling')
    .description('cost growth: FEM time per step against DOFs, SDMM time per iteration against grid and rank → <root>/scaling/')
    .option('--root <dir>', 'results root', 'results')
    .addOption(new Option('--only <part>', 'run one part').choices(['fem', 'sdmm']))
    .option('--fem-n <list>', 'FEM cells per side', intList, SCALING_DEFAULTS.femN)
    .option('--sdmm-elements <list>', 'SDMM quadrature elements per axis (rank 16)', intList, SCALING_DEFAULTS.sdmmElements)
    .option('--ranks <list>', 'SDMM ranks (32 elements per axis)', intList, SCALING_DEFAULTS.ranks)
    .option('--steps <k>', 'timed steps per configuration', positiveInteger, SCALING_DEFAULTS.steps)
    .option('--warmup <k>', 'FEM steps before timing', positiveInteger, SCALING_DEFAULTS.warmup)
    .option('--iters <k>', 'SDMM L-BFGS iterations per step', positiveInteger, SCALING_DEFAULTS.iters)
    .action(async (o: { root: string; only?: 'fem' | 'sdmm'; femN: number[]; sdmmElements: number[]; ranks: number[]; steps: number; warmup: number; iters: number }) => {
      await runScaling(o);
    });
}
