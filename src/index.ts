/**
 * allen-cahn: the public API (DESIGN.md §4). Everything a library user needs is re-exported
 * from here; the `allen-cahn` command lives in src/cli.ts and the benchmark command in
 * src/bench/main.ts (neither is imported here, since both run on import).
 *
 * Note: importing this module loads the SDMM solver and so TensorFlow.js; import from a
 * sub-module (e.g. 'allen-cahn/src/fem/index.js') to avoid that in FEM-only code.
 */
export * from './quadrature/index.js';
export * from './physics/index.js';
export * from './mesh/index.js';
export * from './linalg/index.js';
export * from './solver.js';
export * from './stability/index.js';
export * from './io/index.js';
export * from './fem/index.js';
export * from './sdmm/index.js';
export { runSolver, readRunSteps, RunError, type RunOptions, type RunSummary, type RunStatus, type RunTotals } from './runner.js';
export {
  parseSuite,
  loadSuite,
  resolveSuite,
  solverLabel,
  SuiteConfigError,
  type SuiteConfig,
  type SolverSpec,
  type ProblemSpec,
  type ReferenceSpec,
  type ResolvedProblem,
} from './bench/config.js';
export { runSuite, readBenchJson, referenceProblem, SUMMARY_COLUMNS, TIME_TO_ACCURACY_COLUMNS, type SuiteDeps, type SuiteOptions, type SuiteResults, type RunResult } from './bench/suite.js';
export { createBenchSolver, defaultSuiteDeps } from './bench/solvers.js';
export { writeReport } from './bench/report.js';
export { relativeL2Error, phaseAreaOnGrid, circleRadius, radiusFromArea, timeToAccuracy, trapezoidWeights, type SweepPoint, type TimeToAccuracyRow } from './bench/metrics.js';
export { environmentInfo, type EnvironmentInfo } from './bench/environment.js';
