import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkpointPath,
  encodeCheckpoint,
  ensureDirectory,
  formatPvd,
  formatVtu,
  gridToVtu,
  isTemporaryName,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  meshToVtu,
  parseCsv,
  pruneCheckpoints,
  readStepsCsv,
  saveCheckpoint,
  STEP_COLUMNS,
  StepsCsvWriter,
  truncateStepsCsv,
  writeFieldCsv,
  writeFileAtomic,
  writeVtu,
} from '../src/io/index.js';
import { intervalMesh, rectangleMesh } from '../src/mesh/index.js';
import { uniformGrid, type SolverState, type StepRecord } from '../src/solver.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-io-'));

function rec(step: number, over: Partial<StepRecord> = {}): StepRecord {
  return {
    step,
    t: step * 0.1,
    energy: 1 / (step + 3),
    movement: step === 0 ? 0 : 1e-300 * step,
    iterations: step,
    linearIterations: 10 * step,
    wallMs: 0.5 + step,
    minU: -1 + 1e-17,
    maxU: 0.1 + 0.2,
    stopReason: step === 0 ? 'initial' : 'converged',
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// A small XML reader for the tests: checks that tags nest and close, collects elements with
// their attributes and text. Enough to verify the VTU/PVD structure without a dependency.
interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}
function parseXml(src: string): XmlElement {
  const root: XmlElement = { tag: '#root', attrs: {}, text: '', children: [] };
  const stack: XmlElement[] = [root];
  const re = /<\?[^>]*\?>|<\/([A-Za-z]+)\s*>|<([A-Za-z]+)((?:\s+[A-Za-z_:]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(src)) !== null) {
    if (m.index !== consumed) throw new Error(`XML: unparsable text at ${consumed}`);
    consumed = re.lastIndex;
    if (m[1]) {
      const top = stack.pop()!;
      if (top.tag !== m[1]) throw new Error(`XML: </${m[1]}> closes <${top.tag}>`);
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of m[3].matchAll(/([A-Za-z_:]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
      const el: XmlElement = { tag: m[2], attrs, text: '', children: [] };
      stack[stack.length - 1].children.push(el);
      if (!m[4]) stack.push(el);
    } else if (m[5]) {
      stack[stack.length - 1].text += m[5];
    }
  }
  if (consumed !== src.length) throw new Error('XML: trailing garbage');
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1].tag}> not closed`);
  return root;
}
function find(el: XmlElement, tag: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.tag === tag) out.push(c);
    out.push(...find(c, tag));
  }
  return out;
}

/** Decode every DataArray of a VTU (ascii or appended base64) into numbers, by Name. */
function readVtuArrays(text: string): { xml: XmlElement; arrays: Record<string, number[]> } {
  const xml = parseXml(text);
  const arrays: Record<string, number[]> = {};
  const appended = find(xml, 'AppendedData')[0];
  const raw = appended ? appended.text.trim() : '';
  if (appended) {
    expect(appended.attrs.encoding).toBe('base64');
    expect(raw.startsWith('_')).toBe(true);
  }
  for (const da of find(xml, 'DataArray')) {
    const type = da.attrs.type;
    if (da.attrs.format === 'ascii') {
      arrays[da.attrs.Name] = da.text.trim().split(/\s+/).map(Number);
      continue;
    }
    expect(da.attrs.format).toBe('appended');
    const offset = Number(da.attrs.offset);
    const data = raw.slice(1);
    // The header is its own base64 block: 4 bytes → 8 characters ending in '=='.
    const headerChars = data.slice(offset, offset + 8);
    expect(headerChars.endsWith('==')).toBe(true);
    const nbytes = Buffer.from(headerChars, 'base64').readUInt32LE(0);
    const bodyChars = Math.ceil(nbytes / 3) * 4;
    const body = Buffer.from(data.slice(offset + 8, offset + 8 + bodyChars), 'base64');
    expect(body.length).toBe(nbytes);
    const size = type === 'Float64' ? 8 : type === 'Int32' ? 4 : 1;
    const vals: number[] = [];
    for (let i = 0; i < nbytes / size; i++) {
      vals.push(type === 'Float64' ? body.readDoubleLE(8 * i) : type === 'Int32' ? body.readInt32LE(4 * i) : body.readUInt8(i));
    }
    arrays[da.attrs.Name] = vals;
  }
  return { xml, arrays };
}

describe('writeFileAtomic', () => {
  it('writes and replaces a file, leaving no temporary file behind', () => {
    const dir = tmp();
    const p = join(dir, 'summary.json');
    writeFileAtomic(p, 'first');
    writeFileAtomic(p, [new Uint8Array([104, 105]), new Uint8Array([33])]);
    expect(readFileSync(p, 'utf8')).toBe('hi!');
    expect(readdirSync(dir)).toEqual(['summary.json']);
  });
  it('removes the temporary file when the rename fails and rethrows', () => {
    const dir = tmp();
    // Renaming a file over a non-empty directory fails after the temp file was written.
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), '');
    expect(() => writeFileAtomic(target, 'data')).toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(readdirSync(dir)).toEqual(['occupied']);
    expect(() => writeFileAtomic(join(dir, 'no-such-dir', 'f'), 'data')).toThrow(/ENOENT/);
  });
  it('ensureDirectory creates nested directories and refuses a file in the way', () => {
    const dir = tmp();
    ensureDirectory(join(dir, 'a', 'b', 'c'));
    ensureDirectory(join(dir, 'a', 'b', 'c'));
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['c']);
    writeFileSync(join(dir, 'file'), '');
    expect(() => ensureDirectory(join(dir, 'file'))).toThrow(`${join(dir, 'file')} exists and is not a directory`);
    expect(() => ensureDirectory(join(dir, 'file', 'sub'))).toThrow(/ENOTDIR/);
  });
  it('recognises its temporary names', () => {
    expect(isTemporaryName('.steps.csv.tmp-123-0a1b2c3d')).toBe(true);
    expect(isTemporaryName('steps.csv')).toBe(false);
  });
});

describe('steps.csv', () => {
  it('writes the header once, appends rows and reads them back bit-identically', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    const w = new StepsCsvWriter(p, { fresh: true });
    const records = [rec(0), rec(1, { stopReason: 'max-iters, "line search"' }), rec(2, { energy: NaN, movement: Infinity })];
    w.append(records[0], true);
    w.append(records[1], false);
    w.close();
    // Reopen for appending (resume): the header is checked, not repeated.
    const w2 = new StepsCsvWriter(p);
    w2.append(records[2], false);
    w2.close();
    const text = readFileSync(p, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('step,t,energy,movement,wall_ms,iterations,linear_iterations,min_u,max_u,stable,stop_reason,gradient_norm');
    expect(lines[0].split(',')).toEqual([...STEP_COLUMNS]);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('0,0,0.3333333333333333,0,0.5,0,0,-1,0.30000000000000004,true,initial,');
    expect(lines[2]).toContain(',false,"max-iters, ""line search""",');
    const { rows, partial } = readStepsCsv(p);
    expect(partial).toBe(false);
    expect(rows).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const { stable, ...r } = rows[i];
      expect(r).toEqual(records[i]);
      expect(typeof stable).toBe('boolean');
    }
    expect(rows[1].movement).toBe(1e-300);
    expect(rows[1].stable).toBe(false);
    expect(Number.isNaN(rows[2].energy)).toBe(true);
    expect(rows[2].movement).toBe(Infinity);
  });

  it('drops a cut-short last line and truncates rows after a checkpoint step', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    const w = new StepsCsvWriter(p, { fresh: true });
    for (let s = 0; s <= 5; s++) w.append(rec(s), true);
    w.close();
    appendFileSync(p, '6,0.6,0.1');
    const { rows, partial } = readStepsCsv(p);
    expect(partial).toBe(true);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => new StepsCsvWriter(p)).toThrow(`${p}: the last line is unterminated; truncate the file (truncateStepsCsv) before appending`);
    const kept = truncateStepsCsv(p, 3);
    expect(kept.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(readStepsCsv(p).rows.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['steps.csv']);
    expect(() => truncateStepsCsv(p, 7)).toThrow(`${p}: expected one row per step 0..7, found only 4 rows`);
  });

  it('rejects a wrong header, a wrong field count and a non-numeric field with file and line', () => {
    const dir = tmp();
    const p = join(dir, 'steps.csv');
    writeFileSync(p, 'step,t,energy\n0,0,1\n');
    expect(() => readStepsCsv(p)).toThrow(`${p}: line 1: expected the steps.csv header '${STEP_COLUMNS.join(',')}', got 'step,t,energy'`);
    expect(() => new StepsCsvWriter(p)).toThrow(`${p}: line 1: expected the steps.csv header`);
    writeFileSync(p, STEP_COLUMNS.join(',') + '\n0,0,1,0,1,0,0,-1,1,true,initial,\n1,0.1,0.9\n');
    expect(() => readStepsCsv(p)).toThrow(`${p}: line 3: expected 12 fields, got 3`);
    writeFileSync(p, STEP_COLUMNS.join(',') + '\n0,0,abc,0,1,0,0,-1,1,true,initial,\n');
    expect(() => readStepsCsv(p)).toThrow(`${p}: line 2: column 'energy' is not a number: 'abc'`);
    writeFileSync(p, STEP_COLUMNS.join(',') + '\n0,0,1,0,1,0,0,-1,1,yes,initial,\n');
    expect(() => readStepsCsv(p)).toThrow(`${p}: line 2: column 'stable' must be true or false, got 'yes'`);
  });

  it('parseCsv handles quotes, escaped quotes, embedded newlines and CRLF', () => {
    const { records, lines, partial } = parseCsv('a,"b,c"\r\n"x""y","1\n2"\nlast');
    expect(records).toEqual([
      ['a', 'b,c'],
      ['x"y', '1\n2'],
    ]);
    expect(lines).toEqual([1, 2]);
    expect(partial).toBe(true);
  });

  it('writes final.csv with x, y, u (2D) and x, u (1D)', () => {
    const dir = tmp();
    const pts = uniformGrid({ dim: 2, domain: { min: [0, 0], max: [1, 2] } }, 3);
    const u = new Float64Array(9).map((_, i) => i / 10);
    writeFieldCsv(join(dir, 'final.csv'), pts, 2, u);
    const lines = readFileSync(join(dir, 'final.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('x,y,u');
    expect(lines).toHaveLength(10);
    expect(lines[2]).toBe('0,1,0.1');
    expect(lines[9]).toBe('1,2,0.8');
    writeFieldCsv(join(dir, 'f1.csv'), Float64Array.of(-1, 0, 1), 1, Float64Array.of(-1, 0, 1));
    expect(readFileSync(join(dir, 'f1.csv'), 'utf8')).toBe('x,u\n-1,-1\n0,0\n1,1\n');
    expect(() => writeFieldCsv(join(dir, 'bad.csv'), pts, 2, new Float64Array(3))).toThrow(
      `writeFieldCsv(${join(dir, 'bad.csv')}): 18 coordinates (dim 2) do not match 3 values`,
    );
  });
});

describe('checkpoints', () => {
  const state = (): SolverState => ({
    kind: 'fem',
    step: 40,
    t: 0.004,
    arrays: {
      u: Float64Array.of(0.1 + 0.2, -0, Number.MIN_VALUE, -1e308, Math.PI, NaN, Infinity),
      weights: Float32Array.of(1.5, -2.25, 3.4028234663852886e38, 1e-45, 0.1),
      empty: new Float64Array(0),
      odd: Float32Array.of(7), // 4 bytes: exercises the 8-byte padding
    },
    meta: { scheme: 'mms-newton', history: [1, 2, 3] },
  });

  it('round-trips a state bit-identically (float64 and float32, special values)', () => {
    const dir = tmp();
    const p = join(dir, 'c.ckpt');
    const s = state();
    saveCheckpoint(p, s, { runner: { stepsWritten: 41 } });
    const { state: back, extra } = loadCheckpoint(p, { expectKind: 'fem' });
    expect(back.kind).toBe('fem');
    expect(back.step).toBe(40);
    expect(back.t).toBe(0.004);
    expect(back.meta).toEqual(s.meta);
    expect(extra).toEqual({ runner: { stepsWritten: 41 } });
    expect(Object.keys(back.arrays)).toEqual(['u', 'weights', 'empty', 'odd']);
    for (const [name, a] of Object.entries(s.arrays)) {
      const b = back.arrays[name];
      expect(b.constructor).toBe(a.constructor);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
    expect(Object.is(back.arrays.u[1], -0)).toBe(true);
    expect(readdirSync(dir)).toEqual(['c.ckpt']);
  });

  it('reports corruption, truncation, a foreign file and the wrong solver kind clearly', () => {
    const dir = tmp();
    const p = join(dir, 'c.ckpt');
    saveCheckpoint(p, state());
    const good = readFileSync(p);
    // Flip one bit in the last array's data.
    const flipped = Buffer.from(good);
    flipped[flipped.length - 8] ^= 1;
    writeFileSync(p, flipped);
    expect(() => loadCheckpoint(p)).toThrow(`corrupt checkpoint ${p}: checksum mismatch in array 'odd'`);
    writeFileSync(p, good.subarray(0, good.length - 3));
    expect(() => loadCheckpoint(p)).toThrow(`corrupt checkpoint ${p}: expected ${good.length} bytes, the file has ${good.length - 3} (truncated or padded)`);
    writeFileSync(p, 'hello world, not a checkpoint');
    expect(() => loadCheckpoint(p)).toThrow(`corrupt checkpoint ${p}: not a checkpoint file (missing the 'ACCKPT02' signature)`);
    const badHeader = Buffer.from(good);
    badHeader[45] = 0x21; // a byte of the header JSON: caught by the header checksum
    writeFileSync(p, badHeader);
    expect(() => loadCheckpoint(p)).toThrow(`corrupt checkpoint ${p}: header checksum mismatch`);
    writeFileSync(p, good);
    expect(() => loadCheckpoint(p, { expectKind: 'sdmm' })).toThrow(`checkpoint ${p} was written by a 'fem' solver, not 'sdmm'`);
    expect(() => loadCheckpoint(join(dir, 'missing.ckpt'))).toThrow(`cannot read checkpoint ${join(dir, 'missing.ckpt')}`);
  });

  it('lists, finds the latest and prunes checkpoints in a directory', () => {
    const dir = tmp();
    for (const s of [0, 5, 10, 15]) saveCheckpoint(checkpointPath(dir, s), { ...state(), step: s });
    writeFileSync(join(dir, '.step-00000020.ckpt.tmp-1-deadbeef'), 'partial');
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([0, 5, 10, 15]);
    expect(latestCheckpoint(dir)!.path).toBe(join(dir, 'step-00000015.ckpt'));
    pruneCheckpoints(dir, 2);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([10, 15]);
    expect(latestCheckpoint(join(dir, 'none'))).toBeUndefined();
    // The header is 8-byte aligned so the data is too.
    const chunks = encodeCheckpoint(state());
    expect((chunks[0].length + chunks[1].length) % 8).toBe(0);
  });
});

describe('VTU and PVD', () => {
  it('writes a triangle mesh (ascii and base64) that parses back with the right counts, offsets and types', () => {
    const mesh = rectangleMesh({ nx: 3, ny: 2, cellType: 'triangle' });
    const nPoints = 12;
    const nCells = 12;
    const u = new Float64Array(nPoints).map((_, i) => Math.sin(i) / 3);
    for (const format of ['ascii', 'base64'] as const) {
      const text = formatVtu(meshToVtu(mesh, { u }), format);
      const { xml, arrays } = readVtuArrays(text);
      const file = find(xml, 'VTKFile')[0];
      expect(file.attrs).toMatchObject({ type: 'UnstructuredGrid', byte_order: 'LittleEndian' });
      const piece = find(xml, 'Piece')[0];
      expect(piece.attrs).toEqual({ NumberOfPoints: String(nPoints), NumberOfCells: String(nCells) });
      expect(find(xml, 'PointData')[0].attrs.Scalars).toBe('u');
      expect(arrays.types).toEqual(new Array(nCells).fill(5));
      expect(arrays.offsets).toEqual(Array.from({ length: nCells }, (_, c) => 3 * (c + 1)));
      expect(arrays.connectivity).toEqual(Array.from(mesh.cells));
      expect(arrays.u).toEqual(Array.from(u));
      expect(arrays.Points).toHaveLength(3 * nPoints);
      for (let i = 0; i < nPoints; i++) {
        expect(arrays.Points[3 * i]).toBe(mesh.nodes[2 * i]);
        expect(arrays.Points[3 * i + 1]).toBe(mesh.nodes[2 * i + 1]);
        expect(arrays.Points[3 * i + 2]).toBe(0);
      }
      if (format === 'base64') {
        // Offsets are base64 character counts: each array's start equals the previous start
        // plus 8 header characters plus its encoded body.
        const das = find(xml, 'DataArray');
        let expected = 0;
        for (const da of das) {
          expect(Number(da.attrs.offset)).toBe(expected);
          const n = arrays[da.attrs.Name].length * (da.attrs.type === 'Float64' ? 8 : da.attrs.type === 'Int32' ? 4 : 1);
          expected += 8 + Math.ceil(n / 3) * 4;
        }
      }
    }
  });

  it('writes quadrilateral meshes (type 9), uniform-grid samples as quads and 1D lines (type 3)', () => {
    const quad = rectangleMesh({ nx: 2, ny: 2, cellType: 'quadrilateral' });
    const q = readVtuArrays(formatVtu(meshToVtu(quad, { u: new Float64Array(9) })));
    expect(q.arrays.types).toEqual([9, 9, 9, 9]);
    expect(q.arrays.offsets).toEqual([4, 8, 12, 16]);

    const k = 4;
    const pts = uniformGrid({ dim: 2, domain: { min: [0, 0], max: [1, 1] } }, k);
    const piece = gridToVtu(2, pts, k, { u: new Float64Array(k * k).fill(0.5) });
    const g = readVtuArrays(formatVtu(piece, 'ascii'));
    expect(find(g.xml, 'Piece')[0].attrs).toEqual({ NumberOfPoints: '16', NumberOfCells: '9' });
    expect(g.arrays.types).toEqual(new Array(9).fill(9));
    // First cell (0,0),(1,0),(1,1),(0,1) in grid index i·k + j, counter-clockwise in (x, y).
    expect(g.arrays.connectivity.slice(0, 4)).toEqual([0, 4, 5, 1]);
    const [a, b, c] = [0, 4, 5].map((n) => [pts[2 * n], pts[2 * n + 1]]);
    expect((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])).toBeGreaterThan(0);

    const line = readVtuArrays(formatVtu(meshToVtu(intervalMesh(-1, 1, 4), { u: new Float64Array(5) })));
    expect(line.arrays.types).toEqual([3, 3, 3, 3]);
    expect(line.arrays.connectivity).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
    expect(line.arrays.Points.slice(3, 6)).toEqual([-0.5, 0, 0]);
    const grid1 = gridToVtu(1, uniformGrid({ dim: 1, domain: { min: [-1], max: [1] } }, 3), 3, { u: new Float64Array(3) });
    expect(grid1.cellType).toBe('interval');
    expect(Array.from(grid1.cells)).toEqual([0, 1, 1, 2]);
  });

  it('validates pieces with clear messages', () => {
    const mesh = rectangleMesh({ nx: 1, ny: 1 });
    expect(() => formatVtu(meshToVtu(mesh, { u: new Float64Array(3) }))).toThrow("VTU: point data 'u' has 3 values for 4 points");
    expect(() => formatVtu({ dim: 2, points: new Float64Array(6), cellType: 'triangle', cells: Uint32Array.of(0, 1, 3), pointData: {} })).toThrow(
      'VTU: cell 0 refers to node 3, but there are 3 points',
    );
    expect(() => gridToVtu(2, new Float64Array(10), 3, {})).toThrow('gridToVtu: a 2D grid of size 3 needs 18 coordinates, got 10');
  });

  it('writes a .pvd collection and .vtu files atomically', () => {
    const dir = tmp();
    writeVtu(join(dir, 'u_000000.vtu'), meshToVtu(rectangleMesh({ nx: 1, ny: 1 }), { u: new Float64Array(4) }));
    const pvd = formatPvd([
      { time: 0, file: 'vtk/u_000000.vtu' },
      { time: 0.001, file: 'vtk/u_000010.vtu' },
    ]);
    const xml = parseXml(pvd);
    expect(find(xml, 'VTKFile')[0].attrs.type).toBe('Collection');
    const sets = find(xml, 'DataSet');
    expect(sets.map((s) => [s.attrs.timestep, s.attrs.file])).toEqual([
      ['0', 'vtk/u_000000.vtu'],
      ['0.001', 'vtk/u_000010.vtu'],
    ]);
    expect(readdirSync(dir)).toEqual(['u_000000.vtu']);
    expect(() => formatPvd([{ time: NaN, file: 'a.vtu' }])).toThrow("PVD: time of 'a.vtu' must be finite, got NaN");
  });
});
