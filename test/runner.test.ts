import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCheckpoints, readStepsCsv, STEP_COLUMNS } from '../src/io/index.js';
import { makeProblem } from '../src/physics/index.js';
import { readRunSteps, runSolver, type RunSummary } from '../src/run/index.js';
import { createFemSolver } from '../src/fem/index.js';
import { createSdmmSolver } from '../src/sdmm/index.js';
import { createToySolver, type ToyOptions } from './fixtures/toy-solver.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-run-'));
// front1d reduced with τ = 1e-3, T = 0.06: 60 steps.
const problem = () => makeProblem('front1d', 'reduced', { tau: 1e-3, tEnd: 0.06 });
const N = 60;
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
/** steps.csv without the wall_ms column (the only one that differs between identical runs). */
function deterministicRows(dir: string): string[] {
  const lines = readFileSync(join(dir, 'steps.csv'), 'utf8').trimEnd().split('\n');
  const wall = STEP_COLUMNS.indexOf('wall_ms');
  return lines.map((l) => l.split(',').filter((_, i) => i !== wall).join(','));
}
async function toyRun(dir: string, toy: ToyOptions = {}, extra: Partial<Parameters<typeof runSolver>[1]> = {}) {
  return runSolver(createToySolver(problem(), toy), { outDir: dir, checkpointEvery: 5, ...extra });
}

describe('runSolver', () => {
  it('writes steps.csv, final.csv on a grid, VTU snapshots, a PVD, checkpoints and summary.json', async () => {
    const dir = tmp();
    const seen: number[] = [];
    const s = await toyRun(dir, {}, { grid: 11, vtkEvery: 25, onStep: (r) => seen.push(r.step), config: { command: 'test' } });
    expect(s.status).toBe('completed');
    expect(seen).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.map((r) => r.step)).toEqual(seen);
    expect(rows.every((r) => r.stable)).toBe(true);
    expect(rows[N].t).toBeCloseTo(0.06, 12);
    // Totals are the sums of the rows.
    expect(s.totals.steps).toBe(N);
    expect(s.totals.plannedSteps).toBe(N);
    expect(s.totals.iterations).toBe(rows.slice(1).reduce((a, r) => a + r.iterations, 0));
    expect(s.totals.linearIterations).toBe(2 * s.totals.iterations);
    expect(s.totals.msPerStep).toBeCloseTo(s.totals.stepWallMs / N, 12);
    expect(s.totals.stepWallMs).toBeCloseTo(rows.slice(1).reduce((a, r) => a + r.wallMs, 0), 9);
    expect(s.totals.totalWallMs).toBeCloseTo(s.totals.stepWallMs + rows[0].wallMs, 9);
    expect(s.totals.finalEnergy).toBe(rows[N].energy);
    expect(s.totals.resumedFrom).toBeNull();
    expect(s.stability.ok).toBe(true);
    expect(s.stability.energyInequality.checked).toBe(N);
    // summary.json on disk is the returned summary, with configuration and machine.
    const disk = summaryOf(dir);
    expect(disk.status).toBe('completed');
    expect(disk.problem).toMatchObject({ name: 'front1d', scale: 'reduced', tau: 1e-3, tEnd: 0.06, steps: N });
    expect(disk.solver).toEqual({ solver: 'toy', points: 21 });
    expect(disk.run).toMatchObject({ checkpointEvery: 5, vtkEvery: 25, grid: 11, command: 'test' });
    expect(disk.machine.cores).toBeGreaterThan(0);
    expect(disk.machine.node).toBe(process.version);
    expect(disk.versions['allen-cahn']).toBe('0.1.0');
    expect(disk.stability.message).toMatch(/^energy stable over steps 0–60/);
    // final.csv: 11 grid points x, u (1D) sampled from the final state.
    const fin = readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n');
    expect(fin[0]).toBe('x,u');
    expect(fin).toHaveLength(12);
    expect(fin[1].startsWith('-1,')).toBe(true);
    // VTU at 0, 25, 50 and the last step; the PVD lists them in order.
    expect(readdirSync(join(dir, 'vtk')).sort()).toEqual(['u_000000.vtu', 'u_000025.vtu', 'u_000050.vtu', 'u_000060.vtu']);
    const pvd = readFileSync(join(dir, 'u.pvd'), 'utf8');
    expect([...pvd.matchAll(/timestep="([^"]+)" group="" part="0" file="([^"]+)"/g)].map((m) => m[2])).toEqual([
      'vtk/u_000000.vtu',
      'vtk/u_000025.vtu',
      'vtk/u_000050.vtu',
      'vtk/u_000060.vtu',
    ]);
    expect(readFileSync(join(dir, 'vtk/u_000060.vtu'), 'utf8')).toContain('<Piece NumberOfPoints="11" NumberOfCells="10">');
    // Two newest checkpoints kept, the last one at the final step; no temp files anywhere.
    expect(listCheckpoints(join(dir, 'checkpoint')).map((c) => c.step)).toEqual([55, 60]);
    for (const d of [dir, join(dir, 'vtk'), join(dir, 'checkpoint')]) expect(readdirSync(d).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(readRunSteps(dir)).toHaveLength(N + 1);
  });

  it('writes final.csv and VTU at the mesh nodes when the solver has a mesh', async () => {
    const dir = tmp();
    await toyRun(dir, { withMesh: true, points: 9 });
    const fin = readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n');
    expect(fin).toHaveLength(10);
    expect(fin[1]).toMatch(/^-1,/);
    expect(fin[9]).toMatch(/^1,/);
    const vtu = readFileSync(join(dir, 'vtk/u_000060.vtu'), 'utf8');
    expect(vtu).toContain('<Piece NumberOfPoints="9" NumberOfCells="8">');
  });

  it('marks the stable column false at a step that breaks the energy inequality (the energy still falls: the run completes)', async () => {
    const dir = tmp();
    const s = await toyRun(dir, { shrinkAt: 17 });
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.filter((r) => !r.stable).map((r) => r.step)).toEqual([17]);
    expect(s.status).toBe('completed');
    expect(s.stability.ok).toBe(false);
    expect(s.stability.energyInequality.firstViolation!.step).toBe(17);
    expect(s.stability.message).toMatch(/^UNSTABLE: energy inequality violated at 1 of 60 steps, first at step 17/);
  });

  it('stops on divergence with status failed and keeps every row before it', async () => {
    const dir = tmp();
    const s = await toyRun(dir, { divergeAt: 23 });
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('diverged at step 23: toy solver: Newton produced NaN');
    expect(summaryOf(dir).status).toBe('failed');
    expect(summaryOf(dir).reason).toBe(s.reason);
    expect(readStepsCsv(join(dir, 'steps.csv')).rows.map((r) => r.step)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(s.stability.ok).toBe(true);
    expect(existsSync(join(dir, 'final.csv'))).toBe(false);
    // A NaN energy reported without an exception is a divergence too.
    const dir2 = tmp();
    const s2 = await toyRun(dir2, { nanAt: 4 });
    expect(s2.status).toBe('failed');
    expect(s2.reason).toMatch(/^diverged at step 4: non-finite energy NaN/);
    expect(readStepsCsv(join(dir2, 'steps.csv')).rows).toHaveLength(4);
  });

  it('an aborted run checkpoints and resumes to exactly the rows of an uninterrupted run', async () => {
    const ref = tmp();
    await toyRun(ref);
    const dir = tmp();
    const ctl = new AbortController();
    const s1 = await toyRun(dir, {}, { signal: ctl.signal, onStep: (r) => r.step === 12 && ctl.abort() });
    expect(s1.status).toBe('interrupted');
    expect(s1.totals.steps).toBe(12);
    expect(listCheckpoints(join(dir, 'checkpoint')).at(-1)!.step).toBe(12);
    const s2 = await toyRun(dir, {}, { resume: true });
    expect(s2.status).toBe('completed');
    expect(s2.totals.resumedFrom).toBe(12);
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
    expect(readFileSync(join(dir, 'final.csv'), 'utf8')).toBe(readFileSync(join(ref, 'final.csv'), 'utf8'));
  });

  it('after a crash, resume truncates rows written after the checkpoint (no duplicates)', async () => {
    const ref = tmp();
    await toyRun(ref);
    const dir = tmp();
    // The "crash": an exception after step 13 was written (checkpoint at 10).
    await expect(toyRun(dir, {}, { onStep: (r) => { if (r.step === 13) throw new Error('power cut'); } })).rejects.toThrow('power cut');
    expect(summaryOf(dir).status).toBe('failed');
    expect(readStepsCsv(join(dir, 'steps.csv')).rows).toHaveLength(14);
    const s = await toyRun(dir, {}, { resume: true });
    expect(s.totals.resumedFrom).toBe(10);
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
  });

  it('resume with nothing to resume fails with one line and touches nothing; a checkpoint of another problem is refused', async () => {
    const dir = tmp();
    await expect(toyRun(dir, {}, { resume: true })).rejects.toThrow(`nothing to resume in ${dir}: it holds no run (start one without --resume)`);
    writeFileSync(join(dir, 'steps.csv'), 'stale\n');
    await expect(toyRun(dir, {}, { resume: true })).rejects.toThrow(`nothing to resume in ${dir}: it holds files that no run of this program wrote (steps.csv)`);
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8')).toBe('stale\n');
    expect(readdirSync(dir)).toEqual(['steps.csv']);
    const done = tmp();
    await toyRun(done);
    const other = makeProblem('front1d', 'reduced', { tau: 1e-3, tEnd: 0.06, epsilon: 0.1 });
    await expect(runSolver(createToySolver(other), { outDir: done, resume: true })).rejects.toThrow(
      `cannot resume from ${join(done, 'checkpoint', 'step-00000060.ckpt')}: it was written for a different problem (epsilon 0.05 in the checkpoint vs 0.1 now)`,
    );
    // The refused resume left the finished run untouched.
    expect(summaryOf(done).status).toBe('completed');
    await expect(toyRun(done, {}, { checkpointEvery: 0 })).rejects.toThrow('checkpointEvery must be an integer ≥ 1, got 0');
    await expect(toyRun(done, {}, { grid: 1 })).rejects.toThrow('grid must be an integer ≥ 2, got 1');
    await expect(toyRun(done, {}, { grid: 100000 })).rejects.toThrow('grid must be at most 4096 (the limit), got 100000');
  });

  it('resumes after SIGKILL of a real child process with exactly one row per step', async () => {
    const ref = tmp();
    await toyRun(ref, {}, { vtkEvery: 20 });
    const dir = tmp();
    const script = join(import.meta.dirname, 'fixtures', 'run-toy.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '0', '25'], { stdio: 'ignore' });
    // Wait until at least 13 rows after the header (steps 0..12; checkpoints at 0, 5, 10), then kill -9.
    const steps = join(dir, 'steps.csv');
    const t0 = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const n = existsSync(steps) ? readFileSync(steps, 'utf8').split('\n').length - 2 : 0;
      if (n >= 13) break;
      if (Date.now() - t0 > 30_000) throw new Error('child did not reach step 12 in 30 s');
    }
    // While the child runs, its folder is locked: a second run (fresh or resume) refuses, naming it.
    await expect(toyRun(dir)).rejects.toThrow(new RegExp(`^${dir} is in use by pid ${child.pid} on host `));
    await expect(toyRun(dir, {}, { resume: true })).rejects.toThrow(`is in use by pid ${child.pid}`);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // Re-running without --resume: the folder says what it holds and how to continue.
    // (It takes over the dead child's stale lock first, and says so.)
    const notes: string[] = [];
    await expect(toyRun(dir, {}, { onNotice: (l) => notes.push(l) })).rejects.toThrow(new RegExp(`^${dir} already holds this run \\(stopped \\(killed\\), checkpoint at step \\d+ of 60\\): continue it with --resume, or start afresh with --overwrite$`));
    expect(notes).toEqual([expect.stringMatching(new RegExp(`^took over the lock of a run that is gone \\(pid ${child.pid} on host `))]);
    const killedRows = readStepsCsv(steps).rows.length;
    expect(killedRows).toBeGreaterThanOrEqual(13);
    expect(killedRows).toBeLessThan(N + 1);
    expect(summaryOf(dir).status).toBe('running');
    const lastCk = listCheckpoints(join(dir, 'checkpoint')).at(-1)!.step;
    expect(lastCk % 5).toBe(0);
    expect(lastCk).toBeLessThanOrEqual(killedRows - 1);

    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script, dir, '1', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      c.stdout.on('data', (d) => (text += d));
      c.stderr.on('data', (d) => (text += d));
      c.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    expect(out.trim()).toBe('completed 60');
    expect(summaryOf(dir).totals.resumedFrom).toBe(lastCk);

    const rows = readStepsCsv(steps).rows.map((r) => r.step);
    expect(rows).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
    expect(readdirSync(join(dir, 'vtk')).sort()).toEqual(['u_000000.vtu', 'u_000020.vtu', 'u_000040.vtu', 'u_000060.vtu']);
  });

  it('interrupting and resuming a real FEM run (fresh solver instance) reproduces the uninterrupted steps.csv', async () => {
    // Reduced star on a 16×16 mesh, 12 steps of mms-newton; stop after step 7, resume from it.
    const star = () => makeProblem('star', 'reduced', { n: 16, tEnd: 0.0012 });
    const fem = () => createFemSolver(star(), { scheme: 'mms-newton' });
    const ref = tmp();
    const sRef = await runSolver(fem(), { outDir: ref, checkpointEvery: 5 });
    expect(sRef.totals.steps).toBe(12);
    const dir = tmp();
    const ctl = new AbortController();
    const s1 = await runSolver(fem(), { outDir: dir, checkpointEvery: 5, signal: ctl.signal, onStep: (r) => r.step === 7 && ctl.abort() });
    expect(s1.status).toBe('interrupted');
    const s2 = await runSolver(fem(), { outDir: dir, checkpointEvery: 5, resume: true });
    expect(s2.status).toBe('completed');
    expect(s2.totals.resumedFrom).toBe(7);
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
    expect(readFileSync(join(dir, 'final.csv'), 'utf8')).toBe(readFileSync(join(ref, 'final.csv'), 'utf8'));
    // final.csv at the 17×17 mesh nodes.
    expect(readFileSync(join(ref, 'final.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + 289);
  });

  it('interrupting and resuming a real SDMM run (fresh solver instance) reproduces the uninterrupted steps.csv', async () => {
    // A tiny network on front1d, 4 steps; stop after step 2, resume in a new solver from the checkpoint.
    const p = () => makeProblem('front1d', 'reduced', { tEnd: 0.004 });
    const o = { rank: 2, width: 6, depth: 1, quadElements: 12, fitTolerance: 0.05, fitMaxIters: 200, maxIters: 5, backend: 'cpu' as const };
    const go = async (dir: string, extra: Partial<Parameters<typeof runSolver>[1]> = {}) => {
      const solver = await createSdmmSolver(p(), o);
      try {
        return await runSolver(solver, { outDir: dir, ...extra });
      } finally {
        solver.dispose();
      }
    };
    const ref = tmp();
    await go(ref);
    const dir = tmp();
    const ctl = new AbortController();
    expect((await go(dir, { signal: ctl.signal, onStep: (r) => r.step === 2 && ctl.abort() })).status).toBe('interrupted');
    const s = await go(dir, { resume: true });
    expect(s.status).toBe('completed');
    expect(s.totals.resumedFrom).toBe(2);
    expect(deterministicRows(dir)).toHaveLength(1 + 5);
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
    expect(readFileSync(join(dir, 'final.csv'), 'utf8')).toBe(readFileSync(join(ref, 'final.csv'), 'utf8'));
  });
});
