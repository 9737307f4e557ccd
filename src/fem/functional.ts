import { gradientEnergy } from '../physics/energy.js';
import type { EnergyFunctional } from '../physics/step-functional.js';
import { gradientsAtPoints, valuesAtQuadrature } from './assembly.js';
import type { CellBasis } from './basis.js';
import type { FunctionSpace } from './space.js';

/**
 * Scratch arrays for evaluating the energy of an FE function: u_h at the quadrature points and
 * ∇u_h at the gradient points of the basis. Allocated once.
 */
export class EnergyWorkspace {
  /** u_h at the quadrature points; the solver swaps this buffer with its copy of uⁿ_q. */
  uq: Float64Array;
  readonly grads: Float64Array[];
  constructor(readonly basis: CellBasis) {
    this.uq = new Float64Array(basis.nCells * basis.nQ);
    this.grads = Array.from({ length: basis.dim }, () => new Float64Array(basis.nGradPoints));
  }
}

/**
 * The gradient part ½ ∫ |∇u_h|² through the shared `gradientEnergy` (src/physics/energy.ts),
 * with the basis' gradient points (exact for P1; the full rule for Q1).
 */
export function femGradientEnergy(space: FunctionSpace, u: Float64Array, work: EnergyWorkspace): number {
  const b = work.basis;
  gradientsAtPoints(work.grads, space, b, u);
  return gradientEnergy(b.gradWeights, work.grads);
}

/**
 * E(u_h) = ∫ ½|∇u_h|² + ε⁻² F(u_h) through the shared energy functional (src/physics), in
 * float64. With `uqValid` the caller promises work.uq already holds u_h at the quadrature
 * points; otherwise it is computed here. Exact for P1 (rule of degree 4) on affine cells.
 */
export function femEnergy(space: FunctionSpace, u: Float64Array, energy: EnergyFunctional, work: EnergyWorkspace, uqValid = false): number {
  const b = work.basis;
  if (!uqValid) valuesAtQuadrature(work.uq, space, b, u);
  return energy.bulkEnergy(b.detJw, work.uq) + femGradientEnergy(space, u, work);
}
