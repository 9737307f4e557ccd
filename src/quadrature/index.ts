export { gaussLegendre, compositeGaussLegendre, shiftedCompositeGaussLegendre, largestGap, type Rule1D } from './gauss-legendre.js';
export { tensorRule, ruleSize, type RuleND } from './tensor.js';
export { triangleRule, collapsedTriangleRule, quadrilateralRule, intervalRule } from './simplex.js';
