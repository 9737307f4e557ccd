import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SolverState } from '../solver.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Checkpoints: a SolverState (plus optional runner data) in ONE file, written atomically.
 *
 * File layout (all integers little-endian):
 *   bytes 0–7    magic "ACCKPT01"
 *   bytes 8–11   uint32 H: byte length of the JSON header
 *   bytes 12–    the JSON header (UTF-8), padded with spaces so the data starts 8-byte aligned
 *   then         the arrays' bytes, each starting at an 8-byte aligned offset (relative to the
 *                data start), float64/float32 little-endian
 * Header: { format: 1, kind, step, t, meta, extra, dataBytes,
 *           arrays: [{ name, dtype: 'float64' | 'float32', length, offset, sha256 }] }
 *
 * Loading verifies the magic, the header, the solver kind (when expected), every array's size
 * and SHA-256 checksum, and the total length; any mismatch throws CheckpointError with the file
 * name and what is wrong. Because the write is atomic (temp file, fsync, rename) a kill during
 * a save leaves the previous checkpoint intact.
 */

const MAGIC = 'ACCKPT01';
const FORMAT = 1;

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

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Serialise a state to the chunks of one checkpoint file. */
export function encodeCheckpoint(state: SolverState, extra: Record<string, unknown> = {}): Uint8Array[] {
  const arrays: ArrayEntry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(state.arrays)) {
    if (!(a instanceof Float64Array) && !(a instanceof Float32Array)) {
      throw new CheckpointError(`checkpoint array '${name}' must be a Float64Array or Float32Array`);
    }
    const bytes = littleEndianBytes(a);
    const padded = Math.ceil(bytes.length / 8) * 8;
    arrays.push({ name, dtype: a instanceof Float64Array ? 'float64' : 'float32', length: a.length, offset, sha256: sha256(bytes) });
    blobs.push(bytes);
    if (padded > bytes.length) blobs.push(new Uint8Array(padded - bytes.length));
    offset += padded;
  }
  const header: Header = { format: FORMAT, kind: state.kind, step: state.step, t: state.t, meta: state.meta, extra, dataBytes: offset, arrays };
  let json = JSON.stringify(header);
  const pad = (8 - ((12 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const prefix = new Uint8Array(12);
  prefix.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(prefix.buffer).setUint32(8, Buffer.byteLength(json), true);
  return [prefix, Buffer.from(json, 'utf8'), ...blobs];
}

/** Save a state (and runner data) atomically to `path`. */
export function saveCheckpoint(path: string, state: SolverState, extra: Record<string, unknown> = {}): void {
  writeFileAtomic(path, encodeCheckpoint(state, extra));
}

/** Load and verify a checkpoint. `expectKind` rejects a checkpoint of another solver. */
export function loadCheckpoint(path: string, options: { expectKind?: string } = {}): { state: SolverState; extra: Record<string, unknown> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  const corrupt = (what: string) => new CheckpointError(`corrupt checkpoint ${path}: ${what}`);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw corrupt(`not a checkpoint file (missing the '${MAGIC}' signature)`);
  const headerBytes = buf.readUInt32LE(8);
  if (12 + headerBytes > buf.length) throw corrupt(`header of ${headerBytes} bytes runs past the end of the ${buf.length}-byte file`);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerBytes)) as Header;
  } catch (err) {
    throw corrupt(`header is not valid JSON (${(err as Error).message})`);
  }
  if (header.format !== FORMAT) throw corrupt(`unsupported format version ${header.format} (expected ${FORMAT})`);
  if (typeof header.kind !== 'string' || !Number.isInteger(header.step) || !Array.isArray(header.arrays)) {
    throw corrupt('header lacks kind, step or arrays');
  }
  if (options.expectKind !== undefined && header.kind !== options.expectKind) {
    throw new CheckpointError(`checkpoint ${path} was written by a '${header.kind}' solver, not '${options.expectKind}'`);
  }
  const dataStart = 12 + headerBytes;
  if (buf.length !== dataStart + header.dataBytes) {
    throw corrupt(`expected ${dataStart + header.dataBytes} bytes, the file has ${buf.length} (truncated or padded)`);
  }
  const arrays: Record<string, Float64Array | Float32Array> = {};
  for (const e of header.arrays) {
    const size = e.dtype === 'float64' ? 8 : e.dtype === 'float32' ? 4 : 0;
    if (size === 0) throw corrupt(`array '${e.name}' has unknown dtype '${e.dtype}'`);
    const start = dataStart + e.offset;
    const end = start + size * e.length;
    if (!Number.isInteger(e.length) || e.length < 0 || e.offset % 8 !== 0 || end > buf.length) {
      throw corrupt(`array '${e.name}' (${e.length} × ${e.dtype} at offset ${e.offset}) does not fit in the file`);
    }
    const bytes = buf.subarray(start, end);
    if (sha256(bytes) !== e.sha256) throw corrupt(`checksum mismatch in array '${e.name}'`);
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
  return { state: { kind: header.kind, step: header.step, t: header.t, arrays, meta: header.meta ?? {} }, extra: header.extra ?? {} };
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

/** The newest checkpoint in `dir`, or undefined. */
export function latestCheckpoint(dir: string): { step: number; path: string } | undefined {
  const all = listCheckpoints(dir);
  return all[all.length - 1];
}

/** Delete all but the newest `keep` checkpoints in `dir` (keep ≥ 1). */
export function pruneCheckpoints(dir: string, keep = 2): void {
  const all = listCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) rmSync(c.path, { force: true });
}
