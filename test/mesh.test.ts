import { describe, expect, it } from 'vitest';
import {
  SIDE_TAGS,
  boundaryFacets,
  boundingBox,
  cellCount,
  cellMeasures,
  facetCount,
  intervalMesh,
  meshMeasure,
  nodeCount,
  rectangleMesh,
  unitSquareMesh,
  validateMesh,
  type Diagonal,
  type Mesh,
} from '../src/mesh/index.js';

/** Sum of facet lengths per tag (2D). */
function facetLengthByTag(mesh: Mesh): Map<number, number> {
  const out = new Map<number, number>();
  for (let f = 0; f < facetCount(mesh); f++) {
    const a = mesh.facets[2 * f], b = mesh.facets[2 * f + 1];
    const len = Math.hypot(mesh.nodes[2 * b] - mesh.nodes[2 * a], mesh.nodes[2 * b + 1] - mesh.nodes[2 * a + 1]);
    out.set(mesh.facetTags[f], (out.get(mesh.facetTags[f]) ?? 0) + len);
  }
  return out;
}

describe('intervalMesh', () => {
  it('has n+1 equally spaced nodes, n left-to-right cells and both end points as tagged facets', () => {
    const m = intervalMesh(-1, 2, 6);
    expect(m.dim).toBe(1);
    expect(m.cellType).toBe('interval');
    expect(nodeCount(m)).toBe(7);
    expect(cellCount(m)).toBe(6);
    for (let i = 0; i <= 6; i++) expect(m.nodes[i]).toBeCloseTo(-1 + 0.5 * i, 15);
    expect(m.nodes[6]).toBe(2); // the end point is exact, not accumulated
    const lengths = cellMeasures(m);
    for (const len of lengths) expect(len).toBeCloseTo(0.5, 15);
    expect(meshMeasure(m)).toBeCloseTo(3, 14);
    expect(Array.from(m.facets)).toEqual([0, 6]);
    expect(Array.from(m.facetTags)).toEqual([SIDE_TAGS.xmin, SIDE_TAGS.xmax]);
    expect(m.physicalNames.get(1)).toEqual({ dim: 0, name: 'xmin' });
    expect(m.physicalNames.get(2)).toEqual({ dim: 0, name: 'xmax' });
    expect(Array.from(boundaryFacets(m))).toEqual([0, 6]);
    expect(validateMesh(m)).toBe(m); // valid and already oriented: the same object comes back
  });

  it('rejects bad arguments', () => {
    expect(() => intervalMesh(1, 0, 4)).toThrow('intervalMesh: need a < b, got [1, 0]');
    expect(() => intervalMesh(0, 1, 0)).toThrow('intervalMesh: n must be a positive integer, got 0');
    expect(() => intervalMesh(0, 1, 2.5)).toThrow('intervalMesh: n must be a positive integer, got 2.5');
  });
});

describe('rectangleMesh', () => {
  const box = { min: [-1, 0.5] as const, max: [2, 1.5] as const }; // 3 × 1, area 3
  const cases: { cellType: 'triangle' | 'quadrilateral'; diagonal?: Diagonal }[] = [
    { cellType: 'triangle', diagonal: 'right' },
    { cellType: 'triangle', diagonal: 'left' },
    { cellType: 'triangle', diagonal: 'crossed-alternating' },
    { cellType: 'quadrilateral' },
  ];

  for (const { cellType, diagonal } of cases) {
    describe(`${cellType}${diagonal ? ` (${diagonal} diagonal)` : ''}`, () => {
      const nx = 5, ny = 3;
      const m = rectangleMesh({ nx, ny, min: box.min, max: box.max, cellType, diagonal });

      it('has the right node and cell counts and node layout', () => {
        expect(m.dim).toBe(2);
        expect(m.cellType).toBe(cellType);
        expect(nodeCount(m)).toBe((nx + 1) * (ny + 1));
        expect(cellCount(m)).toBe(cellType === 'triangle' ? 2 * nx * ny : nx * ny);
        expect(m.cellTags.length).toBe(cellCount(m));
        // node (i, j) at index j (nx+1) + i, x = −1 + 3 i/nx, y = 0.5 + j/ny
        for (let j = 0; j <= ny; j++) {
          for (let i = 0; i <= nx; i++) {
            const n = j * (nx + 1) + i;
            expect(m.nodes[2 * n]).toBeCloseTo(-1 + (3 * i) / nx, 14);
            expect(m.nodes[2 * n + 1]).toBeCloseTo(0.5 + j / ny, 14);
          }
        }
        expect(boundingBox(m)).toEqual({ min: [-1, 0.5], max: [2, 1.5] });
      });

      it('orients every cell counter-clockwise and the areas sum to the box area', () => {
        const areas = cellMeasures(m);
        const h2 = (3 / nx) * (1 / ny);
        for (const a of areas) {
          expect(a).toBeGreaterThan(0);
          expect(a).toBeCloseTo(cellType === 'triangle' ? h2 / 2 : h2, 14);
        }
        expect(Math.abs(meshMeasure(m) - 3)).toBeLessThan(1e-12);
        // conforming (each interior edge used once in each direction), nothing reoriented
        expect(validateMesh(m)).toBe(m);
      });

      it('tags the boundary facets by side, with the right lengths, oriented with the domain on the left', () => {
        expect(facetCount(m)).toBe(2 * (nx + ny));
        const lengths = facetLengthByTag(m);
        expect(lengths.get(SIDE_TAGS.xmin)).toBeCloseTo(1, 14);
        expect(lengths.get(SIDE_TAGS.xmax)).toBeCloseTo(1, 14);
        expect(lengths.get(SIDE_TAGS.ymin)).toBeCloseTo(3, 14);
        expect(lengths.get(SIDE_TAGS.ymax)).toBeCloseTo(3, 14);
        const sideOf: Record<number, [number, number]> = { [SIDE_TAGS.xmin]: [0, -1], [SIDE_TAGS.xmax]: [0, 2], [SIDE_TAGS.ymin]: [1, 0.5], [SIDE_TAGS.ymax]: [1, 1.5] };
        const directed = new Set<string>();
        const bf = boundaryFacets(m);
        for (let f = 0; f < bf.length; f += 2) directed.add(`${bf[f]},${bf[f + 1]}`);
        expect(directed.size).toBe(2 * (nx + ny));
        for (let f = 0; f < facetCount(m); f++) {
          const [axis, value] = sideOf[m.facetTags[f]];
          const a = m.facets[2 * f], b = m.facets[2 * f + 1];
          expect(m.nodes[2 * a + axis]).toBe(value);
          expect(m.nodes[2 * b + axis]).toBe(value);
          expect(directed.has(`${a},${b}`)).toBe(true);
        }
        expect([...m.physicalNames].map(([t, p]) => [t, p.name, p.dim])).toEqual([
          [1, 'xmin', 1],
          [2, 'xmax', 1],
          [3, 'ymin', 1],
          [4, 'ymax', 1],
        ]);
      });
    });
  }

  it('splits along the requested diagonal', () => {
    // 1×1 cell: nodes 0 (0,0), 1 (1,0), 2 (0,1), 3 (1,1)
    expect(Array.from(unitSquareMesh(1, 'triangle', 'right').cells)).toEqual([0, 1, 3, 0, 3, 2]);
    expect(Array.from(unitSquareMesh(1, 'triangle', 'left').cells)).toEqual([0, 1, 2, 1, 3, 2]);
    // crossed-alternating: cell (0,0) uses the right diagonal, its neighbour (1,0) the left one
    const m = unitSquareMesh(2, 'triangle', 'crossed-alternating');
    expect(Array.from(m.cells.subarray(0, 6))).toEqual([0, 1, 4, 0, 4, 3]);
    expect(Array.from(m.cells.subarray(6, 12))).toEqual([1, 2, 4, 2, 5, 4]);
  });

  it('unitSquareMesh is the unit square', () => {
    const m = unitSquareMesh(4, 'quadrilateral');
    expect(nodeCount(m)).toBe(25);
    expect(cellCount(m)).toBe(16);
    expect(Math.abs(meshMeasure(m) - 1)).toBeLessThan(1e-14);
    expect(boundingBox(m)).toEqual({ min: [0, 0], max: [1, 1] });
  });

  it('rejects bad arguments', () => {
    expect(() => rectangleMesh({ nx: 0, ny: 2 })).toThrow('rectangleMesh: nx must be a positive integer, got 0');
    expect(() => rectangleMesh({ nx: 2, ny: 1.5 })).toThrow('rectangleMesh: ny must be a positive integer, got 1.5');
    expect(() => rectangleMesh({ nx: 2, ny: 2, min: [1, 0], max: [0, 1] })).toThrow('rectangleMesh: need min < max, got [1, 0] × [0, 1]');
  });
});
