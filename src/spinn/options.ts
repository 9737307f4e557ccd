import { z } from 'zod';
import { option, parseOptions } from '../options.js';
import { stepCount, type ProblemConfig } from '../physics/problems.js';
import { checkTotal, LIMITS, LimitError } from '../util/limits.js';

/**
 * Options of the SPINN baseline (separable physics-informed network, Cho et al., NeurIPS 2023),
 * declared once (src/options.ts conventions): bounds, defaults and one-line docs, from which the
 * registry derives the `allen-cahn run` flags and the suite's `{ "kind": "spinn", … }` entries.
 *
 * Two fields depend on the problem and have no constant default: `quadElements` (the problem's n)
 * and `seed` (the problem's seed); `resolveSpinnOptions` fills them in.
 */

export const SPINN_ACTIVATIONS = ['tanh', 'sin', 'gelu'] as const;
export const SPINN_OPTIMIZERS = ['adam', 'lbfgs', 'adam-lbfgs'] as const;

/** An integer in [min, max] (collocation counts: at least 2 points per axis). */
function integerIn(min: number, max: number) {
  const m = (i: { input: unknown }) => `must be an integer in [${min}, ${max}], got ${String(i.input)}`;
  return z.number({ error: m }).int({ error: m }).min(min, { error: m }).max(max, { error: m });
}

/** A count of iterations, 0 allowed (the phase is skipped). */
function iterations() {
  return integerIn(0, 100_000_000);
}

/** The SPINN solver kind's options: one zod schema with bounds, defaults and one-line docs. */
export const spinnOptionsSchema = z.strictObject({
  rank: option.positiveInteger('rank').default(32).meta({ description: 'rank r: features per axis, u = tanh(α Σ_k T_k(t) X_k(x) Y_k(y))', arg: 'r' }),
  width: option.positiveInteger('width').default(32).meta({ description: 'hidden width of each per-axis MLP (time, x, y)', arg: 'w' }),
  depth: option.positiveInteger('depth').default(2).meta({ description: 'hidden layers of each per-axis MLP', arg: 'd' }),
  activation: option.oneOf(SPINN_ACTIVATIONS).default('tanh').meta({ description: 'hidden activation (gelu: the tanh approximation)', arg: 'a' }),
  bound: option.boolean().default(true).meta({ description: 'tanh bounding |u| < 1 (off: u = α Σ T_k X_k Y_k)' }),
  alpha: option.positive().default(1).meta({ description: 'output scale α in u = tanh(α s)', arg: 'a' }),
  spacePoints: integerIn(2, LIMITS.grid).default(64).meta({ description: 'collocation points per space axis', arg: 'k' }),
  timePoints: integerIn(2, LIMITS.grid).default(16).meta({ description: 'collocation points on the time axis [0, T]', arg: 'k' }),
  resampleEvery: iterations().default(0).meta({ description: 'Adam iterations between seeded re-draws of the collocation points (0: fixed midpoint grid)', arg: 'k' }),
  icWeight: option.positive().default(40).meta({ description: 'λ_ic: weight of mean (u(0,·) − u₀)² in the loss', arg: 'w' }),
  boundaryWeight: option.nonNegative().default(1).meta({ description: 'weight of mean (∂u/∂n)² on Neumann boundary lines (periodic axes are exact)', arg: 'w' }),
  warmStartIters: iterations().default(2000).meta({ description: 'L-BFGS iterations fitting α s(0,·) to atanh(u₀) before training (0: plain SPINN)', arg: 'k' }),
  optimizer: option.oneOf(SPINN_OPTIMIZERS).default('adam-lbfgs').meta({ description: 'training: Adam, L-BFGS, or Adam then L-BFGS', arg: 'o' }),
  adamIters: iterations().default(1000).meta({ description: 'Adam iterations (optimizer adam or adam-lbfgs)', arg: 'k' }),
  lbfgsIters: iterations().default(300).meta({ description: 'L-BFGS iterations (optimizer lbfgs or adam-lbfgs)', arg: 'k' }),
  learningRate: option.positive().default(2e-3).meta({ description: 'Adam learning rate', flag: 'lr', arg: 'rate' }),
  historySize: option.positiveInteger().default(20).meta({ description: 'L-BFGS history size (curvature pairs kept)', flag: 'history', arg: 'm' }),
  causal: option.boolean().default(false).meta({ description: 'causal time weighting w_i = exp(−ε_c Σ_{j<i} L_j) over time slices (Wang et al. 2022)' }),
  causalEpsilon: option.positive().default(1).meta({ description: 'ε_c of the causal weights', arg: 'e' }),
  quadElements: option
    .positiveInteger('elementsPerSide')
    .optional()
    .meta({ description: "composite Gauss elements per space axis for E and the movement (default: the problem's n)", arg: 'ne' }),
  quadPoints: option.positiveInteger('quadPointsPerAxis').default(2).meta({ description: 'Gauss points per element of the evaluation grid', arg: 'q' }),
  seed: option.integer().optional().meta({ description: "seed of the initialisation and the collocation draws (default: the problem's seed)", sharedFlag: true }),
});

/** Options as written (every field optional). */
export type SpinnOptionsInput = z.input<typeof spinnOptionsSchema>;
/** Options with the constant defaults filled in (quadElements and seed may still defer to the problem). */
export type SpinnOptions = z.output<typeof spinnOptionsSchema>;
/** Options resolved against a problem: quadElements and seed set. */
export type ResolvedSpinnOptions = SpinnOptions & { quadElements: number; seed: number };

/** Thrown for invalid SPINN options; `message` is one line naming the field. */
export class SpinnOptionsError extends Error {
  override name = 'SpinnOptionsError';
}

/**
 * Validate user options and fill in the defaults, then the problem-dependent ones
 * (quadElements = problem.n, seed = problem.seed). Throws SpinnOptionsError with a one-line
 * message such as `rank must be a positive integer, got 0` or `unknown SPINN option 'rnak' (known: …)`.
 * The collocation grid (timePoints · spacePoints^dim points, each evaluated every iteration) and the
 * evaluation grid are bounded as wholes (LIMITS.quadPointsTotal).
 */
export function resolveSpinnOptions(problem: Pick<ProblemConfig, 'n' | 'seed'> & Partial<Pick<ProblemConfig, 'dim' | 'tau' | 'tEnd'>>, input: unknown = {}): ResolvedSpinnOptions {
  const defined =
    input && typeof input === 'object' && !Array.isArray(input) ? Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) : input;
  const o = parseOptions(spinnOptionsSchema, defined, 'SPINN', (m) => new SpinnOptionsError(m));
  const resolved = { ...o, quadElements: o.quadElements ?? problem.n, seed: o.seed ?? problem.seed };
  const dim = problem.dim ?? 2;
  try {
    if (typeof problem.tau === 'number' && typeof problem.tEnd === 'number') stepCount(problem as ProblemConfig);
    checkTotal('quadPointsTotal', resolved.timePoints * resolved.spacePoints ** dim, `timePoints ${resolved.timePoints} with spacePoints ${resolved.spacePoints}${dim > 1 ? ` in ${dim}D` : ''}`, 'collocation points');
    checkTotal('quadPointsTotal', (resolved.quadElements * resolved.quadPoints) ** dim, `quadElements ${resolved.quadElements} with quadPoints ${resolved.quadPoints}`, 'quadrature points');
  } catch (err) {
    if (err instanceof LimitError) throw new SpinnOptionsError(err.message);
    throw err;
  }
  return resolved;
}
