import type { Mesh } from './mesh.js';

/**
 * Structured mesh generators. Boundary facets carry physical tags with names
 * 1 'xmin', 2 'xmax', 3 'ymin', 4 'ymax' (1D: 1 'xmin', 2 'xmax'), so boundary conditions are
 * applied per side the same way for generated and Gmsh meshes.
 */
export const SIDE_TAGS = { xmin: 1, xmax: 2, ymin: 3, ymax: 4 } as const;

function sideNames(dimOfFacet: number, sides: readonly (keyof typeof SIDE_TAGS)[]) {
  return new Map(sides.map((s) => [SIDE_TAGS[s], { dim: dimOfFacet, name: s }]));
}

/** n equal cells on [a, b]; node i at a + i (b − a)/n. */
export function intervalMesh(a: number, b: number, n: number): Mesh {
  if (!(b > a)) throw new RangeError(`intervalMesh: need a < b, got [${a}, ${b}]`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`intervalMesh: n must be a positive integer, got ${n}`);
  const nodes = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) nodes[i] = a + ((b - a) * i) / n;
  nodes[n] = b;
  const cells = new Uint32Array(2 * n);
  for (let c = 0; c < n; c++) {
    cells[2 * c] = c;
    cells[2 * c + 1] = c + 1;
  }
  return {
    dim: 1,
    cellType: 'interval',
    nodes,
    cells,
    cellTags: new Int32Array(n),
    facets: Uint32Array.of(0, n),
    facetTags: Int32Array.of(SIDE_TAGS.xmin, SIDE_TAGS.xmax),
    physicalNames: sideNames(0, ['xmin', 'xmax']),
  };
}

/** How each square of a structured triangle mesh is split. */
/** How a structured square is cut into two triangles. */
export const DIAGONALS = ['right', 'left', 'crossed-alternating'] as const;
/** How a structured square is cut into two triangles (one of DIAGONALS). */
export type Diagonal = (typeof DIAGONALS)[number];

/** A structured mesh of a rectangle: cells per axis, corners, cell shape, diagonal. */
export interface RectangleOptions {
  /** Cells along x and y. */
  nx: number;
  ny: number;
  min?: readonly [number, number];
  max?: readonly [number, number];
  cellType?: 'triangle' | 'quadrilateral';
  /**
   * Triangles only: 'right' splits every square along (i,j)–(i+1,j+1), 'left' along
   * (i+1,j)–(i,j+1), 'crossed-alternating' alternates the two in a checkerboard
   * (the "union jack"-like pattern without extra nodes). Default 'right'.
   */
  diagonal?: Diagonal;
}

/**
 * Structured mesh of a rectangle: (nx+1)(ny+1) nodes, node (i, j) at index j·(nx+1) + i,
 * x = min_x + i h_x, y = min_y + j h_y. Cells counter-clockwise.
 */
export function rectangleMesh(options: RectangleOptions): Mesh {
  const { nx, ny } = options;
  const [x0, y0] = options.min ?? [0, 0];
  const [x1, y1] = options.max ?? [1, 1];
  const cellType = options.cellType ?? 'triangle';
  const diagonal = options.diagonal ?? 'right';
  for (const [k, v] of [['nx', nx], ['ny', ny]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`rectangleMesh: ${k} must be a positive integer, got ${v}`);
  }
  if (!(x1 > x0 && y1 > y0)) throw new RangeError(`rectangleMesh: need min < max, got [${x0}, ${x1}] × [${y0}, ${y1}]`);
  const stride = nx + 1;
  const nodes = new Float64Array(2 * stride * (ny + 1));
  for (let j = 0; j <= ny; j++) {
    const y = j === ny ? y1 : y0 + ((y1 - y0) * j) / ny;
    for (let i = 0; i <= nx; i++) {
      nodes[2 * (j * stride + i)] = i === nx ? x1 : x0 + ((x1 - x0) * i) / nx;
      nodes[2 * (j * stride + i) + 1] = y;
    }
  }
  const perCell = cellType === 'triangle' ? 6 : 4;
  const cells = new Uint32Array(perCell * nx * ny);
  let k = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const a = j * stride + i; // (i, j)
      const b = a + 1; // (i+1, j)
      const c = a + stride + 1; // (i+1, j+1)
      const d = a + stride; // (i, j+1)
      if (cellType === 'quadrilateral') {
        cells[k++] = a;
        cells[k++] = b;
        cells[k++] = c;
        cells[k++] = d;
      } else {
        const useRight = diagonal === 'right' || (diagonal === 'crossed-alternating' && (i + j) % 2 === 0);
        if (useRight) {
          cells.set([a, b, c, a, c, d], k);
        } else {
          cells.set([a, b, d, b, c, d], k);
        }
        k += 6;
      }
    }
  }
  const nFacets = 2 * (nx + ny);
  const facets = new Uint32Array(2 * nFacets);
  const facetTags = new Int32Array(nFacets);
  let f = 0;
  const addFacet = (p: number, q: number, tag: number) => {
    facets[2 * f] = p;
    facets[2 * f + 1] = q;
    facetTags[f++] = tag;
  };
  for (let i = 0; i < nx; i++) addFacet(i, i + 1, SIDE_TAGS.ymin);
  for (let i = 0; i < nx; i++) addFacet(ny * stride + i + 1, ny * stride + i, SIDE_TAGS.ymax);
  for (let j = 0; j < ny; j++) addFacet((j + 1) * stride, j * stride, SIDE_TAGS.xmin);
  for (let j = 0; j < ny; j++) addFacet(j * stride + nx, (j + 1) * stride + nx, SIDE_TAGS.xmax);
  return {
    dim: 2,
    cellType,
    nodes,
    cells,
    cellTags: new Int32Array(cells.length / (cellType === 'triangle' ? 3 : 4)),
    facets,
    facetTags,
    physicalNames: sideNames(1, ['xmin', 'xmax', 'ymin', 'ymax']),
  };
}

/** Unit square [0,1]² with n cells per side. */
export function unitSquareMesh(n: number, cellType: 'triangle' | 'quadrilateral' = 'triangle', diagonal: Diagonal = 'right'): Mesh {
  return rectangleMesh({ nx: n, ny: n, cellType, diagonal });
}
