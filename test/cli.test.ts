import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStepsCsv, STEP_COLUMNS } from '../src/io/index.js';

const ROOT = join(import.meta.dirname, '..');
// The command from its TypeScript sources (bin/allen-cahn.js runs the compiled dist/, which
// test/package.test.ts covers).
const BIN = join(ROOT, 'src', 'cli', 'bin.ts');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const out = mkdtempSync(join(tmpdir(), 'ac-cli-'));
const run = (...a: string[]) => ['run', '--out', join(out, 'never'), ...a];

/** [description, arguments, exact stderr line] — each must exit 1 with that one line. */
const BAD: [string, string[], string][] = [
  ['unknown problem', run('--problem', 'nope'), "allen-cahn: unknown problem 'nope' (known: star, circle, coarsening, random, front1d, ac1d)"],
  ['ε = 0', run('--problem', 'star', '--epsilon', '0'), "allen-cahn: option '--epsilon <e>' argument '0' is invalid. must be > 0, got 0."],
  ['dt ≤ 0', run('--problem', 'star', '--dt', '-1e-4'), "allen-cahn: option '--dt <tau>' argument '-1e-4' is invalid. must be > 0, got -1e-4."],
  ['non-numeric t-end', run('--problem', 'star', '--t-end', 'soon'), "allen-cahn: option '--t-end <T>' argument 'soon' is invalid. expected a number, got 'soon'."],
  ['non-integer n', run('--problem', 'star', '--n', '2.5'), "allen-cahn: option '--n <cells>' argument '2.5' is invalid. expected an integer, got '2.5'."],
  ['unknown scheme', run('--problem', 'star', '--scheme', 'rk4'), "allen-cahn: unknown scheme 'rk4' (known: mms-newton, stabilized, convex-split)"],
  ['SDMM option with FEM', run('--problem', 'star', '--rank', '8'), 'allen-cahn: --rank applies to --solver sdmm, spinn only'],
  ['FEM option with SDMM', run('--problem', 'star', '--solver', 'sdmm', '--scheme', 'stabilized'), 'allen-cahn: --scheme applies to --solver fem only'],
  ['zero rank', run('--problem', 'star', '--solver', 'sdmm', '--rank', '0'), "allen-cahn: option '--rank <r>' argument '0' is invalid. must be a positive integer, got 0."],
  ['--mesh with --n', run('--problem', 'star', '--mesh', 'meshes/square-h16.msh', '--n', '8'), 'allen-cahn: --mesh and --n are mutually exclusive (the mesh fixes the resolution)'],
  [
    'mesh not fitting the box',
    run('--problem', 'star', '--mesh', 'meshes/disk-h32.msh'),
    'allen-cahn: meshes/disk-h32.msh does not fit the problem domain [0,1]×[0,1]: boundary node 87 at (0.758669, 0.0721094) is not on the box boundary',
  ],
  ['malformed mesh file', run('--problem', 'star', '--mesh', 'test/fixtures/meshes/truncated.msh'), 'allen-cahn: test/fixtures/meshes/truncated.msh: unexpected end of file in $Nodes (expected 25 nodes, read 12)'],
  ['2D mesh for a 1D problem', run('--problem', 'front1d', '--mesh', 'meshes/square-h16.msh'), 'allen-cahn: meshes/square-h16.msh does not fit the problem domain [-1,1]: the mesh is 2D, the problem is 1D'],
];

describe('allen-cahn CLI', () => {
  it('rejects every bad input with one line on stderr and exit code 1', async () => {
    // Three at a time: each spawn loads tsx (~0.5 s of CPU) on a 2-core machine.
    const results: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < BAD.length; i += 3) results.push(...(await Promise.all(BAD.slice(i, i + 3).map(([, args]) => cli(args)))));
    BAD.forEach(([what, , message], i) => {
      const r = results[i];
      expect({ what, code: r.code, stderr: r.stderr }).toEqual({ what, code: 1, stderr: message + '\n' });
      expect(r.stdout).toBe('');
    });
    expect(existsSync(join(out, 'never'))).toBe(false);
  });

  it('lists the catalogue with paper and reduced settings', async () => {
    const r = await cli(['problems']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['name', 'dim', 'domain', 'BC', 'scale', 'ε', 'm', 'τ', 'T', 'steps', 'n', 'checks']);
    expect(lines).toHaveLength(1 + 2 * 6);
    expect(lines[1]).toMatch(/^star\s+2\s+\[0,1\]×\[0,1\]\s+neumann\s+paper\s+0\.01\s+1\s+0\.00001\s+0\.02\s+2000\s+256\s+sharp interface/);
    expect(lines[2]).toMatch(/^\s+reduced\s+0\.04\s+1\s+0\.0001\s+0\.004\s+40\s+64$/);
    const json = JSON.parse((await cli(['problems', '--json'])).stdout) as { name: string; boundary: string }[];
    expect(json.map((p) => p.name)).toEqual(['star', 'circle', 'coarsening', 'random', 'front1d', 'ac1d']);
    expect(json.find((p) => p.name === 'coarsening')!.boundary).toBe('periodic');
  });

  it('runs a tiny FEM problem and writes steps.csv, final.csv, summary.json and VTU', async () => {
    const dir = join(out, 'star');
    const r = await cli(['run', '--problem', 'star', '--solver', 'fem', '--scheme', 'stabilized', '--n', '24', '--t-end', '0.0003', '--grid', '9', '--vtk-every', '2', '--out', dir]);
    // The mesh does not resolve ε = 0.04 (largest cell diameter √2/24 ≈ 0.0589): one warning line,
    // the option spelled as its flag. The stabilized scheme overshoots on this coarse mesh
    // (|u| = 1.011 > 1 + δ): the run completes with an UNSTABLE verdict, which is exit code 3.
    expect(r.stderr).toBe(
      'allen-cahn: warning: under-resolved: h = 0.0589 > ε = 0.04 (mesh: largest cell diameter); refine --n, or raise ε\n' +
        'allen-cahn: star (reduced) fem-stabilized completed, but the stability verdict is UNSTABLE (exit code 3)\n',
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^star \(reduced\) fem-stabilized: 3 steps to t = 0\.0003/);
    expect(r.stdout).toMatch(/\nstability: UNSTABLE: \|u\| exceeded 1 \+ 0\.01 at 1 records, first at step 3/);
    const text = readFileSync(join(dir, 'steps.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe(STEP_COLUMNS.join(','));
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.map((x) => x.step)).toEqual([0, 1, 2, 3]);
    for (const row of rows.slice(1)) {
      expect(row.energy).toBeLessThan(rows[0].energy);
      expect(row.iterations).toBeGreaterThan(0);
      expect(row.stable).toBe(true);
    }
    const fin = readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n');
    expect(fin[0]).toBe('x,y,u');
    expect(fin).toHaveLength(1 + 81);
    for (const line of fin.slice(1)) expect(line.split(',').map(Number).every(Number.isFinite)).toBe(true);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(s.status).toBe('completed');
    expect(s.problem).toMatchObject({ name: 'star', epsilon: 0.04, tau: 1e-4, tEnd: 0.0003, n: 24 });
    expect(s.solver).toMatchObject({ solver: 'fem', scheme: 'stabilized' });
    expect(s.run.command).toContain('--scheme stabilized');
    expect(s.totals.steps).toBe(3);
    expect(s.stability.energyInequality.ok).toBe(true);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toEqual({
      kind: 'under-resolved',
      h: expect.closeTo(Math.SQRT2 / 24, 14),
      epsilon: 0.04,
      ratio: expect.closeTo(Math.SQRT2 / 24 / 0.04, 13),
      of: 'mesh: largest cell diameter',
      refine: ['n'],
      message: 'under-resolved: h = 0.0589 > ε = 0.04 (mesh: largest cell diameter); refine n, or raise ε',
    });
    for (const f of ['u.pvd', 'vtk/u_000000.vtu', 'vtk/u_000002.vtu', 'vtk/u_000003.vtu']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'vtk/u_000003.vtu'), 'utf8')).toContain('<Piece NumberOfPoints="81" NumberOfCells="64">');

    // Without --grid, final.csv holds the mesh nodes ((24+1)² for the structured mesh).
    const dir2 = join(out, 'nodes');
    const r2 = await cli(['run', '--problem', 'circle', '--n', '24', '--cell-type', 'quadrilateral', '--t-end', '0.0001', '--out', dir2]);
    expect(r2.code).toBe(0);
    expect(readFileSync(join(dir2, 'final.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + 625);
    expect(readFileSync(join(dir2, 'vtk/u_000001.vtu'), 'utf8')).toContain('<Piece NumberOfPoints="625" NumberOfCells="576">');
  });

  it('runs a tiny SDMM problem: every SDMM flag reaches the solver and the same files are written', async () => {
    const dir = join(out, 'sdmm');
    const args = ['run', '--problem', 'front1d', '--solver', 'sdmm', '--t-end', '0.002', '--grid', '17', '--out', dir, '--backend', 'cpu'];
    const flags = ['--rank', '2', '--width', '6', '--depth', '1', '--activation', 'gelu', '--alpha', '1.5', '--train-alpha', '--no-bound',
      '--quad-elements', '12', '--quad-points', '3', '--optimizer', 'adam', '--max-iters', '7', '--tol', '1e-5', '--lr', '0.01',
      '--history', '5', '--fit-tol', '0.5', '--fit-iters', '60', '--seed', '11', '--threads', '1'];
    const r = await cli([...args, ...flags]);
    expect(r.stdout).toMatch(/^front1d \(reduced\) sdmm: 2 steps to t = 0\.002/);
    // 12 elements × 3 Gauss points on [−1, 1]: the largest gap is √(3/5)·(2/12) ≈ 0.0645 > ε = 0.05.
    expect(r.stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      'allen-cahn: warning: under-resolved: h = 0.0645 > ε = 0.05 (quadrature grid: largest gap between adjacent Gauss points); refine --quad-elements or --quad-points, or raise ε',
    ]);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(s.status).toBe('completed');
    // Unbounded (--no-bound) after a loose fit: the verdict decides between exit 0 and 3.
    expect(r.code).toBe(s.stability.ok ? 0 : 3);
    expect(s.solver.options).toEqual({
      rank: 2, width: 6, depth: 1, activation: 'gelu', alpha: 1.5, trainAlpha: true, bound: false, quadElements: 12, quadPoints: 3,
      optimizer: 'adam', maxIters: 7, tol: 1e-5, learningRate: 0.01, historySize: 5, fitTolerance: 0.5, fitMaxIters: 60, seed: 11, backend: 'cpu',
      threads: 1, gradTol: 1e-5, keepHistory: true, extrapolate: 1,
    });
    expect(s.problem.seed).toBe(11);
    expect(s.versions.tfjsBackend).toBe('cpu');
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.map((x) => x.step)).toEqual([0, 1, 2]);
    expect(rows.slice(1).every((x) => x.iterations > 0 && x.iterations <= 7)).toBe(true);
    expect(readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + 17);
    expect(readFileSync(join(dir, 'vtk/u_000002.vtu'), 'utf8')).toContain('<Piece NumberOfPoints="17" NumberOfCells="16">');
  });

  it('Ctrl-C (SIGINT) stops after the current step, checkpoints it and exits 130', async () => {
    const dir = join(out, 'interrupted');
    // Paper-scale τ on a coarse mesh: 2000 steps, far more than run before the signal arrives.
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'run', '--problem', 'star', '--scale', 'paper', '--n', '32', '--out', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const steps = join(dir, 'steps.csv');
    const t0 = Date.now();
    while (!(existsSync(steps) && readFileSync(steps, 'utf8').split('\n').length >= 5)) {
      await new Promise((r) => setTimeout(r, 20));
      if (Date.now() - t0 > 30_000) throw new Error('the run did not reach step 3 in 30 s');
    }
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(130);
    const last = readStepsCsv(steps).rows.at(-1)!.step;
    expect(last).toBeGreaterThanOrEqual(3);
    expect(last).toBeLessThan(2000);
    expect(stderr).toContain(`allen-cahn: star (paper) fem-mms-newton interrupted at step ${last}/2000; continue with --resume`);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(s.status).toBe('interrupted');
    expect(existsSync(join(dir, 'checkpoint', `step-${String(last).padStart(8, '0')}.ckpt`))).toBe(true);
  });
});

describe('allen-cahn bench', () => {
  it('exits 1 for a bad suite file (one line) and for a suite with a failed run, 0 when every run completed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ac-bench-'));
    const bad = await cli(['bench', join(dir, 'missing.json')]);
    expect(bad).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: ${join(dir, 'missing.json')}: cannot read suite file: ENOENT\n` });
    // front1d with τ = 0.025 = 10 ε²/m: the reference (mms-newton) converges, the explicit
    // stabilized scheme with S = 0 amplifies u − 1 by |1 − 2mτ/ε²| = 19 per step and diverges.
    const suite = (solvers: unknown[]) =>
      JSON.stringify({ name: 'exits', grid: 9, reference: { nFactor: 1, tauDivisor: 1 }, problems: [{ name: 'front1d', overrides: { tau: 0.025, tEnd: 0.5, n: 40 }, solvers }] });
    writeFileSync(join(dir, 'fails.json'), suite([{ kind: 'fem', scheme: 'stabilized', stabilization: 0 }]));
    writeFileSync(join(dir, 'ok.json'), suite([{ kind: 'fem', scheme: 'mms-newton' }]));
    const failed = await cli(['bench', join(dir, 'fails.json'), '--root', join(dir, 'a'), '--no-report']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/front1d\/fem-stabilized-n40-S0: failed \(diverged at step \d+/);
    expect(failed.stderr).toContain('done: 2 runs (1 failed)');
    const ok = await cli(['bench', join(dir, 'ok.json'), '--root', join(dir, 'b'), '--no-report']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('done: 2 runs (0 failed)');
    // the suite computed the missing reference itself, naming the command that does it alone
    expect(ok.stderr).toContain(`front1d/reference: no finished reference for these settings and code here, computing it (20 steps on n = 40); \`allen-cahn bench reference ${join(dir, 'ok.json')} --root ${join(dir, 'b')}\` computes the references alone, once`);
  });
});

describe('allen-cahn bench reference', () => {
  it('computes and caches the references alone; the suite then reuses them, and a second call finds them cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ac-bench-ref-'));
    const path = join(dir, 'refs.json');
    writeFileSync(path, JSON.stringify({ name: 'refs', grid: 9, reference: { nFactor: 2, tauDivisor: 2 }, problems: [{ name: 'front1d', overrides: { tau: 0.0025, tEnd: 0.01, n: 20 }, solvers: [{ kind: 'fem' }] }] }));
    const root = join(dir, 'r');
    const first = await cli(['bench', 'reference', path, '--root', root]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('front1d/reference: no finished reference for these settings and code here, computing it (8 steps on n = 40)');
    expect(first.stdout).toMatch(new RegExp(`^front1d: reference completed, 8 steps, [\\d.]+ s of steps → ${join(root, 'refs', 'reference', 'front1d')}/\n$`));
    expect(existsSync(join(root, 'refs', 'summary.csv'))).toBe(false); // references only: no tables
    const again = await cli(['bench', 'reference', path, '--root', root]);
    expect(again.stderr).toContain('front1d/reference: already done (completed), skipped');
    const suite = await cli(['bench', path, '--root', root, '--no-report']);
    expect(suite.code).toBe(0);
    expect(suite.stderr).toContain('front1d/reference: already done (completed), skipped');
    expect(suite.stderr).toContain('done: 2 runs (0 failed)');
  });

  it('computes the references of several problems in worker processes (--jobs 2), one problem each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ac-bench-ref2-'));
    const path = join(dir, 'refs2.json');
    const problems = [
      { name: 'front1d', overrides: { tau: 0.0025, tEnd: 0.005, n: 20 }, solvers: [{ kind: 'fem' }] },
      { name: 'ac1d', overrides: { tau: 0.005, tEnd: 0.01, n: 64 }, solvers: [{ kind: 'fem' }] },
    ];
    writeFileSync(path, JSON.stringify({ name: 'refs2', grid: 9, reference: { nFactor: 2, tauDivisor: 2 }, problems }));
    const r = await cli(['bench', 'reference', path, '--root', join(dir, 'r'), '--jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[worker [12]\] front1d\/reference: completed/);
    expect(r.stderr).toMatch(/\[worker [12]\] ac1d\/reference: completed/);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(',')[0])).toEqual(['front1d: reference completed', 'ac1d: reference completed']);
    for (const p of ['front1d', 'ac1d']) expect(existsSync(join(dir, 'r', 'refs2', 'reference', p, 'bench.json'))).toBe(true);
  });
});

describe('allen-cahn bench scaling', () => {
  it('writes the FEM cost table with wall and CPU times, set-up and the targets columns (FEM part, tiny sizes)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ac-scaling-'));
    const r = await cli(['bench', 'scaling', '--only', 'fem', '--fem-n', '4,8', '--steps', '2', '--root', root]);
    expect(r.code).toBe(0);
    const [header, ...rows] = readFileSync(join(root, 'scaling', 'fem-time-per-step.csv'), 'utf8').trimEnd().split('\n');
    expect(header.split(',')).toEqual([
      'scheme', 'n', 'dofs', 'timed_steps', 'ms_per_step_median', 'ms_per_step_mean', 'iterations_per_step', 'linear_iterations_per_step',
      'linear_solver', 'setup_ms', 'cpu_ms_per_step_median', 'load_avg_1min', 'target_ms_per_step', 'meets_target', 'meets_target_cpu',
    ]);
    expect(rows.map((l) => l.split(',').slice(0, 4).join(','))).toEqual([
      'mms-newton,4,25,2', 'mms-newton,8,81,2', 'stabilized,4,25,2', 'stabilized,8,81,2', 'convex-split,4,25,2', 'convex-split,8,81,2',
    ]);
    expect(existsSync(join(root, 'scaling', 'SCALING.md'))).toBe(true);
    expect(existsSync(join(root, 'scaling', 'sdmm-time-per-iteration.csv'))).toBe(false); // --only fem
  });
});

describe('allen-cahn output to a closed pipe', () => {
  it('exits 0 without a stack trace when the reader has gone (e.g. `allen-cahn problems | head -1`)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'problems'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader closes before the CLI writes: its write gets EPIPE
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
