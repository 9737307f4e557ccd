import { z } from 'zod';
import { option, parseOptions } from '../options.js';
import { stepCount, type ProblemConfig } from '../physics/problems.js';
import { checkTotal, LimitError } from '../util/limits.js';

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
 * Resolution rule of the default quadrature: at least this many Gauss points per interface width ε
 * along every axis, i.e. quadElements ≥ ⌈POINTS_PER_EPSILON · L / (quadPoints · ε)⌉ for the longest
 * side L (never fewer elements than the problem's n). 5 is the density every catalogue problem
 * already has at its own n (star, circle, coarsening: 2 · 64 · 0.04 = 5.1; ac1d 5.4; paper star
 * 5.1), so the catalogue runs are unchanged and a smaller ε (e.g. --epsilon 0.01 on the reduced
 * star) gets a grid that resolves its interface (250 elements instead of 64) instead of one with
 * h > ε. Measured on the reduced star (benchmarks/README.md, "SDMM quadrature and aliasing"): a
 * denser grid alone does not cure the quadrature aliasing of converged depth-2 steps (128
 * elements: worse, not better), so the rule is about resolving ε, not about aliasing.
 */
export const POINTS_PER_EPSILON = 5;

/**
 * The default number of composite Gauss elements per axis for a problem: the problem's n, raised
 * to POINTS_PER_EPSILON Gauss points per ε on the longest side.
 */
export function defaultQuadElements(problem: Pick<ProblemConfig, 'n'> & Partial<Pick<ProblemConfig, 'epsilon' | 'domain'>>, quadPoints: number): number {
  const { n, epsilon, domain } = problem;
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !domain) return n;
  let L = 0;
  for (let a = 0; a < domain.min.length; a++) L = Math.max(L, domain.max[a] - domain.min[a]);
  // 1e-9 slack: 5 · 1 / (2 · 0.04) is 62.50000000000001 in floating point.
  return Math.max(n, Math.ceil((POINTS_PER_EPSILON * L) / (quadPoints * epsilon) - 1e-9));
}

/**
 * The default fit tolerance for a problem on an engine of the given precision: the engine's own
 * (FIT_TOLERANCE_FLOAT64 or FIT_TOLERANCE_FLOAT32), or the problem's `initialFitTolerance` where
 * its u₀ is not smooth and that is looser (ac1d: 1e-5, a kink at the periodic boundary).
 */
export function defaultFitTolerance(problem: Partial<Pick<ProblemConfig, 'initialFitTolerance'>>, precision: 'float64' | 'float32'): number {
  return Math.max(precision === 'float32' ? FIT_TOLERANCE_FLOAT32 : FIT_TOLERANCE_FLOAT64, problem.initialFitTolerance ?? 0);
}

/**
 * The options of the SDMM solver (separable deep minimizing movement, Mattey & Ghosh,
 * arXiv 2405.06119), declared once: bounds, defaults and one-line docs (src/options.ts
 * conventions). The library validates with it (resolveSdmmOptions below), the SDMM kind
 * (kind.ts) carries it, so `allen-cahn run` makes its SDMM flags from it and the suite its
 * `{ "kind": "sdmm", … }` entries. To add an option, add a
 * field here: it is then settable from the library, the CLI and the suite.
 */
export const SDMM_OPTIONS = z.strictObject({
  rank: option.positiveInteger('rank').default(16).meta({ description: 'rank r: separable features per axis, u = tanh(α Σ_k X_k(x) Y_k(y))', arg: 'r' }),
  width: option.positiveInteger('width').default(32).meta({ description: 'hidden width of each per-axis MLP', arg: 'w' }),
  depth: option.positiveInteger('depth').default(2).meta({ description: 'hidden layers of each per-axis MLP', arg: 'd' }),
  activation: option.oneOf(SDMM_ACTIVATIONS).default('tanh').meta({ description: 'hidden activation', arg: 'a' }),
  alpha: option.nonZero().default(1).meta({ description: 'output scale α in u = tanh(α Σ X_k Y_k)', arg: 'a' }),
  trainAlpha: option.boolean().default(false).meta({ description: 'train α (the last entry of θ)' }),
  bound: option.boolean().default(true).meta({ description: 'tanh bounding |u| < 1 (off: u = α Σ X_k Y_k, to measure its effect)' }),
  quadElements: option
    .positiveInteger('elementsPerSide')
    .optional()
    .meta({ description: "composite Gauss–Legendre elements per axis (default: the problem's n, raised to ≥ 5 Gauss points per ε)", arg: 'ne' }),
  quadPoints: option.positiveInteger('quadPointsPerAxis').default(2).meta({ description: 'Gauss points per element (2 as in the authors\' code)', arg: 'q' }),
  optimizer: option.oneOf(SDMM_OPTIMIZERS).default('lbfgs').meta({ description: 'optimizer of each time step', arg: 'o' }),
  maxIters: option.positiveInteger().default(500).meta({ description: 'iteration cap per time step', arg: 'k' }),
  tol: option
    .nonNegative()
    .default(1e-7)
    .meta({ description: "stop a step when an iteration's decrease of Jₙ is ≤ tol × the step's own decrease so far (independent of |Jₙ|)", arg: 't' }),
  gradTol: option
    .nonNegative()
    .default(1e-5)
    .meta({ description: "stop a step when ‖∇θ Jₙ‖ ≤ gradTol × ‖∇θ Jₙ‖ at the step's start (0 disables)", flag: 'grad-tol', arg: 'g' }),
  predictor: option
    .nonNegative('a number in [0, 1]')
    .max(1, { error: (i) => `must be a number in [0, 1], got ${String(i.input)}` })
    .default(0.9)
    .meta({
      description: "L-BFGS steps start from θⁿ + c (θⁿ − θⁿ⁻¹) when that lowers Jₙ (c = this; 0: from θⁿ); the stop rules are measured from θⁿ either way",
      arg: 'c',
    }),
  keepHistory: option.boolean().default(true).meta({ description: 'keep the L-BFGS curvature history across time steps (warm start) instead of resetting it' }),
  learningRate: option.positive().default(1e-3).meta({ description: 'Adam learning rate (steps with optimizer adam)', flag: 'lr', arg: 'rate' }),
  // 100 pairs (was 20), measured with the predictor (benchmarks/sdmm-speed.ts, idle, 2 threads): reduced
  // circle 775 instead of 1,195 L-BFGS iterations over 40 steps (1.28 s against 1.53 s, 0.071 % vs
  // 0.072 %), ac1d 419 instead of 1,565 (2.96 s against 6.79 s, 0.304 % vs 0.323 %); 5 MB of history and
  // checkpoint at 3,296 parameters.
  historySize: option.positiveInteger().default(100).meta({ description: 'L-BFGS history size (curvature pairs kept)', flag: 'history', arg: 'm' }),
  fitTolerance: option
    .positive()
    .optional()
    .meta({
      description:
        "initial-fit tolerance: relative MSE mean (u − u₀)² / mean u₀² on the quadrature grid (default 1e-8 on the float64 js engine, 1e-6 on float32 TensorFlow.js, or the problem's initialFitTolerance where its u₀ is not smooth and that is looser: ac1d 1e-5)",
      flag: 'fit-tol',
      arg: 'mse',
    }),
  fitMaxIters: option.positiveInteger().default(2000).meta({ description: 'iteration cap of each L-BFGS phase of the initial fit (each axis regression, then the MSE of u)', flag: 'fit-iters', arg: 'k' }),
  seed: option.integer().optional().meta({ description: "seed of the Glorot initialisation (default: the problem's seed)", sharedFlag: true }),
  backend: option
    .oneOf(SDMM_BACKENDS)
    .default('auto')
    .meta({ description: 'engine: js (float64 CPU) or a TensorFlow.js backend (float32); auto = tfjs-node(-gpu) when installed, else js', arg: 'b' }),
  threads: option
    .nonNegativeInteger(256)
    .default(0)
    .meta({ description: 'threads of the js engine (0: automatic, one per core on grids large enough to gain)', arg: 'k' }),
});


/** Options of the SDMM solver after validation: SDMM_OPTIONS with the problem-dependent defaults filled in. */
export type SdmmOptions = Omit<z.output<typeof SDMM_OPTIONS>, 'quadElements' | 'seed' | 'fitTolerance'> & {
  /** Required relative MSE of the initial fit. Default defaultFitTolerance(problem, precision): FIT_TOLERANCE_FLOAT64, FIT_TOLERANCE_FLOAT32 on a float32 engine (createSdmmSolver), or the problem's looser initialFitTolerance. */
  fitTolerance: number;
  /** n_e: composite Gauss–Legendre elements per axis. Default defaultQuadElements(problem, quadPoints): problem.n, raised to POINTS_PER_EPSILON Gauss points per ε. */
  quadElements: number;
  /** Seed of the Glorot initialisation. Default: the problem's seed. */
  seed: number;
};

/** Thrown for invalid SDMM options; `message` is one line naming the field. */
export class SdmmOptionsError extends Error {
  override name = 'SdmmOptionsError';
}

/**
 * Validate user options against SDMM_OPTIONS and fill in every default (quadElements =
 * defaultQuadElements(problem, quadPoints), seed = problem.seed, fitTolerance =
 * defaultFitTolerance(problem, 'float64')); throws SdmmOptionsError. Keys keep the schema's order.
 */
export function resolveSdmmOptions(problem: Pick<ProblemConfig, 'n' | 'seed'> & Partial<Pick<ProblemConfig, 'dim' | 'epsilon' | 'domain' | 'initialFitTolerance'>>, options: Partial<SdmmOptions> | z.input<typeof SDMM_OPTIONS> = {}): SdmmOptions {
  if (typeof problem !== 'object' || problem === null) throw new SdmmOptionsError(`problem must be a problem from makeProblem, got ${String(problem)}`);
  const o = parseOptions(SDMM_OPTIONS, options, 'SDMM', (m) => new SdmmOptionsError(m));
  const resolved: Record<string, unknown> = {};
  for (const key of Object.keys(SDMM_OPTIONS.shape)) {
    const v = o[key as keyof typeof o];
    resolved[key] = v !== undefined ? v : key === 'quadElements' ? defaultQuadElements(problem, o.quadPoints) : key === 'seed' ? problem.seed : key === 'fitTolerance' ? defaultFitTolerance(problem, 'float64') : v;
  }
  // The quadrature grid has (n_e·q)^dim points, every one evaluated each iteration: bounded as a whole.
  const ne = resolved.quadElements as number;
  const q = resolved.quadPoints as number;
  const dim = (problem as Partial<ProblemConfig>).dim ?? 2;
  try {
    // T a whole number of steps (problems from makeProblem are; one built by hand is checked here).
    if (typeof (problem as Partial<ProblemConfig>).tau === 'number' && typeof (problem as Partial<ProblemConfig>).tEnd === 'number') stepCount(problem as ProblemConfig);
    const what = o.quadElements === undefined ? `the default quadElements ${ne} (${POINTS_PER_EPSILON} Gauss points per ε = ${(problem as Partial<ProblemConfig>).epsilon}; set quadElements to override)` : `quadElements ${ne}`;
    checkTotal('quadPointsTotal', (ne * q) ** dim, `${what} with quadPoints ${q}${dim > 1 ? ` in ${dim}D` : ''}`, 'quadrature points');
  } catch (err) {
    if (err instanceof LimitError) throw new SdmmOptionsError(err.message);
    throw err;
  }
  return resolved as SdmmOptions;
}

/** The defaults for a given problem (quadElements = defaultQuadElements(problem, 2), seed = problem.seed). */
export function defaultSdmmOptions(problem: Pick<ProblemConfig, 'n' | 'seed'> & Partial<Pick<ProblemConfig, 'dim' | 'epsilon' | 'domain'>>): SdmmOptions {
  return resolveSdmmOptions(problem, {});
}
