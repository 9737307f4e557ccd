import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runCli } from '../src/cli/main.js';
import { createFemSolver, FemSetupError } from '../src/fem/index.js';
import { acquireLock } from '../src/io/lock.js';
import { rectangleMesh } from '../src/mesh/generators.js';
import { option, parseOptions } from '../src/options.js';
import { makeProblem, ProblemError, stepCount } from '../src/physics/problems.js';
import { registerSolverKind } from '../src/registry.js';
import { runSolver } from '../src/run/index.js';
import { resolveSdmmOptions, SdmmOptionsError } from '../src/sdmm/options.js';
import { defineSolverKind } from '../src/solver.js';
import { createToySolver } from './fixtures/toy-solver.js';

/**
 * The "Tried on main" list of the reliability issue, repeated: every hostile input ends in one
 * line naming the input and exit code 1 (the CLI, in this process), or in a typed error with the
 * same message (the library); a finite blow-up fails the run; an UNSTABLE verdict exits 3.
 */

afterEach(() => vi.restoreAllMocks());

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await runCli(['node', 'allen-cahn', ...args]);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-inputs-'));

describe('every size and count is bounded before anything is allocated (CLI)', () => {
  const out = join(tmp(), 'never');
  const run = (...a: string[]) => ['run', '--problem', 'star', '--out', out, '--no-progress', ...a];
  const CASES: [string[], string][] = [
    [run('--solver', 'sdmm', '--quad-points', '1000000'), "option '--quad-points <q>' argument '1000000' is invalid. must be at most 64 (the limit), got 1000000."],
    [run('--dt', '1e-300'), '--t-end 0.004 with --dt 1e-300 plans 4e297 steps, above the limit of 10000000'],
    [run('--dt', '1e-308', '--t-end', '1e308'), '--t-end 1e308 with --dt 1e-308 plans Infinity steps, above the limit of 10000000'],
    [run('--n', '1e9'), "option '--n <cells>' argument '1e9' is invalid. must be at most 4194304 (the limit), got 1e9."],
    [run('--n', '5000'), 'n 5000: 25010001 nodes is above the limit of 4194304 nodes per mesh'],
    [run('--solver', 'sdmm', '--width', '1e7'), "option '--width <w>' argument '1e7' is invalid. must be at most 4096 (the limit), got 10000000."],
    [run('--grid', '100000'), "option '--grid <k>' argument '100000' is invalid. must be at most 4096 (the limit), got 100000."],
    [run('--solver', 'sdmm', '--rank', '1000000'), "option '--rank <r>' argument '1000000' is invalid. must be at most 1024 (the limit), got 1000000."],
    [run('--solver', 'sdmm', '--depth', '65'), "option '--depth <d>' argument '65' is invalid. must be at most 64 (the limit), got 65."],
    [
      run('--solver', 'sdmm', '--quad-elements', '2048', '--quad-points', '64'),
      'quadElements 2048 with quadPoints 64 in 2D gives 17000000000 quadrature points in total, above the limit 4194304',
    ],
    [run('--mesh', '/dev/zero'), '--mesh /dev/zero: is a device, not a regular file'],
    [run('--t-end', '1e-4', '--dt', '1e-3'), '--t-end 0.0001 is not a whole number of steps of --dt 0.001 (T/τ = 0.1); use e.g. --t-end 0.001'],
  ];
  it.each(CASES)('%j', async (args, message) => {
    const r = await cli(...args);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: ${message}\n` });
  });

  it('the suite: n = 1e8, an end time off the step grid, and --root that is a file or not writable are one line, exit 1', async () => {
    const dir = tmp();
    const suite = (problem: object) => {
      const p = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(p, JSON.stringify({ name: 'x', problems: [{ name: 'front1d', ...problem }], solvers: [{ kind: 'fem' }] }));
      return p;
    };
    const big = suite({ overrides: { n: 1e8 } });
    expect(await cli('bench', big, '--root', dir)).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: ${big}: problems[0].overrides: n must be at most 4194304 (the limit), got 100000000\n` });
    const off = suite({ overrides: { tEnd: 0.0105 } });
    expect((await cli('bench', off, '--root', dir)).stderr).toBe(
      `allen-cahn: ${off}: problems[0].overrides: t-end 0.0105 is not a whole number of steps of dt 0.001 (T/τ = 10.5); use e.g. t-end 0.01 (10 steps) or 0.011\n`,
    );
    const ok = suite({});
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(await cli('bench', ok, '--root', file)).toEqual({
      code: 1,
      stdout: '',
      stderr: `allen-cahn: cannot use results folder ${join(file, 'x')}: ENOTDIR: not a directory, mkdir '${join(file, 'x')}'\n`,
    });
    // A second bench into the same results folder (here: its lock held by hand) refuses, naming the holder.
    mkdirSync(join(dir, 'x'));
    const lock = acquireLock(join(dir, 'x'), { command: 'allen-cahn bench first' });
    try {
      const busy = await cli('bench', ok, '--root', dir);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(new RegExp(`^allen-cahn: ${join(dir, 'x')} is in use by pid ${process.pid} on host \\S+ since \\S+ \\(allen-cahn bench first\\)\n$`));
    } finally {
      lock.release();
    }
    const sys = await cli('bench', ok, '--root', '/sys/kernel');
    expect(sys.code).toBe(1);
    expect(sys.stderr).toMatch(/^allen-cahn: cannot use results folder \/sys\/kernel\/x: E[A-Z]+: [^\n]+\n$/);
  });
});

describe('the library validates as the CLI does, with typed errors', () => {
  it('problems: unknown scale, NaN, null overrides, misspelled keys, n and T/τ out of bounds', () => {
    expect(() => makeProblem('star', 'huge' as never)).toThrow(new ProblemError("unknown scale 'huge' (known: paper, reduced)"));
    expect(() => makeProblem('star', 'reduced', { tEnd: Number.NaN })).toThrow(new ProblemError('t-end must be a positive number, got NaN'));
    expect(makeProblem('star', 'reduced', null as never).epsilon).toBe(0.04);
    expect(makeProblem('star', 'reduced', undefined).tEnd).toBe(0.004);
    expect(() => makeProblem('star', 'reduced', { epsilom: 0.1 } as never)).toThrow(new ProblemError("unknown problem override 'epsilom' (known: epsilon, mobility, tau, tEnd, n, seed)"));
    expect(() => makeProblem('star', 'reduced', 7 as never)).toThrow(new ProblemError('problem overrides must be an object, got 7'));
    expect(() => makeProblem(undefined as never)).toThrow(new ProblemError('unknown problem undefined (known: star, circle, coarsening, random, front1d, ac1d)'));
    expect(() => makeProblem('toString')).toThrow(ProblemError);
    expect(() => makeProblem('star', 'reduced', { n: 1e9 })).toThrow(new ProblemError('n must be at most 4194304 (the limit), got 1000000000'));
    expect(() => makeProblem('star', 'reduced', { tEnd: 1e-4, tau: 1e-3 })).toThrow(
      new ProblemError('t-end 0.0001 is not a whole number of steps of dt 0.001 (T/τ = 0.1); use e.g. t-end 0.001'),
    );
    expect(() => stepCount({ tEnd: 0.35, tau: 0.1 })).toThrow('tEnd 0.35 is not a whole number of steps of tau 0.1 (T/τ = 3.5); use e.g. tEnd 0.3 (3 steps) or 0.4');
  });

  it('FEM: misspelled option, null or missing arguments, a mesh object that does not fit, an n too large', () => {
    const p = makeProblem('star');
    expect(() => createFemSolver(p, { shceme: 'stabilized' } as never)).toThrow(new FemSetupError("unknown FEM option 'shceme' (known: scheme, n, meshFile, cellType, diagonal, newtonTolerance, maxNewtonIterations, stabilization, linearSolver, linearTolerance)"));
    expect(createFemSolver(makeProblem('front1d'), null as never).kind).toBe('fem');
    expect(() => createFemSolver(undefined as never)).toThrow(new FemSetupError('problem must be a problem from makeProblem, got undefined'));
    expect(() => createFemSolver(p, 'fast' as never)).toThrow(new FemSetupError('FEM options must be an object, got "fast"'));
    const shifted = rectangleMesh({ nx: 4, ny: 4, min: [0.5, 0], max: [1.5, 1] });
    expect(() => createFemSolver(p, { mesh: shifted })).toThrow(/^mesh does not fit the problem domain \[0,1\]×\[0,1\]: /);
    expect(() => createFemSolver(p, { n: 3000 })).toThrow(new FemSetupError('n 3000: 9006001 nodes is above the limit of 4194304 nodes per mesh'));
    expect(() => createFemSolver(p, { n: 1e7 })).toThrow(new FemSetupError('n must be at most 4194304 (the limit), got 10000000'));
    // A problem built by hand with T off the step grid is refused at creation, by both solvers.
    const offGrid = { ...makeProblem('front1d'), tEnd: 0.0205 };
    const message = 'tEnd 0.0205 is not a whole number of steps of tau 0.001 (T/τ = 20.5); use e.g. tEnd 0.02 (20 steps) or 0.021';
    expect(() => createFemSolver(offGrid)).toThrow(new FemSetupError(message));
    expect(() => resolveSdmmOptions(offGrid)).toThrow(new SdmmOptionsError(message));
  });

  it('SDMM: each bounded field and the total quadrature, in the schema messages', () => {
    const p = makeProblem('star');
    expect(() => resolveSdmmOptions(p, { rank: 1e6 })).toThrow(new SdmmOptionsError('rank must be at most 1024 (the limit), got 1000000'));
    expect(() => resolveSdmmOptions(p, { width: 1e7 })).toThrow(new SdmmOptionsError('width must be at most 4096 (the limit), got 10000000'));
    expect(() => resolveSdmmOptions(p, { quadPoints: 1e6 })).toThrow(new SdmmOptionsError('quadPoints must be at most 64 (the limit), got 1000000'));
    expect(() => resolveSdmmOptions(p, { quadElements: 4096 })).toThrow(
      new SdmmOptionsError('quadElements 4096 with quadPoints 2 in 2D gives 67000000 quadrature points in total, above the limit 4194304'),
    );
    expect(resolveSdmmOptions(makeProblem('ac1d'), { quadElements: 4096 }).quadElements).toBe(4096); // 1D: 8192 points
    expect(resolveSdmmOptions(p, null as never).rank).toBe(16);
    expect(() => resolveSdmmOptions(undefined as never)).toThrow(new SdmmOptionsError('problem must be a problem from makeProblem, got undefined'));
  });

  it('runSolver: missing or bad options are one-line RunErrors', async () => {
    const solver = createToySolver(makeProblem('front1d'));
    await expect(runSolver(solver, undefined as never)).rejects.toThrow('run options must be an object with outDir, got undefined');
    await expect(runSolver(solver, {} as never)).rejects.toThrow('outDir must be a folder path, got undefined');
    await expect(runSolver(solver, { outDir: tmp(), resume: 'yes' as never })).rejects.toThrow(`resume must be true, false or 'auto', got "yes"`);
  });
});

describe('blow-ups and verdicts (CLI exit codes)', () => {
  it('stabilized with S = 0 and dt = 0.01 diverges with a finite energy: failed, the reason, exit 1', async () => {
    const dir = join(tmp(), 'star');
    const r = await cli('run', '--problem', 'star', '--scheme', 'stabilized', '--stabilization', '0', '--dt', '0.01', '--t-end', '0.1', '--out', dir, '--no-progress');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^allen-cahn: star \\(reduced\\) fem-stabilized failed: diverged at step 2: the energy increased from 46\\.30\\d+ to 71\\.30\\d+, beyond the stability checker's tolerance [\\d.e-]+; files up to step 2 are in ${dir}\\n$`),
    );
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.stability.ok).toBe(false);
  });

  it('a completed run with an UNSTABLE verdict exits 3; a re-run says how to resume; --overwrite redoes it', async () => {
    const SHRINK = z.strictObject({ shrinkAt: option.positiveInteger().optional().meta({ description: 'halve u at this step' }) });
    const unregister = registerSolverKind(
      defineSolverKind({
        name: 'shrinking-toy',
        description: 'the toy solver, halving u once (energy inequality broken, energy still falling)',
        options: SHRINK,
        create: (problem, o) => createToySolver(problem, { shrinkAt: parseOptions(SHRINK, o, 'toy', (m) => new Error(m)).shrinkAt }),
      }),
    );
    try {
      const dir = join(tmp(), 'toy');
      const args = ['run', '--problem', 'front1d', '--solver', 'shrinking-toy', '--shrink-at', '3', '--t-end', '0.005', '--out', dir, '--no-progress'];
      const r = await cli(...args);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^front1d \(reduced\) shrinking-toy: 5 steps to t = 0\.005,.*\nstability: UNSTABLE: energy inequality violated at 1 of 5 steps, first at step 3/);
      expect(r.stderr).toBe('allen-cahn: front1d (reduced) shrinking-toy completed, but the stability verdict is UNSTABLE (exit code 3)\n');
      const again = await cli(...args);
      expect(again).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: ${dir} already holds this run (completed, checkpoint at step 5 of 5): continue it with --resume, or start afresh with --overwrite\n` });
      const other = await cli(...args.filter((a, i) => a !== '--shrink-at' && args[i - 1] !== '--shrink-at'));
      expect(other.stderr).toMatch(new RegExp(`^allen-cahn: ${dir} holds another run \\(problem front1d, solver toy, started \\S+\\): choose another output folder, or replace it with --overwrite\\n$`));
      const redo = await cli(...args, '--overwrite');
      expect(redo.code).toBe(3);
      expect(readdirSync(dir).sort()).toEqual(['.allen-cahn-run.json', 'checkpoint', 'final.csv', 'steps.csv', 'summary.json', 'u.pvd', 'vtk']);
      const none = await cli(...args.map((a) => (a === dir ? join(dir, 'nothing') : a)), '--resume');
      expect(none).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: nothing to resume in ${join(dir, 'nothing')}: it does not exist (start the run without --resume)\n` });
    } finally {
      unregister();
    }
  });
});
