import { AxisNet, type SpinnLayout } from './network.js';

/**
 * Evaluation of a trained SPINN u(t, x, y) = tanh(α Σ_k T_k(t) X_k(x) Y_k(y)) (or α s) in float64:
 * on a space tensor grid at one time (for the energy, the movement and min/max u), and at single
 * points with all the derivatives the residual uses (for `sample` and the tests).
 *
 * Derivatives from s and its tangents (g = α(1 − u²), g_s = −2αug when bounded; g = α, g_s = 0 not):
 *   u_t = g s_t,  u_x = g s_x,  u_xx = g s_xx + g_s s_x²  (the same for y).
 */
export class SpinnField {
  private readonly point: AxisNet[];
  private readonly c = new Float64Array(1);
  private grid: { nets: AxisNet[]; shape: number[] } | null = null;

  constructor(readonly layout: SpinnLayout) {
    this.point = layout.axes.map((a) => new AxisNet(a, layout.activation, 1));
  }

  /**
   * u and its derivatives at one point into out: [u, u_t, u_x, u_y, u_xx, u_yy] (1D: y ignored,
   * u_y = u_yy = 0).
   */
  derivatives(theta: Float64Array, t: number, x: number, y: number, out: Float64Array): Float64Array {
    const { layout, point } = this;
    const r = layout.rank;
    this.forwardPoint(theta, t, x, y);
    const T = point[0];
    const X = point[1];
    let s = 0;
    let st = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    for (let k = 0; k < r; k++) {
      const y0 = layout.dim === 2 ? point[2].F[k] : 1;
      const y1 = layout.dim === 2 ? point[2].F1[k] : 0;
      const y2 = layout.dim === 2 ? point[2].F2[k] : 0;
      const tx = T.F[k] * X.F[k];
      s += tx * y0;
      st += T.F1[k] * X.F[k] * y0;
      sx += T.F[k] * X.F1[k] * y0;
      sxx += T.F[k] * X.F2[k] * y0;
      sy += tx * y1;
      syy += tx * y2;
    }
    const { alpha, bound } = layout;
    const u = bound ? Math.tanh(alpha * s) : alpha * s;
    const g = bound ? alpha * (1 - u * u) : alpha;
    const gs = bound ? -2 * alpha * u * g : 0;
    out[0] = u;
    out[1] = g * st;
    out[2] = g * sx;
    out[3] = g * sy;
    out[4] = g * sxx + gs * sx * sx;
    out[5] = g * syy + gs * sy * sy;
    return out;
  }

  private forwardPoint(theta: Float64Array, t: number, x: number, y: number): void {
    const { point, c } = this;
    for (let a = 0; a < point.length; a++) {
      c[0] = a === 0 ? t : a === 1 ? x : y;
      point[a].setCoordinates(c);
      point[a].forward(theta);
    }
  }

  /** u at one point. */
  value(theta: Float64Array, t: number, x: number, y: number): number {
    const { layout, point } = this;
    this.forwardPoint(theta, t, x, y);
    let s = 0;
    for (let k = 0; k < layout.rank; k++) s += point[0].F[k] * point[1].F[k] * (layout.dim === 2 ? point[2].F[k] : 1);
    return layout.bound ? Math.tanh(layout.alpha * s) : layout.alpha * s;
  }

  /** Fix the space grid (one coordinate array per space axis) used by `onGrid`. */
  setGrid(axes: readonly Float64Array[]): void {
    const nets = [new AxisNet(this.layout.axes[0], this.layout.activation, 1)];
    axes.forEach((xs, a) => {
      const net = new AxisNet(this.layout.axes[a + 1], this.layout.activation, xs.length);
      net.setCoordinates(xs);
      nets.push(net);
    });
    this.grid = { nets, shape: axes.map((xs) => xs.length) };
  }

  /**
   * u and ∇u at time t on the grid of `setGrid` (layout u[i_x·n_y + i_y]); grad[k] = ∂u/∂x_k.
   * Contraction: s = Σ_k T_k X_k Y_k per point, cost n_x n_y r.
   */
  onGrid(theta: Float64Array, t: number, u: Float64Array, grad: readonly Float64Array[]): void {
    if (!this.grid) throw new Error('SpinnField.onGrid: call setGrid first');
    const { nets, shape } = this.grid;
    const { layout } = this;
    const r = layout.rank;
    this.c[0] = t;
    nets[0].setCoordinates(this.c);
    for (const net of nets) net.forward(theta);
    const T = nets[0].F;
    const X = nets[1].F;
    const X1 = nets[1].F1;
    const nx = shape[0];
    const ny = layout.dim === 2 ? shape[1] : 1;
    const Y = layout.dim === 2 ? nets[2].F : null;
    const Y1 = layout.dim === 2 ? nets[2].F1 : null;
    const { alpha, bound } = layout;
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        let s = 0;
        let sx = 0;
        let sy = 0;
        for (let k = 0; k < r; k++) {
          const y0 = Y ? Y[j * r + k] : 1;
          s += T[k] * X[i * r + k] * y0;
          sx += T[k] * X1[i * r + k] * y0;
          if (Y1) sy += T[k] * X[i * r + k] * Y1[j * r + k];
        }
        const q = i * ny + j;
        const v = bound ? Math.tanh(alpha * s) : alpha * s;
        const g = bound ? alpha * (1 - v * v) : alpha;
        u[q] = v;
        grad[0][q] = g * sx;
        if (layout.dim === 2) grad[1][q] = g * sy;
      }
    }
  }
}
