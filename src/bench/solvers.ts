import { createFemSolver } from '../fem/index.js';
import type { ProblemConfig } from '../physics/problems.js';
import { runSolver } from '../runner.js';
import { createSdmmSolver } from '../sdmm/index.js';
import type { GradientFlowSolver } from '../solver.js';
import type { SolverSpec } from './config.js';
import { solverOptions, type SuiteDeps } from './suite.js';

/** Build the solver a suite entry describes: FEM (createFemSolver) or SDMM (createSdmmSolver). */
export async function createBenchSolver(problem: ProblemConfig, spec: SolverSpec): Promise<GradientFlowSolver> {
  if (spec.kind === 'fem') {
    const { scheme, n, cellType, stabilization, diagonal, linearSolver } = spec;
    return createFemSolver(problem, {
      scheme,
      ...(n !== undefined ? { n } : {}),
      ...(cellType !== undefined ? { cellType } : {}),
      ...(stabilization !== undefined ? { stabilization } : {}),
      ...(diagonal !== undefined ? { diagonal } : {}),
      ...(linearSolver !== undefined ? { linearSolver } : {}),
    });
  }
  return createSdmmSolver(problem, solverOptions(spec));
}

/** The real solvers and the shared runner. */
export function defaultSuiteDeps(): SuiteDeps {
  return { createSolver: createBenchSolver, runSolver };
}
