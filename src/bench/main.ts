#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadSuite, SuiteConfigError } from './config.js';
import { defaultSuiteDeps } from './solvers.js';
import { runSuite } from './suite.js';

/**
 * `npx tsx src/bench/main.ts <suite.json> [--root results] [--only <problem,...>]`
 * (npm run bench / bench:paper). Runs the suite, resuming whatever an earlier, interrupted
 * invocation left; Ctrl-C checkpoints the current run and stops (run again to continue), a
 * second Ctrl-C exits at once (the last checkpoint still resumes).
 */
const program = new Command()
  .name('bench')
  .description('Run a head-to-head benchmark suite (FEM vs SDMM) and write results/<suite>/')
  .argument('<suite>', 'suite definition, e.g. benchmarks/quick.json')
  .option('--root <dir>', 'results root', 'results')
  .option('--only <problems>', 'comma-separated subset of the suite\'s problems', (v: string) => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new InvalidArgumentError('expected at least one problem name');
    return list;
  })
  .option('--no-report', 'skip REPORT.md and the pictures')
  .action(async (path: string, opts: { root: string; only?: string[]; report: boolean }) => {
    let suite;
    try {
      suite = loadSuite(path);
    } catch (e) {
      if (e instanceof SuiteConfigError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    if (opts.only) {
      const known = suite.problems.map((p) => p.name);
      for (const name of opts.only) {
        if (!known.includes(name)) {
          process.stderr.write(`error: --only: '${name}' is not a problem of ${path} (${known.join(', ')})\n`);
          process.exit(2);
        }
      }
      suite = {
        ...suite,
        problems: suite.problems.filter((p) => opts.only!.includes(p.name)),
        sweep: suite.sweep && { ...suite.sweep, problems: suite.sweep.problems.filter((p) => opts.only!.includes(p)) },
      };
      if (suite.sweep && suite.sweep.problems.length === 0) suite.sweep = undefined;
    }
    const controller = new AbortController();
    process.on('SIGINT', () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\ninterrupt: checkpointing the current run; run the same command again to resume (Ctrl-C again to quit now)\n');
      controller.abort();
    });
    const t0 = performance.now();
    const results = await runSuite(suite, { root: opts.root, deps: defaultSuiteDeps(), signal: controller.signal, skipReport: !opts.report });
    const failed = results.runs.filter((r) => r.status === 'failed');
    const interrupted = results.runs.filter((r) => r.status === 'interrupted');
    process.stderr.write(
      `${controller.signal.aborted ? 'interrupted' : 'done'}: ${results.runs.length} runs (${failed.length} failed${interrupted.length > 0 ? `, ${interrupted.length} interrupted` : ''}) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${results.outDir}/${controller.signal.aborted ? '' : 'REPORT.md'}\n`,
    );
    process.exit(controller.signal.aborted ? 130 : 0);
  });

await program.parseAsync();
