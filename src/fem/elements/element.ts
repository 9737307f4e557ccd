import type { CellType } from '../../mesh/mesh.js';
import type { RuleND } from '../../quadrature/tensor.js';

/**
 * A finite element on its reference cell (scikit-fem style: the element only knows the
 * reference cell; the map to real cells lives in `CellBasis`).
 *
 * Layouts:
 * - `values(xi, out)`: out[a] = φ_a(ξ), a = 0..nodesPerCell−1 (local node order = mesh cell order).
 * - `gradients(xi, out)`: out[a·refDim + k] = ∂φ_a/∂ξ_k.
 * - `referenceNodes[a·refDim + k]`: coordinate k of local node a.
 */
export interface ReferenceElement {
  readonly name: string;
  readonly cellType: CellType;
  readonly refDim: 1 | 2;
  readonly nodesPerCell: number;
  /** True when the geometry map is affine for every cell (constant Jacobian): gradients per cell. */
  readonly affine: boolean;
  readonly referenceNodes: Float64Array;
  /** out[a] = φ_a(ξ). */
  values(xi: ArrayLike<number>, out: Float64Array): Float64Array;
  /** out[a·refDim + k] = ∂φ_a/∂ξ_k. */
  gradients(xi: ArrayLike<number>, out: Float64Array): Float64Array;
  /**
   * The rule used for mass, stiffness and the nonlinear terms: exact for the quartic double
   * well F(u_h) on affine cells (P1: degree 4; Q1: 3×3 Gauss, degree 5 per variable).
   */
  defaultRule(): RuleND;
  /** A rule exact for polynomials of the given degree on the reference cell. */
  rule(degree: number): RuleND;
}
