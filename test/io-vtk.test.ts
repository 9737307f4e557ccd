import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeVtu, gridToVtu, readVtu, VTK_FORMATS, writeVtu } from '../src/io/vtk.js';
import { uniformGrid } from '../src/solver.js';

// A 150×150 grid on [0,1]×[0,2]: 22 500 Float64 values = 180 000 bytes, six 32 768-byte zlib
// blocks, the last one partial (180 000 − 5·32 768 = 16 160 bytes).
const k = 150;
const grid = uniformGrid({ dim: 2, domain: { min: [0, 0], max: [1, 2] } } as never, k);
const u = new Float64Array(k * k).map((_, i) => Math.sin(i / 37));
const piece = () => gridToVtu(2, grid, k, { u, doubled: u.map((x) => 2 * x) });
const dir = mkdtempSync(join(tmpdir(), 'io-vtk-'));

describe('VTU encodings', () => {
  it.each(VTK_FORMATS)('%s: reads back every coordinate and value exactly', (format) => {
    const path = join(dir, `${format}.vtu`);
    writeVtu(path, piece(), format);
    const back = readVtu(path);
    expect(back.nPoints).toBe(k * k);
    expect(back.pointData.u).toEqual(u);
    expect(back.pointData.doubled[777]).toBe(2 * u[777]);
    for (let i = 0; i < k * k; i += 97) expect([back.xyz[3 * i], back.xyz[3 * i + 1], back.xyz[3 * i + 2]]).toEqual([grid[2 * i], grid[2 * i + 1], 0]);
  });

  it('zlib: VTK block header [blocks, block size, last block size, compressed sizes] and a smaller file', () => {
    const bytes = encodeVtu(piece(), 'zlib');
    const text = bytes.toString('latin1');
    expect(text).toContain('compressor="vtkZLibDataCompressor"');
    expect(text).toContain('<AppendedData encoding="raw">');
    // The first appended array is 'u' (PointData comes first) at offset 0.
    const start = text.indexOf('_', text.indexOf('<AppendedData')) + 1;
    const header = [0, 1, 2].map((i) => bytes.readUInt32LE(start + 4 * i));
    expect(header).toEqual([6, 32768, 180000 - 5 * 32768]);
    const sizes = Array.from({ length: 6 }, (_, b) => bytes.readUInt32LE(start + 12 + 4 * b));
    const first = inflateSync(bytes.subarray(start + 36, start + 36 + sizes[0]));
    expect(first.length).toBe(32768);
    expect(first.readDoubleLE(8 * 100)).toBe(u[100]);
    expect(bytes.length).toBeLessThan(0.5 * encodeVtu(piece(), 'base64').length);
  });

  it('bad files get one-line errors naming the file', () => {
    expect(() => readVtu(join(dir, 'missing.vtu'))).toThrow('ENOENT');
    const path = join(dir, 'ascii.vtu');
    writeVtu(path, piece(), 'ascii');
    const text = readFileSync(path, 'utf8').replace('type="UnstructuredGrid"', 'type="PolyData"');
    expect(() => import('../src/io/vtk.js').then((m) => m.parseVtu(Buffer.from(text), 'x.vtu'))).rejects.toThrow('x.vtu: not a VTK UnstructuredGrid (.vtu) file');
  });

  // VTK's own reader (Debian: apt-get install python3-vtk9), when this machine has it.
  const hasVtk = spawnSync('/usr/bin/python3', ['-c', 'import vtk'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasVtk)('VTK 9 (vtkXMLUnstructuredGridReader) opens all three encodings with the same values', () => {
    const script = [
      'import sys, vtk',
      'for f in sys.argv[1:]:',
      '  r = vtk.vtkXMLUnstructuredGridReader(); r.SetFileName(f); r.Update(); o = r.GetOutput()',
      '  print(o.GetNumberOfPoints(), o.GetNumberOfCells(), repr(o.GetPointData().GetArray("u").GetValue(12345)), repr(o.GetPoint(200)[1]))',
    ].join('\n');
    const out = execFileSync('/usr/bin/python3', ['-c', script, ...VTK_FORMATS.map((f) => join(dir, `${f}.vtu`))], { encoding: 'utf8' }).trim().split('\n');
    expect(out).toEqual(VTK_FORMATS.map(() => `${k * k} ${(k - 1) * (k - 1)} ${u[12345]} ${grid[2 * 200 + 1]}`));
  });
});
