import type { SolverState } from '../solver.js';
import { newGridField } from './grid.js';
import type { SdmmOptions } from './options.js';
import type { OptimizerStates, SchemeState } from './stepping.js';

/**
 * SDMM checkpoint state: everything needed to continue a run bit for bit.
 *
 * Arrays (copies): theta (float64 θ), uPrev and grad0, grad1, … (uⁿ and ∇uⁿ on the grid),
 * the L-BFGS history lbfgsS, lbfgsY, lbfgsRho and the Adam moments adamM, adamV.
 * Meta: E(uⁿ), the initial fit's report, the optimizer counters, the options and the engine.
 */

/** The initial fit's report, carried through checkpoints. */
export interface FitReport {
  /** Relative fit error mean_q (u_θ − u₀)² / mean_q u₀². */
  mse: number;
  iterations: number;
  stopReason: string;
  /** The tolerance the fit was held to. */
  tolerance: number;
  /** Relative MSE of the rank-r SVD truncation of the target alone (2D), if measured. */
  truncationMse?: number;
}

/** Options a checkpoint must agree on (they fix the network and the grid). */
const STRUCTURAL = ['rank', 'width', 'depth', 'activation', 'alpha', 'trainAlpha', 'bound', 'quadElements', 'quadPoints'] as const;

export function saveSdmmState(
  step: number,
  t: number,
  scheme: SchemeState,
  optimizers: OptimizerStates,
  fit: FitReport,
  options: SdmmOptions,
  engine: string,
  thetaOld: Float64Array | null = null,
): SolverState {
  const { lbfgs, adam } = optimizers;
  const arrays: Record<string, Float64Array> = {
    // θⁿ⁻¹ for the extrapolated start (options.extrapolate); absent before the first step.
    ...(thetaOld ? { thetaOld: new Float64Array(thetaOld) } : {}),
    theta: new Float64Array(scheme.theta),
    uPrev: new Float64Array(scheme.field.u),
    lbfgsS: new Float64Array(lbfgs.S),
    lbfgsY: new Float64Array(lbfgs.Y),
    lbfgsRho: new Float64Array(lbfgs.rho),
    adamM: new Float64Array(adam.m),
    adamV: new Float64Array(adam.v),
  };
  scheme.field.grad.forEach((g, k) => (arrays[`grad${k}`] = new Float64Array(g)));
  return {
    kind: 'sdmm',
    step,
    t,
    arrays,
    meta: {
      parameters: scheme.theta.length,
      gridPoints: scheme.field.u.length,
      energy: scheme.energy,
      fitMse: fit.mse,
      fitIterations: fit.iterations,
      fitStopReason: fit.stopReason,
      fitTolerance: fit.tolerance,
      fitTruncationMse: fit.truncationMse ?? null,
      lbfgsCount: lbfgs.count,
      lbfgsHead: lbfgs.head,
      historySize: lbfgs.historySize,
      adamT: adam.t,
      options: { ...options },
      backend: engine,
    },
  };
}

/**
 * Restore a checkpoint into `optimizers` (in place) and return the scheme state and fit report.
 * Throws a one-line error when the checkpoint is for another solver, network or grid.
 */
export function restoreSdmmState(
  state: SolverState,
  options: SdmmOptions,
  parameters: number,
  gridPoints: number,
  dim: number,
  optimizers: OptimizerStates,
): { scheme: SchemeState; fit: FitReport; thetaOld: Float64Array | null } {
  if (state.kind !== 'sdmm') throw new Error(`restoreState: checkpoint is for solver '${state.kind}', not 'sdmm'`);
  const a = state.arrays;
  const need = (name: string, len: number) => {
    const arr = a[name];
    if (!arr) throw new Error(`restoreState: checkpoint lacks array '${name}'`);
    if (arr.length !== len) throw new Error(`restoreState: array '${name}' has ${arr.length} entries, expected ${len} (different network or grid options?)`);
    return arr;
  };
  const P = parameters;
  const N = gridPoints;
  const m = options.historySize;
  const meta = state.meta;
  if (meta.historySize !== m) throw new Error(`restoreState: checkpoint historySize ${String(meta.historySize)} differs from ${m}`);
  const saved = (meta.options ?? {}) as Partial<SdmmOptions>;
  for (const key of STRUCTURAL) {
    if (saved[key] !== undefined && saved[key] !== options[key]) {
      throw new Error(`restoreState: checkpoint was written with ${key} = ${String(saved[key])}, this solver has ${String(options[key])}`);
    }
  }
  const theta = Float64Array.from(need('theta', P));
  const field = newGridField(N, dim);
  field.u.set(need('uPrev', N));
  field.grad.forEach((g, k) => g.set(need(`grad${k}`, N)));
  const { lbfgs, adam } = optimizers;
  lbfgs.S.set(need('lbfgsS', m * P));
  lbfgs.Y.set(need('lbfgsY', m * P));
  lbfgs.rho.set(need('lbfgsRho', m));
  lbfgs.count = Number(meta.lbfgsCount);
  lbfgs.head = Number(meta.lbfgsHead);
  adam.m.set(need('adamM', P));
  adam.v.set(need('adamV', P));
  adam.t = Number(meta.adamT);
  return {
    thetaOld: a.thetaOld ? Float64Array.from(need('thetaOld', P)) : null,
    scheme: { theta, field, energy: Number(meta.energy) },
    fit: {
      mse: Number(meta.fitMse),
      iterations: Number(meta.fitIterations),
      stopReason: String(meta.fitStopReason),
      tolerance: meta.fitTolerance === undefined ? options.fitTolerance : Number(meta.fitTolerance),
      ...(typeof meta.fitTruncationMse === 'number' ? { truncationMse: meta.fitTruncationMse } : {}),
    },
  };
}
