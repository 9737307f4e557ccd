import type { ProblemConfig } from '../physics/problems.js';
import { createSolver } from '../registry.js';
import { runSolver } from '../run/run.js';
import type { GradientFlowSolver } from '../solver.js';
import { solverOptions, type SolverSpec } from './config.js';
import type { SuiteDeps } from './suite.js';

/** Build the solver a suite entry describes, through the registry of solver kinds. */
export async function createBenchSolver(problem: ProblemConfig, spec: SolverSpec): Promise<GradientFlowSolver> {
  return createSolver(problem, spec.kind, solverOptions(spec));
}

/** The registered solver kinds and the run layer. */
export function defaultSuiteDeps(): SuiteDeps {
  return { createSolver: createBenchSolver, runSolver };
}
