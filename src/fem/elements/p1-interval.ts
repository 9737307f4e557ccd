import { intervalRule } from '../../quadrature/simplex.js';
import type { ReferenceElement } from './element.js';

/**
 * P1 (linear Lagrange) on the reference interval [−1, 1], nodes ξ₀ = −1, ξ₁ = 1:
 *   φ₀ = (1 − ξ)/2,  φ₁ = (1 + ξ)/2,  dφ₀/dξ = −½,  dφ₁/dξ = ½.
 * Default rule: 3-point Gauss (degree 5), exact for F(u_h) (degree 4).
 */
export const P1Interval: ReferenceElement = {
  name: 'P1-interval',
  cellType: 'interval',
  refDim: 1,
  nodesPerCell: 2,
  affine: true,
  referenceNodes: Float64Array.of(-1, 1),
  values(xi, out) {
    out[0] = 0.5 * (1 - xi[0]);
    out[1] = 0.5 * (1 + xi[0]);
    return out;
  },
  gradients(_xi, out) {
    out[0] = -0.5;
    out[1] = 0.5;
    return out;
  },
  defaultRule: () => intervalRule(5),
  rule: (degree) => intervalRule(degree),
};
