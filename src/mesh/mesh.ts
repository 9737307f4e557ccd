/** Cell shape of a mesh: intervals (1D), triangles (P1) or quadrilaterals (Q1). */
export type CellType = 'interval' | 'triangle' | 'quadrilateral';

/**
 * One mesh type on flat typed arrays.
 *
 * Layout:
 * - `nodes[dim·i + k]`: coordinate k of node i.
 * - `cells[nodesPerCell·c + j]`: node j of cell c; triangles and quadrilaterals counter-clockwise
 *   (positive Jacobian), intervals left to right.
 * - `facets[facetSize·f + j]`: node j of boundary facet f (a point in 1D, an edge in 2D), with
 *   `facetTags[f]` its physical group (0 when untagged).
 * - `cellTags[c]`: the physical group of cell c (0 when untagged).
 * - `physicalNames`: physical group tag → name, e.g. 1 → 'left' (Gmsh $PhysicalNames).
 */
export interface Mesh {
  readonly dim: 1 | 2;
  readonly cellType: CellType;
  readonly nodes: Float64Array;
  readonly cells: Uint32Array;
  readonly cellTags: Int32Array;
  readonly facets: Uint32Array;
  readonly facetTags: Int32Array;
  readonly physicalNames: ReadonlyMap<number, { dim: number; name: string }>;
}

export const NODES_PER_CELL: Record<CellType, number> = { interval: 2, triangle: 3, quadrilateral: 4 };

export function nodeCount(mesh: Mesh): number {
  return mesh.nodes.length / mesh.dim;
}

export function cellCount(mesh: Mesh): number {
  return mesh.cells.length / NODES_PER_CELL[mesh.cellType];
}

export function facetCount(mesh: Mesh): number {
  return mesh.facets.length / mesh.dim;
}

/** Axis-aligned bounding box: min and max per axis. */
export function boundingBox(mesh: Mesh): { min: number[]; max: number[] } {
  const min = new Array<number>(mesh.dim).fill(Infinity);
  const max = new Array<number>(mesh.dim).fill(-Infinity);
  for (let i = 0; i < mesh.nodes.length; i += mesh.dim) {
    for (let k = 0; k < mesh.dim; k++) {
      const v = mesh.nodes[i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  return { min, max };
}

/**
 * The mesh size h = max_K diam(K): the largest distance between two vertices of one cell (the
 * longest edge of a triangle, the longer diagonal of a quadrilateral, an interval's length). For
 * the straight-sided cells of this mesh type that is the cell's diameter. O(cells), no allocation.
 */
export function maxCellDiameter(mesh: Mesh): number {
  const npc = NODES_PER_CELL[mesh.cellType];
  const { nodes, cells, dim } = mesh;
  let h2 = 0;
  for (let c = 0; c < cells.length; c += npc) {
    for (let a = 0; a < npc; a++) {
      const i = dim * cells[c + a];
      for (let b = a + 1; b < npc; b++) {
        const j = dim * cells[c + b];
        let d2 = 0;
        for (let k = 0; k < dim; k++) {
          const d = nodes[i + k] - nodes[j + k];
          d2 += d * d;
        }
        if (d2 > h2) h2 = d2;
      }
    }
  }
  return Math.sqrt(h2);
}
