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
