import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Atomic file replacement: write a temporary file in the SAME directory (so rename stays on one
 * file system), fsync it, rename it over the target, then fsync the directory so the rename
 * itself is durable. A reader (or a restarted run after kill -9) sees either the old file or the
 * complete new one, never a partial file. On failure the temporary file is removed.
 *
 * Temporary names are `.<name>.tmp-<pid>-<random>`; `isTemporaryName` recognises them.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const chunks: readonly (string | Uint8Array)[] = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const chunk of chunks) {
      if (typeof chunk === 'string') writeSync(fd, chunk, null, 'utf8');
      else {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectory(dir);
}

/** fsync a directory so a rename in it is durable (best effort: some platforms refuse it). */
export function fsyncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Whether a file name is one of writeFileAtomic's temporary files. */
export function isTemporaryName(name: string): boolean {
  return /^\..+\.tmp-\d+-[0-9a-f]{8}$/.test(name);
}

/**
 * mkdir -p without `{ recursive: true }`: creates each missing ancestor in turn, so a path that
 * cannot exist fails with a clear error (Node's recursive mkdir loops forever on e.g. /proc/x).
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  while (!existsSync(p)) {
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a directory`);
}
