import type { CellType, Mesh } from '../mesh/mesh.js';
import { NODES_PER_CELL } from '../mesh/mesh.js';
import { readFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.js';

/**
 * VTK XML output that ParaView opens: UnstructuredGrid (.vtu) pieces and a .pvd collection for
 * time series. Formats follow the VTK file-format documentation ("VTK XML Formats"):
 *
 * - Points: Float64, 3 components (1D/2D coordinates padded with zeros).
 * - Cells: connectivity (Int32), offsets (Int32, end of each cell), types (UInt8) with VTK cell
 *   types VTK_LINE = 3, VTK_TRIANGLE = 5, VTK_QUAD = 9.
 * - Point data: one Float64 array per field (e.g. 'u').
 * - format 'ascii': numbers inline in each DataArray; format 'base64': every DataArray is
 *   format="appended" into one <AppendedData encoding="base64"> block. Each array there is
 *   base64(UInt32 byte count) followed by base64(bytes), the two encoded SEPARATELY, and a
 *   DataArray's `offset` counts base64 characters from the character after the leading '_'.
 *   byte_order is LittleEndian (typed arrays are converted on a big-endian host).
 * - format 'zlib' (the default of runs): every DataArray appended as raw bytes
 *   (<AppendedData encoding="raw">) and compressed with compressor="vtkZLibDataCompressor":
 *   the array's bytes are cut into blocks of 32768, each deflated (node:zlib) on its own, and
 *   preceded by the UInt32 header [number of blocks, block size, size of the last block,
 *   compressed size of each block] (VTK's vtkXMLDataParser reads exactly this); `offset` counts
 *   bytes from the byte after the leading '_'.
 */

export const VTK_CELL_TYPE: Record<CellType, number> = { interval: 3, triangle: 5, quadrilateral: 9 };

/** Encoding of VTU data arrays: ASCII text, base64 binary, or zlib-compressed base64 binary. */
export type VtkFormat = 'ascii' | 'base64' | 'zlib';

export const VTK_FORMATS: readonly VtkFormat[] = ['ascii', 'base64', 'zlib'];

/** Uncompressed bytes per zlib block (VTK's own default). */
const ZLIB_BLOCK = 32768;

/** One unstructured piece: points[dim·i + k], cells[nodesPerCell·c + j], pointData[name][i]. */
export interface VtuPiece {
  dim: 1 | 2 | 3;
  points: Float64Array;
  cellType: CellType;
  cells: Uint32Array;
  pointData: Record<string, Float64Array>;
}

/** A mesh with nodal fields (e.g. { u }) as a VTU piece. */
export function meshToVtu(mesh: Mesh, pointData: Record<string, Float64Array>): VtuPiece {
  return { dim: mesh.dim, points: mesh.nodes, cellType: mesh.cellType, cells: mesh.cells, pointData };
}

/**
 * Samples on the uniform grid of `uniformGrid(problem, k)` (2D point (i, j) at index i·k + j) as
 * a quadrilateral mesh with (k − 1)² counter-clockwise cells (i,j), (i+1,j), (i+1,j+1), (i,j+1);
 * in 1D, k points joined by k − 1 line cells. So SDMM output opens in ParaView like FEM output.
 */
export function gridToVtu(dim: 1 | 2, points: Float64Array, k: number, pointData: Record<string, Float64Array>): VtuPiece {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`gridToVtu: grid size must be an integer ≥ 2, got ${k}`);
  const expected = dim === 1 ? k : 2 * k * k;
  if (points.length !== expected) throw new RangeError(`gridToVtu: a ${dim}D grid of size ${k} needs ${expected} coordinates, got ${points.length}`);
  if (dim === 1) {
    const cells = new Uint32Array(2 * (k - 1));
    for (let i = 0; i < k - 1; i++) {
      cells[2 * i] = i;
      cells[2 * i + 1] = i + 1;
    }
    return { dim, points, cellType: 'interval', cells, pointData };
  }
  const cells = new Uint32Array(4 * (k - 1) * (k - 1));
  let c = 0;
  for (let i = 0; i < k - 1; i++) {
    for (let j = 0; j < k - 1; j++) {
      cells[c++] = i * k + j;
      cells[c++] = (i + 1) * k + j;
      cells[c++] = (i + 1) * k + j + 1;
      cells[c++] = i * k + j + 1;
    }
  }
  return { dim, points, cellType: 'quadrilateral', cells, pointData };
}

type VtkArrayType = 'Float64' | 'Int32' | 'UInt8';

interface DataArraySpec {
  type: VtkArrayType;
  name: string;
  components: number;
  values: ArrayLike<number>;
}

function bytesOf(spec: DataArraySpec): Uint8Array {
  const n = spec.values.length;
  const size = spec.type === 'Float64' ? 8 : spec.type === 'Int32' ? 4 : 1;
  const bytes = new Uint8Array(n * size);
  const view = new DataView(bytes.buffer);
  const v = spec.values;
  if (spec.type === 'Float64') for (let i = 0; i < n; i++) view.setFloat64(8 * i, v[i], true);
  else if (spec.type === 'Int32') for (let i = 0; i < n; i++) view.setInt32(4 * i, v[i], true);
  else bytes.set(v as ArrayLike<number>);
  return bytes;
}

function asciiValues(values: ArrayLike<number>, perLine: number): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let j = i; j < Math.min(values.length, i + perLine); j++) row.push(String(values[j]));
    parts.push(row.join(' '));
  }
  return parts.join('\n');
}

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** Validate a piece (sizes, node indices, point-data lengths) before writing it. */
function validatePiece(piece: VtuPiece): { nPoints: number; nCells: number; npc: number } {
  const nPoints = piece.points.length / piece.dim;
  const npc = NODES_PER_CELL[piece.cellType];
  const nCells = piece.cells.length / npc;
  if (!Number.isInteger(nPoints)) throw new RangeError(`VTU: ${piece.points.length} coordinates is not a multiple of dim ${piece.dim}`);
  if (!Number.isInteger(nCells)) throw new RangeError(`VTU: ${piece.cells.length} cell indices is not a multiple of ${npc} (${piece.cellType})`);
  for (let i = 0; i < piece.cells.length; i++) {
    if (piece.cells[i] >= nPoints) throw new RangeError(`VTU: cell ${Math.floor(i / npc)} refers to node ${piece.cells[i]}, but there are ${nPoints} points`);
  }
  for (const [name, a] of Object.entries(piece.pointData)) {
    if (a.length !== nPoints) throw new RangeError(`VTU: point data '${name}' has ${a.length} values for ${nPoints} points`);
  }
  return { nPoints, nCells, npc };
}

/** One array as VTK's compressed block layout: UInt32 header then the deflated blocks. */
function zlibBlocks(bytes: Uint8Array): Uint8Array {
  const nBlocks = Math.ceil(bytes.length / ZLIB_BLOCK);
  const blocks: Uint8Array[] = [];
  for (let b = 0; b < nBlocks; b++) blocks.push(deflateSync(bytes.subarray(b * ZLIB_BLOCK, Math.min(bytes.length, (b + 1) * ZLIB_BLOCK))));
  const header = new Uint8Array(4 * (3 + nBlocks));
  const view = new DataView(header.buffer);
  view.setUint32(0, nBlocks, true);
  view.setUint32(4, ZLIB_BLOCK, true);
  view.setUint32(8, nBlocks === 0 ? 0 : bytes.length - (nBlocks - 1) * ZLIB_BLOCK, true);
  blocks.forEach((c, b) => view.setUint32(12 + 4 * b, c.length, true));
  return Buffer.concat([header, ...blocks]);
}

/** The text of a .vtu file for one piece ('ascii' or 'base64'; 'zlib' is binary: encodeVtu). */
export function formatVtu(piece: VtuPiece, format: Exclude<VtkFormat, 'zlib'> = 'base64'): string {
  return encodeVtu(piece, format).toString('utf8');
}

/** The bytes of a .vtu file for one piece in any format. */
export function encodeVtu(piece: VtuPiece, format: VtkFormat = 'zlib'): Buffer {
  const { nPoints, nCells, npc } = validatePiece(piece);
  const xyz = new Float64Array(3 * nPoints);
  for (let i = 0; i < nPoints; i++) for (let k = 0; k < piece.dim; k++) xyz[3 * i + k] = piece.points[piece.dim * i + k];
  const offsets = new Int32Array(nCells);
  for (let c = 0; c < nCells; c++) offsets[c] = (c + 1) * npc;
  const types = new Uint8Array(nCells).fill(VTK_CELL_TYPE[piece.cellType]);
  const connectivity = new Int32Array(piece.cells.length);
  connectivity.set(piece.cells);

  const pointArrays: DataArraySpec[] = Object.entries(piece.pointData).map(([name, values]) => ({ type: 'Float64', name, components: 1, values }));
  const groups: { tag: string; attrs: string; arrays: DataArraySpec[] }[] = [
    { tag: 'PointData', attrs: pointArrays.length > 0 ? ` Scalars="${xmlAttr(pointArrays[0].name)}"` : '', arrays: pointArrays },
    { tag: 'Points', attrs: '', arrays: [{ type: 'Float64', name: 'Points', components: 3, values: xyz }] },
    {
      tag: 'Cells',
      attrs: '',
      arrays: [
        { type: 'Int32', name: 'connectivity', components: 1, values: connectivity },
        { type: 'Int32', name: 'offsets', components: 1, values: offsets },
        { type: 'UInt8', name: 'types', components: 1, values: types },
      ],
    },
  ];

  const out: string[] = [];
  out.push('<?xml version="1.0"?>');
  const compressor = format === 'zlib' ? ' compressor="vtkZLibDataCompressor"' : '';
  out.push(`<VTKFile type="UnstructuredGrid" version="0.1" byte_order="LittleEndian" header_type="UInt32"${compressor}>`);
  out.push('  <UnstructuredGrid>');
  out.push(`    <Piece NumberOfPoints="${nPoints}" NumberOfCells="${nCells}">`);
  const appended: string[] = [];
  const raw: Uint8Array[] = [];
  let charOffset = 0;
  for (const g of groups) {
    out.push(`      <${g.tag}${g.attrs}>`);
    for (const a of g.arrays) {
      const head = `        <DataArray type="${a.type}" Name="${xmlAttr(a.name)}" NumberOfComponents="${a.components}"`;
      if (format === 'ascii') {
        out.push(`${head} format="ascii">`);
        out.push(asciiValues(a.values, a.components === 3 ? 3 : 8));
        out.push('        </DataArray>');
      } else if (format === 'zlib') {
        const block = zlibBlocks(bytesOf(a));
        out.push(`${head} format="appended" offset="${charOffset}"/>`);
        raw.push(block);
        charOffset += block.length;
      } else {
        const bytes = bytesOf(a);
        const header = new Uint8Array(4);
        new DataView(header.buffer).setUint32(0, bytes.length, true);
        const encoded = Buffer.from(header).toString('base64') + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
        out.push(`${head} format="appended" offset="${charOffset}"/>`);
        appended.push(encoded);
        charOffset += encoded.length;
      }
    }
    out.push(`      </${g.tag}>`);
  }
  out.push('    </Piece>');
  out.push('  </UnstructuredGrid>');
  if (format === 'base64') {
    out.push('  <AppendedData encoding="base64">');
    out.push(`   _${appended.join('')}`);
    out.push('  </AppendedData>');
  }
  if (format === 'zlib') {
    out.push('  <AppendedData encoding="raw">');
    return Buffer.concat([Buffer.from(`${out.join('\n')}\n   _`), ...raw, Buffer.from('\n  </AppendedData>\n</VTKFile>\n')]);
  }
  out.push('</VTKFile>');
  return Buffer.from(out.join('\n') + '\n');
}

/** Write a .vtu file atomically. */
export function writeVtu(path: string, piece: VtuPiece, format: VtkFormat = 'zlib'): void {
  writeFileAtomic(path, encodeVtu(piece, format));
}

/** A .pvd collection: one DataSet per time, `file` relative to the .pvd's directory. */
export function formatPvd(entries: readonly { time: number; file: string }[]): string {
  const lines = ['<?xml version="1.0"?>', '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">', '  <Collection>'];
  for (const e of entries) {
    if (!Number.isFinite(e.time)) throw new RangeError(`PVD: time of '${e.file}' must be finite, got ${e.time}`);
    lines.push(`    <DataSet timestep="${e.time}" group="" part="0" file="${xmlAttr(e.file)}"/>`);
  }
  lines.push('  </Collection>', '</VTKFile>');
  return lines.join('\n') + '\n';
}

/** Write a .pvd collection atomically. */
export function writePvd(path: string, entries: readonly { time: number; file: string }[]): void {
  writeFileAtomic(path, formatPvd(entries));
}

/** What readVtu returns: point coordinates (3 per point) and the point-data arrays by name. */
export interface VtuField {
  nPoints: number;
  /** xyz[3·i + k]. */
  xyz: Float64Array;
  pointData: Record<string, Float64Array>;
}

const TYPE_BYTES: Record<string, number> = { Float64: 8, Float32: 4, Int64: 8, UInt64: 8, Int32: 4, UInt32: 4, Int16: 2, UInt16: 2, Int8: 1, UInt8: 1 };

function readNumber(view: DataView, type: string, at: number): number {
  switch (type) {
    case 'Float64': return view.getFloat64(at, true);
    case 'Float32': return view.getFloat32(at, true);
    case 'Int64': return Number(view.getBigInt64(at, true));
    case 'UInt64': return Number(view.getBigUint64(at, true));
    case 'Int32': return view.getInt32(at, true);
    case 'UInt32': return view.getUint32(at, true);
    case 'Int16': return view.getInt16(at, true);
    case 'UInt16': return view.getUint16(at, true);
    case 'Int8': return view.getInt8(at);
    default: return view.getUint8(at);
  }
}

/**
 * Read the points and the point data of a single-piece .vtu UnstructuredGrid in the three
 * encodings this module writes (ascii, appended base64, appended raw with vtkZLibDataCompressor),
 * little-endian, UInt32 headers. Errors name the file and what is wrong, in one line.
 */
export function parseVtu(data: Uint8Array, file: string): VtuField {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const underscore = buffer.indexOf('<AppendedData');
  const xml = buffer.subarray(0, underscore >= 0 ? underscore : buffer.length).toString('utf8');
  const root = /<VTKFile([^>]*)>/.exec(xml);
  if (!root || !/type="UnstructuredGrid"/.test(root[1])) throw new Error(`${file}: not a VTK UnstructuredGrid (.vtu) file`);
  if (/byte_order="BigEndian"/.test(root[1]) || /header_type="UInt64"/.test(root[1])) throw new Error(`${file}: only little-endian files with UInt32 headers are read`);
  const compressed = /compressor="vtkZLibDataCompressor"/.test(root[1]);
  if (/compressor="/.test(root[1]) && !compressed) throw new Error(`${file}: unsupported compressor (only vtkZLibDataCompressor)`);
  const pieces = xml.match(/<Piece\b/g)?.length ?? 0;
  if (pieces !== 1) throw new Error(`${file}: ${pieces} pieces; one is read`);
  const nPoints = Number(/NumberOfPoints="(\d+)"/.exec(xml)?.[1]);
  let appended: { start: number; encoding: string } | null = null;
  if (underscore >= 0) {
    const tagEnd = buffer.indexOf('>', underscore);
    const encoding = /encoding="(\w+)"/.exec(buffer.subarray(underscore, tagEnd).toString('utf8'))?.[1] ?? 'raw';
    appended = { start: buffer.indexOf('_', tagEnd) + 1, encoding };
  }

  const decodeArray = (attrs: string, body: string): Float64Array => {
    const type = /type="(\w+)"/.exec(attrs)?.[1] ?? '';
    const size = TYPE_BYTES[type];
    if (!size) throw new Error(`${file}: unsupported DataArray type '${type}'`);
    const format = /format="(\w+)"/.exec(attrs)?.[1];
    if (format === 'ascii') return Float64Array.from(body.trim().split(/\s+/).filter(Boolean), Number);
    let bytes: Buffer;
    if (format === 'appended') {
      if (!appended) throw new Error(`${file}: appended DataArray without <AppendedData>`);
      const offset = Number(/offset="(\d+)"/.exec(attrs)?.[1]);
      bytes = appendedBytes(buffer, appended, offset, compressed, file);
    } else if (format === 'binary') {
      bytes = inlineBinary(body.trim(), compressed, file);
    } else throw new Error(`${file}: unsupported DataArray format '${format}'`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float64Array(Math.floor(bytes.length / size));
    for (let i = 0; i < out.length; i++) out[i] = readNumber(view, type, i * size);
    return out;
  };

  const section = (tag: string) => new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1] ?? '';
  const arrays = (text: string) => [...text.matchAll(/<DataArray([^>]*?)(?:\/>|>([\s\S]*?)<\/DataArray>)/g)].map((m) => ({ attrs: m[1], body: m[2] ?? '' }));
  const pointsArray = arrays(section('Points'))[0];
  if (!pointsArray) throw new Error(`${file}: no <Points>`);
  const xyz = decodeArray(pointsArray.attrs, pointsArray.body);
  if (xyz.length !== 3 * nPoints) throw new Error(`${file}: ${xyz.length} point coordinates for ${nPoints} points`);
  const pointData: Record<string, Float64Array> = {};
  for (const a of arrays(section('PointData'))) {
    const name = /Name="([^"]*)"/.exec(a.attrs)?.[1] ?? '';
    const values = decodeArray(a.attrs, a.body);
    if (values.length !== nPoints) continue; // vectors and tensors: not a scalar field
    pointData[name] = values;
  }
  return { nPoints, xyz, pointData };
}

function compressedPayload(header: (i: number) => number, blocksAt: number, source: Buffer, file: string): Buffer {
  const nBlocks = header(0);
  const parts: Buffer[] = [];
  let at = blocksAt;
  for (let b = 0; b < nBlocks; b++) {
    const size = header(3 + b);
    try {
      parts.push(inflateSync(source.subarray(at, at + size)));
    } catch {
      throw new Error(`${file}: a zlib block of a DataArray does not inflate`);
    }
    at += size;
  }
  return Buffer.concat(parts);
}

function appendedBytes(buffer: Buffer, appended: { start: number; encoding: string }, offset: number, compressed: boolean, file: string): Buffer {
  if (appended.encoding === 'raw') {
    const at = appended.start + offset;
    if (!compressed) return buffer.subarray(at + 4, at + 4 + buffer.readUInt32LE(at));
    const h = (i: number) => buffer.readUInt32LE(at + 4 * i);
    return compressedPayload(h, at + 4 * (3 + h(0)), buffer, file);
  }
  if (appended.encoding !== 'base64') throw new Error(`${file}: unsupported AppendedData encoding '${appended.encoding}'`);
  const text = buffer.subarray(appended.start + offset).toString('latin1');
  if (!compressed) {
    const n = Buffer.from(text.slice(0, 8), 'base64').readUInt32LE(0);
    return Buffer.from(text.slice(8, 8 + 4 * Math.ceil(n / 3)), 'base64').subarray(0, n);
  }
  throw new Error(`${file}: compressed base64 appended data is not read (write it raw or uncompressed)`);
}

function inlineBinary(text: string, compressed: boolean, file: string): Buffer {
  const all = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  if (!compressed) return all.subarray(4, 4 + all.readUInt32LE(0));
  throw new Error(`${file}: compressed inline binary DataArrays are not read`);
}

/** Read a .vtu file (parseVtu). */
export function readVtu(path: string): VtuField {
  return parseVtu(readFileSync(path), path);
}
