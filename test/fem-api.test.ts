import { describe, expect, it } from 'vitest';
import { createFemSolver, FEM_OPTIONS, FEM_SCHEMES, type FemScheme, FemSolver, FunctionSpace, interpolate, phaseArea, TIME_SCHEMES } from '../src/fem/index.js';
import { intervalMesh, rectangleMesh } from '../src/mesh/index.js';
import { makeProblem, pointFunction, type ProblemConfig } from '../src/physics/index.js';
import { mulberry32 } from '../src/physics/random.js';
import { DivergenceError } from '../src/solver.js';

const SCHEMES: FemScheme[] = ['mms-newton', 'stabilized', 'convex-split'];

describe('bad inputs get one-line messages', () => {
  const star = makeProblem('star', 'reduced', { n: 8 });
  it('unknown scheme', () => {
    expect(() => createFemSolver(star, { scheme: 'foo' as FemScheme })).toThrow("unknown scheme 'foo' (known: mms-newton, stabilized, convex-split)");
  });
  it('negative stabilization', () => {
    expect(() => createFemSolver(star, { scheme: 'stabilized', stabilization: -1 })).toThrow('stabilization must be ≥ 0, got -1');
  });
  it('bad problem parameters and 2D-only options on a 1D problem', () => {
    expect(() => createFemSolver({ ...star, epsilon: 0 }, { scheme: 'stabilized' })).toThrow('epsilon must be a positive number, got 0');
    expect(() => createFemSolver({ ...star, tau: -1 }, { scheme: 'stabilized' })).toThrow('tau must be a positive number, got -1');
    expect(() => createFemSolver(makeProblem('front1d'), { scheme: 'stabilized', cellType: 'quadrilateral' })).toThrow(
      "cellType applies to 2D meshes; problem 'front1d' is 1D",
    );
  });
  it('bad n, tolerances, linear solver, cell type', () => {
    expect(() => createFemSolver(star, { scheme: 'stabilized', n: 2.5 })).toThrow('n must be a positive integer, got 2.5');
    expect(() => createFemSolver(star, { scheme: 'mms-newton', newtonTolerance: 0 })).toThrow('newtonTolerance must be a positive number, got 0');
    expect(() => createFemSolver(star, { scheme: 'mms-newton', linearTolerance: 2 })).toThrow('linearTolerance must be in (0, 1), got 2');
    expect(() => createFemSolver(star, { scheme: 'mms-newton', linearSolver: 'lu' as never })).toThrow("unknown linear solver 'lu' (known: ");
    expect(() => createFemSolver(star, { scheme: 'mms-newton', cellType: 'hexagon' as 'triangle' })).toThrow("unknown cell type 'hexagon' (known: triangle, quadrilateral)");
  });
  it('a given mesh of the wrong dimension, or with structured-mesh options', () => {
    expect(() => createFemSolver(star, { scheme: 'stabilized', mesh: intervalMesh(0, 1, 4) })).toThrow('mesh does not fit the problem domain [0,1]×[0,1]: the mesh is 1D, the problem is 2D');
    const mesh = rectangleMesh({ nx: 4, ny: 4 });
    expect(() => createFemSolver(star, { scheme: 'stabilized', mesh, n: 8 })).toThrow('n applies to structured meshes, not to a given mesh');
    expect(() => createFemSolver(star, { scheme: 'stabilized', mesh, diagonal: 'left' })).toThrow('diagonal applies to structured meshes, not to a given mesh');
    expect(() => createFemSolver(star, { scheme: 'stabilized', mesh, cellType: 'quadrilateral' })).toThrow(
      "cellType 'quadrilateral' does not match the given mesh's 'triangle' cells",
    );
  });
  it('periodic sides that do not match', () => {
    const mesh = rectangleMesh({ nx: 4, ny: 4 });
    // node (i = 4, j = 2) on x = 1 moves from y = 0.5 to y = 0.55: its xmin partner (node 10) is orphaned
    (mesh.nodes as Float64Array)[2 * 14 + 1] = 0.55;
    const coarsening = makeProblem('coarsening', 'reduced');
    expect(() => createFemSolver(coarsening, { scheme: 'stabilized', mesh })).toThrow(
      'periodic sides xmin/xmax do not match: node 10 at (0, 0.5) on xmin has no partner on xmax',
    );
  });
  it('boundary sides without mesh nodes (a mesh that does not reach the box)', () => {
    // A mesh object is checked against the domain as a mesh file is (the box is not covered).
    const small = rectangleMesh({ nx: 4, ny: 4, min: [0, 0], max: [0.9, 1] });
    expect(() => createFemSolver(makeProblem('coarsening', 'reduced'), { scheme: 'stabilized', mesh: small })).toThrow(
      "mesh does not fit the problem domain [0,1]×[0,1]: the mesh's bounding box is [0,0.9]×[0,1]",
    );
    const dirichlet: ProblemConfig = { ...star, boundary: { ...star.boundary, xmax: { kind: 'dirichlet', value: 1 } } };
    expect(() => createFemSolver(dirichlet, { scheme: 'stabilized', mesh: small })).toThrow("mesh does not fit the problem domain [0,1]×[0,1]: the mesh's bounding box is [0,0.9]×[0,1]");
  });
  it('points outside the domain', async () => {
    const solver = createFemSolver(star, { scheme: 'stabilized' });
    await solver.initialise();
    expect(() => solver.sample(Float64Array.of(0.5, 0.5, 1.5, 0.2))).toThrow('point 1 (1.5, 0.2) is outside the mesh');
    const general = createFemSolver(star, { scheme: 'stabilized', mesh: rectangleMesh({ nx: 8, ny: 8 }) });
    await general.initialise();
    expect(() => general.sample(Float64Array.of(0.5, -0.01))).toThrow('point 0 (0.5, -0.01) is outside the mesh');
    const front = createFemSolver(makeProblem('front1d', 'reduced'), { scheme: 'stabilized' });
    await front.initialise();
    expect(() => front.sample(Float64Array.of(0, 1.25))).toThrow('point 1 (1.25) is outside the mesh');
  });
  it('restoring a foreign or mismatched state', async () => {
    const solver = createFemSolver(star, { scheme: 'stabilized' });
    await solver.initialise();
    const state = solver.saveState();
    expect(() => solver.restoreState({ ...state, kind: 'sdmm' })).toThrow("fem: cannot restore a 'sdmm' state");
    expect(() => solver.restoreState({ ...state, arrays: { u: new Float64Array(3) } })).toThrow('fem: state has 3 values of u, the space has 81 dofs');
    expect(() => solver.restoreState({ ...state, meta: { scheme: 'mms-newton' } })).toThrow(
      "fem: state is for scheme 'mms-newton', this solver runs 'stabilized'",
    );
  });
  it('step before initialise', async () => {
    const solver = createFemSolver(star, { scheme: 'stabilized' });
    await expect(solver.step()).rejects.toThrow('fem: step() before initialise()');
  });
});

describe('divergence', () => {
  it('an unstable run (stabilized with S = 0 and τ = 10 ε²/m) stops with DivergenceError naming the step', async () => {
    // Explicit ε⁻² f(uⁿ) with S = 0 amplifies the cubic: |u| grows without bound within a few steps.
    const p = { ...makeProblem('front1d', 'reduced', { tau: 0.025, tEnd: 2.5 }), initial: pointFunction((x) => 3 * Math.cos(3 * x[0])) };
    const solver = createFemSolver(p, { scheme: 'stabilized', stabilization: 0 });
    await solver.initialise();
    let error: unknown = null;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        await solver.step();
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).message).toMatch(/^step \d+: /);
    expect((error as DivergenceError).step).toBeGreaterThan(0);
  });
});

describe('save and restore', () => {
  for (const scheme of SCHEMES) {
    it(`${scheme}: restoring then stepping is bit-identical to not stopping`, async () => {
      const p = makeProblem('star', 'reduced', { n: 24 });
      const a = createFemSolver(p, { scheme }) as FemSolver;
      await a.initialise();
      for (let i = 0; i < 3; i++) await a.step();
      const state = a.saveState();
      const ref = [];
      for (let i = 0; i < 3; i++) ref.push(await a.step());
      const b = createFemSolver(p, { scheme }) as FemSolver;
      b.restoreState(state);
      expect(b.stepIndex).toBe(3);
      for (let i = 0; i < 3; i++) {
        const r = await b.step();
        const { wallMs: _w1, ...x } = r;
        const { wallMs: _w2, ...y } = ref[i];
        expect(x).toEqual(y);
      }
      expect(Array.from(b.values)).toEqual(Array.from(a.values));
    });
  }
});

describe('sampling and nodal values', () => {
  const rand = mulberry32(7);
  const points = new Float64Array(200).map(() => rand());
  const linear = (x: number, y: number) => 0.3 * x - 0.2 * y + 0.1;
  const withInitial = (p: ProblemConfig, initial: (x: number, y: number) => number): ProblemConfig => ({ ...p, initial: pointFunction((x) => initial(x[0], x[1] ?? 0)) });
  const cases: [string, () => FemSolver, (x: number, y: number) => number][] = [
    ['P1 structured (direct index)', () => createFemSolver(withInitial(makeProblem('star', 'reduced', { n: 9 }), linear), { scheme: 'stabilized' }) as FemSolver, linear],
    [
      'P1 general mesh (bucket grid), crossed diagonals',
      () =>
        createFemSolver(withInitial(makeProblem('star', 'reduced'), linear), {
          scheme: 'stabilized',
          mesh: rectangleMesh({ nx: 7, ny: 5, diagonal: 'crossed-alternating' }),
        }) as FemSolver,
      linear,
    ],
    [
      'Q1 structured, bilinear u = xy + x',
      () => createFemSolver(withInitial(makeProblem('star', 'reduced', { n: 6 }), (x, y) => x * y + x), { scheme: 'stabilized', cellType: 'quadrilateral' }) as FemSolver,
      (x, y) => x * y + x,
    ],
    [
      'Q1 general mesh (bucket grid)',
      () =>
        createFemSolver(withInitial(makeProblem('star', 'reduced'), (x, y) => x * y + x), {
          scheme: 'stabilized',
          mesh: rectangleMesh({ nx: 5, ny: 8, cellType: 'quadrilateral' }),
        }) as FemSolver,
      (x, y) => x * y + x,
    ],
  ];
  for (const [name, make, exact] of cases) {
    it(`${name}: the interpolant of a function in the space is reproduced at 100 random points`, async () => {
      const solver = make();
      await solver.initialise();
      const u = solver.sample(points);
      for (let i = 0; i < 100; i++) expect(u[i]).toBeCloseTo(exact(points[2 * i], points[2 * i + 1]), 13);
    });
  }
  it('Q1 on a distorted mesh: sampling inverts the bilinear map (cell centres give the mean of the 4 nodal values)', async () => {
    const mesh = rectangleMesh({ nx: 6, ny: 6, cellType: 'quadrilateral' });
    const nodes = mesh.nodes as Float64Array;
    for (let i = 0; i < nodes.length; i += 2) {
      const s = Math.sin(2 * Math.PI * nodes[i]) * Math.sin(2 * Math.PI * nodes[i + 1]);
      nodes[i] += 0.06 * s;
      nodes[i + 1] -= 0.05 * s;
    }
    const solver = createFemSolver(withInitial(makeProblem('star', 'reduced'), (x, y) => Math.sin(3 * x) + y * y), { scheme: 'stabilized', mesh }) as FemSolver;
    await solver.initialise();
    const nodal = solver.nodalValues();
    const centres = new Float64Array(2 * 36);
    const expected = new Float64Array(36);
    for (let c = 0; c < 36; c++) {
      for (let a = 0; a < 4; a++) {
        const n = mesh.cells[4 * c + a];
        centres[2 * c] += 0.25 * nodes[2 * n];
        centres[2 * c + 1] += 0.25 * nodes[2 * n + 1];
        expected[c] += 0.25 * nodal[n];
      }
    }
    const u = solver.sample(centres);
    for (let c = 0; c < 36; c++) expect(u[c]).toBeCloseTo(expected[c], 12);
    const atNodes = solver.sample(nodes);
    for (let i = 0; i < nodal.length; i++) expect(atNodes[i]).toBeCloseTo(nodal[i], 12);
  });
  it('1D: sampling the interpolant of 2x − 1 and nodal values', async () => {
    const solver = createFemSolver(withInitial(makeProblem('front1d', 'reduced', { n: 80 }), (x) => 2 * x - 1), { scheme: 'stabilized' }) as FemSolver;
    await solver.initialise();
    const x = Float64Array.of(-1, -0.333, 0.1, 1);
    expect(Array.from(solver.sample(x)).map((v) => +v.toFixed(12))).toEqual([-3, -1.666, -0.8, 1]);
    const nodal = solver.nodalValues!();
    expect(nodal.length).toBe(81);
    expect(nodal[80]).toBeCloseTo(1, 14);
  });
  it('periodic problems: one dof per periodic node class, nodal values repeat across sides', async () => {
    const solver = createFemSolver(makeProblem('coarsening', 'reduced', { n: 16 }), { scheme: 'stabilized' }) as FemSolver;
    await solver.initialise();
    expect(solver.space.nDofs).toBe(16 * 16);
    const nodal = solver.nodalValues();
    for (let j = 0; j <= 16; j++) expect(nodal[j * 17 + 16]).toBe(nodal[j * 17]);
    for (let i = 0; i <= 16; i++) expect(nodal[16 * 17 + i]).toBe(nodal[i]);
    expect(solver.describe()).toMatchObject({ solver: 'fem', scheme: 'stabilized', dofs: 256, cells: 512, element: 'P1-triangle' });
  });
});

describe('phaseArea', () => {
  it('is exact for a straight zero line: P1 (any diagonal), Q1 sub-cell rule, 1D', () => {
    for (const mesh of [
      rectangleMesh({ nx: 7, ny: 5 }),
      rectangleMesh({ nx: 7, ny: 5, diagonal: 'left' }),
      rectangleMesh({ nx: 7, ny: 5, cellType: 'quadrilateral' }),
    ]) {
      const space = new FunctionSpace(mesh);
      expect(phaseArea(space, interpolate(space, (x) => x[0] - 0.3))).toBeCloseTo(0.7, 13);
      expect(phaseArea(space, interpolate(space, (x) => x[0] + 2 * x[1] - 1))).toBeCloseTo(0.75, 13);
      expect(phaseArea(space, interpolate(space, () => -1))).toBe(0);
      expect(phaseArea(space, interpolate(space, () => 1))).toBeCloseTo(1, 13);
    }
    const line = new FunctionSpace(intervalMesh(-1, 1, 9));
    expect(phaseArea(line, interpolate(line, (x) => x[0] - 0.25))).toBeCloseTo(0.75, 13);
  });
  it('converges to πR² for a disk of radius 0.3 (second order in h)', () => {
    const errors = [16, 32, 64].map((n) => {
      const space = new FunctionSpace(rectangleMesh({ nx: n, ny: n }));
      const u = interpolate(space, (x) => 0.3 - Math.hypot(x[0] - 0.5, x[1] - 0.5));
      return Math.abs(phaseArea(space, u) - Math.PI * 0.09);
    });
    // measured: 2.0e-3, 5.0e-4, 1.3e-4 (the error is that of the polygonal zero line, O(h²))
    expect(errors[2]).toBeLessThan(1.6e-4);
    expect(Math.log2(errors[0] / errors[2]) / 2).toBeGreaterThan(1.9);
  });
});

describe('the scheme table', () => {
  it('every scheme builds from its entry with its default linear solver, and its parameters are FEM options with their defaults', () => {
    const star = makeProblem('star', 'reduced', { n: 8 });
    expect(FEM_SCHEMES).toEqual(['mms-newton', 'stabilized', 'convex-split']);
    for (const name of FEM_SCHEMES) {
      const entry = TIME_SCHEMES[name];
      const d = createFemSolver(star, { scheme: name }).describe();
      expect(d).toMatchObject({ scheme: name, linearSolver: entry.defaultLinearSolver, unknowns: 81, backend: 'js (float64)', precision: 'float64' });
      for (const [key, field] of Object.entries(entry.parameters)) {
        expect(FEM_OPTIONS.shape).toHaveProperty(key);
        expect(d[key]).toBe((field as { parse(v: unknown): unknown }).parse(undefined)); // the declared default reaches the solver
      }
    }
    expect(TIME_SCHEMES.stabilized.defaultLinearSolver).toBe('cholesky');
  });
});
