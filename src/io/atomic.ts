import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes that cannot lie: every byte handed to the operating system is counted, every error
 * (ENOSPC, EIO, EFBIG, EDQUOT, …) is thrown as a one-line {@link WriteError} BEFORE anything
 * replaces good data, and a failed write leaves the file exactly as it was.
 *
 * Two writers:
 * - {@link writeFileAtomic} replaces a whole file: temp file in the same directory, every chunk
 *   written in a loop until all its bytes are accepted (`write(2)` may accept fewer bytes than
 *   asked, e.g. on a nearly full disk, and reports the rest only on the next call), fsync, close,
 *   rename over the target, fsync the directory. Any failure before the rename removes the temp
 *   file and rethrows, so the previous file stays intact.
 * - {@link AppendLog} appends to a log such as steps.csv: each append is written at the end of
 *   the last VERIFIED length; if it fails part-way, the file is cut back to that length (bytes
 *   the failed append itself wrote, nothing older), so the log never ends in a torn row it
 *   believes complete.
 *
 * The low-level calls go through a {@link FileIo} object so that tests can simulate short writes
 * and a full disk without one (`options.io`, or {@link setFileIoForTesting} for every writer).
 */

/** The file system calls the writers make. {@link nodeFileIo} is node:fs itself. */
export interface FileIo {
  openSync(path: string, flags: string, mode?: number): number;
  /** Write `length` bytes of `buffer` from `offset`, at file `position` (null: current position). Returns the count accepted. */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  closeSync(fd: number): void;
}

export const nodeFileIo: FileIo = {
  openSync: (path, flags, mode) => openSync(path, flags, mode),
  writeSync: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  fsyncSync: (fd) => fsyncSync(fd),
  ftruncateSync: (fd, length) => ftruncateSync(fd, length),
  closeSync: (fd) => closeSync(fd),
};

let defaultIo: FileIo = nodeFileIo;

/**
 * Tests only: route every writer of this module (and so every writer of the project) through
 * `io`. Returns a function that restores the previous one; call it in a `finally`.
 */
export function setFileIoForTesting(io: FileIo): () => void {
  const previous = defaultIo;
  defaultIo = io;
  return () => {
    defaultIo = previous;
  };
}

/** A write that failed; `code` is the system error code (ENOSPC, EIO, …) when there is one. */
export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One line for a system error: Node's own message already starts with the code ("ENOSPC: no space left on device, write"). */
function reason(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Thrown by writeAll when the system accepts 0 bytes without an error (it would loop forever). */
const NO_PROGRESS = 'ENOPROGRESS';

/**
 * Write all of `bytes` at `position` (or the current position when null), looping on short
 * writes. Returns the number of bytes written; throws the system error (or an ENOPROGRESS error
 * when a write accepts nothing), with `written` (bytes accepted before the failure) attached.
 */
function writeAll(io: FileIo, fd: number, bytes: Uint8Array, position: number | null): number {
  let off = 0;
  while (off < bytes.length) {
    let n: number;
    try {
      n = io.writeSync(fd, bytes, off, bytes.length - off, position === null ? null : position + off);
    } catch (err) {
      Object.assign(err as object, { written: off });
      throw err;
    }
    if (!(n > 0)) {
      throw Object.assign(new Error(`${NO_PROGRESS}: the system accepted 0 of ${bytes.length - off} bytes, write`), { code: NO_PROGRESS, written: off });
    }
    off += n;
  }
  return off;
}

/** A chunk as bytes (strings as UTF-8). */
export function toBytes(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

export interface WriteOptions {
  /** File system calls (tests inject short writes and ENOSPC); default node:fs. */
  io?: FileIo;
}

/**
 * Atomic file replacement: write a temporary file in the SAME directory (so rename stays on one
 * file system), looping until every byte is accepted, fsync it, rename it over the target, then
 * fsync the directory so the rename itself is durable. A reader (or a restarted run after
 * kill -9, or a disk that fills up) sees either the old file or the complete new one, never a
 * partial file. On failure the temporary file is removed and a {@link WriteError} is thrown:
 * `cannot write <path>: <system error>; the previous file is unchanged`.
 *
 * Temporary names are `.<name>.tmp-<pid>-<random>`; `isTemporaryName` recognises them.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly (string | Uint8Array)[],
  options: WriteOptions = {},
): void {
  const io = options.io ?? defaultIo;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const chunks: readonly (string | Uint8Array)[] = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  let fd = -1;
  try {
    fd = io.openSync(tmp, 'wx', 0o644);
    for (const chunk of chunks) writeAll(io, fd, toBytes(chunk), null);
    io.fsyncSync(fd);
    const closing = fd;
    fd = -1;
    io.closeSync(closing); // close can report a deferred write error (NFS): still before the rename
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) {
      try {
        io.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    const existed = existsSync(path);
    throw new WriteError(
      `cannot write ${path}: ${reason(err)}; ${existed ? 'the previous file is unchanged' : 'nothing was written'}`,
      path,
      codeOf(err),
    );
  }
  fsyncDirectory(dir);
}

/**
 * Checked appends to a log file (steps.csv and the like).
 *
 * The log keeps the length of the content known to be complete (`length`): the file's size
 * when it is opened (the caller has verified that content, e.g. a header and whole rows) plus
 * every append that fully succeeded. Each append writes at that offset, looping on short
 * writes; if it fails (ENOSPC, EIO, …, or a write that accepts nothing) the file is truncated
 * back to `length` — removing only bytes of the failed append, never older data — and a
 * {@link WriteError} is thrown; the log stays usable, so a caller may retry after freeing space.
 * If even that truncation fails, the error says how many bytes past `length` are incomplete.
 *
 * Appends reach the operating system at once (they survive a kill of this process); with
 * `sync: true` an append is also fsynced (survives a power cut, and surfaces errors that some
 * file systems only report at fsync).
 */
export class AppendLog {
  private fd: number;
  private verified: number;

  private constructor(
    readonly path: string,
    fd: number,
    length: number,
    private readonly io: FileIo,
  ) {
    this.fd = fd;
    this.verified = length;
  }

  /** Open an existing file (created empty if missing) for checked appends after its current content. */
  static open(path: string, options: WriteOptions = {}): AppendLog {
    const io = options.io ?? defaultIo;
    let fd: number;
    try {
      fd = io.openSync(path, existsSync(path) ? 'r+' : 'wx+', 0o644);
    } catch (err) {
      throw new WriteError(`cannot open ${path} for appending: ${reason(err)}`, path, codeOf(err));
    }
    return new AppendLog(path, fd, fstatSync(fd).size, io);
  }

  /** Bytes known to be complete in the file. */
  get length(): number {
    return this.verified;
  }

  /** Append `data` completely or not at all (see the class comment). */
  append(data: string | Uint8Array, options: { sync?: boolean } = {}): void {
    if (this.fd < 0) throw new WriteError(`cannot append to ${this.path}: the log is closed`, this.path);
    const bytes = toBytes(data);
    try {
      writeAll(this.io, this.fd, bytes, this.verified);
      if (options.sync) this.io.fsyncSync(this.fd);
    } catch (err) {
      let repair = `the file is back to its previous ${this.verified} bytes`;
      try {
        this.io.ftruncateSync(this.fd, this.verified);
      } catch (truncErr) {
        repair = `and cutting the partial append failed too (${reason(truncErr)}): bytes after ${this.verified} are incomplete`;
      }
      throw new WriteError(`cannot append to ${this.path}: ${reason(err)}; ${repair}`, this.path, codeOf(err));
    }
    this.verified += bytes.length;
  }

  /** fsync the log (throws a WriteError on failure). */
  sync(): void {
    if (this.fd < 0) return;
    try {
      this.io.fsyncSync(this.fd);
    } catch (err) {
      throw new WriteError(`cannot sync ${this.path}: ${reason(err)}`, this.path, codeOf(err));
    }
  }

  /** Close the log (idempotent). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      this.io.closeSync(fd);
    } catch (err) {
      throw new WriteError(`cannot close ${this.path}: ${reason(err)}`, this.path, codeOf(err));
    }
  }
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
