import { triangleRule } from '../../quadrature/simplex.js';
import type { ReferenceElement } from './element.js';

/**
 * P1 (linear Lagrange) on the reference triangle (0,0), (1,0), (0,1):
 *   φ₀ = 1 − ξ − η,  φ₁ = ξ,  φ₂ = η;  ∇φ₀ = (−1, −1), ∇φ₁ = (1, 0), ∇φ₂ = (0, 1).
 * Default rule: triangleRule(4) (Dunavant, 6 points), exact for F(u_h) (degree 4).
 */
export const P1Triangle: ReferenceElement = {
  name: 'P1-triangle',
  cellType: 'triangle',
  refDim: 2,
  nodesPerCell: 3,
  affine: true,
  referenceNodes: Float64Array.of(0, 0, 1, 0, 0, 1),
  values(xi, out) {
    out[0] = 1 - xi[0] - xi[1];
    out[1] = xi[0];
    out[2] = xi[1];
    return out;
  },
  gradients(_xi, out) {
    out[0] = -1;
    out[1] = -1;
    out[2] = 1;
    out[3] = 0;
    out[4] = 0;
    out[5] = 1;
    return out;
  },
  defaultRule: () => triangleRule(4),
  rule: (degree) => triangleRule(degree),
};
