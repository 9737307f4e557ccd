import type { ProblemConfig } from './physics/problems.js';
import type { Mesh } from './mesh/mesh.js';

/**
 * The interface both solvers implement (DESIGN.md §4), so the CLI, the benchmark runner, the
 * stability checker and the writers never special-case one.
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

/** Serializable solver state for checkpoints: typed arrays plus JSON metadata. */
export interface SolverState {
  kind: string;
  step: number;
  t: number;
  arrays: Record<string, Float64Array | Float32Array>;
  meta: Record<string, unknown>;
}

export interface GradientFlowSolver {
  /** 'fem' or 'sdmm'. */
  readonly kind: string;
  readonly problem: ProblemConfig;
  /** Set up the initial state (FEM: interpolate u₀; SDMM: fit u₀) and report it as step 0. */
  initialise(): Promise<StepRecord>;
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
  /** Configuration and size (unknowns or parameters) for summary.json. JSON-safe. */
  describe(): Record<string, unknown>;
  /**
   * Optional (mesh-based solvers): the mesh whose nodes carry the unknowns. The runner then
   * writes final.csv at the mesh nodes and VTU files on this mesh (unless a grid is asked for).
   */
  mesh?(): Mesh;
  /** Optional: u at the mesh nodes (layout out[i] for node i), cheaper and exact vs sample(). */
  nodalValues?(out?: Float64Array): Float64Array;
  /** Optional (points without connectivity): the solver's own points, layout points[dim·i + k]. */
  nodes?(): Float64Array;
  saveState(): SolverState;
  restoreState(state: SolverState): void;
  /** Release resources (tensors). */
  dispose(): void;
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
