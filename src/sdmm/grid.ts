import { gradientEnergy, potentialEnergy } from '../physics/energy.js';

/**
 * A field on SDMM's quadrature tensor grid in float64: u and ∇u at the N grid points
 * (layout u[i_x·n_y + i_y], the last axis fastest; grad one array of length N per axis).
 */
export interface GridField {
  readonly u: Float64Array;
  readonly grad: readonly Float64Array[];
}

export function newGridField(points: number, dim: number): GridField {
  return { u: new Float64Array(points), grad: Array.from({ length: dim }, () => new Float64Array(points)) };
}

/** A copy of a grid field. */
export function copyGridField(v: GridField): GridField {
  return { u: new Float64Array(v.u), grad: v.grad.map((g) => new Float64Array(g)) };
}

/** E(u) = Σ_q w_q [½|∇u|² + ε⁻² F(u)] in float64 through src/physics/energy.ts. */
export function gridEnergy(weights: Float64Array, v: GridField, epsilon: number): number {
  return potentialEnergy(weights, v.u, epsilon) + gradientEnergy(weights, v.grad);
}

/** [min u, max u] over the grid. */
export function gridRange(u: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let q = 0; q < u.length; q++) {
    if (u[q] < lo) lo = u[q];
    if (u[q] > hi) hi = u[q];
  }
  return [lo, hi];
}
