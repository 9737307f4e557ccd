import type { CsrMatrix } from '../linalg/csr.js';
import { type Diagonal, intervalMesh, rectangleMesh } from '../mesh/generators.js';
import { type CellType, type Mesh, cellCount } from '../mesh/mesh.js';
import type { ProblemConfig } from '../physics/problems.js';
import { StepFunctional } from '../physics/step-functional.js';
import { DivergenceError, type GradientFlowSolver, type SolverState, type StepRecord } from '../solver.js';
import { applyDirichletValues, assembleMass, assembleStiffness, interpolate, valuesAtQuadrature } from './assembly.js';
import { EnergyWorkspace, femEnergy } from './functional.js';
import { LINEAR_SOLVERS, makeLinearSolver } from './linear.js';
import { PointLocator, type StructuredLayout } from './locate.js';
import { convexSplitScheme } from './schemes/convex-split.js';
import { mmsNewtonScheme } from './schemes/mms-newton.js';
import { stabilizedScheme } from './schemes/stabilized.js';
import type { SchemeContext, SchemeStepResult, TimeScheme } from './schemes/types.js';
import { FemSetupError, FunctionSpace } from './space.js';

export const FEM_SCHEMES = ['mms-newton', 'stabilized', 'convex-split'] as const;
export type FemScheme = (typeof FEM_SCHEMES)[number];

/** Options of the finite-element solver; every field but `scheme` has a documented default. */
export interface FemOptions {
  scheme: FemScheme;
  /** Cells per side of the structured mesh; default problem.n. Ignored with `mesh`. */
  n?: number;
  /** Use this mesh instead of a structured one (e.g. from a .msh file). */
  mesh?: Mesh;
  /** Structured 2D mesh: P1 triangles (default) or Q1 quadrilaterals. */
  cellType?: 'triangle' | 'quadrilateral';
  /** Structured triangles: how squares are split; default 'right'. */
  diagonal?: Diagonal;
  /** S of the stabilized scheme; default 1 (energy stable for S ≥ 1). */
  stabilization?: number;
  /** Relative ‖∇Jₙ‖ tolerance of Newton (mms-newton, convex-split); default 1e-8. */
  newtonTolerance?: number;
  /** Default 50. */
  maxNewtonIterations?: number;
  /**
   * One of LINEAR_SOLVERS. Default per scheme (FEM_DEFAULT_LINEAR_SOLVER): 'cholesky' for
   * `stabilized` (its matrix is constant: factored once, then two triangular solves per step),
   * 'pcg-ic0' for the Newton schemes (the Jacobian changes every iteration).
   */
  linearSolver?: string;
  /**
   * Relative residual tolerance of the iterative linear solves; default 1e-8. The Newton schemes
   * use it as the finest tolerance of their inexact-Newton forcing terms.
   */
  linearTolerance?: number;
}

export const FEM_DEFAULTS = {
  stabilization: 1,
  newtonTolerance: 1e-8,
  maxNewtonIterations: 50,
  linearTolerance: 1e-8,
  cellType: 'triangle' as const,
  diagonal: 'right' as const,
};

/** Default linear solver of each scheme (see FemOptions.linearSolver). */
export const FEM_DEFAULT_LINEAR_SOLVER: Record<FemScheme, string> = {
  'mms-newton': 'pcg-ic0',
  stabilized: 'cholesky',
  'convex-split': 'pcg-ic0',
};

function fail(message: string): never {
  throw new FemSetupError(message);
}

function checkPositive(name: string, v: number | undefined, integer = false): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    fail(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
}

/** Validate FemOptions at the boundary; one-line FemSetupError messages. */
export function validateFemOptions(problem: ProblemConfig, options: FemOptions): void {
  if (!(FEM_SCHEMES as readonly string[]).includes(options.scheme)) {
    fail(`unknown scheme '${options.scheme}' (known: ${FEM_SCHEMES.join(', ')})`);
  }
  checkPositive('epsilon', problem.epsilon);
  checkPositive('mobility', problem.mobility);
  checkPositive('tau', problem.tau);
  checkPositive('n', options.n, true);
  if (problem.dim === 1 && (options.cellType !== undefined || options.diagonal !== undefined)) {
    fail(`${options.cellType !== undefined ? 'cellType' : 'diagonal'} applies to 2D meshes; problem '${problem.name}' is 1D`);
  }
  if (options.stabilization !== undefined && !(options.stabilization >= 0 && Number.isFinite(options.stabilization))) {
    fail(`stabilization must be ≥ 0, got ${options.stabilization}`);
  }
  checkPositive('newtonTolerance', options.newtonTolerance);
  checkPositive('maxNewtonIterations', options.maxNewtonIterations, true);
  if (options.linearTolerance !== undefined && !(options.linearTolerance > 0 && options.linearTolerance < 1)) {
    fail(`linearTolerance must be in (0, 1), got ${options.linearTolerance}`);
  }
  if (options.linearSolver !== undefined && !(LINEAR_SOLVERS as readonly string[]).includes(options.linearSolver)) {
    fail(`unknown linear solver '${options.linearSolver}' (known: ${LINEAR_SOLVERS.join(', ')})`);
  }
  if (options.cellType !== undefined && options.cellType !== 'triangle' && options.cellType !== 'quadrilateral') {
    fail(`unknown cell type '${options.cellType}' (known: triangle, quadrilateral)`);
  }
  if (options.diagonal !== undefined && !['right', 'left', 'crossed-alternating'].includes(options.diagonal)) {
    fail(`unknown diagonal '${options.diagonal}' (known: right, left, crossed-alternating)`);
  }
  if (options.mesh) {
    const mesh = options.mesh;
    if (mesh.dim !== problem.dim) fail(`the mesh is ${mesh.dim}D but problem '${problem.name}' is ${problem.dim}D`);
    if (options.n !== undefined) fail('n applies to structured meshes, not to a given mesh');
    if (options.diagonal !== undefined) fail('diagonal applies to structured meshes, not to a given mesh');
    if (options.cellType !== undefined && options.cellType !== mesh.cellType) {
      fail(`cellType '${options.cellType}' does not match the given mesh's '${mesh.cellType}' cells`);
    }
  }
}

/**
 * Build the finite-element reference solver (P1 intervals/triangles or Q1 quadrilaterals) for a
 * problem. Validates the options (in the FemSolver constructor), then precomputes everything that does not change: mesh,
 * geometry at the quadrature points, dof map, CSR pattern and scatter map, M, K, the scheme's
 * constant matrices and the point locator.
 */
export function createFemSolver(problem: ProblemConfig, options: FemOptions): GradientFlowSolver {
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
  /** Details of the last step from the scheme (line-search halvings, Jₙ at start and end). */
  lastStep: SchemeStepResult | null = null;
  private readonly locator: PointLocator;
  private readonly work: EnergyWorkspace;
  private u: Float64Array;
  private uNew: Float64Array;
  private readonly increment: Float64Array;
  private uqOld: Float64Array;
  private readonly sourceQ: Float64Array | null;
  private readonly xq: Float64Array | null;
  private readonly settings: Required<Omit<FemOptions, 'mesh' | 'n' | 'cellType'>> & { n: number | null; cellType: CellType };
  private n = 0;
  private initialised = false;
  private readonly xiScratch = new Float64Array(2);
  private readonly phiScratch = new Float64Array(4);

  constructor(
    readonly problem: ProblemConfig,
    options: FemOptions,
  ) {
    validateFemOptions(problem, options);
    const cellType = options.cellType ?? FEM_DEFAULTS.cellType;
    const diagonal = options.diagonal ?? FEM_DEFAULTS.diagonal;
    let mesh: Mesh;
    let structured: StructuredLayout | undefined;
    const n = options.n ?? problem.n;
    const { min, max } = problem.domain;
    if (options.mesh) mesh = options.mesh;
    else if (problem.dim === 1) {
      mesh = intervalMesh(min[0], max[0], n);
      structured = { nx: n, ny: 1, min, max };
    } else {
      mesh = rectangleMesh({ nx: n, ny: n, min: [min[0], min[1]], max: [max[0], max[1]], cellType, diagonal });
      structured = { nx: n, ny: n, min, max };
    }
    this.settings = {
      scheme: options.scheme,
      n: options.mesh ? null : n,
      cellType: mesh.cellType,
      diagonal,
      stabilization: options.stabilization ?? FEM_DEFAULTS.stabilization,
      newtonTolerance: options.newtonTolerance ?? FEM_DEFAULTS.newtonTolerance,
      maxNewtonIterations: options.maxNewtonIterations ?? FEM_DEFAULTS.maxNewtonIterations,
      linearSolver: options.linearSolver ?? FEM_DEFAULT_LINEAR_SOLVER[options.scheme],
      linearTolerance: options.linearTolerance ?? FEM_DEFAULTS.linearTolerance,
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
      newtonTolerance: this.settings.newtonTolerance,
      maxNewtonIterations: this.settings.maxNewtonIterations,
    };
    switch (options.scheme) {
      case 'mms-newton':
        this.scheme = mmsNewtonScheme(ctx);
        break;
      case 'convex-split':
        this.scheme = convexSplitScheme(ctx);
        break;
      case 'stabilized':
        this.scheme = stabilizedScheme(ctx, this.settings.stabilization);
        break;
    }
    this.locator = new PointLocator(mesh, structured);
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
    return this.n;
  }

  get time(): number {
    return this.n * this.problem.tau;
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
    this.n = 0;
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
    const stepNo = this.n + 1;
    const t = stepNo * p.tau;
    if (this.sourceQ && this.xq) {
      // Jₙ carries −(1/m) ∫ s u (StepFunctional.scaledSource): schemes get s/m at the points.
      const dim = p.dim;
      for (let i = 0; i < this.sourceQ.length; i++) this.sourceQ[i] = this.functional.scaledSource(this.xq[i * dim], dim === 2 ? this.xq[i * dim + 1] : 0, t);
    }
    // uⁿ at the quadrature points becomes uqOld; the other buffer receives uⁿ⁺¹ (no copy).
    const spare = this.uqOld;
    this.uqOld = this.work.uq;
    this.work.uq = spare;
    let res;
    try {
      res = this.scheme.step(this.u, this.uqOld, this.sourceQ, this.increment, this.uNew, this.work);
    } catch (e) {
      if (e instanceof DivergenceError) throw new DivergenceError(`step ${stepNo}: ${e.message}`, stepNo);
      throw e;
    }
    this.lastStep = res;
    this.range(this.uNew, stepNo);
    const minU = this.minU;
    const maxU = this.maxU;
    if (!res.uqValid) valuesAtQuadrature(this.work.uq, this.space, this.space.basis, this.uNew);
    const energy = femEnergy(this.space, this.uNew, this.functional, this.work, true);
    const movement = this.functional.movement(this.space.basis.detJw, this.work.uq, this.uqOld);
    if (!Number.isFinite(energy) || !Number.isFinite(movement)) {
      throw new DivergenceError(`step ${stepNo}: energy ${energy}, movement ${movement}`, stepNo);
    }
    for (let i = 0; i < this.u.length; i++) this.increment[i] = this.uNew[i] - this.u[i];
    const sw = this.u;
    this.u = this.uNew;
    this.uNew = sw;
    this.n = stepNo;
    return {
      step: stepNo,
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

  describe(): Record<string, unknown> {
    const mesh = this.space.mesh;
    return {
      solver: 'fem',
      ...this.settings,
      element: this.space.element.name,
      cellType: mesh.cellType,
      cells: cellCount(mesh),
      dofs: this.space.nDofs,
      quadraturePointsPerCell: this.space.basis.nQ,
    };
  }

  saveState(): SolverState {
    return {
      kind: 'fem',
      step: this.n,
      t: this.time,
      arrays: { u: Float64Array.from(this.u), increment: Float64Array.from(this.increment) },
      meta: { scheme: this.settings.scheme, dofs: this.space.nDofs },
    };
  }

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
    this.n = state.step;
    valuesAtQuadrature(this.work.uq, this.space, this.space.basis, this.u);
    this.initialised = true;
  }

  dispose(): void {
    // Typed arrays only: nothing to release.
  }
}
