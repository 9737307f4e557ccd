import type { ProblemConfig } from '../physics/problems.js';

export const SDMM_ACTIVATIONS = ['tanh', 'gelu', 'sin'] as const;
export const SDMM_OPTIMIZERS = ['lbfgs', 'adam'] as const;
export const SDMM_BACKENDS = ['auto', 'js', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * Default fit tolerance (relative MSE) on a float64 engine ('js'): working precision where the network
 * can represent u₀ (DESIGN.md §2).
 */
export const FIT_TOLERANCE_FLOAT64 = 1e-8;
/**
 * Default fit tolerance on a float32 engine (TensorFlow.js): float32 rounding of s = Σ_k X_k Y_k and of
 * the misfit's gradient stalls the final L-BFGS phase around relative MSE 1e-7–1e-6 (measured on the
 * reduced star and circle, wasm and cpu backends), so 1e-8 is not reachable there.
 */
export const FIT_TOLERANCE_FLOAT32 = 1e-6;

/**
 * Options of the SDMM solver (separable deep minimizing movement, Mattey & Ghosh,
 * arXiv 2405.06119). Every field has a documented default (`defaultSdmmOptions`); user input is
 * validated once, here, with one-line messages naming the field.
 */
export interface SdmmOptions {
  /** Rank r: number of separable features per axis, u = tanh(α Σ_{k<r} X_k(x) Y_k(y)). Default 16. */
  rank: number;
  /** Hidden width of each per-axis MLP. Default 32. */
  width: number;
  /** Number of hidden layers of each per-axis MLP (≥ 1). Default 2. */
  depth: number;
  /** Hidden activation σ. Default 'tanh'. */
  activation: (typeof SDMM_ACTIVATIONS)[number];
  /** Output scale α in u = tanh(α Σ X_k Y_k). Default 1. */
  alpha: number;
  /** Whether α is a trained parameter (the last entry of θ). Default false. */
  trainAlpha: boolean;
  /** tanh bounding on (default, |u| < 1 by construction) or off (u = α Σ X_k Y_k), to measure its effect. */
  bound: boolean;
  /** n_e: composite Gauss–Legendre elements per axis. Default problem.n. */
  quadElements: number;
  /** q: Gauss points per element. Default 2 (as in the authors' code). */
  quadPoints: number;
  /** Optimizer of each time step. Default 'lbfgs'. */
  optimizer: (typeof SDMM_OPTIMIZERS)[number];
  /** Iteration cap per time step. Default 500. */
  maxIters: number;
  /**
   * Stop a step when an iteration's decrease of Jₙ is at most tol times the step's own decrease so
   * far, Jₙ(θ_{k−1}) − Jₙ(θ_k) ≤ tol (Jₙ(θⁿ) − Jₙ(θ_k)) (independent of the size of Jₙ). Default 1e-7.
   */
  tol: number;
  /**
   * Stop a step when ‖∇_θ Jₙ‖ ≤ gradTol · ‖∇_θ Jₙ(θⁿ)‖ (the gradient norm relative to the step's
   * start, whose size is set by the problem: ∇_θ E at θⁿ). 0 disables. Default 1e-5.
   */
  gradTol: number;
  /** Keep the L-BFGS curvature history across time steps (warm start) instead of resetting it. Default true. */
  keepHistory: boolean;
  /** Adam learning rate (steps with optimizer 'adam'; the initial fit does not use Adam). Default 1e-3. */
  learningRate: number;
  /** L-BFGS history size (curvature pairs kept). Default 20. */
  historySize: number;
  /**
   * Required relative mean squared error of the initial-condition fit on the quadrature grid,
   * mean (u_θ − u₀)² / mean u₀² (for a ±1 field about the plain MSE). Default FIT_TOLERANCE_FLOAT64
   * (1e-8) on the float64 engine, FIT_TOLERANCE_FLOAT32 (1e-6) on a float32 (TensorFlow.js) engine.
   */
  fitTolerance: number;
  /** Iteration cap of each L-BFGS phase of the initial fit (each axis regression, then the MSE of u). Default 2000. */
  fitMaxIters: number;
  /** Seed of the Glorot initialisation. Default: the problem's seed. */
  seed: number;
  /**
   * Engine: 'js' is the float64 CPU engine; 'tensorflow', 'wasm', 'cpu' are TensorFlow.js backends
   * (float32); 'auto' takes tfjs-node-gpu / tfjs-node when installed (an accelerator), else 'js'.
   * Default 'auto'.
   */
  backend: (typeof SDMM_BACKENDS)[number];
  /** Threads of the 'js' engine; 0 = automatic (one per core on grids large enough to gain). Default 0. */
  threads: number;
}

/** Thrown for invalid SDMM options; `message` is one line naming the field. */
export class SdmmOptionsError extends Error {
  override name = 'SdmmOptionsError';
}

/** The defaults for a given problem (quadElements = problem.n, seed = problem.seed). */
export function defaultSdmmOptions(problem: Pick<ProblemConfig, 'n' | 'seed'>): SdmmOptions {
  return {
    rank: 16,
    width: 32,
    depth: 2,
    activation: 'tanh',
    alpha: 1,
    trainAlpha: false,
    bound: true,
    quadElements: problem.n,
    quadPoints: 2,
    optimizer: 'lbfgs',
    maxIters: 500,
    tol: 1e-7,
    gradTol: 1e-5,
    keepHistory: true,
    learningRate: 1e-3,
    historySize: 20,
    fitTolerance: FIT_TOLERANCE_FLOAT64,
    fitMaxIters: 2000,
    seed: problem.seed,
    backend: 'auto',
    threads: 0,
  };
}

const KNOWN = new Set(Object.keys(defaultSdmmOptions({ n: 1, seed: 1 })));

function positiveInteger(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new SdmmOptionsError(`${field} must be a positive integer, got ${String(v)}`);
  }
}

function positiveNumber(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new SdmmOptionsError(`${field} must be a positive number, got ${String(v)}`);
  }
}

function oneOf(field: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new SdmmOptionsError(`${field} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  }
}

function boolean(field: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new SdmmOptionsError(`${field} must be true or false, got ${String(v)}`);
}

/** Merge user options over the defaults and validate every field (throws SdmmOptionsError). */
export function resolveSdmmOptions(problem: ProblemConfig, options: Partial<SdmmOptions> = {}): SdmmOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new SdmmOptionsError(`unknown SDMM option '${key}' (known: ${[...KNOWN].join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: SdmmOptions = { ...defaultSdmmOptions(problem), ...defined };
  positiveInteger('rank', o.rank);
  positiveInteger('width', o.width);
  positiveInteger('depth', o.depth);
  oneOf('activation', o.activation, SDMM_ACTIVATIONS);
  if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha) || o.alpha === 0) {
    throw new SdmmOptionsError(`alpha must be a finite non-zero number, got ${String(o.alpha)}`);
  }
  boolean('trainAlpha', o.trainAlpha);
  boolean('bound', o.bound);
  positiveInteger('quadElements', o.quadElements);
  positiveInteger('quadPoints', o.quadPoints);
  oneOf('optimizer', o.optimizer, SDMM_OPTIMIZERS);
  positiveInteger('maxIters', o.maxIters);
  if (typeof o.tol !== 'number' || !Number.isFinite(o.tol) || o.tol < 0) {
    throw new SdmmOptionsError(`tol must be a non-negative number, got ${String(o.tol)}`);
  }
  if (typeof o.gradTol !== 'number' || !Number.isFinite(o.gradTol) || o.gradTol < 0) {
    throw new SdmmOptionsError(`gradTol must be a non-negative number, got ${String(o.gradTol)}`);
  }
  boolean('keepHistory', o.keepHistory);
  positiveNumber('learningRate', o.learningRate);
  positiveInteger('historySize', o.historySize);
  positiveNumber('fitTolerance', o.fitTolerance);
  positiveInteger('fitMaxIters', o.fitMaxIters);
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) {
    throw new SdmmOptionsError(`seed must be an integer, got ${String(o.seed)}`);
  }
  oneOf('backend', o.backend, SDMM_BACKENDS);
  if (typeof o.threads !== 'number' || !Number.isInteger(o.threads) || o.threads < 0) {
    throw new SdmmOptionsError(`threads must be a non-negative integer (0 = automatic), got ${String(o.threads)}`);
  }
  return o;
}
