import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFileIo, type FileIo } from '../src/io/atomic.js';
import {
  checkpointPath,
  CheckpointError,
  decodeCheckpoint,
  describeCheckpointFallback,
  encodeCheckpoint,
  loadCheckpoint,
  loadNewestCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from '../src/io/checkpoint.js';
import type { SolverState } from '../src/solver.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-ckpt-'));

const small = (step = 7): SolverState => ({
  kind: 'fem',
  step,
  t: step * 1e-3,
  arrays: { u: Float64Array.of(0.5, -0, -1), odd: Float32Array.of(3) },
  meta: { scheme: 'stabilized' },
});

const bytesOf = (s: SolverState, extra: Record<string, unknown> = {}) => Buffer.concat(encodeCheckpoint(s, extra));

/** Seeded xorshift32 in [0, 1). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Re-sign a header JSON so only the schema check can catch what is wrong with it. */
function withHeader(good: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const H = good.readUInt32LE(8);
  const header = JSON.parse(good.toString('utf8', 44, 44 + H)) as Record<string, unknown>;
  edit(header);
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((44 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(44);
  prefix.write('ACCKPT02', 0, 'latin1');
  prefix.writeUInt32LE(jsonBytes.length, 8);
  createHash('sha256').update(prefix.subarray(8, 12)).update(jsonBytes).digest().copy(prefix, 12);
  return Buffer.concat([prefix, jsonBytes, good.subarray(44 + H)]);
}

describe('checkpoint verification: every byte', () => {
  it('rejects every single-bit flip anywhere in a small checkpoint (header region included)', () => {
    const good = bytesOf(small(), { runner: { lastCheckpoint: 7 } });
    const dataStart = 44 + good.readUInt32LE(8);
    // The data region is 3 float64 + 1 float32 + 4 bytes of padding = 32 bytes.
    expect(good.length - dataStart).toBe(32);
    expect(decodeCheckpoint(good, 'c').state.step).toBe(7);
    const reasons = new Set<string>();
    let flips = 0;
    for (let byte = 0; byte < good.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(good);
        bad[byte] ^= 1 << bit;
        let err: unknown;
        try {
          decodeCheckpoint(bad, 'c');
        } catch (e) {
          err = e;
        }
        expect(err, `bit ${bit} of byte ${byte} was not detected`).toBeInstanceOf(CheckpointError);
        const msg = (err as Error).message;
        expect(msg).not.toContain('\n');
        reasons.add(msg.replace(/^corrupt checkpoint c: /, '').replace(/ \(.*$/, '').replace(/\d+/g, 'N'));
        flips++;
      }
    }
    expect(flips).toBe(8 * good.length);
    // Each part of the file is caught by its own check.
    expect([...reasons].sort()).toEqual(
      [
        "not a checkpoint file",
        'header checksum mismatch',
        'header of N bytes runs past the end of the N-byte file',
        "checksum mismatch in array 'u'",
        "checksum mismatch in array 'odd'",
        "non-zero padding after array 'odd'",
      ].sort(),
    );
  });

  it('rejects random bit flips and every truncation of a larger checkpoint', () => {
    const u = new Float64Array(5000);
    const r = rng(12345);
    for (let i = 0; i < u.length; i++) u[i] = 2 * r() - 1;
    const good = bytesOf({ kind: 'sdmm', step: 123, t: 0.0123, arrays: { theta: u, m: new Float32Array(17) }, meta: { rank: 8 } });
    for (let k = 0; k < 400; k++) {
      const bad = Buffer.from(good);
      const byte = Math.floor(r() * good.length);
      bad[byte] ^= 1 << Math.floor(r() * 8);
      expect(() => decodeCheckpoint(bad, 'big'), `flip in byte ${byte}`).toThrow(CheckpointError);
    }
    for (let len = 0; len < good.length; len += len < 600 ? 1 : 997) {
      expect(() => decodeCheckpoint(good.subarray(0, len), 'big'), `truncated to ${len}`).toThrow(CheckpointError);
    }
    expect(() => decodeCheckpoint(Buffer.concat([good, Buffer.alloc(1)]), 'big')).toThrow(
      `corrupt checkpoint big: expected ${good.length} bytes, the file has ${good.length + 1} (truncated or padded)`,
    );
  });

  it('checks the header schema even when the header checksum is right', () => {
    const good = bytesOf(small());
    const cases: [string, (h: Record<string, unknown>) => void, string][] = [
      ['negative step', (h) => (h.step = -1), 'header step -1 is not an integer ≥ 0'],
      ['fractional step', (h) => (h.step = 2.5), 'header step 2.5 is not an integer ≥ 0'],
      ['t null (NaN)', (h) => (h.t = null), 'header time t null is not a finite number'],
      ['no kind', (h) => delete h.kind, 'header has no solver kind'],
      ['format 3', (h) => (h.format = 3), 'unsupported format version 3 (expected 2)'],
      ['meta array', (h) => (h.meta = []), 'header meta or extra is not an object'],
      ['huge length', (h) => ((h.arrays as { length: number }[])[0].length = 2 ** 60), "array 'u' has invalid length 1152921504606847000"],
      ['moved offset', (h) => ((h.arrays as { offset: number }[])[1].offset = 0), "array 'odd' is at offset 0, expected 24"],
      ['bad dtype', (h) => ((h.arrays as { dtype: string }[])[0].dtype = 'int8'), 'array \'u\' has unknown dtype "int8"'],
      ['duplicate', (h) => ((h.arrays as { name: string }[])[1].name = 'u'), "array 'u' appears twice"],
      ['dataBytes', (h) => (h.dataBytes = 8), 'header dataBytes 8 does not match its arrays (32)'],
      ['sha', (h) => ((h.arrays as { sha256: string }[])[0].sha256 = 'abc'), "array 'u' has no valid SHA-256"],
    ];
    for (const [label, edit, message] of cases) {
      expect(() => decodeCheckpoint(withHeader(good, edit), 'c'), label).toThrow(`corrupt checkpoint c: ${message}`);
    }
    // Unchanged re-signing still loads (the helper itself is right).
    expect(decodeCheckpoint(withHeader(good, () => {}), 'c').state.step).toBe(7);
  });

  it('refuses format-1 files and non-finite states in one line', () => {
    const dir = tmp();
    const p = join(dir, 'old.ckpt');
    writeFileSync(p, Buffer.concat([Buffer.from('ACCKPT01'), Buffer.alloc(40)]));
    expect(() => loadCheckpoint(p)).toThrow(
      `checkpoint ${p} has the old format ACCKPT01, whose header (step, t) is not checksummed, so it cannot be verified; start the run afresh`,
    );
    expect(() => encodeCheckpoint({ ...small(), t: NaN })).toThrow('checkpoint time t must be finite, got NaN');
    expect(() => encodeCheckpoint({ ...small(), step: -2 })).toThrow('checkpoint step must be an integer ≥ 0, got -2');
  });
});

describe('loadNewestCheckpoint', () => {
  it('falls back to the newest checkpoint that verifies and says which were rejected and why', () => {
    const dir = tmp();
    for (const s of [0, 10, 20]) saveCheckpoint(checkpointPath(dir, s), small(s));
    const p20 = checkpointPath(dir, 20);
    const bad = readFileSync(p20);
    bad[20] ^= 4; // inside the header checksum field
    writeFileSync(p20, bad);
    // A copy under a newer name: verifies, but holds step 10.
    copyFileSync(checkpointPath(dir, 10), checkpointPath(dir, 30));
    const r = loadNewestCheckpoint(dir, { expectKind: 'fem' });
    expect(r.loaded?.step).toBe(10);
    expect(r.loaded?.state.t).toBe(0.01);
    expect(r.loaded?.path).toBe(checkpointPath(dir, 10));
    expect(r.rejected).toEqual([
      { path: checkpointPath(dir, 30), step: 30, reason: `corrupt checkpoint ${checkpointPath(dir, 30)}: its name says step 30 but it holds step 10` },
      { path: p20, step: 20, reason: `corrupt checkpoint ${p20}: header checksum mismatch` },
    ]);
    expect(describeCheckpointFallback(r)).toBe(
      `checkpoint step-00000030.ckpt rejected (corrupt checkpoint ${checkpointPath(dir, 30)}: its name says step 30 but it holds step 10); ` +
        `checkpoint step-00000020.ckpt rejected (corrupt checkpoint ${p20}: header checksum mismatch); resumed from step 10`,
    );
  });

  it('reports no checkpoint, and all of them rejected, distinctly', () => {
    const dir = tmp();
    expect(loadNewestCheckpoint(join(dir, 'missing'))).toEqual({ rejected: [] });
    expect(describeCheckpointFallback({ rejected: [] })).toBe('');
    saveCheckpoint(checkpointPath(dir, 5), small(5));
    const r = loadNewestCheckpoint(dir, { expectKind: 'sdmm' });
    expect(r.loaded).toBeUndefined();
    expect(describeCheckpointFallback(r)).toBe(
      `checkpoint step-00000005.ckpt rejected (checkpoint ${checkpointPath(dir, 5)} was written by a 'fem' solver, not 'sdmm'); no checkpoint verifies`,
    );
  });

  it('a checkpoint save on a full disk fails in one line and keeps the previous file', () => {
    const dir = tmp();
    const p = checkpointPath(dir, 10);
    saveCheckpoint(p, small(10));
    const before = readFileSync(p);
    let used = 0;
    const io: FileIo = {
      ...nodeFileIo,
      writeSync(fd, buf, off, len, pos) {
        if (used >= 100) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        const n = nodeFileIo.writeSync(fd, buf, off, Math.min(len, 100 - used), pos);
        used += n;
        return n;
      },
    };
    expect(() => saveCheckpoint(p, small(10), {}, { io })).toThrow(`cannot write ${p}: ENOSPC: no space left on device, write; the previous file is unchanged`);
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['step-00000010.ckpt']);
  });
});

describe('pruneCheckpoints', () => {
  it('keeps the newest `keep` files and, beyond them, the newest one that verifies', () => {
    const dir = tmp();
    for (const s of [0, 10, 20, 30]) saveCheckpoint(checkpointPath(dir, s), small(s));
    // Damage 20 and 30: with keep = 2 the good step 10 must survive as the fallback.
    for (const s of [20, 30]) {
      const b = readFileSync(checkpointPath(dir, s));
      b[b.length - 1] ^= 0x80;
      writeFileSync(checkpointPath(dir, s), b);
    }
    expect(pruneCheckpoints(dir, 2)).toEqual([checkpointPath(dir, 0)]);
    expect(readdirSync(dir)).toEqual(['step-00000010.ckpt', 'step-00000020.ckpt', 'step-00000030.ckpt']);
    expect(loadNewestCheckpoint(dir).loaded?.step).toBe(10);
    // Once a newer good checkpoint exists the old fallback goes.
    saveCheckpoint(checkpointPath(dir, 40), small(40));
    expect(pruneCheckpoints(dir, 2)).toEqual([checkpointPath(dir, 20), checkpointPath(dir, 10)]);
    expect(readdirSync(dir)).toEqual(['step-00000030.ckpt', 'step-00000040.ckpt']);
    expect(pruneCheckpoints(dir, 1)).toEqual([checkpointPath(dir, 30)]);
  });
});
