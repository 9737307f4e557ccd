import type { z } from 'zod';
import { parseOptions } from '../options.js';
import type { ProblemConfig } from '../physics/problems.js';
import { SDMM_OPTIONS } from './kind.js';

export { SDMM_ACTIVATIONS, SDMM_BACKENDS, SDMM_OPTIMIZERS, SDMM_OPTIONS } from './kind.js';

/**
 * Options of the SDMM solver after validation: SDMM_OPTIONS (src/sdmm/kind.ts, the one
 * declaration with bounds, defaults and docs) with the problem-dependent defaults filled in.
 */
export type SdmmOptions = Omit<z.output<typeof SDMM_OPTIONS>, 'quadElements' | 'seed'> & {
  /** n_e: composite Gauss–Legendre elements per axis. Default problem.n. */
  quadElements: number;
  /** Seed of the Glorot initialisation. Default: the problem's seed. */
  seed: number;
};

/** Thrown for invalid SDMM options; `message` is one line naming the field. */
export class SdmmOptionsError extends Error {
  override name = 'SdmmOptionsError';
}

/**
 * Validate user options against SDMM_OPTIONS and fill in every default (quadElements = problem.n,
 * seed = problem.seed); throws SdmmOptionsError. Keys keep the schema's order.
 */
export function resolveSdmmOptions(problem: Pick<ProblemConfig, 'n' | 'seed'>, options: Partial<SdmmOptions> | z.input<typeof SDMM_OPTIONS> = {}): SdmmOptions {
  const o = parseOptions(SDMM_OPTIONS, options, 'SDMM', (m) => new SdmmOptionsError(m));
  const resolved: Record<string, unknown> = {};
  for (const key of Object.keys(SDMM_OPTIONS.shape)) {
    const v = o[key as keyof typeof o];
    resolved[key] = v !== undefined ? v : key === 'quadElements' ? problem.n : key === 'seed' ? problem.seed : v;
  }
  return resolved as SdmmOptions;
}

/** The defaults for a given problem (quadElements = problem.n, seed = problem.seed). */
export function defaultSdmmOptions(problem: Pick<ProblemConfig, 'n' | 'seed'>): SdmmOptions {
  return resolveSdmmOptions(problem, {});
}
