import type { CsrMatrix } from '../../linalg/csr.js';
import type { StepFunctional } from '../../physics/step-functional.js';
import type { EnergyWorkspace } from '../functional.js';
import type { LinearSolver } from '../linear.js';
import type { FunctionSpace } from '../space.js';

/**
 * What every time scheme is built from: the step functional Jₙ it discretises (potential, ε, m,
 * τ, source, metric: src/physics), the space, its constant matrices and the linear solver.
 */
export interface SchemeContext {
  readonly functional: StepFunctional;
  readonly space: FunctionSpace;
  /** Consistent mass and stiffness on space.pattern. */
  readonly M: CsrMatrix;
  readonly K: CsrMatrix;
  readonly linear: LinearSolver;
  /** Relative residual tolerance of the linear solves. */
  readonly linearTolerance: number;
}

/**
 * One step uⁿ → uⁿ⁺¹. Inputs: `uOld` (dofs of uⁿ, satisfies the Dirichlet values), `uqOld`
 * (uⁿ at the quadrature points), `source` (s(·, tⁿ⁺¹)/m at the quadrature points, or null) and
 * `warm` (a guess of the increment uⁿ⁺¹ − uⁿ, e.g. the previous one; may be all zero).
 * Output: `uNew` (dofs). When the result says `uqValid`, `work.uq` holds uⁿ⁺¹ at the quadrature
 * points. Must not allocate.
 */
export interface TimeScheme {
  readonly name: string;
  /** Advance one step (see the interface comment for inputs and outputs); never allocates. */
  step(uOld: Float64Array, uqOld: Float64Array, source: Float64Array | null, warm: Float64Array, uNew: Float64Array, work: EnergyWorkspace): SchemeStepResult;
}

/** How a step went: iterations, linear iterations, why it stopped, and Jₙ before and after. */
export interface SchemeStepResult {
  iterations: number;
  linearIterations: number;
  stopReason: string;
  uqValid: boolean;
  /** Newton schemes: step halvings of the line search over the whole step (0 = full steps). */
  lineSearchHalvings?: number;
  /** Newton schemes: Jₙ at uⁿ (start) and at uⁿ⁺¹ (the step functional, with source work). */
  functionalStart?: number;
  functionalEnd?: number;
}
