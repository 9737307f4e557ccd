import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFileIo, setFileIoForTesting, type FileIo } from '../src/io/atomic.js';
import { checkpointPath, listCheckpoints } from '../src/io/checkpoint.js';
import { readStepsCsv, STEP_COLUMNS } from '../src/io/csv.js';
import { acquireLock } from '../src/io/lock.js';
import { readRunMarker, RUN_MARKER } from '../src/io/run-marker.js';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { runSolver, RunFolderError, type RunSummary } from '../src/run/index.js';
import { DIVERGENCE_MAX_ABS_U } from '../src/run/run.js';
import { createToySolver, type ToyOptions } from './fixtures/toy-solver.js';

/**
 * The run layer's safety (src/run/run.ts): folder ownership (lock, marker, --overwrite,
 * --resume), resume through the newest checkpoint that verifies, a full disk in the middle of a
 * run, and finite blow-ups. The solver is the exact toy of test/fixtures/toy-solver.ts
 * (front1d reduced, τ = 1e-3, T = 0.06: 60 steps), so every resumed run must reproduce the
 * uninterrupted steps.csv exactly (wall_ms aside).
 */

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-safe-'));
const problem = () => makeProblem('front1d', 'reduced', { tau: 1e-3, tEnd: 0.06 });
const N = 60;
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
function deterministicRows(dir: string): string[] {
  const lines = readFileSync(join(dir, 'steps.csv'), 'utf8').trimEnd().split('\n');
  const wall = STEP_COLUMNS.indexOf('wall_ms');
  return lines.map((l) => l.split(',').filter((_, i) => i !== wall).join(','));
}
const toyRun = (dir: string, toy: ToyOptions = {}, extra: Partial<Parameters<typeof runSolver>[1]> = {}, p: ProblemConfig = problem()) =>
  runSolver(createToySolver(p, toy), { outDir: dir, checkpointEvery: 5, ...extra });

/** Bytes in all files under `dir` (what a small file system holding only this folder has used). */
function du(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    total += st.isDirectory() ? du(join(dir, name)) : st.size;
  }
  return total;
}

/**
 * A file system of `capacity.bytes` that holds only `dir`: a write gets at most the room left
 * (a short write), and with no room ENOSPC, as a real full disk does; deleting files frees room.
 */
function smallDisk(dir: string, capacity: { bytes: number }): FileIo {
  return {
    ...nodeFileIo,
    writeSync(fd, buffer, offset, length, position) {
      const room = capacity.bytes - du(dir);
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      return nodeFileIo.writeSync(fd, buffer, offset, Math.min(length, room), position);
    },
  };
}

describe('run folder ownership', () => {
  it('a second run into a busy folder refuses in one line naming the first; the first finishes intact', async () => {
    const ref = tmp();
    await toyRun(ref);
    const dir = tmp();
    const first = toyRun(dir, { delayMs: 5 });
    // Let the first take the lock and write a few steps.
    while (!(existsSync(join(dir, 'steps.csv')) && readFileSync(join(dir, 'steps.csv'), 'utf8').split('\n').length > 4)) await new Promise((r) => setTimeout(r, 5));
    const second = toyRun(dir);
    await expect(second).rejects.toThrow(RunFolderError);
    await expect(second).rejects.toThrow(new RegExp(`^${dir} is in use by pid ${process.pid} on host \\S+ since \\S+`));
    const s = await first;
    expect(s.status).toBe('completed');
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
    expect(summaryOf(dir).totals.steps).toBe(N);
    // Released at the end: the lock file is gone and a resume may take the folder again.
    expect(existsSync(join(dir, '.allen-cahn.lock'))).toBe(false);
    expect((await toyRun(dir, {}, { resume: true })).status).toBe('completed');
    // Also refused while another holder (here: a lock taken by hand) has it; nothing written.
    const busy = tmp();
    const lock = acquireLock(busy, { command: 'allen-cahn run --problem star' });
    try {
      await expect(toyRun(busy)).rejects.toThrow(`(allen-cahn run --problem star)`);
      expect(readdirSync(busy)).toEqual(['.allen-cahn.lock']);
    } finally {
      lock.release();
    }
  });

  it('a fresh run into a folder with this run refuses and says --resume; another run or foreign files need --overwrite, which deletes only owned files', async () => {
    const dir = tmp();
    const ctl = new AbortController();
    await toyRun(dir, {}, { signal: ctl.signal, onStep: (r) => r.step === 12 && ctl.abort() });
    const before = readFileSync(join(dir, 'steps.csv'), 'utf8');
    await expect(toyRun(dir)).rejects.toThrow(`${dir} already holds this run (interrupted, checkpoint at step 12 of 60): continue it with --resume, or start afresh with --overwrite`);
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8')).toBe(before);
    // Another configuration (here another problem) in the folder: refused, resume refused too.
    const other = makeProblem('front1d', 'reduced', { tau: 1e-3, tEnd: 0.03 });
    await expect(toyRun(dir, {}, {}, other)).rejects.toThrow(new RegExp(`^${dir} holds another run \\(problem front1d, solver toy, started \\S+\\): choose another output folder, or replace it with --overwrite$`));
    await expect(toyRun(dir, {}, { resume: true }, other)).rejects.toThrow('it was written for a different problem (tEnd 0.06 in the checkpoint vs 0.03 now)');
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8')).toBe(before);
    // A file of the user's beside the run: kept by --overwrite, which replaces the run's own files.
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'vtk', 'mine'));
    await expect(toyRun(dir, {}, {}, other)).rejects.toThrow(`${dir} holds files that no run of this program wrote (notes.txt, vtk/mine/): choose another output folder, or add --overwrite to write beside them`);
    const s = await toyRun(dir, {}, { overwrite: true }, other);
    expect(s.status).toBe('completed');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(dir, 'vtk', 'mine'))).toBe(true);
    expect(readStepsCsv(join(dir, 'steps.csv')).rows.map((r) => r.step)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(listCheckpoints(join(dir, 'checkpoint')).map((c) => c.step)).toEqual([25, 30]);
    // The marker lists exactly the run's files that exist (pruned checkpoints dropped).
    const marker = readRunMarker(dir)!;
    expect(marker.files.filter((f) => f.startsWith('checkpoint/'))).toEqual(['checkpoint/step-00000025.ckpt', 'checkpoint/step-00000030.ckpt']);
    for (const f of marker.files.filter((f) => f !== '.allen-cahn-reserve')) expect(existsSync(join(dir, f))).toBe(true);
    expect(existsSync(join(dir, '.allen-cahn-reserve'))).toBe(false);
    // Resuming it with the user's files beside it is fine.
    expect((await toyRun(dir, {}, { resume: true }, other)).totals.resumedFrom).toBe(30);
  });

  it('a file of the user where a run file goes is never replaced, even with --overwrite; a damaged marker is refused', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'steps.csv'), 'my own table\n');
    await expect(toyRun(dir, {}, { overwrite: true })).rejects.toThrow(
      `${join(dir, 'steps.csv')} was not written by a run of this program: move it away first (--overwrite replaces only this program's files)`,
    );
    expect(readdirSync(dir)).toEqual(['steps.csv']);
    const bad = tmp();
    writeFileSync(join(bad, RUN_MARKER), '{ "format": 1, "files": ["../../etc/passwd"] }');
    await expect(toyRun(bad, {}, { overwrite: true })).rejects.toThrow(`: cannot tell what ${bad} holds; choose another output folder`);
  });
});

describe('resume from the newest checkpoint that verifies', () => {
  it('a damaged newest checkpoint (one flipped bit of its stored step) is passed over with a note; the rows come out exactly', async () => {
    const ref = tmp();
    await toyRun(ref);
    const dir = tmp();
    const ctl = new AbortController();
    await toyRun(dir, {}, { signal: ctl.signal, onStep: (r) => r.step === 12 && ctl.abort() });
    expect(listCheckpoints(join(dir, 'checkpoint')).map((c) => c.step)).toEqual([10, 12]);
    const newest = checkpointPath(join(dir, 'checkpoint'), 12);
    const bytes = readFileSync(newest);
    const at = bytes.indexOf('"step":12') + 8; // the digit '1' of the stored step
    bytes[at] ^= 0x01; // "step":02
    writeFileSync(newest, bytes);
    const notes: string[] = [];
    const s = await toyRun(dir, {}, { resume: true, onNotice: (l) => notes.push(l) });
    const expected = `checkpoint step-00000012.ckpt rejected (corrupt checkpoint ${newest}: header checksum mismatch); resumed from step 10`;
    expect(notes).toEqual([expected]);
    expect(s.notes).toEqual([expected]);
    expect(summaryOf(dir).notes).toEqual([expected]);
    expect(s.totals.resumedFrom).toBe(10);
    expect(s.status).toBe('completed');
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
  });

  it('with every checkpoint damaged, --resume fails in one line and changes nothing', async () => {
    const dir = tmp();
    const ctl = new AbortController();
    await toyRun(dir, {}, { signal: ctl.signal, onStep: (r) => r.step === 7 && ctl.abort() });
    for (const c of listCheckpoints(join(dir, 'checkpoint'))) writeFileSync(c.path, 'garbage');
    const steps = readFileSync(join(dir, 'steps.csv'), 'utf8');
    await expect(toyRun(dir, {}, { resume: true })).rejects.toThrow(
      `nothing to resume in ${dir}: checkpoint step-00000007.ckpt rejected (corrupt checkpoint ${join(dir, 'checkpoint', 'step-00000007.ckpt')}: not a checkpoint file (missing the 'ACCKPT02' signature)); checkpoint step-00000005.ckpt rejected (`,
    );
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8')).toBe(steps);
    expect(summaryOf(dir).status).toBe('interrupted');
  });
});

describe('a full disk in the middle of a run', () => {
  it('marks the run failed in one line, keeps steps.csv and summary.json consistent, and resumes exactly once space is freed', async () => {
    const ref = tmp();
    let usedAt30 = 0;
    await toyRun(ref, {}, { onStep: (r) => r.step === 30 && (usedAt30 = du(ref)) });
    const dir = tmp();
    const capacity = { bytes: usedAt30 };
    const restore = setFileIoForTesting(smallDisk(dir, capacity));
    let error: Error | undefined;
    try {
      await toyRun(dir);
    } catch (err) {
      error = err as Error;
    } finally {
      restore();
    }
    expect(error?.name).toBe('RunError');
    expect(error!.message).not.toContain('\n');
    expect(error!.message).toMatch(/: ENOSPC: no space left on device, write; .*the run is marked failed in .*summary\.json \(steps 0–\d+ kept\); free space and continue with --resume$/);
    const summary = summaryOf(dir);
    expect(summary.status).toBe('failed');
    expect(summary.reason).toMatch(/^cannot (write|append to) .*ENOSPC: no space left on device, write; /);
    expect(summary.reason).not.toContain('\n');
    // steps.csv: whole rows 0..k, one per step, every one the reference's, and the summary agrees.
    const rows = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.partial).toBe(false);
    const k = rows.rows.length - 1;
    expect(k).toBeGreaterThan(5);
    expect(k).toBeLessThan(N);
    expect(rows.rows.map((r) => r.step)).toEqual(Array.from({ length: k + 1 }, (_, i) => i));
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref).slice(0, k + 2));
    expect(summary.totals.steps).toBe(k);
    // No file under its final name is truncated: every VTU and checkpoint in the folder is whole.
    for (const c of listCheckpoints(join(dir, 'checkpoint'))) expect(() => readFileSync(c.path)).not.toThrow();
    for (const f of readdirSync(join(dir, 'vtk'))) expect(readFileSync(join(dir, 'vtk', f), 'utf8').trimEnd().endsWith('</VTKFile>')).toBe(true);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    // Space freed: the resume continues from the last good checkpoint to exactly the reference.
    const lastGood = listCheckpoints(join(dir, 'checkpoint')).at(-1)!.step;
    expect(lastGood).toBeGreaterThanOrEqual(k - 5);
    const s = await toyRun(dir, {}, { resume: true });
    expect(s.status).toBe('completed');
    expect(s.totals.resumedFrom).toBe(lastGood);
    expect(deterministicRows(dir)).toEqual(deterministicRows(ref));
  });
});

describe('finite blow-ups', () => {
  it('an energy increase beyond the checker tolerance fails the run at that step, its row kept', async () => {
    const dir = tmp();
    const s = await toyRun(dir, { bumpAt: 17 });
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/^diverged at step 17: the energy increased from [\d.]+ to [\d.]+, beyond the stability checker's tolerance [\d.e-]+$/);
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(rows[17].stable).toBe(false);
    expect(rows[17].energy).toBeGreaterThan(rows[16].energy);
    expect(summaryOf(dir).status).toBe('failed');
    expect(existsSync(join(dir, 'final.csv'))).toBe(false);
  });

  it('a solver whose steps are not minimizing movements (stepsDissipate: false, e.g. SPINN) completes; the checker reports the increase', async () => {
    const dir = tmp();
    const s = await toyRun(dir, { bumpAt: 17, stepsDissipate: false });
    expect(s.status).toBe('completed');
    expect(s.stability.ok).toBe(false);
    expect(s.stability.energyInequality.ok).toBe(false);
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    expect(rows[17].stable).toBe(false);
    expect(rows[17].energy).toBeGreaterThan(rows[16].energy);
  });

  it('|u| far outside [−1, 1] fails the run even where the energy may rise (a source term)', async () => {
    const dir = tmp();
    // A source term switches the energy test off (the energy of a forced flow may rise); u ← 1.5 u per step from step 3.
    const forced: ProblemConfig = { ...problem(), source: (() => 0) as unknown as ProblemConfig['source'] };
    const s = await toyRun(dir, { growFrom: 3 }, {}, forced);
    expect(s.status).toBe('failed');
    const { rows } = readStepsCsv(join(dir, 'steps.csv'));
    const last = rows[rows.length - 1];
    const abs = Math.max(Math.abs(last.minU), Math.abs(last.maxU));
    expect(abs).toBeGreaterThan(DIVERGENCE_MAX_ABS_U);
    const before = rows[rows.length - 2];
    expect(Math.max(Math.abs(before.minU), Math.abs(before.maxU))).toBeLessThanOrEqual(DIVERGENCE_MAX_ABS_U);
    expect(s.reason).toBe(`diverged at step ${last.step}: |u| reached ${Number(abs.toPrecision(6))}, far outside [−1, 1] (a run stops beyond 2)`);
  });
});
