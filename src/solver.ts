import type { z } from 'zod';
import type { Mesh } from './mesh/mesh.js';
import type { OptionsSchema } from './options.js';
import type { ProblemConfig } from './physics/problems.js';
import type { Resolution } from './physics/resolution.js';

/**
 * The contract every solver implements (DESIGN.md §4), so the run layer, the stability checker,
 * the suite and the writers never special-case one, and the solver kind (options schema +
 * factory) through which the registry, the CLI and the suite create solvers.
 * This module stays low in the import graph: solvers import it, never the other way round.
 */

/** What one step (or the initial state, step 0) reports. Energies are float64. */
export interface StepRecord {
  /** 0 for the initial state, n after n steps. */
  step: number;
  /** Time t = n τ. */
  t: number;
  /** E(uⁿ). */
  energy: number;
  /** ‖uⁿ − uⁿ⁻¹‖²_{L²} / (2 m τ); 0 at step 0. */
  movement: number;
  /** Nonlinear/optimizer iterations this step (0 at step 0 unless the initial fit iterated). */
  iterations: number;
  /** Linear-solver iterations this step (FEM; 0 where not applicable). */
  linearIterations: number;
  /** Wall time of the step in milliseconds. */
  wallMs: number;
  /** min and max of u over the solver's own points (nodes or quadrature grid). */
  minU: number;
  maxU: number;
  /** Why the step's iteration stopped (e.g. 'converged', 'max-iters', 'rel-decrease', 'gradient'). */
  stopReason: string;
  /** Optional: the norm of the gradient the iteration drove down, at its final iterate (SDMM: ‖∇_θ Jₙ‖₂). */
  gradientNorm?: number;
}

/** Progress of a long set-up (e.g. the SDMM initial fit): its phase and iterations so far against the cap. */
export interface SolverProgress {
  phase: string;
  iterations: number;
  maxIterations: number;
}

/** Serializable solver state for checkpoints: typed arrays plus JSON metadata. */
export interface SolverState {
  kind: string;
  step: number;
  t: number;
  arrays: Record<string, Float64Array | Float32Array>;
  meta: Record<string, unknown>;
}

/**
 * Facts about a solver that the run layer records (summary.json, the suite's tables) without
 * knowing which solver it is.
 */
export interface SolverFacts {
  /** FEM degrees of freedom, SDMM trainable parameters. */
  unknowns?: number;
  /** What computes, e.g. 'js (float64)' for FEM, the TensorFlow.js backend for SDMM. */
  backend?: string;
  /** Floating-point precision of the solve (energies are always re-evaluated in float64). */
  precision?: 'float64' | 'float32';
  /** Threads the solver uses (1 when absent). */
  threads?: number;
  /** Versions of the libraries that do the work (merged into summary.json's `versions`). */
  versions?: Record<string, string>;
  /**
   * false for a solver whose steps are not minimizing-movement steps (SPINN samples one
   * space-time fit at each output time): an energy increase is then what the stability checker
   * reports about the method, not a divergence that stops the run. Default true.
   */
  stepsDissipate?: boolean;
  /**
   * The largest spacing h of the points the solver sees u at (FEM: largest cell diameter; SDMM:
   * largest gap between adjacent Gauss points; SPINN: collocation spacing in space), what it
   * measures and the options that refine it. The run layer compares it with ε generically
   * (src/physics/resolution.ts) and records a warning when h > ε.
   */
  resolution?: Resolution;
}

/** What `describe()` returns: the facts above plus the solver's own JSON-safe configuration. */
export interface SolverDescription extends SolverFacts {
  /** Solver name ('fem', 'sdmm', …). */
  solver?: string;
  [key: string]: unknown;
}

/**
 * A solver of the Allen–Cahn gradient flow as the run layer drives it: initialise (step 0), then
 * one step per call; sample u anywhere; save and restore its exact state for checkpoints.
 */
export interface GradientFlowSolver {
  /** The solver kind's name ('fem', 'sdmm', …): checkpoints record it. */
  readonly kind: string;
  readonly problem: ProblemConfig;
  /**
   * Set up the initial state (FEM: interpolate u₀; SDMM: fit u₀) and report it as step 0.
   * A solver whose set-up iterates (the SDMM fit) reports its progress through `onProgress`.
   */
  initialise(onProgress?: (progress: SolverProgress) => void): Promise<StepRecord>;
  /** Advance one minimizing movement step uⁿ → uⁿ⁺¹. Throws DivergenceError on NaN/Inf. */
  step(): Promise<StepRecord>;
  /** Current step index n and time t. */
  readonly stepIndex: number;
  readonly time: number;
  /**
   * u at arbitrary points. Layout: points[dim·i + k] (dim = problem.dim); returns out[i].
   * Points outside the domain are an error.
   */
  sample(points: Float64Array, out?: Float64Array): Float64Array;
  /** Configuration and typed facts (unknowns, backend, precision, …) for summary.json. JSON-safe. */
  describe(): SolverDescription;
  /**
   * Optional (mesh-based solvers): the mesh whose nodes carry the unknowns. The runner then
   * writes final.csv at the mesh nodes and VTU files on this mesh (unless a grid is asked for).
   */
  mesh?(): Mesh;
  /** Optional: u at the mesh nodes (layout out[i] for node i), cheaper and exact vs sample(). */
  nodalValues?(out?: Float64Array): Float64Array;
  /** The exact state (arrays and step/time) a checkpoint stores; restoring it resumes bit-identically. */
  saveState(): SolverState;
  /** Continue from a state written by saveState() of the same kind and settings (else throws). */
  restoreState(state: SolverState): void;
  /** Release resources (tensors). */
  dispose(): void;
}

/**
 * A solver kind: a name, the options (one zod schema: bounds, defaults, one-line docs; see
 * src/options.ts) and a factory. The registry (src/registry.ts) lists the kinds; the
 * `allen-cahn run` flags, their help and the suite's solver entries are generated from them, so
 * a new kind is one file exporting this plus one registry line.
 */
export interface SolverKind {
  readonly name: string;
  /** One line for help texts. */
  readonly description: string;
  readonly options: OptionsSchema;
  /** The option a resolution sweep varies and must set (FEM 'n', SDMM 'quadElements'). */
  readonly resolutionOption?: string;
  /** Pairs of options that cannot both be set, and why (the CLI and the suite check them). */
  readonly exclusive?: readonly (readonly [string, string, string])[];
  /** Short directory label of a configuration, from the options as written. */
  label(options: Record<string, unknown>, problemN: number): string;
  /** Family in time-to-accuracy tables (configurations that differ only in resolution). */
  family(options: Record<string, unknown>): string;
  /** Name of a run in messages and default output directories (e.g. 'fem-stabilized', 'sdmm'). */
  runName(options: Record<string, unknown>): string;
  /** Build a solver from options as written (validated here: one-line error; defaults filled in). */
  create(problem: ProblemConfig, options: Record<string, unknown>): GradientFlowSolver | Promise<GradientFlowSolver>;
}

/** A kind whose callbacks see its options' own types (z.input of the schema: as written). */
export interface SolverKindDefinition<S extends OptionsSchema> {
  readonly name: string;
  readonly description: string;
  readonly options: S;
  readonly resolutionOption?: keyof S['shape'] & string;
  readonly exclusive?: readonly (readonly [keyof S['shape'] & string, keyof S['shape'] & string, string])[];
  /** Short directory label of a configuration (default: the kind's name). */
  label?(options: z.input<S>, problemN: number): string;
  /** Family in time-to-accuracy tables (default: runName). */
  family?(options: z.input<S>): string;
  /** Name of a run in messages and output directories (default: the kind's name). */
  runName?(options: z.input<S>): string;
  /** Build a solver from validated options (defaults filled in). */
  create(problem: ProblemConfig, options: z.input<S>): GradientFlowSolver | Promise<GradientFlowSolver>;
}

/**
 * Type-check a kind against its own schema and return it as a registry entry (label and runName
 * default to the name, family to runName).
 */
export function defineSolverKind<S extends OptionsSchema>(kind: SolverKindDefinition<S>): SolverKind {
  return {
    name: kind.name,
    description: kind.description,
    options: kind.options,
    ...(kind.resolutionOption ? { resolutionOption: kind.resolutionOption } : {}),
    ...(kind.exclusive ? { exclusive: kind.exclusive } : {}),
    label: (o, n) => (kind.label ? kind.label(o as z.input<S>, n) : kind.name),
    runName: (o) => (kind.runName ? kind.runName(o as z.input<S>) : kind.name),
    family: (o) => (kind.family ? kind.family(o as z.input<S>) : kind.runName ? kind.runName(o as z.input<S>) : kind.name),
    create: (problem, o) => kind.create(problem, o as z.input<S>),
  };
}

/** A step produced NaN or Inf, or otherwise failed; the run stops and keeps what it wrote. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    message: string,
    readonly step: number,
  ) {
    super(message);
  }
}

/**
 * Points of a k×k (2D) or k (1D) uniform grid over the problem's box, including the boundary.
 * Layout: 2D point (i, j) at index i·k + j with x = min_x + i·h_x, y = min_y + j·h_y.
 */
export function uniformGrid(problem: Pick<ProblemConfig, 'dim' | 'domain'>, k: number): Float64Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`grid size must be an integer ≥ 2, got ${k}`);
  const { min, max } = problem.domain;
  if (problem.dim === 1) {
    const pts = new Float64Array(k);
    for (let i = 0; i < k; i++) pts[i] = min[0] + ((max[0] - min[0]) * i) / (k - 1);
    return pts;
  }
  const pts = new Float64Array(2 * k * k);
  for (let i = 0; i < k; i++) {
    const x = min[0] + ((max[0] - min[0]) * i) / (k - 1);
    for (let j = 0; j < k; j++) {
      pts[2 * (i * k + j)] = x;
      pts[2 * (i * k + j) + 1] = min[1] + ((max[1] - min[1]) * j) / (k - 1);
    }
  }
  return pts;
}
