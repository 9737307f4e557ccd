/**
 * allen-cahn: the public API (DESIGN.md §4, docs/ARCHITECTURE.md, docs/LIBRARY.md) — what a
 * library user needs, named one by one so that the API documentation (npm run docs) is this
 * list: problems (the catalogue and your own), the two solvers and the solver kinds, one run to
 * files (runSolver), the stability checker, meshes and the file formats. The commands (src/cli/)
 * and the benchmark suite (src/bench/) are applications of this API, not part of it; the FEM
 * internals (spaces, assembly, schemes) are at 'allen-cahn/fem'.
 *
 * Importing this module loads the SDMM solver and so TensorFlow.js (tfjs-core); import
 * 'allen-cahn/fem' (package.json "exports") to avoid that in FEM-only code.
 */

// Problems: the catalogue, and the pieces of a problem of your own.
export {
  makeProblem,
  describeProblem,
  stepCount,
  pointFunction,
  sourceTerm,
  sidesOf,
  PROBLEM_NAMES,
  CATALOGUE,
  ProblemError,
  type ProblemConfig,
  type ProblemOverrides,
  type Scale,
  type BoundaryCondition,
  type Side,
  type PointFunction,
  type PointTimeFunction,
  type InitialCondition,
  type SourceTerm,
  type ExactLaws,
} from './physics/problems.js';
export { DOUBLE_WELL, type Potential } from './physics/potential.js';
export { frontProfile } from './physics/energy.js';
export { resolutionWarning, underResolvedMessage, type Resolution, type RunWarning, type UnderResolvedWarning } from './physics/resolution.js';

// The solver contract, the kinds and the registry.
export {
  defineSolverKind,
  uniformGrid,
  DivergenceError,
  type GradientFlowSolver,
  type StepRecord,
  type SolverProgress,
  type SolverState,
  type SolverFacts,
  type SolverDescription,
  type SolverKind,
  type SolverKindDefinition,
} from './solver.js';
export { solverKinds, solverKind, registerSolverKind, createSolver, RegistryError } from './registry.js';

// The two solvers.
export { createFemSolver, FemSolver, FemSetupError, FEM_OPTIONS, FEM_SCHEMES, femKind, type FemOptions, type FemScheme } from './fem/index.js';
export { createSdmmSolver, SdmmFitError, sdmmKind, SDMM_OPTIONS, resolveSdmmOptions, SdmmOptionsError, type SdmmOptions } from './sdmm/index.js';
export { createSpinnSolver, spinnKind, spinnOptionsSchema, SpinnOptionsError, type SpinnOptions } from './spinn/index.js';

// One run to files, and the stability check of any sequence of step records.
export { runSolver, runWarnings, readRunSteps, RunError, RunFolderError, RunLayout, type RunOptions, type RunSummary, type RunStatus, type RunTotals } from './run/index.js';
export { checkStability, DEFAULT_STABILITY_OPTIONS, type StabilityOptions, type StabilityVerdict } from './stability/index.js';

// Meshes and file formats.
export { rectangleMesh, unitSquareMesh, intervalMesh, type Mesh, type CellType, type RectangleOptions } from './mesh/index.js';
export { readGmsh, readGmshFile, writeGmsh, writeGmshFile } from './io/gmsh.js';
export { gridToVtu, meshToVtu, writeVtu, readVtu, writePvd, type VtuPiece, type VtkFormat } from './io/vtk.js';
export { readStepsCsv, writeFieldCsv, readFieldCsv } from './io/csv.js';
export { readGridField, interpolateGrid, type GridField } from './io/field.js';

// Bounds and the errors of the safe writers, checkpoints and run-folder locks.
export { LIMITS, LimitError, plannedSteps } from './util/limits.js';
export { WriteError } from './io/atomic.js';
export { CheckpointError } from './io/checkpoint.js';
export { LockError } from './io/lock.js';
