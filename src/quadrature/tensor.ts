import type { Rule1D } from './gauss-legendre.js';

/**
 * A quadrature rule in d dimensions.
 * Layout: `points[dim * i + k]` is coordinate k of point i; `weights[i]` its weight.
 */
export interface RuleND {
  readonly dim: number;
  readonly points: Float64Array;
  readonly weights: Float64Array;
}

/** Number of points of a rule. */
export function ruleSize(rule: RuleND): number {
  return rule.weights.length;
}

/**
 * Tensor product of 1D rules, one per axis. The first axis varies slowest:
 * point index i = ((i_0 · n_1) + i_1) · n_2 + i_2 (row-major), which matches SDMM's grid layout
 * u[i_x · n_y + i_y].
 */
export function tensorRule(axes: readonly Rule1D[]): RuleND {
  const dim = axes.length;
  if (dim < 1 || dim > 3) throw new RangeError(`tensorRule: 1 to 3 axes, got ${dim}`);
  const sizes = axes.map((r) => r.points.length);
  const n = sizes.reduce((a, b) => a * b, 1);
  const points = new Float64Array(n * dim);
  const weights = new Float64Array(n);
  const idx = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) {
    let w = 1;
    for (let k = 0; k < dim; k++) {
      points[dim * i + k] = axes[k].points[idx[k]];
      w *= axes[k].weights[idx[k]];
    }
    weights[i] = w;
    for (let k = dim - 1; k >= 0; k--) {
      if (++idx[k] < sizes[k]) break;
      idx[k] = 0;
    }
  }
  return { dim, points, weights };
}
