import { z } from 'zod';
import { option } from '../options.js';
import type { ProblemConfig } from '../physics/problems.js';
import type { GradientFlowSolver, SolverDescription } from '../solver.js';
import { defineSolverKind } from '../solver.js';

export const SDMM_ACTIVATIONS = ['tanh', 'gelu', 'sin'] as const;
export const SDMM_OPTIMIZERS = ['lbfgs', 'adam'] as const;
export const SDMM_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * The options of the SDMM solver (separable deep minimizing movement, Mattey & Ghosh,
 * arXiv 2405.06119), declared once: bounds, defaults and one-line docs (src/options.ts
 * conventions). The library validates with it (resolveSdmmOptions), `allen-cahn run` makes its
 * SDMM flags from it and the suite its `{ "kind": "sdmm", … }` entries. To add an option, add a
 * field here: it is then settable from the library, the CLI and the suite.
 */
export const SDMM_OPTIONS = z.strictObject({
  rank: option.positiveInteger().default(16).meta({ description: 'rank r: separable features per axis, u = tanh(α Σ_k X_k(x) Y_k(y))', arg: 'r' }),
  width: option.positiveInteger().default(32).meta({ description: 'hidden width of each per-axis MLP', arg: 'w' }),
  depth: option.positiveInteger().default(2).meta({ description: 'hidden layers of each per-axis MLP', arg: 'd' }),
  activation: option.oneOf(SDMM_ACTIVATIONS).default('tanh').meta({ description: 'hidden activation', arg: 'a' }),
  alpha: option.nonZero().default(1).meta({ description: 'output scale α in u = tanh(α Σ X_k Y_k)', arg: 'a' }),
  trainAlpha: option.boolean().default(false).meta({ description: 'train α (the last entry of θ)' }),
  bound: option.boolean().default(true).meta({ description: 'tanh bounding |u| < 1 (off: u = α Σ X_k Y_k, to measure its effect)' }),
  quadElements: option
    .positiveInteger()
    .optional()
    .meta({ description: "composite Gauss–Legendre elements per axis (default: the problem's n)", arg: 'ne' }),
  quadPoints: option.positiveInteger().default(2).meta({ description: 'Gauss points per element (2 as in the authors\' code)', arg: 'q' }),
  optimizer: option.oneOf(SDMM_OPTIMIZERS).default('lbfgs').meta({ description: 'optimizer of each time step', arg: 'o' }),
  maxIters: option.positiveInteger().default(100).meta({ description: 'iteration cap per time step', arg: 'k' }),
  tol: option.nonNegative().default(1e-6).meta({ description: 'stop a step when the relative decrease of Jₙ falls below tol', arg: 't' }),
  learningRate: option.positive().default(1e-3).meta({ description: 'Adam learning rate (Adam steps and the Adam phase of the initial fit)', flag: 'lr', arg: 'rate' }),
  historySize: option.positiveInteger().default(20).meta({ description: 'L-BFGS history size (curvature pairs kept)', flag: 'history', arg: 'm' }),
  fitTolerance: option
    .positive()
    .default(1e-3)
    .meta({ description: 'initial-fit tolerance: relative MSE mean (u − u₀)² / mean u₀² on the quadrature grid', flag: 'fit-tol', arg: 'mse' }),
  fitMaxIters: option.positiveInteger().default(20000).meta({ description: 'initial-fit iteration cap per phase', flag: 'fit-iters', arg: 'k' }),
  seed: option.integer().optional().meta({ description: "seed of the Glorot initialisation (default: the problem's seed)", sharedFlag: true }),
  backend: option
    .oneOf(SDMM_BACKENDS)
    .default('auto')
    .meta({ description: 'TensorFlow.js backend; auto tries tfjs-node-gpu, tfjs-node, wasm, cpu in that order', arg: 'b' }),
});

type Written = z.input<typeof SDMM_OPTIONS>;

/** The SDMM solver kind (src/registry.ts lists it). Creating one loads TensorFlow.js. */
export const sdmmKind = defineSolverKind({
  name: 'sdmm',
  description: 'separable neural network in the minimizing movement scheme (Mattey & Ghosh)',
  options: SDMM_OPTIONS,
  resolutionOption: 'quadElements',
  label(o: Written) {
    const parts = ['sdmm'];
    if (o.rank !== undefined) parts.push(`r${o.rank}`);
    if (o.width !== undefined) parts.push(`w${o.width}`);
    if (o.depth !== undefined) parts.push(`d${o.depth}`);
    if (o.quadElements !== undefined) parts.push(`q${o.quadElements}`);
    if (o.optimizer !== undefined && o.optimizer !== 'lbfgs') parts.push(o.optimizer);
    if (o.bound === false) parts.push('unbounded');
    return parts.join('-');
  },
  family: (o: Written) => (o.optimizer === 'adam' ? 'sdmm-adam' : 'sdmm'),
  async create(problem: ProblemConfig, options: Written): Promise<GradientFlowSolver> {
    const [{ createSdmmSolver }, tf] = await Promise.all([import('./solver.js'), import('@tensorflow/tfjs')]);
    const solver = await createSdmmSolver(problem, options);
    // Typed facts for the run layer (unknowns, backend, precision, library versions).
    // Transitional: SdmmSolver.describe() predates SolverDescription; once the SDMM split gives
    // it these fields itself, this wrapper goes.
    const describe = solver.describe.bind(solver);
    solver.describe = (): SolverDescription => {
      const d = describe();
      const versions: Record<string, string> = {};
      for (const [k, v] of Object.entries(tf.version)) versions[k] = String(v);
      versions.tfjsBackend = tf.getBackend();
      return { ...d, unknowns: Number(d.parameters), backend: String(d.backend), precision: 'float32', versions };
    };
    return solver;
  },
});
