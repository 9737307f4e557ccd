import type { NetworkLayout } from '../network.js';
import { AxisMlp } from './axis-mlp.js';
import { GridKernel, GridTask, lineRange, type GridBuffers, type GridGeometry, type GridTaskCode } from './grid.js';
import type { SimdKernels } from './wasm.js';

/**
 * What one participant of an evaluation (thread t: 0 is the main thread, 1 … the workers) does in
 * each of its three phases; the pool runs one phase on all threads at a time:
 *   Phase.forward:  its pieces of the axis MLPs forward (rows i0…i1 of axis a, see `axisPieces`),
 *                   writing those rows of X^a, T^a (and of Yᵀ, TYᵀ for the last axis) into the
 *                   shared buffers;
 *   Phase.grid:     its block of lines of the grid pass (GridKernel);
 *   Phase.backward: for each piece, the partial factor gradients of all threads reduced in thread
 *                   order over the piece's rows, then the axis MLP backward over those rows into
 *                   this thread's own ∂J/∂θ buffer (grads[t]); the engine then sums each axis's
 *                   slice of θ over the threads that hold a piece of it, in thread order.
 *
 *   Phase.coordinates: re-encode its pieces' axis coordinates from the shared coordinate arrays
 *                   (after the engine moved its grid, setGrid).
 * A phase code is phase · 8 + grid task (GridTask: the task decides whether tangents are needed).
 */
export const Phase = { forward: 0, grid: 1, backward: 2, coordinates: 3 } as const;

export function phaseCode(phase: number, task: GridTaskCode): number {
  return phase * 8 + task;
}

/** Rows [i0, i1) of axis `axis`'s MLP. */
export interface AxisPiece {
  readonly axis: number;
  readonly i0: number;
  readonly i1: number;
}

/**
 * The split of the axis MLPs over `threads` threads, per thread: with at least as many axes as
 * threads, whole axes (axis a on thread a mod threads: no reduction over rows, and results that do
 * not depend on the thread count); with fewer (1D, or many cores), thread t works on axis t mod d
 * and the threads of one axis split its rows into contiguous blocks.
 */
export function axisPieces(shape: readonly number[], threads: number): AxisPiece[][] {
  const d = shape.length;
  const pieces: AxisPiece[][] = [];
  for (let t = 0; t < threads; t++) {
    if (d >= threads) {
      const own: AxisPiece[] = [];
      for (let a = t; a < d; a += threads) own.push({ axis: a, i0: 0, i1: shape[a] });
      pieces.push(own);
    } else {
      const a = t % d;
      const sharing = Math.floor((threads - 1 - a) / d) + 1;
      const [i0, i1] = lineRange(shape[a], Math.floor(t / d), sharing);
      pieces.push(i1 > i0 ? [{ axis: a, i0, i1 }] : []);
    }
  }
  return pieces;
}

interface PieceWork extends AxisPiece {
  readonly mlp: AxisMlp;
  /** Views of the piece's rows of X^a, T^a. */
  readonly X: Float64Array;
  readonly T: Float64Array;
  /** Reduced ∂J/∂X, ∂J/∂T of the piece's rows. */
  readonly gX: Float64Array;
  readonly gT: Float64Array;
}

export class EngineThread {
  private readonly pieces: PieceWork[];
  private readonly kernel: GridKernel;
  private readonly coordinates: readonly Float64Array[];

  /**
   * @param theta shared θ (layout.size)
   * @param grad  this thread's ∂J/∂θ buffer (layout.size; only its pieces' axis slices are written)
   * @param coordinates the grid coordinates of each axis
   * @param simd  the WebAssembly kernels on the buffers' memory (geom.simd), or null
   */
  constructor(
    readonly t: number,
    readonly geom: GridGeometry,
    readonly buf: GridBuffers,
    layout: NetworkLayout,
    coordinates: readonly Float64Array[],
    readonly theta: Float64Array,
    readonly grad: Float64Array,
    simd: SimdKernels | null = null,
  ) {
    const d = geom.shape.length;
    if (d !== layout.axes.length) throw new Error(`EngineThread: the grid has ${d} axes, the network ${layout.axes.length}`);
    const r = geom.rank;
    this.coordinates = coordinates;
    this.pieces = axisPieces(geom.shape, geom.threads)[t].map((p) => ({
      ...p,
      mlp: new AxisMlp(layout.axes[p.axis], layout.activation, coordinates[p.axis].subarray(p.i0, p.i1), { simd: geom.simdMlp !== false }),
      X: buf.X[p.axis].subarray(p.i0 * r, p.i1 * r),
      T: buf.T[p.axis].subarray(p.i0 * r, p.i1 * r),
      gX: new Float64Array((p.i1 - p.i0) * r),
      gT: new Float64Array((p.i1 - p.i0) * r),
    }));
    this.kernel = new GridKernel(geom, buf, t, simd);
  }

  run(code: number): void {
    const phase = code >> 3;
    const task = (code & 7) as GridTaskCode;
    const tangents = task === GridTask.step || task === GridTask.field;
    if (phase === Phase.forward) this.forward(tangents);
    else if (phase === Phase.grid) this.kernel.run(task, this.t);
    else if (phase === Phase.backward) this.backward(tangents);
    else for (const p of this.pieces) p.mlp.setCoordinates(this.coordinates[p.axis].subarray(p.i0, p.i1));
  }

  private forward(tangents: boolean): void {
    const { buf, geom } = this;
    const last = geom.shape.length - 1;
    const r = geom.rank;
    for (const p of this.pieces) {
      p.mlp.forward(this.theta, p.X, tangents ? p.T : null);
      if (p.axis !== last) continue;
      // The last axis's rows transposed (Yᵀ, TYᵀ: r × n) and interleaved (YTY row j = [Y_j | TY_j]).
      const n = geom.shape[last];
      const X = buf.X[last];
      const T = buf.T[last];
      const { Yt, TYt, YTY } = buf;
      for (let j = p.i0; j < p.i1; j++) {
        for (let k = 0; k < r; k++) {
          const x = X[j * r + k];
          Yt[k * n + j] = x;
          if (tangents) {
            const tk = T[j * r + k];
            TYt[k * n + j] = tk;
            YTY[2 * r * j + k] = x;
            YTY[2 * r * j + r + k] = tk;
          }
        }
      }
    }
  }

  private backward(tangents: boolean): void {
    const { buf, geom } = this;
    const r = geom.rank;
    const last = geom.shape.length - 1;
    for (const p of this.pieces) {
      const { gX, gT, axis: a } = p;
      const n = geom.shape[a];
      gX.fill(0);
      gT.fill(0);
      for (let t = 0; t < geom.threads; t++) {
        const px = buf.partials[t].gX[a];
        const pt = buf.partials[t].gT[a];
        if (a !== last) {
          const o = p.i0 * r;
          for (let q = 0; q < gX.length; q++) gX[q] += px[o + q];
          if (tangents) for (let q = 0; q < gT.length; q++) gT[q] += pt[o + q];
        } else {
          // The last axis's partials are transposed (r × n).
          for (let j = p.i0; j < p.i1; j++) {
            const row = (j - p.i0) * r;
            for (let k = 0; k < r; k++) {
              gX[row + k] += px[k * n + j];
              if (tangents) gT[row + k] += pt[k * n + j];
            }
          }
        }
      }
      p.mlp.backward(this.grad, gX, tangents ? gT : null);
    }
  }
}
