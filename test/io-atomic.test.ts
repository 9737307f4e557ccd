import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppendLog, nodeFileIo, setFileIoForTesting, writeFileAtomic, WriteError, type FileIo } from '../src/io/atomic.js';
import { readStepsCsv, StepsCsvWriter } from '../src/io/csv.js';
import type { StepRecord } from '../src/solver.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-atomic-'));

/** A system error as node:fs throws it. */
function sysError(code: string, text: string, call: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${call}`), { code, syscall: call });
}

/**
 * node:fs with a simulated disk: each write accepts at most `perWrite` bytes (short writes);
 * after `budget` bytes in total every write throws ENOSPC (the bytes up to the budget are
 * written, as a real full disk does); `zeroWrites` makes writes return 0; fsync/close can fail
 * with EIO; ftruncate can fail with EIO.
 */
function fakeDisk(o: { perWrite?: number; budget?: number; zeroWrites?: boolean; fsyncEio?: boolean; closeEio?: boolean; truncateEio?: boolean }) {
  let used = 0;
  const calls = { writes: 0 };
  const io: FileIo = {
    ...nodeFileIo,
    writeSync(fd, buffer, offset, length, position) {
      calls.writes++;
      if (o.zeroWrites) return 0;
      const room = (o.budget ?? Infinity) - used;
      if (room <= 0) throw sysError('ENOSPC', 'no space left on device', 'write');
      const n = Math.min(length, o.perWrite ?? Infinity, room);
      const written = nodeFileIo.writeSync(fd, buffer, offset, n, position);
      used += written;
      return written;
    },
    fsyncSync(fd) {
      if (o.fsyncEio) throw sysError('EIO', 'i/o error', 'fsync');
      nodeFileIo.fsyncSync(fd);
    },
    closeSync(fd) {
      nodeFileIo.closeSync(fd);
      if (o.closeEio) throw sysError('EIO', 'i/o error', 'close');
    },
    ftruncateSync(fd, length) {
      if (o.truncateEio) throw sysError('EIO', 'i/o error', 'ftruncate');
      nodeFileIo.ftruncateSync(fd, length);
    },
  };
  return { io, calls };
}

describe('writeFileAtomic under short writes and failures', () => {
  it('loops on short writes for string and byte chunks (multi-byte UTF-8 counted in bytes)', () => {
    const dir = tmp();
    const p = join(dir, 'f.txt');
    const text = 'ε = 0.01, τ = 1e-5 — Ω ⊂ ℝ²\n'.repeat(50);
    const { io, calls } = fakeDisk({ perWrite: 7 });
    writeFileAtomic(p, [text, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'end'], { io });
    const expected = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), Buffer.from('end')]);
    expect(readFileSync(p).equals(expected)).toBe(true);
    // Every write accepted at most 7 bytes: the loop made ⌈len/7⌉ calls per chunk.
    expect(calls.writes).toBe(Math.ceil(Buffer.byteLength(text) / 7) + 2 + 1);
    expect(readdirSync(dir)).toEqual(['f.txt']);
  });

  it('on ENOSPC part-way keeps the previous file byte for byte, removes the temp file and says why', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    writeFileSync(p, 'the good old content\n');
    const { io } = fakeDisk({ perWrite: 100, budget: 1000 });
    let err: unknown;
    try {
      writeFileAtomic(p, 'n'.repeat(5000), { io });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).code).toBe('ENOSPC');
    expect((err as WriteError).message).toBe(`cannot write ${p}: ENOSPC: no space left on device, write; the previous file is unchanged`);
    expect(readFileSync(p, 'utf8')).toBe('the good old content\n');
    expect(readdirSync(dir)).toEqual(['steps.csv']);
  });

  it('names a first write that fails as "nothing was written" and leaves no file', () => {
    const dir = tmp();
    const p = join(dir, 'new.json');
    const { io } = fakeDisk({ budget: 0 });
    expect(() => writeFileAtomic(p, '{}', { io })).toThrow(`cannot write ${p}: ENOSPC: no space left on device, write; nothing was written`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a write that accepts 0 bytes is an error, not an endless loop', () => {
    const dir = tmp();
    const p = join(dir, 'f');
    writeFileSync(p, 'old');
    const { io, calls } = fakeDisk({ zeroWrites: true });
    expect(() => writeFileAtomic(p, 'new content', { io })).toThrow(
      `cannot write ${p}: ENOPROGRESS: the system accepted 0 of 11 bytes, write; the previous file is unchanged`,
    );
    expect(calls.writes).toBe(1);
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('EIO from fsync or close (deferred write errors) also stops before the rename', () => {
    for (const fault of [{ fsyncEio: true }, { closeEio: true }]) {
      const dir = tmp();
      const p = join(dir, 'f');
      writeFileSync(p, 'old');
      const { io } = fakeDisk(fault);
      const call = fault.fsyncEio ? 'fsync' : 'close';
      expect(() => writeFileAtomic(p, 'new', { io })).toThrow(`cannot write ${p}: EIO: i/o error, ${call}; the previous file is unchanged`);
      expect(readFileSync(p, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['f']);
    }
  });

  it('setFileIoForTesting routes every writer through the fake disk and restores node:fs', () => {
    const dir = tmp();
    const p = join(dir, 'f');
    const restore = setFileIoForTesting(fakeDisk({ budget: 2 }).io);
    try {
      expect(() => writeFileAtomic(p, 'abc')).toThrow(/ENOSPC/);
    } finally {
      restore();
    }
    writeFileAtomic(p, 'abc');
    expect(readFileSync(p, 'utf8')).toBe('abc');
  });
});

describe('AppendLog', () => {
  it('appends completely through short writes and tracks the verified length', () => {
    const dir = tmp();
    const p = join(dir, 'log');
    writeFileSync(p, 'head\n');
    const log = AppendLog.open(p, { io: fakeDisk({ perWrite: 3 }).io });
    expect(log.length).toBe(5);
    log.append('row ε 1\n');
    log.append(new Uint8Array([65, 66, 10]), { sync: true });
    log.close();
    log.close();
    expect(readFileSync(p, 'utf8')).toBe('head\nrow ε 1\nAB\n');
    expect(log.length).toBe(Buffer.byteLength('head\nrow ε 1\nAB\n'));
    expect(() => log.append('x')).toThrow(`cannot append to ${p}: the log is closed`);
  });

  it('a failed append cuts the file back to the previous rows only, and a retry after freeing space succeeds', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    writeFileSync(p, 'a,b\n1,2\n');
    const disk = { budget: 10 };
    let used = 0;
    const io: FileIo = {
      ...nodeFileIo,
      writeSync(fd, buf, off, len, pos) {
        if (used >= disk.budget) throw sysError('ENOSPC', 'no space left on device', 'write');
        const n = nodeFileIo.writeSync(fd, buf, off, Math.min(len, disk.budget - used), pos);
        used += n;
        return n;
      },
    };
    const log = AppendLog.open(p, { io });
    log.append('3,4\n'); // 4 bytes: fits
    expect(() => log.append('5,6666666666\n')).toThrow(
      `cannot append to ${p}: ENOSPC: no space left on device, write; the file is back to its previous 12 bytes`,
    );
    expect(readFileSync(p, 'utf8')).toBe('a,b\n1,2\n3,4\n');
    expect(log.length).toBe(12);
    disk.budget = 1000; // space freed
    log.append('5,6\n');
    log.close();
    expect(readFileSync(p, 'utf8')).toBe('a,b\n1,2\n3,4\n5,6\n');
  });

  it('says so when the partial append cannot be cut off either', () => {
    const dir = tmp();
    const p = join(dir, 'log');
    writeFileSync(p, 'ok\n');
    const log = AppendLog.open(p, { io: fakeDisk({ budget: 2, truncateEio: true }).io });
    expect(() => log.append('abcdef\n')).toThrow(
      `cannot append to ${p}: ENOSPC: no space left on device, write; and cutting the partial append failed too (EIO: i/o error, ftruncate): bytes after 3 are incomplete`,
    );
    log.close();
  });

  it('creates a missing file and reports an unopenable one in one line', () => {
    const dir = tmp();
    const log = AppendLog.open(join(dir, 'new.log'));
    log.append('x\n');
    log.close();
    expect(readFileSync(join(dir, 'new.log'), 'utf8')).toBe('x\n');
    expect(() => AppendLog.open(join(dir, 'missing-dir', 'f'))).toThrow(new RegExp(`^cannot open ${join(dir, 'missing-dir', 'f')} for appending: ENOENT`));
  });
});

function rec(step: number): StepRecord {
  return { step, t: step * 0.5, energy: 10 - step, movement: 0, wallMs: 1, iterations: 1, linearIterations: 2, minU: -1, maxU: 1, stopReason: 'converged' };
}

describe('steps.csv on a full disk', () => {
  it('a row that does not fit leaves every earlier row readable and the file resumable', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    const w0 = new StepsCsvWriter(p);
    for (let s = 0; s < 5; s++) w0.append(rec(s), true);
    w0.close();
    const before = readFileSync(p);
    const restore = setFileIoForTesting(fakeDisk({ perWrite: 16, budget: 20 }).io);
    try {
      const w = new StepsCsvWriter(p);
      expect(() => w.append(rec(5), true)).toThrow(/^cannot append to .*steps\.csv: ENOSPC: no space left on device, write; the file is back to its previous \d+ bytes$/);
      w.close();
      // A fresh start on a full disk fails before touching the old file.
      expect(() => new StepsCsvWriter(p, { fresh: true })).toThrow(/^cannot write .*steps\.csv: ENOSPC/);
    } finally {
      restore();
    }
    expect(readFileSync(p).equals(before)).toBe(true);
    const { rows, partial } = readStepsCsv(p);
    expect(partial).toBe(false);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    const w = new StepsCsvWriter(p);
    w.append(rec(5), true);
    w.close();
    expect(readStepsCsv(p).rows.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
// Real kernel limits (no injection): RLIMIT_FSIZE makes write(2) accept only the bytes below the
// limit (a short write) and fail the next call with EFBIG, exactly the pattern of a full disk.
// It needs no privileges; the child ignores SIGXFSZ so it gets the error instead of dying.

function childWrite(limitKiB: number, mode: 'atomic' | 'append', path: string, bytes: number) {
  const script = join(import.meta.dirname, 'fixtures', 'write-child.ts');
  const r = spawnSync(
    'bash',
    ['-c', `trap '' XFSZ; ulimit -f ${limitKiB}; exec "$0" --import tsx "$@"`, process.execPath, script, mode, path, String(bytes)],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string };
}

describe('real short writes (ulimit -f)', () => {
  it('writeFileAtomic of 200 KiB under a 64 KiB file-size limit fails with EFBIG and keeps the old file', () => {
    const dir = tmp();
    const p = join(dir, 'summary.json');
    writeFileSync(p, '{"status":"completed"}\n');
    const out = childWrite(64, 'atomic', p, 200 * 1024);
    expect(out.ok).toBe(false);
    expect(out.code).toBe('EFBIG');
    expect(out.message).toBe(`cannot write ${p}: EFBIG: file too large, write; the previous file is unchanged`);
    expect(readFileSync(p, 'utf8')).toBe('{"status":"completed"}\n');
    expect(readdirSync(dir)).toEqual(['summary.json']);
    // The same write without the limit goes through (the child itself works).
    expect(childWrite(1024, 'atomic', p, 200 * 1024)).toEqual({ ok: true });
    expect(statSync(p).size).toBe(200 * 1024);
  });

  it('an append crossing the limit is cut back to the previous length', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    const old = 'row\n'.repeat(2500); // 10 000 bytes
    writeFileSync(p, old);
    const out = childWrite(16, 'append', p, 10_000);
    expect(out).toMatchObject({ ok: false, code: 'EFBIG' });
    expect(out.message).toBe(`cannot append to ${p}: EFBIG: file too large, write; the file is back to its previous 10000 bytes`);
    expect(readFileSync(p, 'utf8')).toBe(old);
  });
});

// A real full disk: a 64 KiB tmpfs. Mounting needs root (CAP_SYS_ADMIN); where that is not
// available (an unprivileged container) this block is not registered and the reason is logged.
// The ulimit tests above and the injected disk cover the same code paths without privileges.
const mountPoint = join(tmpdir(), `ac-atomic-tmpfs-${process.pid}`);
function tryMount(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  mkdirSync(mountPoint, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(mountPoint);
    return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  }
  return undefined;
}
const noTmpfs = tryMount();
if (noTmpfs) {
  console.warn(`io-atomic.test.ts: the real-ENOSPC tmpfs test is not registered (${noTmpfs})`);
} else {
  describe('a real full disk (64 KiB tmpfs)', () => {
    afterAll(() => {
      spawnSync('umount', [mountPoint]);
      rmdirSync(mountPoint);
    });
    it('ENOSPC on replace keeps the old file; ENOSPC on append cuts back; no temp file left', () => {
      const p = join(mountPoint, 'steps.csv');
      writeFileSync(p, 'header\n');
      const log = AppendLog.open(p);
      for (let i = 0; i < 100; i++) log.append(`row ${i}\n`);
      const good = readFileSync(p, 'utf8');
      let err: unknown;
      try {
        log.append('z'.repeat(200 * 1024));
      } catch (e) {
        err = e;
      }
      log.close();
      expect((err as WriteError).code).toBe('ENOSPC');
      expect(readFileSync(p, 'utf8')).toBe(good);
      expect(() => writeFileAtomic(p, 'w'.repeat(200 * 1024))).toThrow(
        `cannot write ${p}: ENOSPC: no space left on device, write; the previous file is unchanged`,
      );
      expect(readFileSync(p, 'utf8')).toBe(good);
      expect(readdirSync(mountPoint)).toEqual(['steps.csv']);
    });
  });
}
