import { quadrilateralRule } from '../../quadrature/simplex.js';
import type { ReferenceElement } from './element.js';

/** Reference node signs (ξ_a, η_a), counter-clockwise from (−1, −1). */
const XA = [-1, 1, 1, -1];
const YA = [-1, -1, 1, 1];

/**
 * Q1 (bilinear Lagrange) on the reference square [−1, 1]², nodes counter-clockwise
 * (−1,−1), (1,−1), (1,1), (−1,1):
 *   φ_a(ξ, η) = ¼ (1 + ξ_a ξ)(1 + η_a η),
 *   ∂φ_a/∂ξ = ¼ ξ_a (1 + η_a η),  ∂φ_a/∂η = ¼ η_a (1 + ξ_a ξ).
 * The geometry map is bilinear (affine only for parallelograms), so gradients are stored per
 * quadrature point. Default rule: 3×3 Gauss (exact to degree 5 in each variable).
 */
export const Q1Quadrilateral: ReferenceElement = {
  name: 'Q1-quadrilateral',
  cellType: 'quadrilateral',
  refDim: 2,
  nodesPerCell: 4,
  affine: false,
  referenceNodes: Float64Array.of(-1, -1, 1, -1, 1, 1, -1, 1),
  values(xi, out) {
    for (let a = 0; a < 4; a++) out[a] = 0.25 * (1 + XA[a] * xi[0]) * (1 + YA[a] * xi[1]);
    return out;
  },
  gradients(xi, out) {
    for (let a = 0; a < 4; a++) {
      out[2 * a] = 0.25 * XA[a] * (1 + YA[a] * xi[1]);
      out[2 * a + 1] = 0.25 * YA[a] * (1 + XA[a] * xi[0]);
    }
    return out;
  },
  defaultRule: () => quadrilateralRule(5),
  rule: (degree) => quadrilateralRule(degree),
};
