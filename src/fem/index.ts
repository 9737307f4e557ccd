/**
 * The finite-element reference solver: P1 intervals and triangles, Q1 quadrilaterals,
 * consistent mass, CSR assembly on a fixed pattern, and three time schemes
 * (mms-newton, stabilized, convex-split). See DESIGN.md §2.
 */
export { createFemSolver, validateFemOptions, FemSolver } from './solver.js';
export { FEM_OPTIONS, STRUCTURED_CELL_TYPES, type FemOptions, type FemSettings } from './options.js';
export { TIME_SCHEMES, FEM_SCHEMES, SCHEME_PARAMETERS, createScheme, type FemScheme, type SchemeEntry } from './schemes/index.js';
export { DIAGONALS, type Diagonal } from '../mesh/generators.js';
export { FunctionSpace, FemSetupError, type SpaceBoundary } from './space.js';
export { CellBasis } from './basis.js';
export {
  assembleMass,
  assembleStiffness,
  addWeightedMass,
  assembleLoad,
  valuesAtQuadrature,
  gradientsAtPoints,
  interpolate,
  applyDirichletValues,
  eliminateDirichlet,
  zeroDirichlet,
} from './assembly.js';
export { EnergyWorkspace, femEnergy, femGradientEnergy } from './functional.js';
export { phaseArea, l2Error, h1Error, Q1_PHASE_SUBDIVISION } from './measures.js';
export { PointLocator, type StructuredLayout } from './locate.js';
export { makeLinearSolver, LINEAR_SOLVERS, type LinearSolver, type LinearSolverName } from './linear.js';
export { elementFor, P1Interval, P1Triangle, Q1Quadrilateral, type ReferenceElement } from './elements/index.js';
export { mmsNewtonScheme, HESSIAN_SHIFT_FRACTION } from './schemes/mms-newton.js';
export { stabilizedScheme } from './schemes/stabilized.js';
export { convexSplitScheme } from './schemes/convex-split.js';
export { NewtonMinimizer, NEWTON_PARAMETERS, type NewtonSettings, type PointwiseModel } from './schemes/newton.js';
export type { TimeScheme, SchemeContext, SchemeStepResult } from './schemes/types.js';
export { femKind } from './kind.js';
