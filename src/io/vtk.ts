import type { CellType, Mesh } from '../mesh/mesh.js';
import { NODES_PER_CELL } from '../mesh/mesh.js';
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
 */

export const VTK_CELL_TYPE: Record<CellType, number> = { interval: 3, triangle: 5, quadrilateral: 9 };

export type VtkFormat = 'ascii' | 'base64';

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

/** The text of a .vtu file for one piece. */
export function formatVtu(piece: VtuPiece, format: VtkFormat = 'base64'): string {
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
  out.push('<VTKFile type="UnstructuredGrid" version="0.1" byte_order="LittleEndian" header_type="UInt32">');
  out.push('  <UnstructuredGrid>');
  out.push(`    <Piece NumberOfPoints="${nPoints}" NumberOfCells="${nCells}">`);
  const appended: string[] = [];
  let charOffset = 0;
  for (const g of groups) {
    out.push(`      <${g.tag}${g.attrs}>`);
    for (const a of g.arrays) {
      const head = `        <DataArray type="${a.type}" Name="${xmlAttr(a.name)}" NumberOfComponents="${a.components}"`;
      if (format === 'ascii') {
        out.push(`${head} format="ascii">`);
        out.push(asciiValues(a.values, a.components === 3 ? 3 : 8));
        out.push('        </DataArray>');
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
  out.push('</VTKFile>');
  return out.join('\n') + '\n';
}

/** Write a .vtu file atomically. */
export function writeVtu(path: string, piece: VtuPiece, format: VtkFormat = 'base64'): void {
  writeFileAtomic(path, formatVtu(piece, format));
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
