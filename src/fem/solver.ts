import type { CsrMatrix } from '../linalg/csr.js';
import { type Diagonal, intervalMesh, rectangleMesh } from '../mesh/generators.js';
import { type CellType, type Mesh, cellCount, maxCellDiameter } from '../mesh/mesh.js';
import { readGmshFile } from '../io/gmsh.js';
import { checkMeshFitsDomain } from '../mesh/validate.js';
import { parseOptions } from '../options.js';
import { checkMeshCounts, LimitError } from '../util/limits.js';
import { stepCount, type ProblemConfig } from '../physics/problems.js';
import type { Resolution } from '../physics/resolution.js';
import { StepFunctional } from '../physics/step-functional.js';
import { DivergenceError, type GradientFlowSolver, type SolverDescription, type SolverState, type StepRecord } from '../solver.js';
import { applyDirichletValues, assembleMass, assembleStiffness, interpolate, valuesAtQuadrature } from './assembly.js';
import { EnergyWorkspace, femEnergy } from './functional.js';
import { makeLinearSolver } from './linear.js';
import { PointLocator, type StructuredLayout } from './locate.js';
import { FEM_OPTIONS, type FemOptions, type FemSettings } from './options.js';
import { createScheme, TIME_SCHEMES, type SchemeContext, type TimeScheme } from './schemes/index.js';
import { FemSetupError, FunctionSpace } from './space.js';

function fail(message: string): never {
  throw new FemSetupError(message);
}

function checkPositive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) fail(`${name} must be a positive number, got ${v}`);
}

/**
 * Validate FemOptions at the boundary (one-line FemSetupError messages): every field against
 * FEM_OPTIONS (which also fills in the defaults), then what depends on the problem and on several
 * fields (a mesh of the right dimension, options that apply to structured meshes only).
 * Returns the validated settings and the mesh object, read from `meshFile` if given.
 */
export function validateFemOptions(problem: ProblemConfig, options: FemOptions = {}): { settings: FemSettings; mesh: Mesh | undefined } {
  if (typeof problem !== 'object' || problem === null) fail(`problem must be a problem from makeProblem, got ${String(problem)}`);
  options ??= {};
  if (typeof options !== 'object' || Array.isArray(options)) fail(`FEM options must be an object, got ${JSON.stringify(options)}`);
  const { mesh: meshObject, ...fields } = options;
  const settings = parseOptions(FEM_OPTIONS, fields, 'FEM', (m) => new FemSetupError(m));
  checkPositive('epsilon', problem.epsilon);
  checkPositive('mobility', problem.mobility);
  checkPositive('tau', problem.tau);
  try {
    stepCount(problem); // T a whole number of steps, at most LIMITS.plannedSteps (a problem built by hand, too)
  } catch (err) {
    if (err instanceof LimitError) fail(err.message);
    throw err;
  }
  if (problem.dim === 1 && (options.cellType !== undefined || options.diagonal !== undefined)) {
    fail(`${options.cellType !== undefined ? 'cellType' : 'diagonal'} applies to 2D meshes; problem '${problem.name}' is 1D`);
  }
  if (meshObject && settings.meshFile !== undefined) fail('mesh and meshFile are mutually exclusive');
  if (meshObject) {
    // A mesh object gets the checks a mesh file gets: its size, and that it fits the domain.
    try {
      checkMeshCounts('mesh', { nodes: meshObject.nodes.length / meshObject.dim });
      checkMeshFitsDomain(meshObject, problem.domain, 'mesh');
    } catch (err) {
      fail((err as Error).message);
    }
  }
  if (settings.meshFile === undefined && !meshObject) {
    // The structured mesh: (n+1)^dim nodes and n^dim (quadrilaterals) or 2n² (triangles) cells, bounded before anything is built.
    const n = settings.n ?? problem.n;
    const cells = problem.dim === 1 ? n : settings.cellType === 'quadrilateral' ? n * n : 2 * n * n;
    try {
      checkMeshCounts(`n ${n}`, { nodes: (n + 1) ** problem.dim, cells });
    } catch (err) {
      if (err instanceof LimitError) fail(err.message);
      throw err;
    }
  }
  let mesh = meshObject;
  if (settings.meshFile !== undefined) {
    mesh = readGmshFile(settings.meshFile);
    checkMeshFitsDomain(mesh, problem.domain, settings.meshFile);
  }
  if (mesh) {
    if (mesh.dim !== problem.dim) fail(`the mesh is ${mesh.dim}D but problem '${problem.name}' is ${problem.dim}D`);
    if (options.n !== undefined) fail('n applies to structured meshes, not to a given mesh');
    if (options.diagonal !== undefined) fail('diagonal applies to structured meshes, not to a given mesh');
    if (options.cellType !== undefined && options.cellType !== mesh.cellType) {
      fail(`cellType '${options.cellType}' does not match the given mesh's '${mesh.cellType}' cells`);
    }
  }
  return { settings, mesh };
}

/**
 * Build the finite-element reference solver (P1 intervals/triangles or Q1 quadrilaterals) for a
 * problem. Validates the options (in the FemSolver constructor), then precomputes everything that does not change: mesh,
 * geometry at the quadrature points, dof map, CSR pattern and scatter map, M, K, the scheme's
 * constant matrices and the point locator.
 */
export function createFemSolver(problem: ProblemConfig, options: FemOptions = {}): GradientFlowSolver {
  return new FemSolver(problem, options);
}

/** The FEM implementation of GradientFlowSolver. */
export class FemSolver implements GradientFlowSolver {
  readonly kind = 'fem';
  readonly space: FunctionSpace;
  readonly M: CsrMatrix;
  readonly K: CsrMatrix;
  /** Jₙ: the physics every scheme discretises (potential, ε, m, τ, source, metric). */
  readonly functional: StepFunctional;
  private readonly scheme: TimeScheme;
  private readonly locator: PointLocator;
  /** The mesh size max_K diam(K), compared with ε by the run layer (src/physics/resolution.ts). */
  private readonly resolution: Resolution;
  private readonly work: EnergyWorkspace;
  private u: Float64Array;
  private uNew: Float64Array;
  private readonly increment: Float64Array;
  private uqOld: Float64Array;
  private readonly sourceQ: Float64Array | null;
  private readonly xq: Float64Array | null;
  private readonly settings: Omit<FemSettings, 'n' | 'cellType' | 'meshFile' | 'linearSolver'> & { n: number | null; cellType: CellType; diagonal: Diagonal; linearSolver: string };
  /** The step index n of the current state uⁿ (the resolution is settings.n). */
  private stepNo = 0;
  private initialised = false;
  private readonly xiScratch = new Float64Array(2);
  private readonly pointScratch = new Float64Array(3);
  private readonly phiScratch = new Float64Array(4);

  constructor(
    readonly problem: ProblemConfig,
    options: FemOptions = {},
  ) {
    const { settings, mesh: given } = validateFemOptions(problem, options);
    const cellType = settings.cellType ?? 'triangle';
    const diagonal = settings.diagonal ?? 'right';
    let mesh: Mesh;
    let structured: StructuredLayout | undefined;
    const n = settings.n ?? problem.n;
    const { min, max } = problem.domain;
    if (given) mesh = given;
    else if (problem.dim === 1) {
      mesh = intervalMesh(min[0], max[0], n);
      structured = { nx: n, ny: 1, min, max };
    } else {
      mesh = rectangleMesh({ nx: n, ny: n, min: [min[0], min[1]], max: [max[0], max[1]], cellType, diagonal });
      structured = { nx: n, ny: n, min, max };
    }
    const scheme = TIME_SCHEMES[settings.scheme];
    this.settings = {
      scheme: settings.scheme,
      n: given ? null : n,
      cellType: mesh.cellType,
      diagonal,
      stabilization: settings.stabilization,
      newtonTolerance: settings.newtonTolerance,
      maxNewtonIterations: settings.maxNewtonIterations,
      linearSolver: settings.linearSolver ?? scheme.defaultLinearSolver,
      linearTolerance: settings.linearTolerance,
    };
    this.functional = new StepFunctional(problem);
    this.space = new FunctionSpace(mesh, problem);
    this.M = assembleMass(this.space);
    this.K = assembleStiffness(this.space);
    const ctx: SchemeContext = {
      functional: this.functional,
      space: this.space,
      M: this.M,
      K: this.K,
      linear: makeLinearSolver(this.settings.linearSolver, this.space.nDofs, this.settings.linearTolerance, this.space.dofCoordinates(), mesh.dim),
      linearTolerance: this.settings.linearTolerance,
    };
    this.scheme = createScheme(settings.scheme, ctx, settings);
    this.locator = new PointLocator(mesh, structured);
    // What refines the mesh: the structured mesh's n, or a finer mesh file / mesh object.
    const refine = given ? [settings.meshFile !== undefined ? 'meshFile' : 'mesh'] : ['n'];
    this.resolution = { h: maxCellDiameter(mesh), of: 'mesh: largest cell diameter', refine };
    this.work = new EnergyWorkspace(this.space.basis);
    const nd = this.space.nDofs;
    this.u = new Float64Array(nd);
    this.uNew = new Float64Array(nd);
    this.increment = new Float64Array(nd);
    this.uqOld = new Float64Array(this.work.uq.length);
    if (problem.source) {
      this.xq = this.space.basis.quadraturePoints();
      this.sourceQ = new Float64Array(this.work.uq.length);
    } else {
      this.xq = null;
      this.sourceQ = null;
    }
  }

  get stepIndex(): number {
    return this.stepNo;
  }

  get time(): number {
    return this.stepNo * this.problem.tau;
  }

  /** Current nodal values (one per dof; do not modify). */
  get values(): Float64Array {
    return this.u;
  }

  async initialise(): Promise<StepRecord> {
    const t0 = performance.now();
    interpolate(this.space, this.problem.initial, this.u);
    applyDirichletValues(this.space, this.u);
    this.increment.fill(0);
    this.stepNo = 0;
    this.initialised = true;
    const energy = femEnergy(this.space, this.u, this.functional, this.work);
    this.range(this.u, 0);
    const { minU, maxU } = this;
    return { step: 0, t: 0, energy, movement: 0, iterations: 0, linearIterations: 0, wallMs: performance.now() - t0, minU, maxU, stopReason: 'initial' };
  }

  async step(): Promise<StepRecord> {
    if (!this.initialised) throw new Error('fem: step() before initialise()');
    const t0 = performance.now();
    const p = this.problem;
    const next = this.stepNo + 1;
    const t = next * p.tau;
    if (this.sourceQ && this.xq) {
      // Jₙ carries −(1/m) ∫ s u (StepFunctional.scaledSource): schemes get s/m at the points.
      const dim = p.dim;
      const x = this.pointScratch;
      for (let i = 0; i < this.sourceQ.length; i++) {
        for (let k = 0; k < dim; k++) x[k] = this.xq[i * dim + k];
        this.sourceQ[i] = this.functional.scaledSource(x, t);
      }
    }
    // uⁿ at the quadrature points becomes uqOld; the other buffer receives uⁿ⁺¹ (no copy).
    const spare = this.uqOld;
    this.uqOld = this.work.uq;
    this.work.uq = spare;
    let res;
    try {
      res = this.scheme.step(this.u, this.uqOld, this.sourceQ, this.increment, this.uNew, this.work);
    } catch (e) {
      if (e instanceof DivergenceError) throw new DivergenceError(`step ${next}: ${e.message}`, next);
      throw e;
    }
    this.range(this.uNew, next);
    const minU = this.minU;
    const maxU = this.maxU;
    if (!res.uqValid) valuesAtQuadrature(this.work.uq, this.space, this.space.basis, this.uNew);
    const energy = femEnergy(this.space, this.uNew, this.functional, this.work, true);
    const movement = this.functional.movement(this.space.basis.detJw, this.work.uq, this.uqOld);
    if (!Number.isFinite(energy) || !Number.isFinite(movement)) {
      throw new DivergenceError(`step ${next}: energy ${energy}, movement ${movement}`, next);
    }
    for (let i = 0; i < this.u.length; i++) this.increment[i] = this.uNew[i] - this.u[i];
    const sw = this.u;
    this.u = this.uNew;
    this.uNew = sw;
    this.stepNo = next;
    return {
      step: next,
      t,
      energy,
      movement,
      iterations: res.iterations,
      linearIterations: res.linearIterations,
      wallMs: performance.now() - t0,
      minU,
      maxU,
      stopReason: res.stopReason,
    };
  }

  private minU = 0;
  private maxU = 0;

  /** min and max of u into this.minU/maxU; DivergenceError on NaN or ±Inf. */
  private range(u: Float64Array, step: number): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < u.length; i++) {
      const v = u[i];
      if (!(v >= lo)) {
        if (Number.isNaN(v) || v === -Infinity) throw new DivergenceError(`step ${step}: u is ${v} at dof ${i}`, step);
        lo = v;
      }
      if (v > hi) {
        if (v === Infinity) throw new DivergenceError(`step ${step}: u is ${v} at dof ${i}`, step);
        hi = v;
      }
    }
    this.minU = lo;
    this.maxU = hi;
  }

  sample(points: Float64Array, out?: Float64Array): Float64Array {
    const dim = this.problem.dim;
    const count = Math.floor(points.length / dim);
    const res = out ?? new Float64Array(count);
    const { nLoc, cellDofs, element } = this.space;
    const xi = this.xiScratch;
    const phi = this.phiScratch;
    for (let i = 0; i < count; i++) {
      const x = points[i * dim];
      const y = dim === 2 ? points[i * dim + 1] : 0;
      const c = this.locator.locate(x, y, xi);
      if (c < 0) {
        const where = dim === 2 ? `(${x}, ${y})` : `(${x})`;
        throw new RangeError(`point ${i} ${where} is outside the mesh`);
      }
      element.values(xi, phi);
      let s = 0;
      for (let a = 0; a < nLoc; a++) s += phi[a] * this.u[cellDofs[c * nLoc + a]];
      res[i] = s;
    }
    return res;
  }

  mesh(): Mesh {
    return this.space.mesh;
  }

  /** u at the mesh nodes: out[node] = u[dofOfNode[node]] (periodic images share a value). */
  nodalValues(out?: Float64Array): Float64Array {
    const map = this.space.dofOfNode;
    const res = out ?? new Float64Array(map.length);
    for (let i = 0; i < map.length; i++) res[i] = this.u[map[i]];
    return res;
  }

  describe(): SolverDescription {
    const mesh = this.space.mesh;
    return {
      solver: 'fem',
      unknowns: this.space.nDofs,
      backend: 'js (float64)',
      precision: 'float64',
      threads: 1,
      ...this.settings,
      element: this.space.element.name,
      cellType: mesh.cellType,
      cells: cellCount(mesh),
      dofs: this.space.nDofs,
      quadraturePointsPerCell: this.space.basis.nQ,
      resolution: this.resolution,
    };
  }

  /** u and the last increment (the next step's warm start), so a resumed run is bit-identical. */
  saveState(): SolverState {
    return {
      kind: 'fem',
      step: this.stepNo,
      t: this.time,
      arrays: { u: Float64Array.from(this.u), increment: Float64Array.from(this.increment) },
      meta: { scheme: this.settings.scheme, dofs: this.space.nDofs },
    };
  }

  /** Continue from saveState() of an FEM solver with the same scheme and number of dofs. */
  restoreState(state: SolverState): void {
    if (state.kind !== 'fem') throw new Error(`fem: cannot restore a '${state.kind}' state`);
    if (state.meta.scheme !== this.settings.scheme) throw new Error(`fem: state is for scheme '${String(state.meta.scheme)}', this solver runs '${this.settings.scheme}'`);
    const { u, increment } = state.arrays;
    const nd = this.space.nDofs;
    if (!u || u.length !== nd) throw new Error(`fem: state has ${u ? u.length : 'no'} values of u, the space has ${nd} dofs`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`fem: state step must be a non-negative integer, got ${state.step}`);
    this.u.set(u);
    if (increment && increment.length === nd) this.increment.set(increment);
    else this.increment.fill(0);
    this.stepNo = state.step;
    valuesAtQuadrature(this.work.uq, this.space, this.space.basis, this.u);
    this.initialised = true;
  }

  dispose(): void {
    // Typed arrays only: nothing to release.
  }
}
