/**
 * The `allen-cahn` command (bin/allen-cahn.js → runCli; also `npm run allen-cahn -- …`).
 *
 *   allen-cahn problems [--json]
 *   allen-cahn run --problem <name> [--solver <kind>] [--scale paper|reduced] [--out <dir>] …
 *   allen-cahn bench [suite.json]            (default benchmarks/quick.json)
 *   allen-cahn bench scaling
 *
 * The solver flags of `run` are generated from the registered solver kinds (src/registry.ts),
 * so a kind registered before `buildProgram` is called gets its flags and help lines.
 *
 * Exit codes, everywhere (README "Safety"): 0 done; 1 bad input (ONE line on stderr naming the
 * input, no stack trace; set ALLEN_CAHN_DEBUG=1 to see one), a refused output folder, or a failed
 * run (after writing its files); 3 `run` completed but the stability checker's verdict is
 * UNSTABLE; 130 interrupted (Ctrl-C stops after the current step and checkpoints; run again /
 * `--resume` to continue).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROBLEM_NAMES } from '../physics/problems.js';
import { LIMITS } from '../util/limits.js';
import { solverKinds } from '../registry.js';
import { packageVersion } from '../run/provenance.js';
import { addBenchCommands } from './bench.js';
import { addKindFlags, parseInteger, parseNumber } from './flags.js';
import { problemsCommand } from './problems.js';
import { DEFAULT_RUN_DEPS, runCommand, type RunDeps, type RunFlags } from './run.js';

function parsePositive(value: string): number {
  const v = parseNumber(value);
  if (!(v > 0)) throw new InvalidArgumentError(`must be > 0, got ${value}.`);
  return v;
}
function parsePositiveInteger(value: string): number {
  const v = parseInteger(value);
  if (v < 1) throw new InvalidArgumentError(`must be a positive integer, got ${value}.`);
  return v;
}
function parseGrid(value: string): number {
  const v = parseInteger(value);
  if (v < 2) throw new InvalidArgumentError(`must be an integer ≥ 2, got ${value}.`);
  if (v > LIMITS.grid) throw new InvalidArgumentError(`must be at most ${LIMITS.grid} (the limit), got ${value}.`);
  return v;
}
function parseCells(value: string): number {
  const v = parsePositiveInteger(value);
  if (v > LIMITS.elementsPerSide) throw new InvalidArgumentError(`must be at most ${LIMITS.elementsPerSide} (the limit), got ${value}.`);
  return v;
}

/** The command tree, with `run` flags for the kinds registered now; commands put their exit code in `outcome`. */
export function buildProgram(outcome: { exitCode: number } = { exitCode: 0 }, deps: RunDeps = DEFAULT_RUN_DEPS): Command {
  const kinds = solverKinds();
  const program = new Command('allen-cahn')
    .description('Allen–Cahn gradient flows: a finite-element reference and SDMM (separable neural network), head to head')
    .version(packageVersion())
    .showHelpAfterError(false)
    .enablePositionalOptions()
    // One line, always: commander's suggestions ("(Did you mean --help?)") join the message.
    .configureOutput({ outputError: (str, write) => write(`allen-cahn: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) })
    .exitOverride();

  program
    .command('problems')
    .description('list the problem catalogue (paper and reduced settings)')
    .option('--json', 'print JSON instead of a table')
    .action((o: { json?: boolean }) => problemsCommand(o.json ?? false, (s) => process.stdout.write(s)));

  const run = program
    .command('run')
    .description('run one solver on one problem and write steps.csv, final.csv, summary.json and VTU files')
    .requiredOption('--problem <name>', `problem (${PROBLEM_NAMES.join(', ')})`)
    .addOption(new Option('--solver <kind>', `solver kind: ${kinds.map((k) => `${k.name} (${k.description})`).join('; ')}`).choices(kinds.map((k) => k.name)).default(kinds[0].name))
    .addOption(new Option('--scale <scale>', 'paper or reduced settings').choices(['paper', 'reduced']).default('reduced'))
    .option('--out <dir>', 'output directory (default results/runs/<problem>-<scale>-<run name>)')
    .option('--epsilon <e>', 'interface width ε > 0', parsePositive)
    .option('--dt <tau>', 'time step τ > 0', parsePositive)
    .option('--t-end <T>', 'final time T > 0', parsePositive)
    .option('--mobility <m>', 'mobility m > 0', parsePositive)
    .option('--n <cells>', "the problem's n: FEM cells per side, SDMM quadrature elements per axis", parseCells)
    .option('--seed <s>', 'seed of every random draw (initial noise, network initialisation)', parseInteger)
    .option('--grid <k>', 'write final.csv and VTU on a k×k uniform grid', parseGrid)
    .option('--checkpoint-every <k>', 'checkpoint every k steps (default 10)', parsePositiveInteger)
    .option('--vtk-every <k>', 'VTU snapshot every k steps (default: first and last only)', parsePositiveInteger)
    .addOption(new Option('--vtk-format <f>', 'VTU encoding').choices(['ascii', 'base64']).default('base64'))
    .option('--resume', 'continue the run in --out from its newest checkpoint that verifies')
    .option('--overwrite', 'start afresh in an --out that holds another run or other files (deletes only files runs of this program wrote there)')
    .option('--no-progress', 'no progress bar even on a terminal');
  const flags = addKindFlags(run, kinds);
  run.action(async (o: RunFlags, cmd: Command) => {
    outcome.exitCode = await runCommand(o, cmd, flags, deps);
  });
  addBenchCommands(program, outcome);
  return program;
}

/** Parse argv (process.argv layout: node, script, arguments…) and run; resolves to the exit code. */
export async function runCli(argv: readonly string[], deps: RunDeps = DEFAULT_RUN_DEPS): Promise<number> {
  const outcome = { exitCode: 0 };
  const program = buildProgram(outcome, deps);
  try {
    await program.parseAsync([...argv]);
    return outcome.exitCode;
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    // commander already printed its own one-line error (or help/version output).
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1;
    const message = (e?.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`allen-cahn: ${message}\n`);
    if (process.env.ALLEN_CAHN_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
