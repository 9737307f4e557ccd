/**
 * allen-cahn: the public API (DESIGN.md §4, docs/ARCHITECTURE.md) — what a library user needs:
 * the problems and the physics, the solver kinds and the registry, the two solvers, one run
 * (runSolver), the stability checker, quadrature, meshes and their file formats. The commands
 * (src/cli/) and the benchmark suite (src/bench/) are applications of this API, not part of it.
 *
 * Note: importing this module loads the SDMM solver and so TensorFlow.js; import from a
 * sub-module (e.g. 'allen-cahn/src/fem/index.js') to avoid that in FEM-only code.
 */
export * from './quadrature/index.js';
export * from './physics/index.js';
export * from './mesh/index.js';
export { readGmsh, readGmshFile, writeGmsh, writeGmshFile } from './io/gmsh.js';
export { gridToVtu, meshToVtu, writeVtu, writePvd, type VtuPiece, type VtkFormat } from './io/vtk.js';
export { readStepsCsv, writeFieldCsv, readFieldCsv, STEP_COLUMNS } from './io/csv.js';
export * from './solver.js';
export { option, optionFields, parseOptions, withoutDefaults, type OptionMeta, type OptionField, type OptionsSchema } from './options.js';
export { solverKinds, solverKind, registerSolverKind, createSolver, RegistryError } from './registry.js';
export * from './stability/index.js';
export { createFemSolver, FemSolver, FemSetupError, FEM_OPTIONS, TIME_SCHEMES, FEM_SCHEMES, femKind, type FemOptions, type FemScheme, type SchemeEntry } from './fem/index.js';
export { createSdmmSolver, SdmmFitError, sdmmKind, SDMM_OPTIONS, resolveSdmmOptions, SdmmOptionsError, type SdmmOptions } from './sdmm/index.js';
export { runSolver, readRunSteps, RunError, RunFolderError, RunLayout, type RunOptions, type RunSummary, type RunStatus, type RunTotals } from './run/index.js';
export { LIMITS, LimitError, plannedSteps } from './util/limits.js';
export { WriteError } from './io/atomic.js';
export { CheckpointError } from './io/checkpoint.js';
export { LockError } from './io/lock.js';
