import { z } from 'zod';
import type { ProblemConfig } from '../physics/problems.js';

/**
 * Options of the SPINN baseline (separable physics-informed network, Cho et al., NeurIPS 2023),
 * declared once: this zod schema gives the defaults, the bounds and a one-line description of
 * every field, from which the registry derives CLI flags and the suite schema.
 *
 * Two fields depend on the problem and default to it: `quadElements` (0 = problem.n) and `seed`
 * (absent = problem.seed); `resolveSpinnOptions` fills them in.
 */

export const SPINN_ACTIVATIONS = ['tanh', 'sin', 'gelu'] as const;
export const SPINN_OPTIMIZERS = ['adam', 'lbfgs', 'adam-lbfgs'] as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const spinnOptionsSchema = z.strictObject({
  rank: int(1, 512).default(32).describe('rank r: features per axis, u = Σ_k T_k(t) X_k(x) Y_k(y)'),
  width: int(1, 1024).default(32).describe('hidden width of each per-axis MLP (time, x, y)'),
  depth: int(1, 16).default(2).describe('hidden layers of each per-axis MLP'),
  activation: z.enum(SPINN_ACTIVATIONS).default('tanh').describe('hidden activation σ (gelu: the tanh approximation)'),
  bound: z.boolean().default(true).describe('u = tanh(α s) bounded in (−1, 1) (on), or u = α s (off)'),
  alpha: z.number().positive().max(100).default(1).describe('output scale α in u = tanh(α s)'),
  spacePoints: int(2, 4096).default(64).describe('collocation points per space axis'),
  timePoints: int(2, 4096).default(16).describe('collocation points on the time axis [0, T]'),
  resampleEvery: int(0, 1_000_000).default(0).describe('Adam iterations between seeded re-draws of the collocation points (0: fixed midpoint grid)'),
  icWeight: z.number().positive().max(1e12).default(40).describe('λ_ic: weight of mean (u(0,·) − u₀)² in the loss'),
  boundaryWeight: z.number().nonnegative().max(1e12).default(1).describe('weight of mean (∂u/∂n)² on Neumann boundary lines (periodic axes are exact)'),
  warmStartIters: int(0, 10_000_000).default(2000).describe('L-BFGS iterations fitting α s(0,·) to atanh(u₀) before training (0: plain SPINN)'),
  optimizer: z.enum(SPINN_OPTIMIZERS).default('adam-lbfgs').describe('training: Adam, L-BFGS, or Adam then L-BFGS'),
  adamIters: int(0, 10_000_000).default(1000).describe('Adam iterations (optimizer adam or adam-lbfgs)'),
  lbfgsIters: int(0, 10_000_000).default(300).describe('L-BFGS iterations (optimizer lbfgs or adam-lbfgs)'),
  learningRate: z.number().positive().max(1).default(2e-3).describe('Adam learning rate'),
  historySize: int(1, 200).default(20).describe('L-BFGS history size (curvature pairs kept)'),
  causal: z.boolean().default(false).describe('causal time weighting w_i = exp(−ε_c Σ_{j<i} L_j) over time slices (Wang et al. 2022)'),
  causalEpsilon: z.number().positive().max(1e6).default(1).describe('ε_c of the causal weights'),
  quadElements: int(0, 100_000).default(0).describe('composite Gauss elements per space axis for E and the movement (0: problem.n)'),
  quadPoints: int(1, 20).default(2).describe('Gauss points per element of the evaluation grid'),
  seed: z.number().int().optional().describe('seed of the initialisation and the collocation draws (default: the problem seed)'),
});

/** Options as given (every field optional). */
export type SpinnOptionsInput = z.input<typeof spinnOptionsSchema>;
/** Options with every default filled in (quadElements and seed may still defer to the problem). */
export type SpinnOptions = z.output<typeof spinnOptionsSchema>;
/** Options resolved against a problem: quadElements ≥ 1 and seed set. */
export type ResolvedSpinnOptions = SpinnOptions & { quadElements: number; seed: number };

/** Thrown for invalid SPINN options; `message` is one line naming the field. */
export class SpinnOptionsError extends Error {
  override name = 'SpinnOptionsError';
}

/**
 * Validate user options against the schema and fill in the defaults, then the problem-dependent
 * ones (quadElements 0 → problem.n, seed → problem.seed). Throws SpinnOptionsError with a one-line
 * message such as `spinn option rank: Too small: expected number to be >=1 (got 0)`.
 */
export function resolveSpinnOptions(problem: Pick<ProblemConfig, 'n' | 'seed'>, input: unknown = {}): ResolvedSpinnOptions {
  const defined =
    input && typeof input === 'object' && !Array.isArray(input)
      ? Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
      : input;
  const parsed = spinnOptionsSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const value = issue.path.length > 0 ? valueAt(defined, issue.path) : defined;
    const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${JSON.stringify(value) ?? String(value)})`;
    const name = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : field;
    throw new SpinnOptionsError(`spinn option ${name}: ${issue.message.replace(/\s+/g, ' ')}${got}`);
  }
  const o = parsed.data;
  return { ...o, quadElements: o.quadElements > 0 ? o.quadElements : problem.n, seed: o.seed ?? problem.seed };
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = obj;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
