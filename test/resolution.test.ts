import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagOf } from '../src/cli/flags.js';
import { createFemSolver, femKind } from '../src/fem/index.js';
import { readGmshFile } from '../src/io/gmsh.js';
import { intervalMesh, maxCellDiameter, NODES_PER_CELL, rectangleMesh, type Mesh } from '../src/mesh/index.js';
import { makeProblem, resolutionWarning, underResolvedMessage, type RunWarning } from '../src/physics/index.js';
import { compositeGaussLegendre, largestGap } from '../src/quadrature/index.js';
import { runSolver, runWarnings, type RunSummary } from '../src/run/index.js';
import { createSdmmSolver, sdmmKind } from '../src/sdmm/index.js';
import type { GradientFlowSolver } from '../src/solver.js';
import { createSpinnSolver } from '../src/spinn/index.js';

/**
 * The resolution check (src/physics/resolution.ts): each solver reports its largest spacing h
 * (FEM: largest cell diameter; SDMM: largest gap between adjacent Gauss points; SPINN: collocation
 * spacing), and a run warns exactly when h > ε: once through onWarning (the CLI's one stderr line),
 * and in summary.json's `warnings` (an empty array otherwise). Exact h values are closed forms of
 * the structured meshes and the Gauss rules.
 */

const MESH = 'mesh: largest cell diameter';
const QUAD = 'quadrature grid: largest gap between adjacent Gauss points';

describe('the rule h > ε', () => {
  const res = { h: 0.05, of: 'grid', refine: ['n'] };
  it('warns just above ε, not at ε or below, and not without a resolution', () => {
    expect(resolutionWarning(res, 0.05 * (1 - 1e-12))).toEqual({
      kind: 'under-resolved',
      h: 0.05,
      epsilon: 0.05 * (1 - 1e-12),
      ratio: 1 / (1 - 1e-12),
      of: 'grid',
      refine: ['n'],
      message: 'under-resolved: h = 0.05 > ε = 0.05 (grid); refine n, or raise ε',
    });
    expect(resolutionWarning(res, 0.05)).toBeUndefined();
    expect(resolutionWarning(res, 0.0500001)).toBeUndefined();
    expect(resolutionWarning(undefined, 1e-9)).toBeUndefined();
  });

  it('renders options through the caller (the CLI spells them as flags) and needs a positive h and ε', () => {
    const w = resolutionWarning({ h: 0.0156, of: 'quadrature grid', refine: ['quadElements', 'quadPoints'] }, 0.01)!;
    expect(w.ratio).toBeCloseTo(1.56, 14);
    expect(underResolvedMessage(w, (o) => flagOf(sdmmKind, o))).toBe(
      'under-resolved: h = 0.0156 > ε = 0.01 (quadrature grid); refine --quad-elements or --quad-points, or raise ε',
    );
    expect(underResolvedMessage({ ...w, refine: [] })).toBe('under-resolved: h = 0.0156 > ε = 0.01 (quadrature grid); raise ε');
    expect(flagOf(femKind, 'n')).toBe('--n');
    expect(flagOf(femKind, 'meshFile')).toBe('--mesh');
    expect(flagOf(femKind, 'mesh')).toBe('mesh'); // a library-only option has no flag
    expect(() => resolutionWarning({ ...res, h: Number.NaN }, 0.1)).toThrow('resolution h must be a positive number, got NaN (grid)');
    expect(() => resolutionWarning(res, 0)).toThrow('epsilon must be a positive number, got 0');
  });
});

describe('the largest spacing of each discretisation', () => {
  it('maxCellDiameter: the longest vertex distance of any cell, structured and irregular', () => {
    expect(maxCellDiameter(intervalMesh(-1, 1, 10))).toBeCloseTo(0.2, 15);
    // [0,2]×[0,1] in 4×5 cells of 0.5×0.2: the diagonal √0.29, for quads and for the triangles' hypotenuse
    for (const cellType of ['triangle', 'quadrilateral'] as const) {
      expect(maxCellDiameter(rectangleMesh({ nx: 4, ny: 5, min: [0, 0], max: [2, 1], cellType }))).toBeCloseTo(Math.sqrt(0.29), 15);
    }
    // two triangles (0,0),(1,0),(0.2,0.9) and (1,0),(1,1),(0.2,0.9): longest edge (1,0)–(0.2,0.9) = √1.45
    const mesh: Mesh = {
      dim: 2,
      cellType: 'triangle',
      nodes: Float64Array.of(0, 0, 1, 0, 0.2, 0.9, 1, 1),
      cells: Uint32Array.of(0, 1, 2, 1, 3, 2),
      cellTags: new Int32Array(2),
      facets: new Uint32Array(0),
      facetTags: new Int32Array(0),
      physicalNames: new Map(),
    };
    expect(maxCellDiameter(mesh)).toBeCloseTo(Math.sqrt(1.45), 15);
  });

  it('largestGap: H/√3 for two Gauss points per element, the wrap-around on a periodic axis, the axis for one point', () => {
    const axis = { min: 0, max: 1 };
    expect(largestGap(compositeGaussLegendre(0, 1, 8, 2).points, axis)).toBeCloseTo(1 / (8 * Math.sqrt(3)), 15);
    expect(largestGap(compositeGaussLegendre(0, 1, 8, 3).points, axis)).toBeCloseTo(Math.sqrt(3 / 5) / 16, 15);
    expect(largestGap(compositeGaussLegendre(0, 1, 8, 1).points, { ...axis, periodic: true })).toBeCloseTo(1 / 8, 15);
    expect(largestGap(Float64Array.of(0.1, 0.2), axis)).toBeCloseTo(0.1, 15);
    expect(largestGap(Float64Array.of(0.1, 0.2), { ...axis, periodic: true })).toBeCloseTo(0.9, 15);
    expect(largestGap(Float64Array.of(0.5), axis)).toBe(1);
  });

  it('FEM reports the mesh size of structured and Gmsh meshes, and what refines each', () => {
    const star = makeProblem('star', 'reduced');
    for (const cellType of ['triangle', 'quadrilateral'] as const) {
      const r = createFemSolver(star, { n: 16, cellType }).describe().resolution!;
      expect(r.h).toBeCloseTo(Math.SQRT2 / 16, 15);
      expect(r).toMatchObject({ of: MESH, refine: ['n'] });
    }
    // A Gmsh mesh (unstructured): h is the longest vertex distance over its cells, by brute force here.
    const file = join(import.meta.dirname, '..', 'meshes', 'square-h16.msh');
    const gmsh = readGmshFile(file);
    let longest = 0;
    const npc = NODES_PER_CELL[gmsh.cellType];
    for (let c = 0; c < gmsh.cells.length; c += npc) {
      for (let a = 0; a < npc; a++) {
        for (let b = 0; b < npc; b++) {
          const [i, j] = [gmsh.cells[c + a], gmsh.cells[c + b]];
          longest = Math.max(longest, Math.hypot(gmsh.nodes[2 * i] - gmsh.nodes[2 * j], gmsh.nodes[2 * i + 1] - gmsh.nodes[2 * j + 1]));
        }
      }
    }
    expect(longest).toBeGreaterThan(1 / 16); // an unstructured h16 mesh has cells above its target size
    const fromFile = createFemSolver(star, { meshFile: file }).describe().resolution!;
    expect(fromFile).toEqual({ h: longest, of: MESH, refine: ['meshFile'] });
    expect(createFemSolver(star, { mesh: gmsh }).describe().resolution).toEqual({ h: longest, of: MESH, refine: ['mesh'] });
    // ε just below / above that h
    expect(runWarnings({ resolution: fromFile }, longest * (1 - 1e-9))).toHaveLength(1);
    expect(runWarnings({ resolution: fromFile }, longest)).toEqual([]);
  });

  it('SDMM reports the largest Gauss-point gap of its quadrature grid (Neumann and periodic axes)', async () => {
    for (const name of ['star', 'coarsening'] as const) {
      for (const [q, h] of [
        [2, 1 / (8 * Math.sqrt(3))],
        [3, Math.sqrt(3 / 5) / 16],
      ]) {
        const solver = await createSdmmSolver(makeProblem(name, 'reduced'), { rank: 2, width: 4, depth: 1, quadElements: 8, quadPoints: q, backend: 'js', threads: 1 });
        const r = solver.describe().resolution!;
        solver.dispose();
        expect(r.h).toBeCloseTo(h, 15);
        expect(r).toMatchObject({ of: QUAD, refine: ['quadElements', 'quadPoints'] });
      }
    }
  });

  it('SPINN reports its collocation spacing in space', async () => {
    const check = async (solver: GradientFlowSolver, h: number) => {
      const r = solver.describe().resolution!;
      solver.dispose();
      expect(r.h).toBeCloseTo(h, 15);
      expect(r).toMatchObject({ of: 'collocation grid: spacing in space', refine: ['spacePoints'] });
      expect(runWarnings({ resolution: r }, h * (1 - 1e-9))).toHaveLength(1);
      expect(runWarnings({ resolution: r }, h * (1 + 1e-9))).toEqual([]);
    };
    await check(await createSpinnSolver(makeProblem('circle', 'reduced'), { spacePoints: 20 }), 1 / 20);
    await check(await createSpinnSolver(makeProblem('front1d', 'reduced'), { spacePoints: 40 }), 2 / 40);
  });
});

/** One step of `solver` into a fresh folder: the warnings passed to onWarning and summary.json. */
async function oneStep(solver: GradientFlowSolver, dir = mkdtempSync(join(tmpdir(), 'ac-res-')), resume = false): Promise<{ seen: RunWarning[]; summary: RunSummary; dir: string }> {
  const seen: RunWarning[] = [];
  try {
    const result = await runSolver(solver, { outDir: dir, resume, onWarning: (w) => seen.push(w) });
    expect(result.status).toBe('completed');
  } finally {
    solver.dispose();
  }
  return { seen, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary, dir };
}

describe('a run warns exactly when h > ε', () => {
  it('FEM: a 16×16 triangle mesh (h = √2/16 ≈ 0.0884) warns at ε = 0.088, not at ε = 0.0885', async () => {
    const h = Math.SQRT2 / 16;
    const fem = (epsilon: number) => createFemSolver(makeProblem('star', 'reduced', { epsilon, tEnd: 1e-4 }), { n: 16 });
    const run = (epsilon: number) => oneStep(fem(epsilon));
    const above = await run(0.088);
    expect(above.seen).toHaveLength(1);
    expect(above.summary.warnings).toEqual(above.seen);
    expect(above.summary.warnings[0]).toMatchObject({ kind: 'under-resolved', epsilon: 0.088, of: MESH, refine: ['n'] });
    expect(above.summary.warnings[0].h).toBeCloseTo(h, 15);
    expect(above.summary.warnings[0].message).toBe('under-resolved: h = 0.0884 > ε = 0.088 (mesh: largest cell diameter); refine n, or raise ε');
    // a resumed session warns again, once, and its summary keeps the warning
    const resumed = await oneStep(fem(0.088), above.dir, true);
    expect(resumed.summary.totals.resumedFrom).toBe(1);
    expect(resumed.seen).toEqual(above.seen);
    expect(resumed.summary.warnings).toEqual(above.seen);
    const below = await run(0.0885);
    expect(below.seen).toEqual([]);
    expect(below.summary.warnings).toEqual([]);
  });

  it('SDMM: 10 elements × 2 Gauss points on [−1, 1] (h = 0.2/√3 ≈ 0.1155) warn at ε = 0.115, not at ε = 0.116', async () => {
    const run = async (epsilon: number) =>
      oneStep(
        await createSdmmSolver(makeProblem('front1d', 'reduced', { epsilon, tEnd: 1e-3 }), {
          rank: 2,
          width: 6,
          depth: 1,
          quadElements: 10,
          fitTolerance: 0.05,
          fitMaxIters: 200,
          maxIters: 2,
          backend: 'js',
          threads: 1,
        }),
      );
    const above = await run(0.115);
    expect(above.seen).toHaveLength(1);
    expect(above.summary.warnings).toEqual(above.seen);
    expect(above.summary.warnings[0].h).toBeCloseTo(0.2 / Math.sqrt(3), 15);
    expect(above.summary.warnings[0].message).toBe(`under-resolved: h = 0.115 > ε = 0.115 (${QUAD}); refine quadElements or quadPoints, or raise ε`);
    const below = await run(0.116);
    expect(below.seen).toEqual([]);
    expect(below.summary.warnings).toEqual([]);
  });
});
