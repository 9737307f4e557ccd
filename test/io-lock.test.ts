import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, describeHolder, LOCK_FILE, LockError, processStartTicks, type LockInfo } from '../src/io/lock.js';
import {
  classifyRunFolder,
  configHash,
  newRunMarker,
  readRunMarker,
  recordOwnedFiles,
  removeOwnedFiles,
  RUN_MARKER,
  RunMarkerError,
  writeRunMarker,
} from '../src/io/run-marker.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-lock-'));
const CHILD = join(import.meta.dirname, 'fixtures', 'lock-child.ts');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Start lock-child.ts and resolve with its one JSON line. */
function startChild(dir: string, holdMs: number): Promise<{ child: ChildProcess; out: { ok: boolean; pid: number; message?: string; tookOver?: number | null } }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve({ child, out: JSON.parse(line) }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lock child exited (${code}) before reporting`)));
  });
}
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

/** A pid that has just exited (so is almost surely free). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

function writeLock(dir: string, over: Partial<LockInfo>): LockInfo {
  const info: LockInfo = { pid: 1, hostname: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'old run', token: 'feedfacefeedface', ...over };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(info));
  return info;
}

describe('folder lock', () => {
  it('takes, refuses a second taker in the same process, and releases', () => {
    const dir = tmp();
    const lock = acquireLock(dir, { command: 'allen-cahn run --problem star' });
    const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockInfo;
    expect(info).toMatchObject({ pid: process.pid, hostname: os.hostname(), command: 'allen-cahn run --problem star', token: lock.info.token });
    expect(Date.parse(info.since)).toBeGreaterThan(Date.now() - 60_000);
    expect(lock.tookOver).toBeUndefined();
    expect(() => acquireLock(dir)).toThrow(`${dir} is in use by pid ${process.pid} on host ${os.hostname()} since ${info.since} (allen-cahn run --problem star)`);
    lock.release();
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
    acquireLock(dir).release();
  });

  it('refuses while a live child process holds it, naming that process; takes over after kill -9', async () => {
    const dir = tmp();
    const { child, out } = await startChild(dir, -1);
    expect(out.ok).toBe(true);
    let err: unknown;
    try {
      acquireLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockError);
    const holder = (err as LockError).holder!;
    expect(holder.pid).toBe(child.pid);
    expect((err as Error).message).toBe(`${dir} is in use by pid ${child.pid} on host ${os.hostname()} since ${holder.since} (lock-child -1)`);
    child.kill('SIGKILL');
    await exited(child);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true); // SIGKILL: no exit handler ran
    const lock = acquireLock(dir);
    expect(lock.tookOver?.pid).toBe(child.pid);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a child that exits normally releases its lock', async () => {
    const dir = tmp();
    const { child, out } = await startChild(dir, 50);
    expect(out.ok).toBe(true);
    await exited(child);
    expect(child.exitCode).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('of three children starting together exactly one gets the lock', async () => {
    const dir = tmp();
    const results = await Promise.all([0, 1, 2].map(() => startChild(dir, -1))); // held until afterEach kills them
    const winners = results.filter((r) => r.out.ok);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.out.ok)) {
      expect(r.out.message).toMatch(new RegExp(`^.* is in use by pid ${winners[0].out.pid} on host `));
    }
  });

  it('takes over stale locks: dead pid, pid reused by a later process, machine restarted', () => {
    const dir = tmp();
    const dead = writeLock(dir, { pid: deadPid() });
    let lock = acquireLock(dir);
    expect(lock.tookOver).toEqual(dead);
    lock.release();

    const start = processStartTicks(process.pid);
    if (start !== undefined) {
      // Our own (live) pid, but recorded with another start time: the pid was reused.
      writeLock(dir, { pid: process.pid, processStart: start + 1 });
      lock = acquireLock(dir);
      expect(lock.tookOver?.processStart).toBe(start + 1);
      lock.release();
      writeLock(dir, { pid: process.pid, bootId: 'another-boot' });
      lock = acquireLock(dir);
      expect(lock.tookOver?.bootId).toBe('another-boot');
      lock.release();
    } else {
      expect(process.platform).not.toBe('linux'); // /proc is always there on Linux
    }
    // The same pid with its true start time is live.
    writeLock(dir, { pid: process.pid, processStart: start });
    expect(() => acquireLock(dir)).toThrow(`${dir} is in use by pid ${process.pid} on host ${os.hostname()} since 2026-01-01T00:00:00.000Z (old run)`);
  });

  it('refuses a lock from another host and an unreadable lock in one line', () => {
    const dir = tmp();
    const other = writeLock(dir, { hostname: 'cluster-node-7', pid: 4242 });
    expect(() => acquireLock(dir)).toThrow(
      `${dir} is in use by pid 4242 on host cluster-node-7 since 2026-01-01T00:00:00.000Z (old run); another host cannot be checked: if that run is gone, delete ${join(dir, LOCK_FILE)}`,
    );
    expect(describeHolder(other)).toBe('pid 4242 on host cluster-node-7 since 2026-01-01T00:00:00.000Z (old run)');
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    expect(() => acquireLock(dir)).toThrow(`${join(dir, LOCK_FILE)} exists but is not a lock this program wrote; if no run uses ${dir}, delete that file`);
  });

  it('release leaves a lock that is no longer its own', () => {
    const dir = tmp();
    const lock = acquireLock(dir);
    writeLock(dir, { pid: process.pid, token: 'someone-else' });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});

const ID = { problem: 'star', solver: 'fem', configHash: configHash({ scheme: 'mms-newton', n: 64 }) };

describe('run-folder marker', () => {
  it('configHash ignores key order and sees every value', () => {
    expect(configHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(configHash({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(configHash({ a: 1, b: { c: [1, 2] } })).not.toBe(configHash({ a: 1, b: { c: [2, 1] } }));
    expect(configHash({ n: 64 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('classifies missing, empty, same run, other run and foreign files', () => {
    const root = tmp();
    const dir = join(root, 'run');
    expect(classifyRunFolder(dir, ID).kind).toBe('missing');
    mkdirSync(dir);
    expect(classifyRunFolder(dir, ID).kind).toBe('empty');
    const lock = acquireLock(dir);
    writeFileSync(join(dir, '.steps.csv.tmp-123-0a1b2c3d'), 'partial');
    expect(classifyRunFolder(dir, ID).kind).toBe('empty'); // the lock and temp files do not count
    let m = newRunMarker(ID);
    writeRunMarker(dir, m);
    expect(classifyRunFolder(dir, ID).kind).toBe('empty'); // a marker but none of its files
    m = recordOwnedFiles(dir, m, ['steps.csv', 'summary.json', 'checkpoint/step-00000010.ckpt', 'vtk/u_0.vtu']);
    expect(m.dirs.sort()).toEqual(['checkpoint', 'vtk']);
    writeFileSync(join(dir, 'steps.csv'), 'x');
    mkdirSync(join(dir, 'checkpoint'));
    writeFileSync(join(dir, 'checkpoint', 'step-00000010.ckpt'), 'x');
    expect(classifyRunFolder(dir, ID)).toMatchObject({ kind: 'same-config', foreign: [], foreignCount: 0 });
    expect(classifyRunFolder(dir, { ...ID, configHash: configHash({ scheme: 'stabilized' }) }).kind).toBe('other-config');
    expect(classifyRunFolder(dir, { ...ID, solver: 'sdmm' }).kind).toBe('other-config');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'checkpoint', 'old'));
    const s = classifyRunFolder(dir, ID);
    expect(s.kind).toBe('foreign');
    expect(s.foreign.sort()).toEqual(['checkpoint/old/', 'notes.txt']);
    expect(s.foreignCount).toBe(2);
    expect(s.marker?.configHash).toBe(ID.configHash);
    lock.release();
    // Without a marker any file is foreign.
    const plain = join(root, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'steps.csv'), 'x');
    expect(classifyRunFolder(plain, ID)).toMatchObject({ kind: 'foreign', foreign: ['steps.csv'] });
    writeFileSync(join(root, 'file'), '');
    expect(() => classifyRunFolder(join(root, 'file'), ID)).toThrow(`${join(root, 'file')} exists and is not a folder`);
  });

  it('removeOwnedFiles deletes exactly the owned files and empty owned folders, nothing else', () => {
    const dir = tmp();
    let m = newRunMarker(ID);
    m = recordOwnedFiles(dir, m, ['steps.csv', 'summary.json', 'checkpoint/step-00000010.ckpt', 'vtk/u_0.vtu', 'never-written.csv']);
    writeFileSync(join(dir, 'steps.csv'), 'x');
    writeFileSync(join(dir, 'summary.json'), 'x');
    writeFileSync(join(dir, '.summary.json.tmp-77-deadbeef'), 'partial');
    writeFileSync(join(dir, '.user-file.tmp-77-deadbeef'), 'not ours: its base name is not owned');
    mkdirSync(join(dir, 'checkpoint'));
    writeFileSync(join(dir, 'checkpoint', 'step-00000010.ckpt'), 'x');
    writeFileSync(join(dir, 'checkpoint', 'keep-me.txt'), 'user');
    mkdirSync(join(dir, 'vtk'));
    writeFileSync(join(dir, 'vtk', 'u_0.vtu'), 'x');
    writeFileSync(join(dir, 'README.txt'), 'user');
    const removed = removeOwnedFiles(dir, readRunMarker(dir)!);
    expect(removed.sort()).toEqual(
      ['.summary.json.tmp-77-deadbeef', RUN_MARKER, 'checkpoint/step-00000010.ckpt', 'steps.csv', 'summary.json', 'vtk/', 'vtk/u_0.vtu'].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(['.user-file.tmp-77-deadbeef', 'README.txt', 'checkpoint']);
    expect(readdirSync(join(dir, 'checkpoint'))).toEqual(['keep-me.txt']);
    // Idempotent: a second call (after an interrupted one) removes nothing more but the marker name.
    expect(removeOwnedFiles(dir, m)).toEqual([RUN_MARKER]);
  });

  it('never follows a marker or a symlink out of the folder', () => {
    const root = tmp();
    const dir = join(root, 'run');
    const outside = join(root, 'outside');
    mkdirSync(dir);
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious.txt'), 'keep');
    for (const bad of ['../outside/precious.txt', '/etc/passwd', 'a/../../outside/precious.txt', '..', RUN_MARKER]) {
      writeFileSync(join(dir, RUN_MARKER), JSON.stringify({ ...newRunMarker(ID), files: [bad] }));
      expect(() => readRunMarker(dir), bad).toThrow(RunMarkerError);
    }
    // An owned folder replaced by a link to elsewhere: its files are not removed through the link.
    writeFileSync(join(dir, RUN_MARKER), JSON.stringify({ ...newRunMarker(ID), files: ['vtk/precious.txt'], dirs: ['vtk'] }));
    symlinkSync(outside, join(dir, 'vtk'));
    expect(classifyRunFolder(dir, ID)).toMatchObject({ kind: 'foreign', foreign: ['vtk'] });
    removeOwnedFiles(dir, readRunMarker(dir)!);
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep');
  });

  it('a damaged marker is one line naming the file', () => {
    const dir = tmp();
    writeFileSync(join(dir, RUN_MARKER), '{"format": 1, "problem": "star"');
    expect(() => classifyRunFolder(dir, ID)).toThrow(new RegExp(`^${join(dir, RUN_MARKER).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(`));
    writeFileSync(join(dir, RUN_MARKER), JSON.stringify({ format: 1, problem: 'star', solver: 'fem', configHash: 'x', created: 'y', files: 'steps.csv', dirs: [] }));
    expect(() => readRunMarker(dir)).toThrow(`${join(dir, RUN_MARKER)}: 'files' and 'dirs' must be lists`);
    writeFileSync(join(dir, RUN_MARKER), JSON.stringify({ format: 1, solver: 'fem' }));
    expect(() => readRunMarker(dir)).toThrow(`${join(dir, RUN_MARKER)}: 'problem' is missing or not a string`);
  });
});
