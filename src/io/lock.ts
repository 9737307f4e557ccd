import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * An exclusive lock on a folder (a run's output folder), held for the life of a run.
 *
 * The lock is the file `<dir>/.allen-cahn.lock` holding one JSON object {@link LockInfo}
 * (pid, hostname, start time, command, a random token, and on Linux the boot id and the
 * process's start time in clock ticks). It is created complete or not at all: the content is
 * written to a private temporary file which is then hard-linked to the lock name — link(2)
 * fails with EEXIST if the lock exists, so of two runs starting together exactly one wins
 * (where hard links are not supported, an O_EXCL create is used instead).
 *
 * An existing lock is
 * - live: refused with one line naming the other process (pid, host, since when, command);
 * - stale, and taken over (reported in `tookOver`), when it was written on this host and its
 *   process is gone: `process.kill(pid, 0)` fails with ESRCH, or (Linux) the machine has
 *   rebooted since (another boot id) or the pid now belongs to a process started at another
 *   time (pid reuse). A lock from another host cannot be checked and is always refused.
 *
 * The lock is released by {@link HeldLock.release} or, failing that, when the process exits
 * (an 'exit' handler); a process killed with SIGKILL leaves a stale lock that the next run
 * takes over. Release removes the file only while it still holds this lock's token.
 */

export const LOCK_FILE = '.allen-cahn.lock';

export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO 8601 time the lock was taken. */
  since: string;
  /** What holds it (e.g. the command line). */
  command: string;
  /** Random identity of this lock (release checks it). */
  token: string;
  /** Linux: /proc/sys/kernel/random/boot_id when the lock was taken. */
  bootId?: string;
  /** Linux: start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  processStart?: number;
}

/** A folder that is locked by another live process, or a lock that cannot be read. One line. */
export class LockError extends Error {
  override name = 'LockError';
  constructor(
    message: string,
    readonly holder?: LockInfo,
  ) {
    super(message);
  }
}

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** The stale lock this one replaced, if any (the caller may report it). */
  readonly tookOver?: LockInfo;
  /** Remove the lock (idempotent; leaves a lock that is no longer ours alone). */
  release(): void;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Linux boot id, or undefined elsewhere. */
function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id');
}

/** Linux: start time (clock ticks since boot) of process `pid`, or undefined. */
export function processStartTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 2 (comm) is parenthesised and may contain spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(rest[22 - 3]);
  return Number.isFinite(v) ? v : undefined;
}

/** Whether a process with this pid exists (on this host). EPERM means it exists but is not ours. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a lock written on this host is stale, or undefined if its process is still running. */
function staleReason(info: LockInfo): string | undefined {
  if (!processAlive(info.pid)) return `process ${info.pid} is gone`;
  const boot = bootId();
  if (info.bootId && boot && info.bootId !== boot) return 'the machine has restarted since';
  if (info.processStart !== undefined) {
    const start = processStartTicks(info.pid);
    if (start !== undefined && start !== info.processStart) return `pid ${info.pid} now belongs to another process`;
  }
  return undefined;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    if (Number.isSafeInteger(v.pid) && v.pid > 0 && typeof v.hostname === 'string' && typeof v.since === 'string' && typeof v.token === 'string') {
      return { ...v, command: typeof v.command === 'string' ? v.command : '' };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** "pid 1234 on host h since 2026-… (allen-cahn run …)" */
export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on host ${info.hostname} since ${info.since}${info.command ? ` (${info.command})` : ''}`;
}

/** Create `path` with `content` only if it does not exist; false if it does. */
function createExclusive(path: string, content: string): boolean {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileAtomic(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  // No hard links on this file system: O_EXCL create (a reader may briefly see it empty).
  try {
    const fd = openSync(path, 'wx', 0o644);
    try {
      const bytes = Buffer.from(content, 'utf8');
      let off = 0;
      while (off < bytes.length) {
        const n = writeSync(fd, bytes, off, bytes.length - off);
        if (!(n > 0)) throw new Error(`cannot write lock ${path}: the system accepted 0 bytes`);
        off += n;
      }
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(path, { force: true });
      throw err;
    }
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Take the lock of folder `dir` (which must exist). Throws {@link LockError} when another live
 * process holds it, naming that process; takes over a stale lock (see the module comment).
 */
export function acquireLock(dir: string, options: { command?: string; file?: string } = {}): HeldLock {
  const path = join(dir, options.file ?? LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    command: options.command ?? process.argv.slice(1).join(' '),
    token: randomBytes(8).toString('hex'),
  };
  const boot = bootId();
  const start = processStartTicks(process.pid);
  if (boot) info.bootId = boot;
  if (start !== undefined) info.processStart = start;
  const content = JSON.stringify(info) + '\n';

  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, content)) return held(path, info, tookOver);
    const text = readText(path);
    if (text === undefined) continue; // released meanwhile: try again
    const other = parseLock(text);
    if (!other) {
      throw new LockError(`${path} exists but is not a lock this program wrote; if no run uses ${dir}, delete that file`);
    }
    if (other.hostname !== info.hostname) {
      throw new LockError(`${dir} is in use by ${describeHolder(other)}; another host cannot be checked: if that run is gone, delete ${path}`, other);
    }
    const stale = staleReason(other);
    if (stale === undefined) throw new LockError(`${dir} is in use by ${describeHolder(other)}`, other);
    // Stale: move it aside under a unique name, and make sure what we moved is the stale lock
    // we judged (another run may have taken it over and locked in between).
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = parseLock(readText(aside) ?? '');
    if (moved?.token !== other.token) {
      // Not the one we judged stale: put it back if the name is free, then look again.
      try {
        linkSync(aside, path);
      } catch {
        // someone holds the name again; their lock stands
      }
      rmSync(aside, { force: true });
      continue;
    }
    rmSync(aside, { force: true });
    tookOver = other;
  }
  throw new LockError(`cannot take the lock ${path}: it keeps changing (several runs starting at once?)`);
}

function held(path: string, info: LockInfo, tookOver: LockInfo | undefined): HeldLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const current = parseLock(readText(path) ?? '');
    if (current?.token === info.token) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { path, info, tookOver, release };
}
