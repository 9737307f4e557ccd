import { compositeGaussLegendre, tensorRule, type Rule1D } from '../quadrature/index.js';
import { tanh } from '../util/portable-math.js';
import { dotCross } from './engine/dense.js';
import { gridEnergy, newGridField, type GridField } from './grid.js';
import { AxisMlp } from './engine/axis-mlp.js';
import type { NetworkLayout, SeparableNetwork } from './network.js';

/**
 * The energy of the network's field on a grid other than its own: the aliasing check of SDMM.
 *
 *   E(u_θ) ≈ Σ_q w_q [½|∇u_θ|² + ε⁻² F(u_θ)]   on the tensor grid of `rules`,
 *
 * with u_θ = tanh(α s) (or α s unbounded), s = Σ_k Π_a X_k^a(x_a), ∂_a u = g ∂_a s, g = α(1 − u²)
 * (or α), evaluated in float64 from the per-axis features (the batched AxisMlp of each axis) and one
 * contraction per point (in 2D three blocked products X Yᵀ, X' Yᵀ, X Y'ᵀ, engine/dense.ts), then summed by
 * the shared energy functional, so it costs O(N r) for N points and rank r, once per step (measured: 3.0 ms
 * of CPU on the 256² audit grid of the reduced circle's defaults, against 7.1 ms with the network's
 * point-by-point evaluator and a per-point loop; a default step there takes 20–90 loss evaluations of
 * 0.7–2 ms). The step minimizes Jₙ on its own Gauss grid only; a network that grows
 * features between the quadrature points (an interface sharpened between two points, a wiggle
 * with its extrema on the points) lowers that grid's energy while its true energy rises. On a
 * refined grid (refinedRules: twice the elements, the same Gauss order) those features are seen:
 * measured on the reduced star with the default depth-2 networks, 50.7 on the own grid against
 * 164.5 on an 800² grid after 10 steps (benchmarks/README.md, "SDMM quadrature and aliasing").
 */

/** Twice the composite Gauss elements of each rule's axis, the same points per element. */
export function refinedRules(axes: readonly { min: number; max: number }[], elements: number, points: number, factor = 2): Rule1D[] {
  return axes.map((a) => compositeGaussLegendre(a.min, a.max, factor * elements, points));
}

/**
 * Scratch for energyOnGrid, sized once per grid and network: the per-axis features and the batched
 * axis MLPs that compute them (the engine's AxisMlp on each axis's audit points: blocked or SIMD
 * products over all points at once, 6× faster than the network's point-by-point evaluator), the
 * field, the weights.
 */
export interface AuditWorkspace {
  readonly mlps: AxisMlp[];
  readonly X: Float64Array[];
  readonly dX: Float64Array[];
  readonly field: GridField;
  readonly weights: Float64Array;
}

export function auditWorkspace(rules: readonly Rule1D[], layout: NetworkLayout): AuditWorkspace {
  const { weights } = tensorRule(rules);
  const rank = layout.rank;
  return {
    mlps: rules.map((r, a) => new AxisMlp(layout.axes[a], layout.activation, r.points)),
    X: rules.map((r) => new Float64Array(r.points.length * rank)),
    dX: rules.map((r) => new Float64Array(r.points.length * rank)),
    field: newGridField(weights.length, rules.length),
    weights,
  };
}

/**
 * E(u_θ) on the tensor grid of `rules` (one rule per axis of the network; 1D or 2D): u_θ and ∇u_θ
 * from the per-axis features, then the shared energy functional (grid.ts: gridEnergy).
 */
export function energyOnGrid(network: SeparableNetwork, theta: Float64Array, rules: readonly Rule1D[], epsilon: number, ws: AuditWorkspace = auditWorkspace(rules, network.layout)): number {
  const layout = network.layout;
  const r = layout.rank;
  const dim = layout.dim;
  if (rules.length !== dim) throw new Error(`energyOnGrid: ${rules.length} rules for a ${dim}D network`);
  const alpha = layout.alphaIndex >= 0 ? theta[layout.alphaIndex] : layout.alpha;
  for (let a = 0; a < dim; a++) ws.mlps[a].forward(theta, ws.X[a], ws.dX[a]);
  const bound = layout.bound;
  const { u, grad } = ws.field;
  if (dim === 1) {
    const [X] = ws.X;
    const [dX] = ws.dX;
    for (let i = 0; i < u.length; i++) {
      let s = 0;
      let sx = 0;
      for (let k = 0; k < r; k++) {
        s += X[i * r + k];
        sx += dX[i * r + k];
      }
      const v = bound ? tanh(alpha * s) : alpha * s;
      u[i] = v;
      grad[0][i] = (bound ? alpha * (1 - v * v) : alpha) * sx;
    }
    return gridEnergy(ws.weights, ws.field, epsilon);
  }
  const [X, Y] = ws.X;
  const [dX, dY] = ws.dX;
  const nx = rules[0].points.length;
  const ny = rules[1].points.length;
  // s = X Yᵀ, ∂_x s = X' Yᵀ, ∂_y s = X Y'ᵀ (n_x × n_y, row-major: the grid layout) by the engine's
  // blocked products, written straight into u and ∇u, then u = tanh(α s), ∇u = g ∇s point by point.
  const [gx, gy] = grad;
  dotCross(u, 0, X, Y, null, null, nx, ny, r);
  dotCross(gx, 0, dX, Y, null, null, nx, ny, r);
  dotCross(gy, 0, X, dY, null, null, nx, ny, r);
  for (let q = 0; q < nx * ny; q++) {
    const v = bound ? tanh(alpha * u[q]) : alpha * u[q];
    const g = bound ? alpha * (1 - v * v) : alpha;
    u[q] = v;
    gx[q] *= g;
    gy[q] *= g;
  }
  return gridEnergy(ws.weights, ws.field, epsilon);
}
