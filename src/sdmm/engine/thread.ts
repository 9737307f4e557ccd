import type { NetworkLayout } from '../network.js';
import { AxisMlp } from './axis-mlp.js';
import { transpose } from './dense.js';
import { GridKernel, GridTask, type GridBuffers, type GridGeometry, type GridTaskCode } from './grid.js';

/**
 * What one participant of an evaluation (thread t: 0 is the main thread, 1 … the workers) does in
 * each of its three phases; the pool runs one phase on all threads at a time:
 *   Phase.forward:  the axis MLPs it owns (axis a belongs to thread a mod threads) forward, writing
 *                   X^a, T^a (and Yᵀ, TYᵀ for the last axis) into the shared buffers;
 *   Phase.grid:     its block of lines of the grid pass (GridKernel);
 *   Phase.backward: for each owned axis, the partial factor gradients of all threads reduced in
 *                   thread order, then that axis MLP backward into the shared ∂J/∂θ.
 * The per-axis work does not depend on the thread count, so only the grid's line split (and the
 * order of the partial sums) does.
 *
 * A phase code is phase · 8 + grid task (GridTask: the task decides whether tangents are needed).
 */
export const Phase = { forward: 0, grid: 1, backward: 2 } as const;

export function phaseCode(phase: number, task: GridTaskCode): number {
  return phase * 8 + task;
}

export class EngineThread {
  private readonly mlps: (AxisMlp | null)[];
  private readonly gX: (Float64Array | null)[];
  private readonly gT: (Float64Array | null)[];
  private readonly kernel: GridKernel;

  /**
   * @param theta, grad shared θ and ∂J/∂θ (layout.size each)
   * @param coordinates the grid coordinates of each axis
   */
  constructor(
    readonly t: number,
    readonly geom: GridGeometry,
    readonly buf: GridBuffers,
    layout: NetworkLayout,
    coordinates: readonly Float64Array[],
    readonly theta: Float64Array,
    readonly grad: Float64Array,
  ) {
    const d = geom.shape.length;
    const owned = (a: number) => a % geom.threads === t;
    this.mlps = layout.axes.map((axis, a) => (owned(a) ? new AxisMlp(axis, layout.activation, coordinates[a]) : null));
    this.gX = geom.shape.map((n, a) => (owned(a) ? new Float64Array(n * geom.rank) : null));
    this.gT = geom.shape.map((n, a) => (owned(a) ? new Float64Array(n * geom.rank) : null));
    this.kernel = new GridKernel(geom, buf);
    if (d !== layout.axes.length) throw new Error(`EngineThread: the grid has ${d} axes, the network ${layout.axes.length}`);
  }

  run(code: number): void {
    const phase = code >> 3;
    const task = (code & 7) as GridTaskCode;
    const tangents = task === GridTask.step || task === GridTask.field;
    if (phase === Phase.forward) this.forward(tangents);
    else if (phase === Phase.grid) this.kernel.run(task, this.t);
    else this.backward(tangents);
  }

  private forward(tangents: boolean): void {
    const { buf, geom } = this;
    const last = geom.shape.length - 1;
    for (let a = 0; a <= last; a++) {
      const mlp = this.mlps[a];
      if (!mlp) continue;
      mlp.forward(this.theta, buf.X[a], tangents ? buf.T[a] : null);
      if (a === last) {
        const n = geom.shape[a];
        const r = geom.rank;
        transpose(buf.Yt, buf.X[a], n, r);
        if (tangents) {
          transpose(buf.TYt, buf.T[a], n, r);
          // Rows [Y_j | TY_j] for the paired 2D forward.
          const X = buf.X[a];
          const T = buf.T[a];
          const YTY = buf.YTY;
          for (let j = 0; j < n; j++) {
            for (let k = 0; k < r; k++) {
              YTY[2 * r * j + k] = X[j * r + k];
              YTY[2 * r * j + r + k] = T[j * r + k];
            }
          }
        }
      }
    }
  }

  private backward(tangents: boolean): void {
    const { buf, geom } = this;
    const r = geom.rank;
    const last = geom.shape.length - 1;
    for (let a = 0; a <= last; a++) {
      const mlp = this.mlps[a];
      const gX = this.gX[a];
      const gT = this.gT[a];
      if (!mlp || !gX || !gT) continue;
      const n = geom.shape[a];
      gX.fill(0);
      gT.fill(0);
      for (let t = 0; t < geom.threads; t++) {
        const px = buf.partials[t].gX[a];
        const pt = buf.partials[t].gT[a];
        if (a !== last) {
          for (let q = 0; q < n * r; q++) gX[q] += px[q];
          if (tangents) for (let q = 0; q < n * r; q++) gT[q] += pt[q];
        } else {
          // The last axis's partials are transposed (r × n).
          for (let j = 0; j < n; j++) {
            for (let k = 0; k < r; k++) {
              gX[j * r + k] += px[k * n + j];
              if (tangents) gT[j * r + k] += pt[k * n + j];
            }
          }
        }
      }
      mlp.backward(this.grad, gX, tangents ? gT : null);
    }
  }
}
