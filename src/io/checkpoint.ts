import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SolverState } from '../solver.js';
import { writeFileAtomic, type WriteOptions } from './atomic.js';

/**
 * Checkpoints: a SolverState (plus optional runner data) in ONE file, written with the safe
 * writer (writeFileAtomic: temp file, every byte counted, fsync, rename), in which EVERY byte is
 * checked on load.
 *
 * File layout, format 2 (all integers little-endian):
 *   bytes 0–7     magic "ACCKPT02"
 *   bytes 8–11    uint32 H: byte length of the header JSON (padding included)
 *   bytes 12–43   SHA-256 of bytes 8–11 and of the header JSON (so H, the step, t, kind, meta,
 *                 the array table and its checksums are all covered)
 *   bytes 44–     the header JSON (UTF-8), padded with spaces so the data starts 8-byte aligned
 *   then          the arrays' bytes, float64/float32 little-endian, each at an 8-byte aligned
 *                 offset (relative to the data start), in header order, back to back; the pad
 *                 after an array is zero bytes
 * Header: { format: 2, kind, step, t, meta, extra, dataBytes,
 *           arrays: [{ name, dtype: 'float64' | 'float32', length, offset, sha256 }] }
 *
 * Loading checks, in order: the magic; the header checksum; the header's schema (kind a string,
 * step a safe integer ≥ 0, t finite, meta and extra objects, names unique, every dtype, length
 * and offset exactly as the writer lays them out); the total file length; each array's SHA-256;
 * the zero padding. So a flip of any single bit anywhere in the file is rejected (the magic, H
 * and the checksum field by the first two checks, the header by its checksum, the data by the
 * array checksums and the padding check), and nothing is allocated before the sizes are known
 * to fit in the file. Failures are CheckpointErrors: `corrupt checkpoint <file>: <what>`.
 *
 * Format 1 files ("ACCKPT01", whose header was not checksummed: a flipped bit in the stored
 * step resumed from the wrong step) are refused with one line saying so.
 *
 * {@link loadNewestCheckpoint} picks the newest checkpoint of a directory that verifies and
 * lists the newer ones it rejected, so a resume can say "step 20 damaged (…); resumed from 10".
 */

const MAGIC = 'ACCKPT02';
const MAGIC_V1 = 'ACCKPT01';
const FORMAT = 2;
/** Bytes before the header JSON: magic, H, header SHA-256. */
const PREFIX = 44;

/** A checkpoint that cannot be written or read (bad state, truncated or corrupt file: the message names it). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

interface ArrayEntry {
  name: string;
  dtype: 'float64' | 'float32';
  length: number;
  offset: number;
  sha256: string;
}

interface Header {
  format: number;
  kind: string;
  step: number;
  t: number;
  meta: Record<string, unknown>;
  extra: Record<string, unknown>;
  dataBytes: number;
  arrays: ArrayEntry[];
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian bytes of a typed array (a view on a little-endian host, a swapped copy otherwise). */
function littleEndianBytes(a: Float64Array | Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const bytes = new Uint8Array(a.byteLength);
  const view = new DataView(bytes.buffer);
  if (a instanceof Float64Array) for (let i = 0; i < a.length; i++) view.setFloat64(8 * i, a[i], true);
  else for (let i = 0; i < a.length; i++) view.setFloat32(4 * i, a[i], true);
  return bytes;
}

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const pad8 = (n: number) => Math.ceil(n / 8) * 8;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Serialise a state to the chunks of one checkpoint file. */
export function encodeCheckpoint(state: SolverState, extra: Record<string, unknown> = {}): Uint8Array[] {
  if (!Number.isSafeInteger(state.step) || state.step < 0) throw new CheckpointError(`checkpoint step must be an integer ≥ 0, got ${state.step}`);
  if (!Number.isFinite(state.t)) throw new CheckpointError(`checkpoint time t must be finite, got ${state.t}`);
  const arrays: ArrayEntry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(state.arrays)) {
    if (!(a instanceof Float64Array) && !(a instanceof Float32Array)) {
      throw new CheckpointError(`checkpoint array '${name}' must be a Float64Array or Float32Array`);
    }
    const bytes = littleEndianBytes(a);
    const padded = pad8(bytes.length);
    arrays.push({ name, dtype: a instanceof Float64Array ? 'float64' : 'float32', length: a.length, offset, sha256: sha256(bytes).toString('hex') });
    blobs.push(bytes);
    if (padded > bytes.length) blobs.push(new Uint8Array(padded - bytes.length));
    offset += padded;
  }
  const header: Header = { format: FORMAT, kind: state.kind, step: state.step, t: state.t, meta: state.meta, extra, dataBytes: offset, arrays };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((PREFIX + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(jsonBytes.length, 8);
  sha256(prefix.subarray(8, 12), jsonBytes).copy(prefix, 12);
  return [prefix, jsonBytes, ...blobs];
}

/** Save a state (and runner data) with the safe atomic writer to `path`. */
export function saveCheckpoint(path: string, state: SolverState, extra: Record<string, unknown> = {}, options: WriteOptions = {}): void {
  writeFileAtomic(path, encodeCheckpoint(state, extra), options);
}

/** Checks the parsed header against the schema the writer produces; returns what is wrong, or undefined. */
function headerProblem(h: unknown): string | undefined {
  if (!isPlainObject(h)) return 'header is not a JSON object';
  if (h.format !== FORMAT) return `unsupported format version ${String(h.format)} (expected ${FORMAT})`;
  if (typeof h.kind !== 'string' || h.kind === '') return 'header has no solver kind';
  if (typeof h.step !== 'number' || !Number.isSafeInteger(h.step) || h.step < 0) return `header step ${JSON.stringify(h.step)} is not an integer ≥ 0`;
  if (typeof h.t !== 'number' || !Number.isFinite(h.t)) return `header time t ${JSON.stringify(h.t)} is not a finite number`;
  if (!isPlainObject(h.meta) || !isPlainObject(h.extra)) return 'header meta or extra is not an object';
  if (!Array.isArray(h.arrays)) return 'header has no array table';
  const names = new Set<string>();
  let offset = 0;
  for (const e of h.arrays as unknown[]) {
    if (!isPlainObject(e) || typeof e.name !== 'string') return 'array table entry without a name';
    const label = `array '${e.name}'`;
    if (names.has(e.name)) return `${label} appears twice`;
    names.add(e.name);
    if (e.dtype !== 'float64' && e.dtype !== 'float32') return `${label} has unknown dtype ${JSON.stringify(e.dtype)}`;
    if (typeof e.length !== 'number' || !Number.isSafeInteger(e.length) || e.length < 0) return `${label} has invalid length ${JSON.stringify(e.length)}`;
    if (e.offset !== offset) return `${label} is at offset ${JSON.stringify(e.offset)}, expected ${offset}`;
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) return `${label} has no valid SHA-256`;
    offset += pad8((e.dtype === 'float64' ? 8 : 4) * e.length);
  }
  if (h.dataBytes !== offset) return `header dataBytes ${JSON.stringify(h.dataBytes)} does not match its arrays (${offset})`;
  return undefined;
}

/** Verify and decode checkpoint bytes; `path` only names the file in errors. */
export function decodeCheckpoint(buf: Uint8Array, path: string, options: { expectKind?: string } = {}): { state: SolverState; extra: Record<string, unknown> } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const corrupt = (what: string) => new CheckpointError(`corrupt checkpoint ${path}: ${what}`);
  if (b.length >= 8 && b.toString('latin1', 0, 8) === MAGIC_V1) {
    throw new CheckpointError(
      `checkpoint ${path} has the old format ${MAGIC_V1}, whose header (step, t) is not checksummed, so it cannot be verified; start the run afresh`,
    );
  }
  if (b.length < PREFIX || b.toString('latin1', 0, 8) !== MAGIC) throw corrupt(`not a checkpoint file (missing the '${MAGIC}' signature)`);
  const headerBytes = b.readUInt32LE(8);
  if (PREFIX + headerBytes > b.length) throw corrupt(`header of ${headerBytes} bytes runs past the end of the ${b.length}-byte file`);
  const jsonBytes = b.subarray(PREFIX, PREFIX + headerBytes);
  if (!sha256(b.subarray(8, 12), jsonBytes).equals(b.subarray(12, PREFIX))) throw corrupt('header checksum mismatch');
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonBytes.toString('utf8'));
  } catch (err) {
    throw corrupt(`header is not valid JSON (${(err as Error).message})`);
  }
  const problem = headerProblem(parsed);
  if (problem) throw corrupt(problem);
  const header = parsed as Header;
  if (options.expectKind !== undefined && header.kind !== options.expectKind) {
    throw new CheckpointError(`checkpoint ${path} was written by a '${header.kind}' solver, not '${options.expectKind}'`);
  }
  const dataStart = PREFIX + headerBytes;
  if (b.length !== dataStart + header.dataBytes) {
    throw corrupt(`expected ${dataStart + header.dataBytes} bytes, the file has ${b.length} (truncated or padded)`);
  }
  const arrays: Record<string, Float64Array | Float32Array> = {};
  for (const e of header.arrays) {
    const size = e.dtype === 'float64' ? 8 : 4;
    const start = dataStart + e.offset;
    const end = start + size * e.length;
    const bytes = b.subarray(start, end);
    if (sha256(bytes).toString('hex') !== e.sha256) throw corrupt(`checksum mismatch in array '${e.name}'`);
    for (let i = end; i < dataStart + e.offset + pad8(size * e.length); i++) {
      if (b[i] !== 0) throw corrupt(`non-zero padding after array '${e.name}'`);
    }
    if (LITTLE_ENDIAN_HOST) {
      // Copy into a fresh, aligned buffer and view it.
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      arrays[e.name] = e.dtype === 'float64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
      continue;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (e.dtype === 'float64') {
      const a = new Float64Array(e.length);
      for (let i = 0; i < e.length; i++) a[i] = view.getFloat64(8 * i, true);
      arrays[e.name] = a;
    } else {
      const a = new Float32Array(e.length);
      for (let i = 0; i < e.length; i++) a[i] = view.getFloat32(4 * i, true);
      arrays[e.name] = a;
    }
  }
  return { state: { kind: header.kind, step: header.step, t: header.t, arrays, meta: header.meta }, extra: header.extra };
}

/** Load and verify a checkpoint file. `expectKind` rejects a checkpoint of another solver. */
export function loadCheckpoint(path: string, options: { expectKind?: string } = {}): { state: SolverState; extra: Record<string, unknown> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  return decodeCheckpoint(buf, path, options);
}

/** A checkpoint that {@link loadNewestCheckpoint} passed over, and why (one line). */
export interface CheckpointRejection {
  path: string;
  step: number;
  reason: string;
}

export interface NewestCheckpoint {
  /** The newest checkpoint that verified, or undefined if none did (or there are none). */
  loaded?: { path: string; step: number; state: SolverState; extra: Record<string, unknown> };
  /** Newer checkpoints that failed to verify, newest first. */
  rejected: CheckpointRejection[];
}

/**
 * Load the newest checkpoint in `dir` that verifies (see {@link decodeCheckpoint}) and whose
 * header step matches its file name, falling back to older ones; every newer file passed over is
 * listed in `rejected` with the reason. Use {@link describeCheckpointFallback} for the message.
 */
export function loadNewestCheckpoint(dir: string, options: { expectKind?: string } = {}): NewestCheckpoint {
  const rejected: CheckpointRejection[] = [];
  const all = listCheckpoints(dir);
  for (let i = all.length - 1; i >= 0; i--) {
    const { step, path } = all[i];
    try {
      const { state, extra } = loadCheckpoint(path, options);
      if (state.step !== step) throw new CheckpointError(`corrupt checkpoint ${path}: its name says step ${step} but it holds step ${state.step}`);
      return { loaded: { path, step, state, extra }, rejected };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      rejected.push({ path, step, reason: err.message });
    }
  }
  return { rejected };
}

/**
 * One line for the run layer: "" when the newest checkpoint loaded, otherwise e.g.
 * "checkpoint step-00000020.ckpt rejected (… checksum mismatch in array 'u'); resumed from step 10"
 * or "… ; no checkpoint verifies".
 */
export function describeCheckpointFallback(result: NewestCheckpoint): string {
  if (result.rejected.length === 0) return '';
  const parts = result.rejected.map((r) => `checkpoint ${basename(r.path)} rejected (${r.reason})`);
  return `${parts.join('; ')}; ${result.loaded ? `resumed from step ${result.loaded.step}` : 'no checkpoint verifies'}`;
}

/** File name of the checkpoint after `step` steps inside a checkpoint directory. */
export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(8, '0')}.ckpt`);
}

/** Checkpoints in `dir`, sorted by step (ascending). Temporary files are ignored. */
export function listCheckpoints(dir: string): { step: number; path: string }[] {
  if (!existsSync(dir)) return [];
  const out: { step: number; path: string }[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^step-(\d+)\.ckpt$/.exec(name);
    if (m) out.push({ step: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The newest checkpoint file in `dir` (not verified: see {@link loadNewestCheckpoint}), or undefined. */
export function latestCheckpoint(dir: string): { step: number; path: string } | undefined {
  const all = listCheckpoints(dir);
  return all[all.length - 1];
}

/**
 * Delete all but the newest `keep` checkpoints in `dir` (keep ≥ 1) — except that the newest
 * checkpoint that VERIFIES is always kept, even when it is older than those: so a damaged newest
 * file (or a damaged pair) never costs the last good state. In the normal case this reads and
 * checks only the newest file. Returns the paths deleted.
 */
export function pruneCheckpoints(dir: string, keep = 2): string[] {
  const all = listCheckpoints(dir).reverse(); // newest first
  const n = Math.max(1, keep);
  let good = -1;
  for (let i = 0; i < all.length && good < 0; i++) {
    try {
      if (loadCheckpoint(all[i].path).state.step === all[i].step) good = i;
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
    }
  }
  const removed: string[] = [];
  for (let i = n; i < all.length; i++) {
    if (i === good) continue;
    rmSync(all[i].path, { force: true });
    removed.push(all[i].path);
  }
  return removed;
}
