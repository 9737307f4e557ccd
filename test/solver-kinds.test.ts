import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSuite } from '../src/bench/config.js';
import { defaultSuiteDeps } from '../src/bench/solvers.js';
import { runSuite } from '../src/bench/suite.js';
import { buildProgram, runCli } from '../src/cli/main.js';
import { z } from 'zod';
import { option } from '../src/options.js';
import { defineSolverKind } from '../src/solver.js';
import { readStepsCsv } from '../src/io/csv.js';
import { frontEnergyPerLength } from '../src/physics/energy.js';
import { createFemSolver } from '../src/fem/index.js';
import { makeProblem } from '../src/physics/problems.js';
import { registerSolverKind, solverKinds } from '../src/registry.js';
import { resolveSdmmOptions } from '../src/sdmm/options.js';
import { toyKind } from './fixtures/toy-kind.js';

/**
 * A solver kind is a plugin: the 29-line toy kind (test/fixtures/toy-kind.ts), registered at run
 * time, is picked up by `allen-cahn run` (flags, help, validation, the run) and by the suite
 * (schema, labels, sweep, runs) without any edit to the CLI or the suite. The toy solver is the
 * exact minimizing movement of E(u) = ½ h Σ λᵢ uᵢ² (toy-solver.ts), so its rows are known exactly.
 */

let unregister: (() => void) | undefined;
afterEach(() => {
  unregister?.();
  unregister = undefined;
  vi.restoreAllMocks();
});

/** Run the CLI in this process; returns the exit code and what it wrote. */
async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const code = await runCli(['node', 'allen-cahn', ...args]);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe('solver kinds as plugins', () => {
  it('the CLI generates flags, help and checks for a registered kind and runs it', async () => {
    unregister = registerSolverKind(toyKind);
    expect(solverKinds().map((k) => k.name)).toEqual(['fem', 'sdmm', 'spinn', 'toy']);
    const help = await cli('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--points <k>\s+TOY: grid points of the 1D toy solver \(default 21\)/);
    expect(help.stdout).toContain('--with-mesh');
    expect(help.stdout).toMatch(/choices:\s+"fem",\s+"sdmm",\s+"spinn",\s+"toy"/);

    const bad = await cli('run', '--problem', 'front1d', '--solver', 'toy', '--points', '0');
    expect(bad).toMatchObject({ code: 1, stderr: "allen-cahn: option '--points <k>' argument '0' is invalid. must be a positive integer, got 0.\n" });
    const foreign = await cli('run', '--problem', 'front1d', '--solver', 'toy', '--rank', '3');
    expect(foreign).toMatchObject({ code: 1, stderr: 'allen-cahn: --rank applies to --solver sdmm, spinn only\n' });
    const other = await cli('run', '--problem', 'front1d', '--points', '5');
    expect(other).toMatchObject({ code: 1, stderr: 'allen-cahn: --points applies to --solver toy only\n' });

    // front1d reduced: τ = 1e-3, so T = 0.005 is 5 steps, and uᵢⁿ = uᵢ⁰ (1 + mτλᵢ)^−n exactly.
    const dir = join(mkdtempSync(join(tmpdir(), 'ac-kind-')), 'toy');
    const r = await cli('run', '--problem', 'front1d', '--solver', 'toy', '--points', '11', '--with-mesh', '--t-end', '0.005', '--out', dir, '--no-progress');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^front1d \(reduced\) toy: 5 steps to t = 0\.005/);
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows.every((x) => x.stable && x.stopReason === 'exact')).toBe(true);
    const final = readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n');
    expect(final).toHaveLength(1 + 11); // at the 11 mesh nodes (--with-mesh)
    // node 10 (x = 1, λ = 11): u⁰ = tanh(1/(√2·0.05)), u⁵ = u⁰ / (1 + 1e-3·11)⁵
    const u0 = Math.tanh(1 / (Math.SQRT2 * 0.05));
    expect(Number(final[11].split(',')[1])).toBeCloseTo(u0 / 1.011 ** 5, 14);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.solver).toEqual({ solver: 'toy', points: 11 });
    expect(summary.totals.steps).toBe(5);
  });

  it('the suite accepts, labels, sweeps and runs a registered kind; unregistered, it is refused', async () => {
    const text = JSON.stringify({
      name: 'kinds',
      grid: 17,
      reference: { nFactor: 1, tauDivisor: 1 },
      problems: [{ name: 'front1d', overrides: { tEnd: 0.004 }, solvers: [{ kind: 'toy', points: 11 }, { kind: 'fem', scheme: 'stabilized' }] }],
      sweep: { problems: ['front1d'], targets: [1], solvers: [{ kind: 'toy', points: 21 }] },
    });
    expect(() => parseSuite(text, 'kinds.json')).toThrow("kinds.json: problems[0].solvers[0].kind: expected one of fem, sdmm, spinn, got 'toy'");
    unregister = registerSolverKind(toyKind);
    const noResolution = JSON.parse(text);
    noResolution.sweep.solvers = [{ kind: 'toy' }];
    expect(() => parseSuite(JSON.stringify(noResolution), 'kinds.json')).toThrow('kinds.json: sweep.solvers[0].points: required in a resolution sweep');
    const badValue = JSON.parse(text);
    badValue.problems[0].solvers[0].points = 0;
    expect(() => parseSuite(JSON.stringify(badValue), 'kinds.json')).toThrow('kinds.json: problems[0].solvers[0].points: expected a number ≥ 1, got 0');

    const root = mkdtempSync(join(tmpdir(), 'ac-kind-suite-'));
    const res = await runSuite(parseSuite(text, 'kinds.json'), { root, deps: defaultSuiteDeps(), log: () => {} });
    expect(res.runs.map((x) => `${x.label}:${x.kind}:${x.family}:${x.status}`)).toEqual([
      'reference:fem:reference:completed',
      'toy-p11:toy:toy:completed',
      'fem-stabilized-n160:fem:fem-stabilized:completed',
      'sweep-toy-p21:toy:toy:completed',
    ]);
    // time to accuracy groups by the kinds' families; both reach a relative L2 error of 1
    expect(res.timeToAccuracy.map((x) => `${x.family}:${x.wallMs !== null}`)).toEqual(['toy:true', 'fem-stabilized:true']);
    // front1d carries its exact energy law, evaluated for every run: the FEM reference (160 cells,
    // ε/h = 4) is within 1% of 2√2/(3ε) at every output time; the toy's energy is another functional.
    const ref = res.runs[0];
    expect(ref.energyLawError).toHaveLength(3);
    for (const e of ref.energyLawError!) expect(Math.abs(e)).toBeLessThan(1e-2);
    expect(ref.finalEnergy).toBeCloseTo(frontEnergyPerLength(0.05) * (1 + ref.energyLawError!.at(-1)!), 9);
    expect(res.runs[1].radiusError).toEqual([]); // no radius law for front1d
  });

  it('an option is declared once: FEM newtonTolerance and SDMM alpha reach the solver from the CLI and the suite, with the same bounds as the library', async () => {
    const star = makeProblem('star', 'reduced');
    const suiteWith = (solver: Record<string, unknown>) => JSON.stringify({ name: 'once', problems: [{ name: 'star', solvers: [solver] }] });
    // FEM newtonTolerance: positive
    expect(() => createFemSolver(star, { newtonTolerance: 0 })).toThrow('newtonTolerance must be a positive number, got 0');
    expect(() => parseSuite(suiteWith({ kind: 'fem', newtonTolerance: 0 }), 'once.json')).toThrow('once.json: problems[0].solvers[0].newtonTolerance: expected a number > 0, got 0');
    expect(await cli('run', '--problem', 'star', '--newton-tol', '0')).toMatchObject({
      code: 1,
      stderr: "allen-cahn: option '--newton-tol <t>' argument '0' is invalid. must be a positive number, got 0.\n",
    });
    expect(parseSuite(suiteWith({ kind: 'fem', newtonTolerance: 1e-10 }), 'once.json').problems[0].solvers![0]).toEqual({ kind: 'fem', newtonTolerance: 1e-10 });
    const dir = join(mkdtempSync(join(tmpdir(), 'ac-once-')), 'fem');
    const r = await cli('run', '--problem', 'star', '--n', '8', '--t-end', '0.0002', '--newton-tol', '1e-10', '--out', dir, '--no-progress');
    const written = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(r.code).toBe(written.stability.ok ? 0 : 3); // 8 cells: an overshoot |u| > 1.01 is an UNSTABLE verdict, exit 3
    expect(written.solver).toMatchObject({ scheme: 'mms-newton', n: 8, newtonTolerance: 1e-10, unknowns: 81 });
    // SDMM alpha: any finite non-zero number (negative included), nowhere zero
    expect(() => resolveSdmmOptions(star, { alpha: 0 })).toThrow('alpha must be a finite non-zero number, got 0');
    expect(resolveSdmmOptions(star, { alpha: -1.5 }).alpha).toBe(-1.5);
    expect(() => parseSuite(suiteWith({ kind: 'sdmm', alpha: 0 }), 'once.json')).toThrow('once.json: problems[0].solvers[0].alpha: must be a finite non-zero number, got 0');
    expect(parseSuite(suiteWith({ kind: 'sdmm', alpha: -1.5 }), 'once.json').problems[0].solvers![0]).toEqual({ kind: 'sdmm', alpha: -1.5 });
    expect(await cli('run', '--problem', 'star', '--solver', 'sdmm', '--alpha', '0')).toMatchObject({
      code: 1,
      stderr: "allen-cahn: option '--alpha <a>' argument '0' is invalid. must be a finite non-zero number, got 0.\n",
    });
  });

  it('a kind option that collides with a run-level flag is refused when the command is built', () => {
    const clash = defineSolverKind({
      name: 'clash',
      description: 'declares an option named like a run-level flag',
      options: z.strictObject({ grid: option.positiveInteger().default(3).meta({ description: 'a grid size' }) }),
      create: () => {
        throw new Error('never created');
      },
    });
    unregister = registerSolverKind(clash);
    expect(() => buildProgram()).toThrow("solver kind clash: option 'grid' collides with the run-level flag --grid (mark it sharedFlag or give it meta.flag)");
    expect(() => registerSolverKind(clash)).toThrow("solver kind 'clash' is already registered");
  });
});
