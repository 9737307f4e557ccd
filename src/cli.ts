/**
 * The `allen-cahn` command (bin/allen-cahn.js → this file; also `npm run allen-cahn -- …`).
 *
 *   allen-cahn problems [--json]
 *   allen-cahn run --problem <name> [--solver fem|sdmm] [--scale paper|reduced] [--out <dir>] …
 *
 * Every bad input (unknown problem or scheme, ε ≤ 0, dt ≤ 0, a non-numeric number, a mesh that
 * does not fit the problem's box, …) ends with ONE line on stderr and exit code 1; no stack trace
 * (set ALLEN_CAHN_DEBUG=1 to see one). A run that diverges exits 1 after writing its files;
 * Ctrl-C stops after the current step, checkpoints, and exits 130 (`--resume` continues).
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CATALOGUE, makeProblem, PROBLEM_NAMES, stepCount, type ProblemConfig } from './physics/problems.js';
import { packageVersion, runSolver, type RunSummary } from './runner.js';
import type { GradientFlowSolver } from './solver.js';

/** A user error: printed as one line, exit code 1. */
class CliError extends Error {
  override name = 'CliError';
}

// ---- argument parsers (commander reports their errors as one line, exit 1) ----------------------
function parseNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'.`);
  return v;
}
function parsePositive(value: string): number {
  const v = parseNumber(value);
  if (!(v > 0)) throw new InvalidArgumentError(`must be > 0, got ${value}.`);
  return v;
}
function parseNonNegative(value: string): number {
  const v = parseNumber(value);
  if (!(v >= 0)) throw new InvalidArgumentError(`must be ≥ 0, got ${value}.`);
  return v;
}
function parseInteger(value: string): number {
  const v = parseNumber(value);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`expected an integer, got '${value}'.`);
  return v;
}
function parsePositiveInteger(value: string): number {
  const v = parseInteger(value);
  if (v < 1) throw new InvalidArgumentError(`must be a positive integer, got ${value}.`);
  return v;
}
function parseNonNegativeInteger(value: string): number {
  const v = parseInteger(value);
  if (v < 0) throw new InvalidArgumentError(`must be an integer ≥ 0, got ${value}`);
  return v;
}

function parseGrid(value: string): number {
  const v = parseInteger(value);
  if (v < 2) throw new InvalidArgumentError(`must be an integer ≥ 2, got ${value}.`);
  return v;
}
function parseNonZero(value: string): number {
  const v = parseNumber(value);
  if (v === 0) throw new InvalidArgumentError('must be non-zero.');
  return v;
}

interface RunCliOptions {
  problem: string;
  solver: 'fem' | 'sdmm';
  scale: 'paper' | 'reduced';
  out?: string;
  scheme?: string;
  n?: number;
  mesh?: string;
  epsilon?: number;
  dt?: number;
  tEnd?: number;
  mobility?: number;
  grid?: number;
  seed?: number;
  checkpointEvery?: number;
  vtkEvery?: number;
  vtkFormat: 'ascii' | 'base64';
  resume?: boolean;
  progress: boolean;
  // FEM
  stabilization?: number;
  cellType?: 'triangle' | 'quadrilateral';
  diagonal?: 'right' | 'left' | 'crossed-alternating';
  newtonTol?: number;
  newtonIters?: number;
  linearSolver?: string;
  linearTol?: number;
  // SDMM
  rank?: number;
  width?: number;
  depth?: number;
  activation?: 'tanh' | 'gelu' | 'sin';
  alpha?: number;
  trainAlpha?: boolean;
  bound: boolean;
  quadElements?: number;
  quadPoints?: number;
  optimizer?: 'lbfgs' | 'adam';
  maxIters?: number;
  tol?: number;
  lr?: number;
  history?: number;
  fitTol?: number;
  fitIters?: number;
  backend?: 'auto' | 'js' | 'tensorflow' | 'wasm' | 'cpu';
  threads?: number;
}

/** Options that only make sense for one solver, by commander attribute name → flag. */
const FEM_ONLY: Record<string, string> = {
  scheme: '--scheme',
  mesh: '--mesh',
  stabilization: '--stabilization',
  cellType: '--cell-type',
  diagonal: '--diagonal',
  newtonTol: '--newton-tol',
  newtonIters: '--newton-iters',
  linearSolver: '--linear-solver',
  linearTol: '--linear-tol',
};
const SDMM_ONLY: Record<string, string> = {
  rank: '--rank',
  width: '--width',
  depth: '--depth',
  activation: '--activation',
  alpha: '--alpha',
  trainAlpha: '--train-alpha',
  bound: '--no-bound',
  quadElements: '--quad-elements',
  quadPoints: '--quad-points',
  optimizer: '--optimizer',
  maxIters: '--max-iters',
  tol: '--tol',
  lr: '--lr',
  history: '--history',
  fitTol: '--fit-tol',
  fitIters: '--fit-iters',
  backend: '--backend',
  threads: '--threads',
};

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Build the problem and the solver from validated command-line options. */
async function buildSolver(o: RunCliOptions, cmd: Command): Promise<{ problem: ProblemConfig; solver: GradientFlowSolver }> {
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  const foreign = o.solver === 'fem' ? SDMM_ONLY : FEM_ONLY;
  for (const [key, flag] of Object.entries(foreign)) {
    if (given(key)) throw new CliError(`${flag} applies to --solver ${o.solver === 'fem' ? 'sdmm' : 'fem'} only`);
  }
  if (o.mesh !== undefined && o.n !== undefined) throw new CliError('--mesh and --n are mutually exclusive (the mesh fixes the resolution)');
  const problem = makeProblem(o.problem, o.scale, {
    epsilon: o.epsilon,
    tau: o.dt,
    tEnd: o.tEnd,
    mobility: o.mobility,
    n: o.n,
    seed: o.seed,
  });

  if (o.solver === 'fem') {
    const fem = await import('./fem/index.js');
    const scheme = o.scheme ?? 'mms-newton';
    if (!(fem.FEM_SCHEMES as readonly string[]).includes(scheme)) {
      throw new CliError(`unknown scheme '${scheme}' (known: ${fem.FEM_SCHEMES.join(', ')})`);
    }
    let mesh;
    if (o.mesh !== undefined) {
      if (o.cellType !== undefined || o.diagonal !== undefined) throw new CliError('--cell-type and --diagonal apply to structured meshes, not --mesh');
      const { readGmshFile, checkMeshFitsDomain } = await import('./mesh/index.js');
      mesh = readGmshFile(o.mesh);
      checkMeshFitsDomain(mesh, problem.domain, o.mesh);
    }
    const solver = fem.createFemSolver(
      problem,
      stripUndefined({
        scheme: scheme as (typeof fem.FEM_SCHEMES)[number],
        mesh,
        cellType: o.cellType,
        diagonal: o.diagonal,
        stabilization: o.stabilization,
        newtonTolerance: o.newtonTol,
        maxNewtonIterations: o.newtonIters,
        linearSolver: o.linearSolver,
        linearTolerance: o.linearTol,
      }) as import('./fem/index.js').FemOptions,
    );
    return { problem, solver };
  }

  const sdmm = await import('./sdmm/index.js');
  const options = stripUndefined({
    rank: o.rank,
    width: o.width,
    depth: o.depth,
    activation: o.activation,
    alpha: o.alpha,
    trainAlpha: o.trainAlpha,
    bound: given('bound') ? o.bound : undefined,
    quadElements: o.quadElements,
    quadPoints: o.quadPoints,
    optimizer: o.optimizer,
    maxIters: o.maxIters,
    tol: o.tol,
    learningRate: o.lr,
    historySize: o.history,
    fitTolerance: o.fitTol,
    fitMaxIters: o.fitIters,
    seed: o.seed,
    backend: o.backend,
    threads: o.threads,
  });
  const solver = await sdmm.createSdmmSolver(problem, options);
  return { problem, solver };
}

function g(x: number | null | undefined, digits = 6): string {
  return x === null || x === undefined ? '—' : Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}

async function runCommand(o: RunCliOptions, cmd: Command): Promise<number> {
  const { problem, solver } = await buildSolver(o, cmd);
  const label = o.solver === 'fem' ? `fem-${o.scheme ?? 'mms-newton'}` : 'sdmm';
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
    summary = await runSolver(solver, {
      outDir,
      grid: o.grid,
      checkpointEvery: o.checkpointEvery,
      vtkEvery: o.vtkEvery,
      vtkFormat: o.vtkFormat,
      resume: o.resume ?? false,
      progress: o.progress,
      signal: controller.signal,
      config: { command: ['allen-cahn', ...process.argv.slice(2)].join(' ') },
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
  return 0;
}

function problemsCommand(json: boolean): void {
  const rows = PROBLEM_NAMES.map((name) => {
    const e = CATALOGUE[name];
    const box = e.domain.min.map((lo, k) => `[${lo},${e.domain.max[k]}]`).join('×');
    const s = (x: typeof e.paper) => ({ epsilon: x.epsilon, mobility: x.mobility, tau: x.tau, tEnd: x.tEnd, steps: stepCount(x), n: x.n });
    return { name, dim: e.dim, domain: box, boundary: e.boundary, paper: s(e.paper), reduced: s(e.reduced), checks: e.checks, description: e.description };
  });
  if (json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const table: string[][] = [['name', 'dim', 'domain', 'BC', 'scale', 'ε', 'm', 'τ', 'T', 'steps', 'n', 'checks']];
  for (const r of rows) {
    for (const scale of ['paper', 'reduced'] as const) {
      const p = r[scale];
      table.push([
        scale === 'paper' ? r.name : '',
        scale === 'paper' ? String(r.dim) : '',
        scale === 'paper' ? r.domain : '',
        scale === 'paper' ? r.boundary : '',
        scale,
        g(p.epsilon, 4),
        g(p.mobility),
        g(p.tau),
        g(p.tEnd),
        String(p.steps),
        String(p.n),
        scale === 'paper' ? r.checks : '',
      ]);
    }
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => [...row[c]].length)));
  for (const row of table) {
    process.stdout.write(row.map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat(widths[c] - [...cell].length))).join('  ').trimEnd() + '\n');
  }
}

function buildProgram(): Command {
  const program = new Command('allen-cahn')
    .description('Allen–Cahn gradient flows: a finite-element reference and SDMM (separable neural network), head to head')
    .version(packageVersion())
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(`allen-cahn: ${str.replace(/^error: /, '').trimEnd()}\n`) })
    .exitOverride();

  program
    .command('problems')
    .description('list the problem catalogue (paper and reduced settings)')
    .option('--json', 'print JSON instead of a table')
    .action((o: { json?: boolean }) => problemsCommand(o.json ?? false));

  program
    .command('run')
    .description('run one solver on one problem and write steps.csv, final.csv, summary.json and VTU files')
    .requiredOption('--problem <name>', `problem (${PROBLEM_NAMES.join(', ')})`)
    .addOption(new Option('--solver <solver>', 'solver').choices(['fem', 'sdmm']).default('fem'))
    .addOption(new Option('--scale <scale>', 'paper or reduced settings').choices(['paper', 'reduced']).default('reduced'))
    .option('--out <dir>', 'output directory (default results/runs/<problem>-<scale>-<solver>)')
    .option('--epsilon <e>', 'interface width ε > 0', parsePositive)
    .option('--dt <tau>', 'time step τ > 0', parsePositive)
    .option('--t-end <T>', 'final time T > 0', parsePositive)
    .option('--mobility <m>', 'mobility m > 0', parsePositive)
    .option('--n <cells>', 'cells per side (FEM) / quadrature elements per axis (SDMM default)', parsePositiveInteger)
    .option('--seed <s>', 'seed of every random draw (initial noise, SDMM initialisation)', parseInteger)
    .option('--grid <k>', 'write final.csv and VTU on a k×k uniform grid', parseGrid)
    .option('--checkpoint-every <k>', 'checkpoint every k steps (default 10)', parsePositiveInteger)
    .option('--vtk-every <k>', 'VTU snapshot every k steps (default: first and last only)', parsePositiveInteger)
    .addOption(new Option('--vtk-format <f>', 'VTU encoding').choices(['ascii', 'base64']).default('base64'))
    .option('--resume', 'continue from the last checkpoint in --out')
    .option('--no-progress', 'no progress bar even on a terminal')
    // FEM
    .option('--scheme <scheme>', 'FEM time scheme: mms-newton (default), stabilized, convex-split')
    .option('--mesh <file.msh>', 'FEM: Gmsh MSH 2.2/4.1 mesh instead of the structured one')
    .option('--stabilization <S>', 'FEM stabilized scheme: S ≥ 0 (default 1)', parseNonNegative)
    .addOption(new Option('--cell-type <type>', 'FEM structured mesh cells').choices(['triangle', 'quadrilateral']))
    .addOption(new Option('--diagonal <d>', 'FEM structured triangles: diagonal').choices(['right', 'left', 'crossed-alternating']))
    .option('--newton-tol <t>', 'FEM Newton relative tolerance', parsePositive)
    .option('--newton-iters <k>', 'FEM Newton iteration cap', parsePositiveInteger)
    .option('--linear-solver <name>', 'FEM linear solver (e.g. pcg-jacobi)')
    .option('--linear-tol <t>', 'FEM linear relative tolerance', parsePositive)
    // SDMM
    .option('--rank <r>', 'SDMM rank r', parsePositiveInteger)
    .option('--width <w>', 'SDMM hidden width', parsePositiveInteger)
    .option('--depth <d>', 'SDMM hidden layers', parsePositiveInteger)
    .addOption(new Option('--activation <a>', 'SDMM activation').choices(['tanh', 'gelu', 'sin']))
    .option('--alpha <a>', 'SDMM output scale α (non-zero)', parseNonZero)
    .option('--train-alpha', 'SDMM: train α')
    .option('--no-bound', 'SDMM: switch the tanh bounding off')
    .option('--quad-elements <ne>', 'SDMM quadrature elements per axis', parsePositiveInteger)
    .option('--quad-points <q>', 'SDMM Gauss points per element', parsePositiveInteger)
    .addOption(new Option('--optimizer <o>', 'SDMM optimizer per step').choices(['lbfgs', 'adam']))
    .option('--max-iters <k>', 'SDMM iteration cap per step', parsePositiveInteger)
    .option('--tol <t>', 'SDMM relative-decrease tolerance', parseNonNegative)
    .option('--lr <rate>', 'SDMM Adam learning rate', parsePositive)
    .option('--history <m>', 'SDMM L-BFGS history size', parsePositiveInteger)
    .option('--fit-tol <mse>', 'SDMM initial-fit tolerance: relative MSE mean (u − u₀)² / mean u₀²', parsePositive)
    .option('--fit-iters <k>', 'SDMM initial-fit iteration cap per phase', parsePositiveInteger)
    .addOption(new Option('--backend <b>', 'SDMM engine: js (float64 CPU) or a TensorFlow.js backend; auto = tfjs-node if installed, else js').choices(['auto', 'js', 'tensorflow', 'wasm', 'cpu']))
    .option('--threads <k>', 'SDMM js engine threads (0 = one per core on large grids)', parseNonNegativeInteger)
    .action(async (o: RunCliOptions, cmd: Command) => {
      process.exitCode = await runCommand(o, cmd);
    });
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `allen-cahn problems | head`: a reader that closes the pipe early is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    // commander already printed its own one-line error (or help/version output).
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    const message = (e?.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`allen-cahn: ${message}\n`);
    if (process.env.ALLEN_CAHN_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
