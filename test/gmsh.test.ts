import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MeshFormatError,
  boundaryFacets,
  cellCount,
  cellMeasures,
  checkMeshFitsDomain,
  facetCount,
  intervalMesh,
  meshMeasure,
  nodeCount,
  rectangleMesh,
  unitSquareMesh,
  validateMesh,
  type Mesh,
} from '../src/mesh/index.js';
import { readGmsh, readGmshFile, writeGmsh, writeGmshFile } from '../src/io/gmsh.js';
import { makeProblem } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';

const MESHES = join(import.meta.dirname, '..', 'meshes');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'meshes');
const fixture = (name: string) => join(FIXTURES, name);
const fixtureText = (name: string) => readFileSync(fixture(name), 'utf8');

/** Every part of a Mesh, for exact comparisons (typed arrays compared element by element). */
function parts(m: Mesh) {
  return {
    dim: m.dim,
    cellType: m.cellType,
    nodes: m.nodes,
    cells: m.cells,
    cellTags: m.cellTags,
    facets: m.facets,
    facetTags: m.facetTags,
    physicalNames: [...m.physicalNames].sort((a, b) => a[0] - b[0]),
  };
}

function expectSameMesh(a: Mesh, b: Mesh) {
  const pa = parts(a), pb = parts(b);
  expect(pb.nodes).toBeInstanceOf(Float64Array);
  expect(pb.cells).toBeInstanceOf(Uint32Array);
  expect(pb.cellTags).toBeInstanceOf(Int32Array);
  expect(pb.facets).toBeInstanceOf(Uint32Array);
  expect(pb.facetTags).toBeInstanceOf(Int32Array);
  expect(pb).toEqual(pa);
  // bitwise identical coordinates (toEqual would also accept them, this states the intent)
  for (let i = 0; i < a.nodes.length; i++) if (!Object.is(a.nodes[i], b.nodes[i])) expect(b.nodes[i]).toBe(a.nodes[i]);
}

function tagOf(m: Mesh, name: string): number {
  for (const [tag, p] of m.physicalNames) if (p.name === name) return tag;
  throw new Error(`no physical group ${name}`);
}

/** Signed area enclosed by the boundary facets (shoelace over the directed boundary edges). */
function boundaryEnclosedArea(m: Mesh): number {
  let s = 0;
  for (let f = 0; f < facetCount(m); f++) {
    const a = m.facets[2 * f], b = m.facets[2 * f + 1];
    s += m.nodes[2 * a] * m.nodes[2 * b + 1] - m.nodes[2 * b] * m.nodes[2 * a + 1];
  }
  return s / 2;
}

describe('committed meshes (meshes/*.msh)', () => {
  const files = readdirSync(MESHES).filter((f) => f.endsWith('.msh')).sort();

  it('are all there, each with its .geo source, and small', () => {
    expect(files).toEqual([
      'disk-h16-v22.msh',
      'disk-h32.msh',
      'lshape-h32.msh',
      'square-h16-v22.msh',
      'square-h16.msh',
      'square-h32.msh',
      'square-h64.msh',
      'square-quad-h16.msh',
      'square-quad-h32.msh',
    ]);
    const geo = readdirSync(MESHES).filter((f) => f.endsWith('.geo'));
    expect(geo.sort()).toEqual(['disk.geo', 'lshape.geo', 'square.geo']);
    let bytes = 0;
    for (const f of files) bytes += readFileSync(join(MESHES, f)).length;
    expect(bytes).toBeLessThan(3e6);
    // both versions are represented
    expect(files.filter((f) => readFileSync(join(MESHES, f), 'utf8').split('\n')[1] === '2.2 0 8')).toEqual(['disk-h16-v22.msh', 'square-h16-v22.msh']);
  });

  for (const file of files) {
    describe(file, () => {
      const m = readGmshFile(join(MESHES, file));
      const h = 1 / Number(/h(\d+)/.exec(file)![1]);

      it('loads as a valid counter-clockwise 2D mesh of the domain group with every boundary facet tagged', () => {
        expect(m.dim).toBe(2);
        expect(m.cellType).toBe(file.includes('quad') ? 'quadrilateral' : 'triangle');
        expect(validateMesh(m)).toBe(m);
        for (const a of cellMeasures(m)) expect(a).toBeGreaterThan(0);
        const domain = tagOf(m, 'domain');
        expect(m.physicalNames.get(domain)!.dim).toBe(2);
        expect(m.cellTags.every((t) => t === domain)).toBe(true);
        // the facets are exactly the boundary of the cells, all tagged with a named curve group
        expect(facetCount(m)).toBe(boundaryFacets(m).length / 2);
        for (const t of m.facetTags) expect(m.physicalNames.get(t)?.dim).toBe(1);
        // the area enclosed by the oriented boundary equals the sum of the cell areas
        expect(Math.abs(boundaryEnclosedArea(m) - meshMeasure(m))).toBeLessThan(1e-12);
        // mesh size: the longest boundary edge is about h
        let longest = 0;
        for (let f = 0; f < facetCount(m); f++) {
          const a = m.facets[2 * f], b = m.facets[2 * f + 1];
          longest = Math.max(longest, Math.hypot(m.nodes[2 * b] - m.nodes[2 * a], m.nodes[2 * b + 1] - m.nodes[2 * a + 1]));
        }
        expect(longest).toBeLessThan(1.05 * h);
        expect(longest).toBeGreaterThan(0.5 * h);
      });

      if (file.startsWith('square')) {
        it('is the unit square: area 1, sides xmin/xmax/ymin/ymax of length 1, fits the star problem', () => {
          expect(Math.abs(meshMeasure(m) - 1)).toBeLessThan(1e-12);
          const sides: [string, number, number][] = [['xmin', 0, 0], ['xmax', 0, 1], ['ymin', 1, 0], ['ymax', 1, 1]];
          for (const [name, axis, value] of sides) {
            const tag = tagOf(m, name);
            let length = 0;
            for (let f = 0; f < facetCount(m); f++) {
              if (m.facetTags[f] !== tag) continue;
              const a = m.facets[2 * f], b = m.facets[2 * f + 1];
              expect(m.nodes[2 * a + axis]).toBe(value);
              expect(m.nodes[2 * b + axis]).toBe(value);
              length += Math.hypot(m.nodes[2 * b] - m.nodes[2 * a], m.nodes[2 * b + 1] - m.nodes[2 * a + 1]);
            }
            expect(length).toBeCloseTo(1, 12);
          }
          expect(() => checkMeshFitsDomain(m, makeProblem('star').domain, file)).not.toThrow();
        });

        it('has matching nodes on opposite sides (Periodic Curve), so periodic problems can use it', () => {
          for (const axis of [0, 1]) {
            const other = 1 - axis;
            const lo: number[] = [], hi: number[] = [];
            for (let i = 0; i < nodeCount(m); i++) {
              if (m.nodes[2 * i + axis] === 0) lo.push(m.nodes[2 * i + other]);
              if (m.nodes[2 * i + axis] === 1) hi.push(m.nodes[2 * i + other]);
            }
            lo.sort((a, b) => a - b);
            hi.sort((a, b) => a - b);
            expect(lo.length).toBe(Math.round(1 / h) + 1);
            expect(hi.length).toBe(lo.length);
            // Gmsh 4.8 (built without ANN) recomputes the copies: equal to ~1e-12, not bitwise
            for (let j = 0; j < lo.length; j++) expect(Math.abs(lo[j] - hi[j])).toBeLessThan(1e-11);
          }
        });
      }

      if (file.startsWith('disk')) {
        it('is the disk of radius 0.5: boundary nodes on the circle, area π/4 − O(h²), does not fit the square', () => {
          for (let f = 0; f < facetCount(m); f++) {
            const a = m.facets[2 * f];
            expect(Math.abs(Math.hypot(m.nodes[2 * a] - 0.5, m.nodes[2 * a + 1] - 0.5) - 0.5)).toBeLessThan(1e-12);
          }
          expect(m.physicalNames.get(m.facetTags[0])!.name).toBe('boundary');
          // inscribed polygon with chords ≤ h: π/4 − A ≈ (π/6) h² (h = chord length) and > 0
          const deficit = Math.PI / 4 - meshMeasure(m);
          expect(deficit).toBeGreaterThan(0);
          expect(deficit).toBeLessThan((Math.PI / 6) * h * h);
          expect(deficit).toBeGreaterThan(0.25 * (Math.PI / 6) * h * h);
          expect(() => checkMeshFitsDomain(m, makeProblem('star').domain, file)).toThrow(
            `${file} does not fit the problem domain [0,1]×[0,1]: boundary node`,
          );
        });
      }

      if (file.startsWith('lshape')) {
        it('is the L-shape: area 3/4, bounding box the unit square, re-entrant corner does not fit the square', () => {
          expect(Math.abs(meshMeasure(m) - 0.75)).toBeLessThan(1e-12);
          expect(m.physicalNames.get(m.facetTags[0])!.name).toBe('boundary');
          expect(() => checkMeshFitsDomain(m, makeProblem('circle').domain, file)).toThrow(/^lshape-h32\.msh does not fit the problem domain \[0,1\]×\[0,1\]: boundary node \d+ at \((0\.5, 0\.\d+|0\.\d+, 0\.5)\) is not on the box boundary$/);
        });
      }

      it('round-trips through MSH 2.2 and 4.1 with identical arrays', () => {
        for (const version of ['2.2', '4.1'] as const) {
          const text = writeGmsh(m, version);
          const back = readGmsh(text, `roundtrip.msh`);
          expectSameMesh(m, back);
          expect(writeGmsh(back, version)).toBe(text);
        }
      });
    });
  }

  it('square-h16.msh (4.1) and square-h16-v22.msh (2.2), meshed by Gmsh from one .geo, read identically', () => {
    expectSameMesh(readGmshFile(join(MESHES, 'square-h16.msh')), readGmshFile(join(MESHES, 'square-h16-v22.msh')));
  });

  it('refining h by 2 multiplies the node count by about 4', () => {
    const n = [16, 32, 64].map((k) => nodeCount(readGmshFile(join(MESHES, `square-h${k}.msh`))));
    expect(n[1] / n[0]).toBeGreaterThan(3.4);
    expect(n[1] / n[0]).toBeLessThan(4.2);
    expect(n[2] / n[1]).toBeGreaterThan(3.6);
    expect(n[2] / n[1]).toBeLessThan(4.2);
  });
});

describe('writeGmsh / readGmsh round trip of generated meshes', () => {
  const meshes: [string, Mesh][] = [
    ['interval', intervalMesh(-1, 1, 7)],
    ['triangles, right', rectangleMesh({ nx: 3, ny: 2, min: [-0.3, 1 / 3], max: [Math.PI, 2.7] })],
    ['triangles, crossed', unitSquareMesh(5, 'triangle', 'crossed-alternating')],
    ['quadrilaterals', rectangleMesh({ nx: 4, ny: 3, cellType: 'quadrilateral', min: [0.1, -2], max: [0.7, 1e-7] })],
  ];
  for (const [name, mesh] of meshes) {
    it(`${name}: identical arrays in both versions`, () => {
      for (const version of ['2.2', '4.1'] as const) expectSameMesh(mesh, readGmsh(writeGmsh(mesh, version), 'x.msh'));
    });
  }

  it('keeps full precision, the sign of −0 and cell tags', () => {
    const base = unitSquareMesh(2);
    const nodes = base.nodes.slice();
    nodes[0] = -0; // node 0 at (−0, 0)
    nodes[8] = 0.1 + 0.2; // 0.30000000000000004 needs 17 digits
    nodes[9] = 1 / 3;
    const cellTags = Int32Array.from({ length: cellCount(base) }, (_, c) => 7 + (c % 3));
    const physicalNames = new Map(base.physicalNames);
    physicalNames.set(7, { dim: 2, name: 'phase  A, "quoted"' });
    const mesh: Mesh = { ...base, nodes, cellTags, physicalNames };
    for (const version of ['2.2', '4.1'] as const) {
      const back = readGmsh(writeGmsh(mesh, version), 'x.msh');
      expectSameMesh(mesh, back);
      expect(Object.is(back.nodes[0], -0)).toBe(true);
      expect(back.physicalNames.get(7)).toEqual({ dim: 2, name: 'phase  A, "quoted"' });
    }
  });

  it('writeGmshFile / readGmshFile use the file system', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmsh-test-'));
    try {
      const mesh = unitSquareMesh(3, 'quadrilateral');
      writeGmshFile(join(dir, 'q.msh'), mesh, '2.2');
      expect(readFileSync(join(dir, 'q.msh'), 'utf8').startsWith('$MeshFormat\n2.2 0 8\n$EndMeshFormat\n')).toBe(true);
      expectSameMesh(mesh, readGmshFile(join(dir, 'q.msh')));
      writeGmshFile(join(dir, 'q41.msh'), mesh);
      expect(readFileSync(join(dir, 'q41.msh'), 'utf8').split('\n')[1]).toBe('4.1 0 8');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('writes the documented 4.1 layout: entities per tag, one node block, element blocks per run', () => {
    const text = writeGmsh(unitSquareMesh(1), '4.1');
    expect(text).toBe(
      [
        '$MeshFormat', '4.1 0 8', '$EndMeshFormat',
        '$PhysicalNames', '4', '1 1 "xmin"', '1 2 "xmax"', '1 3 "ymin"', '1 4 "ymax"', '$EndPhysicalNames',
        '$Entities', '0 4 1 0',
        '1 0 0 0 1 0 0 1 3 0', '2 0 1 0 1 1 0 1 4 0', '3 0 0 0 0 1 0 1 1 0', '4 1 0 0 1 1 0 1 2 0',
        '1 0 0 0 1 1 0 0 0',
        '$EndEntities',
        '$Nodes', '1 4 1 4', '2 1 0 4', '1', '2', '3', '4', '0 0 0', '1 0 0', '0 1 0', '1 1 0', '$EndNodes',
        '$Elements', '5 6 1 6',
        '1 1 1 1', '1 1 2', '1 2 1 1', '2 4 3', '1 3 1 1', '3 3 1', '1 4 1 1', '4 2 4',
        '2 1 2 2', '5 1 2 4', '6 1 4 3',
        '$EndElements', '',
      ].join('\n'),
    );
  });
});

// Interoperability: Gmsh (when installed; not needed by CI) opens our files and re-saves them.
const haveGmsh = spawnSync('gmsh', ['--version']).status === 0;
describe.skipIf(!haveGmsh)('Gmsh reads what writeGmsh writes', () => {
  it('re-saved by Gmsh, a 4.1 file reads back identically and a 2.2 file as the same geometry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmsh-interop-'));
    try {
      const m = readGmshFile(join(MESHES, 'square-quad-h16.msh'));
      for (const version of ['4.1', '2.2'] as const) {
        writeGmshFile(join(dir, 'ours.msh'), m, version);
        const format = version === '4.1' ? 'msh41' : 'msh22';
        const run = spawnSync('gmsh', [join(dir, 'ours.msh'), '-0', '-format', format, '-o', join(dir, 'theirs.msh')]);
        expect(run.status).toBe(0);
        const back = readGmshFile(join(dir, 'theirs.msh'));
        if (version === '4.1') expectSameMesh(m, back);
        else {
          // Gmsh renumbers the nodes of a 2.2 file by entity; the geometry is unchanged
          expect([nodeCount(back), cellCount(back), facetCount(back)]).toEqual([nodeCount(m), cellCount(m), facetCount(m)]);
          expect(Math.abs(meshMeasure(back) - 1)).toBeLessThan(1e-12);
          expect([...back.facetTags].sort()).toEqual([...m.facetTags].sort());
        }
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('readGmsh details', () => {
  it('drops nodes no cell uses (geometry points), keeping file order', () => {
    const text = fixtureText('four-triangles.msh')
      .replace('$Nodes\n5\n', '$Nodes\n7\n100 7 7 0\n')
      .replace('$EndNodes', '101 -3 5 0\n$EndNodes')
      .replace('$Elements\n8\n', '$Elements\n10\n20 15 2 0 1 100\n21 15 2 0 2 101\n');
    const m = readGmsh(text, 'extra.msh');
    expect(nodeCount(m)).toBe(5);
    expect(Array.from(m.nodes)).toEqual([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5]);
    expect(Array.from(m.cells)).toEqual([0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4]);
    expect(Array.from(m.facets)).toEqual([0, 1, 1, 2, 2, 3, 3, 0]);
    expect(Array.from(m.facetTags)).toEqual([3, 2, 4, 1]);
    expect(Array.from(m.cellTags)).toEqual([5, 5, 5, 5]);
  });

  it('renumbers sparse node tags in file order, not tag order', () => {
    // four-triangles.msh with node tags 1..5 → 40, 7, 300, 2, 55 (same file order)
    const text = [
      '$MeshFormat', '2.2 0 8', '$EndMeshFormat',
      '$PhysicalNames', '5', '1 1 "xmin"', '1 2 "xmax"', '1 3 "ymin"', '1 4 "ymax"', '2 5 "domain"', '$EndPhysicalNames',
      '$Nodes', '5', '40 0 0 0', '7 1 0 0', '300 1 1 0', '2 0 1 0', '55 0.5 0.5 0', '$EndNodes',
      '$Elements', '8',
      '1 1 2 3 1 40 7', '2 1 2 2 2 7 300', '3 1 2 4 3 300 2', '4 1 2 1 4 2 40',
      '5 2 2 5 1 40 7 55', '6 2 2 5 1 7 300 55', '7 2 2 5 1 300 2 55', '8 2 2 5 1 2 40 55',
      '$EndElements',
    ].join('\n');
    expectSameMesh(readGmshFile(fixture('four-triangles.msh')), readGmsh(text, 'sparse.msh'));
  });

  it('reorients a mesh whose cells are all clockwise (a surface with a −z normal), facets with it', () => {
    const m = readGmshFile(fixture('all-clockwise.msh'));
    expect(Array.from(m.cells)).toEqual([0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4]); // file (1,5,2) → (1,2,5), …
    for (const a of cellMeasures(m)) expect(a).toBeCloseTo(0.25, 15);
    expect(Array.from(m.facets)).toEqual([0, 1, 1, 2, 2, 3, 3, 0]); // domain on the left
    // validateMesh on its own reorients too, and returns a new mesh
    const cw: Mesh = { ...m, cells: Uint32Array.from([0, 4, 1, 1, 4, 2, 2, 4, 3, 3, 4, 0]), facets: Uint32Array.from([1, 0, 2, 1, 3, 2, 0, 3]) };
    const fixed = validateMesh(cw);
    expect(fixed).not.toBe(cw);
    expectSameMesh(m, fixed);
  });

  it('orients facets with the domain on the left whatever the direction of the file lines', () => {
    const text = fixtureText('four-triangles.msh').replace('\n1 1 2 3 1 1 2\n', '\n1 1 2 3 1 2 1\n');
    expect(Array.from(readGmsh(text, 'x.msh').facets)).toEqual([0, 1, 1, 2, 2, 3, 3, 0]);
  });

  it('appends untagged boundary facets the file does not list, and drops interior lines', () => {
    // drop the xmax and ymax lines, add an interior line from corner 1 to the centre
    const text = fixtureText('four-triangles.msh')
      .replace('$Elements\n8\n', '$Elements\n7\n')
      .replace('2 1 2 2 2 2 3\n3 1 2 4 3 3 4\n', '')
      .replace('$EndElements', '9 1 2 6 9 1 5\n$EndElements');
    const m = readGmsh(text, 'partial.msh');
    expect(Array.from(m.facets)).toEqual([0, 1, 3, 0, 1, 2, 2, 3]);
    expect(Array.from(m.facetTags)).toEqual([3, 1, 0, 0]);
    expect(Array.from(m.cellTags)).toEqual([5, 5, 5, 5]);
    expect(cellCount(m)).toBe(4);
  });

  it('merges the copies Gmsh 2.2 writes for an element in several physical groups', () => {
    const src = fixtureText('four-triangles.msh');
    const dup = src.replace(/\n(\d+) 2 2 5 1 (\d+ \d+ \d+)/g, (_, tag, nodes) => `\n${tag} 2 2 5 1 ${nodes}\n${tag} 2 2 6 1 ${nodes}`).replace('$Elements\n8\n', '$Elements\n12\n');
    const m = readGmsh(dup, 'dup.msh');
    expectSameMesh(readGmsh(src, 'src.msh'), m);
  });

  it('skips unknown sections ($Periodic in the committed squares, $Comments here)', () => {
    expect(readFileSync(join(MESHES, 'square-h16.msh'), 'utf8')).toContain('$Periodic');
    const text = fixtureText('four-triangles.msh').replace('$Nodes', '$Comments\n$Nodes? not here\n1 2 3\n$EndComments\n$Nodes');
    expectSameMesh(readGmshFile(fixture('four-triangles.msh')), readGmsh(text, 'c.msh'));
  });

  it('reads 1D meshes: line cells, point facets', () => {
    const text = [
      '$MeshFormat', '2.2 0 8', '$EndMeshFormat',
      '$PhysicalNames', '3', '0 1 "left"', '0 2 "right"', '1 3 "bar"', '$EndPhysicalNames',
      '$Nodes', '4', '1 -1 0 0', '2 1 0 0', '3 0 0 0', '4 0.5 0 0', '$EndNodes',
      '$Elements', '5', '1 15 2 1 1 1', '2 15 2 2 2 2', '3 1 2 3 1 1 3', '4 1 2 3 1 3 4', '5 1 2 3 1 4 2', '$EndElements',
    ].join('\n');
    const m = readGmsh(text, 'bar.msh');
    expect(m.dim).toBe(1);
    expect(m.cellType).toBe('interval');
    expect(Array.from(m.nodes)).toEqual([-1, 1, 0, 0.5]);
    expect(Array.from(m.cells)).toEqual([0, 2, 2, 3, 3, 1]);
    expect(Array.from(m.facets)).toEqual([0, 1]);
    expect(Array.from(m.facetTags)).toEqual([1, 2]);
    expect(meshMeasure(m)).toBe(2);
    expect(m.physicalNames.get(3)).toEqual({ dim: 1, name: 'bar' });
  });

  it('keeps the facet group name when a facet and a cell group share a tag', () => {
    const text = fixtureText('four-triangles.msh').replace('2 5 "domain"', '2 1 "domain"').replace(/ 2 2 5 1 /g, ' 2 2 1 1 ');
    const m = readGmsh(text, 'x.msh');
    expect(m.physicalNames.get(1)).toEqual({ dim: 1, name: 'xmin' });
    expect(Array.from(m.cellTags)).toEqual([1, 1, 1, 1]);
  });
});

describe('readGmsh errors (exact messages)', () => {
  const cases: [string, string][] = [
    ['truncated.msh', 'truncated.msh: unexpected end of file in $Nodes (expected 25 nodes, read 12)'],
    ['unknown-type.msh', 'unknown-type.msh:28: unknown element type 11 (supported: 1 line, 2 triangle, 3 quadrilateral, 15 point)'],
    ['bad-node.msh', 'bad-node.msh:28: element 7 references node 999, which is not defined'],
    ['version3.msh', 'version3.msh:2: unsupported MSH version 3.0 (supported: 2.2, 4.1 ASCII)'],
    ['binary.msh', 'binary.msh:2: unsupported binary MSH file (file type 1; supported: 2.2, 4.1 ASCII)'],
    ['short-element.msh', 'short-element.msh:56: expected 4 node tags for element type 3, got 3'],
    ['mixed-orientation.msh', 'mixed-orientation.msh:28: element 7 (cell 2) is inverted: it is clockwise while 3 other cells are counter-clockwise (mixed orientation)'],
    ['degenerate.msh', 'degenerate.msh:26: element 5 (cell 0) is degenerate: area 0 is below 1e-10·h² (h = 1, its longest edge)'],
    ['repeated-node.msh', 'repeated-node.msh:28: element 7 (cell 2) is degenerate: node 3 appears twice'],
    ['overlap.msh', 'overlap.msh:30: element 9 (cell 4) overlaps cell 0: both use edge 0→1 in the same direction (duplicate, overlapping or non-manifold cells)'],
    ['nonplanar.msh', 'nonplanar.msh:18: node 5 has z = 0.25; only planar meshes in the plane z = 0 are supported'],
  ];
  for (const [file, message] of cases) {
    it(file, () => {
      expect(() => readGmshFile(fixture(file))).toThrow(MeshFormatError);
      expect(() => readGmshFile(fixture(file))).toThrow(message);
    });
  }

  it('carries the file name and line on the error object', () => {
    try {
      readGmsh(fixtureText('bad-node.msh'), 'square.msh');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MeshFormatError);
      const err = e as MeshFormatError;
      expect(err.message).toBe('square.msh:28: element 7 references node 999, which is not defined');
      expect(err.fileName).toBe('square.msh');
      expect(err.line).toBe(28);
      expect(err.name).toBe('MeshFormatError');
    }
  });

  const v41 = writeGmsh(unitSquareMesh(2, 'quadrilateral'), '4.1');
  const v41Lines = v41.split('\n');
  const lineOf = (text: string) => v41Lines.indexOf(text) + 1;
  const entitiesLast = v41.replace(/\$Entities[^$]*\$EndEntities\n/, '') + v41.slice(v41.indexOf('$Entities'), v41.indexOf('$Nodes'));
  const inline: [string, () => string, string][] = [
    ['4.1 unknown element type in a block header', () => v41.replace('\n2 1 3 4\n', '\n2 1 5 4\n'), `sq.msh:${lineOf('2 1 3 4')}: unknown element type 5 (supported: 1 line, 2 triangle, 3 quadrilateral, 15 point)`],
    ['4.1 truncated elements', () => v41.slice(0, v41.indexOf('\n10 2 3 6 5')), 'sq.msh: unexpected end of file in $Elements (expected 12 elements, read 9)'],
    ['4.1 truncated nodes', () => v41.slice(0, v41.indexOf('\n0.5 0.5 0')), 'sq.msh: unexpected end of file in $Nodes (expected 9 nodes, read 4)'],
    ['missing $EndNodes', () => v41.replace('$EndNodes\n', ''), `sq.msh:${lineOf('$EndNodes')}: expected $EndNodes, got "$Elements"`],
    ['early end of a section', () => v41.replace('\n1 1 0\n$EndNodes', '\n$EndNodes'), `sq.msh:${lineOf('1 1 0')}: expected coordinates of node 9 in $Nodes, got "$EndNodes"`],
    ['4.1 block with an unknown entity', () => v41.replace('\n2 1 3 4\n', '\n2 9 3 4\n'), `sq.msh:${lineOf('2 1 3 4')}: element block refers to entity 9 of dimension 2, which is not in $Entities`],
    ['4.1 bad coordinate', () => v41.replace('\n0.5 0.5 0\n', '\n0.5 abc 0\n'), `sq.msh:${lineOf('0.5 0.5 0')}: expected y of node 5 (a number), got "abc"`],
    ['not a mesh file', () => 'hello\n', 'sq.msh:1: expected $MeshFormat, got "hello" (not a Gmsh MSH 2.2/4.1 file)'],
    ['empty file', () => '', 'sq.msh: empty file (expected $MeshFormat)'],
    ['MSH 4.0', () => v41.replace('4.1 0 8', '4 0 8'), 'sq.msh:2: unsupported MSH version 4 (supported: 2.2, 4.1 ASCII)'],
    ['no $Elements', () => v41.slice(0, v41.indexOf('$Elements')), 'sq.msh: no $Elements section'],
    ['unterminated unknown section', () => v41 + '$NodeData\n1\n', 'sq.msh: unexpected end of file in $NodeData (missing $EndNodeData)'],
    ['$Entities after $Elements', () => entitiesLast, `sq.msh:${entitiesLast.split('\n').indexOf('$Entities') + 1}: $Entities after $Elements (expected before it, as Gmsh writes it)`],
    ['bad physical name', () => v41.replace('1 3 "ymin"', '1 3 ymin'), 'sq.msh:8: expected \'dimension tag "name"\' in $PhysicalNames, got "1 3 ymin"'],
    ['partitioned mesh', () => v41.replace('$Nodes', '$PartitionedEntities\n$EndPartitionedEntities\n$Nodes'), `sq.msh:${lineOf('$Nodes')}: partitioned meshes are not supported (save the mesh without partitions)`],
  ];
  for (const [name, text, message] of inline) {
    it(name, () => expect(() => readGmsh(text(), 'sq.msh')).toThrow(message));
  }

  it('mixed triangles and quadrilaterals', () => {
    const text = fixtureText('four-triangles.msh').replace('$Elements\n8\n', '$Elements\n9\n').replace('$EndElements', '9 3 2 5 1 1 2 3 4\n$EndElements');
    expect(() => readGmsh(text, 'mixed.msh')).toThrow(
      'mixed.msh:30: mixed cell types: element 9 is a quadrilateral but element 5 (line 26) is a triangle; a mesh holds one cell type',
    );
  });

  it('points only', () => {
    const text = fixtureText('four-triangles.msh').replace(/\$Elements[^$]*\$EndElements/, '$Elements\n1\n1 15 2 0 1 1\n$EndElements');
    expect(() => readGmsh(text, 'p.msh')).toThrow('p.msh: no line, triangle or quadrilateral elements (nothing to mesh)');
  });

  it('a non-convex (bow-tie) quadrilateral', () => {
    // swap two nodes of the first quad of a 2×2 mesh: (0,1,4,3) → (0,4,1,3) crosses itself
    const text = v41.replace('\n9 1 2 5 4\n', '\n9 1 5 2 4\n');
    expect(() => readGmsh(text, 'bow.msh')).toThrow(
      `bow.msh:${lineOf('9 1 2 5 4')}: element 9 (cell 0) is inverted: its Jacobian is positive at corner 0 but -0.25 at corner 1 (non-convex or self-intersecting quadrilateral)`,
    );
  });

  it('1D nodes off the x axis', () => {
    const text = writeGmsh(intervalMesh(0, 1, 2), '2.2').replace('\n2 0.5 0 0\n', '\n2 0.5 0.1 0\n');
    expect(() => readGmsh(text, 'line.msh')).toThrow('line.msh:12: node 2 has y = 0.1, z = 0; 1D meshes must lie on the x axis (y = z = 0)');
  });
});

describe('readGmsh robustness', () => {
  it('every truncation and seeded token corruption either reads or throws a one-line MeshFormatError', () => {
    const texts = [
      fixtureText('four-triangles.msh'),
      writeGmsh(unitSquareMesh(2, 'quadrilateral'), '4.1'),
      writeGmsh(unitSquareMesh(2), '2.2'),
      writeGmsh(intervalMesh(0, 1, 3), '4.1'),
    ];
    const rng = mulberry32(7);
    const junk = ['', '0', '-1', '999', 'x', '1e400', '2.5', '$Nodes', '"a"', '3 3', 'NaN'];
    let formatErrors = 0;
    for (const text of texts) {
      const lines = text.split('\n');
      const variants: string[] = [];
      for (let i = 0; i < lines.length; i++) variants.push(lines.slice(0, i).join('\n'));
      for (let r = 0; r < 500; r++) {
        const l = lines.slice();
        const i = Math.floor(rng() * l.length);
        const tokens = l[i].split(' ');
        tokens[Math.floor(rng() * tokens.length)] = junk[Math.floor(rng() * junk.length)];
        l[i] = tokens.join(' ');
        variants.push(l.join('\n'));
      }
      for (const v of variants) {
        try {
          const m = readGmsh(v, 'f.msh');
          expect(validateMesh(m)).toBe(m); // whatever reads is a valid, oriented mesh
        } catch (e) {
          if (!(e instanceof MeshFormatError)) throw e;
          expect(e.message).toMatch(/^f\.msh(:\d+)?: [^\n]+$/);
          formatErrors++;
        }
      }
    }
    expect(formatErrors).toBeGreaterThan(1000);
  });
});

describe('validateMesh', () => {
  it('names the cell of a mixed orientation (default file name "mesh")', () => {
    const m = unitSquareMesh(2);
    const cells = m.cells.slice();
    [cells[9], cells[10]] = [cells[10], cells[9]]; // flip cell 3
    expect(() => validateMesh({ ...m, cells })).toThrow('mesh: cell 3 is inverted: it is clockwise while 7 other cells are counter-clockwise (mixed orientation)');
    expect(() => validateMesh({ ...m, cells }, 'grid.msh')).toThrow('grid.msh: cell 3 is inverted');
  });

  it('names the minority when most cells are clockwise', () => {
    const m = unitSquareMesh(1);
    const cells = Uint32Array.from([0, 3, 1, 0, 3, 2, 0, 2, 3]); // cells 0 and 2 clockwise, cell 1 counter-clockwise
    expect(() => validateMesh({ ...m, cells, cellTags: new Int32Array(3) })).toThrow('mesh: cell 1 is inverted: it is counter-clockwise while 2 other cells are clockwise (mixed orientation)');
  });

  it('reorients an all-right-to-left 1D mesh', () => {
    const m = intervalMesh(0, 1, 3);
    const fixed = validateMesh({ ...m, cells: Uint32Array.from([1, 0, 2, 1, 3, 2]) });
    expect(Array.from(fixed.cells)).toEqual([0, 1, 1, 2, 2, 3]);
  });

  it('rejects degenerate and inconsistent meshes', () => {
    const m = unitSquareMesh(2);
    const nodes = m.nodes.slice();
    nodes[8] = 0; // node 4 (centre) onto node 3 (0, 0.5): cell 1 = (0, 4, 3) collapses
    expect(() => validateMesh({ ...m, nodes })).toThrow('mesh: cell 1 is degenerate: area 0 is below 1e-10·h² (h = 0.5, its longest edge)');
    expect(() => validateMesh({ ...m, nodes: Float64Array.from([...m.nodes, 5, 5]) })).toThrow('mesh: node 9 is not used by any cell');
    expect(() => validateMesh({ ...m, facets: Uint32Array.from([0, 4]), facetTags: Int32Array.of(1) })).toThrow('mesh: facet 0 (nodes 0, 4) is not a boundary edge of the cells');
    expect(() => validateMesh({ ...m, cellTags: new Int32Array(3) })).toThrow('mesh: cellTags has length 3, expected 8 (one per cell)');
    const cells = m.cells.slice();
    cells[5] = 99;
    expect(() => validateMesh({ ...m, cells })).toThrow('mesh: cell 1 references node 99, but the mesh has 9 nodes');
    const bad = m.nodes.slice();
    bad[3] = NaN;
    expect(() => validateMesh({ ...m, nodes: bad })).toThrow('mesh: node 1 has a non-finite coordinate NaN');
    const q = unitSquareMesh(1, 'quadrilateral');
    const flat = q.nodes.slice();
    flat[7] = 0; // node 3 (1,1) → (1,0) coincides with node 1; longest edge (1,0)–(0,1)
    expect(() => validateMesh({ ...q, nodes: flat })).toThrow('mesh: cell 0 is degenerate: Jacobian 0 at corner 1 is below 1e-10·h² (h = 1.41421, its longest edge)');
  });
});

describe('checkMeshFitsDomain', () => {
  it('accepts the generators on their box and rejects mismatches with one-line messages', () => {
    const m = rectangleMesh({ nx: 4, ny: 2, min: [-1, 0], max: [1, 1] });
    expect(() => checkMeshFitsDomain(m, { min: [-1, 0], max: [1, 1] })).not.toThrow();
    // within the relative tolerance 1e-9 of the box size
    expect(() => checkMeshFitsDomain(m, { min: [-1 - 1e-10, 0], max: [1, 1 + 5e-10] })).not.toThrow();
    expect(() => checkMeshFitsDomain(m, { min: [-1 - 1e-8, 0], max: [1, 1] }, 'r.msh')).toThrow(
      'r.msh does not fit the problem domain [-1.00000001,1]×[0,1]: the mesh\'s bounding box is [-1,1]×[0,1]',
    );
    expect(() => checkMeshFitsDomain(m, makeProblem('front1d').domain, 'r.msh')).toThrow('r.msh does not fit the problem domain [-1,1]: the mesh is 2D, the problem is 1D');
    expect(() => checkMeshFitsDomain(intervalMesh(-1, 1, 8), makeProblem('ac1d').domain)).not.toThrow();
    expect(() => checkMeshFitsDomain(intervalMesh(-1, 0.5, 8), makeProblem('ac1d').domain)).toThrow(
      "mesh does not fit the problem domain [-1,1]: the mesh's bounding box is [-1,0.5]",
    );
  });

  it('rejects a square with a hole and a square with a cut corner', () => {
    // 3×3 quads without the centre cell: the hole's boundary nodes are inside the box; the first
    // boundary edge met in cell order is 6→5 of cell 1 (nodes 5, 6 at (1/3, 1/3), (2/3, 1/3))
    const full = unitSquareMesh(3, 'quadrilateral');
    const keep = [0, 1, 2, 3, 5, 6, 7, 8];
    const holed: Mesh = {
      ...full,
      cells: Uint32Array.from(keep.flatMap((c) => Array.from(full.cells.subarray(4 * c, 4 * c + 4)))),
      cellTags: new Int32Array(8),
    };
    expect(() => checkMeshFitsDomain(holed, { min: [0, 0], max: [1, 1] }, 'holed.msh')).toThrow(
      'holed.msh does not fit the problem domain [0,1]×[0,1]: boundary node 6 at (0.666667, 0.333333) is not on the box boundary',
    );
    // 1×1 square split into 2 triangles, then the corner triangle at (1,1) cut off by the node (1,0.5)/(0.5,1)
    const cut: Mesh = {
      ...unitSquareMesh(1),
      nodes: Float64Array.from([0, 0, 1, 0, 1, 0.5, 0.5, 1, 0, 1]),
      cells: Uint32Array.from([0, 1, 2, 0, 2, 3, 0, 3, 4]),
      cellTags: new Int32Array(3),
      facets: new Uint32Array(0),
      facetTags: new Int32Array(0),
    };
    expect(() => checkMeshFitsDomain(cut, { min: [0, 0], max: [1, 1] }, 'cut.msh')).toThrow(
      'cut.msh does not fit the problem domain [0,1]×[0,1]: boundary edge from (1, 0.5) to (0.5, 1) cuts across the box (its nodes are on different sides)',
    );
  });
});
