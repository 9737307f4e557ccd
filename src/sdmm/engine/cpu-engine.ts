import { availableParallelism } from 'node:os';
import { GridTask, Param, gridBuffers, type GridBuffers, type GridGeometry, type GridTaskCode } from './grid.js';
import { WorkerPool, type WorkerLoader } from './pool.js';
import { EngineThread, Phase, axisPieces, phaseCode } from './thread.js';
import type { NetworkLayout } from '../network.js';
import type { Rule1D } from '../../quadrature/index.js';
import type { EngineObjective, EngineSetup, SdmmEngine } from './types.js';
import { simdAvailable, simdKernels, simdMemory } from './wasm.js';

/**
 * The default thread count is one per core but at least this many multiply-adds per thread and
 * evaluation (estimated by `evaluationWork`): a parallel evaluation pays three barrier wake-ups
 * (≈ 10 µs each here). Measured with benchmarks/sdmm-eval.ts on the 2-core machine (rank 16,
 * width 32, depth 2; a shared machine, so noisy; medians of runs minutes apart): 16,384 points
 * 2.84 ms on one thread, 1.46 ms on two; 4,096 points (64², 1.8 M multiply-adds) 1.1 ms on one,
 * 0.7–1.1 ms on two; 1,024 points (0.75 M) 0.50 and 0.42 ms when the machine was quiet but equal
 * under load; 256 points 0.23 and 0.25 ms. So about 0.8 M multiply-adds per thread for the
 * TypeScript kernels. The WebAssembly SIMD kernels (wasm.ts) do the same work 2.2–2.8× faster
 * while the barrier cost stays, so the threshold scales to 2 M: 64² (1.8 M) runs on one thread
 * (0.45 ms against 0.49 ms on two, same-process alternation on the loaded machine; a worker
 * pool's start-up is saved too), 128² (4.8 M) on two.
 */
export const MIN_WORK_PER_THREAD = 2_000_000;

/**
 * Multiply-adds of one step evaluation: the grid contractions per point, 4r in 1D, 9r in 2D (3r
 * forward, 6r reverse), 12r in 3D; and per axis point 6 Σ_l in_l·out_l for the MLP with its
 * tangent (forward, ∂/∂W and ∂/∂H, each for values and tangents).
 */
export function evaluationWork(shape: readonly number[], layout: NetworkLayout): number {
  const N = shape.reduce((a, b) => a * b, 1);
  const d = shape.length;
  const perPoint = (d === 1 ? 4 : d === 2 ? 9 : 12) * layout.rank;
  let mlp = 0;
  for (let a = 0; a < d; a++) mlp += shape[a] * 6 * layout.axes[a].layers.reduce((s, L) => s + L.inputs * L.outputs, 0);
  return N * perPoint + mlp;
}

/**
 * The float64 CPU engine of SDMM (DESIGN.md §2, "Engine"): one evaluation is three phases, each
 * run on all `threads` participants (the main thread and threads − 1 workers sharing
 * SharedArrayBuffers; see EngineThread):
 *   1. each axis MLP forward on its 1D grid, with tangents for 'step' (AxisMlp; axis a on thread
 *      a mod threads, or its rows split between threads when there are fewer axes than threads);
 *   2. the fused grid pass — s, ∂_a s, the objective's density and its reverse contraction, line
 *      by line (GridKernel), split into `threads` blocks of lines;
 *   3. per axis, the threads' partial factor gradients reduced in thread order, then the axis MLP
 *      backward into ∂/∂θ (summed over the threads holding pieces of that axis, in thread order);
 *      ∂/∂α from the threads' partial sums, in thread order.
 * Same thread count → bit-identical results; different counts differ only by the summation order
 * of the partials (≈ 1e-15 relative).
 */
/**
 * The worker module beside this one: worker.ts from the sources (tsx, vitest), worker.js in a
 * build. Resolved only when a pool starts: a browser bundle (one thread) has no import.meta.url.
 */
function workerModule(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
}

class CpuEngine implements SdmmEngine {
  readonly name = 'js';
  readonly precision = 'float64' as const;
  readonly threads: number;
  readonly points: number;
  /**
   * Which grid-pass kernels run: 'wasm-simd' (wasm.ts) or 'js' (grid.ts's TypeScript loops). The
   * axis MLPs use their SIMD products wherever WebAssembly SIMD exists, unless options.simd is false.
   */
  readonly kernels: 'wasm-simd' | 'js';
  private readonly setup: EngineSetup;
  private readonly d: number;
  private readonly geom: GridGeometry;
  private readonly buf: GridBuffers;
  private readonly main: EngineThread;
  private readonly pool: WorkerPool | null;
  /** θ, and each thread's ∂J/∂θ, where every thread sees them. */
  private readonly theta: Float64Array;
  private readonly grads: Float64Array[];
  private readonly axisSlices: { start: number; end: number; owners: number[] }[];
  /** The grid coordinates of each axis, where every thread sees them. */
  private readonly coordinates: Float64Array[];
  private hasStep = false;
  private hasFit = false;
  private disposed = false;

  constructor(setup: EngineSetup, options: CpuEngineOptions = {}) {
    validateSetup(setup);
    this.setup = setup;
    const { layout, rules } = setup;
    const shape = rules.map((r) => r.points.length);
    this.d = shape.length;
    this.points = shape.reduce((a, b) => a * b, 1);
    const lines = shape.slice(0, this.d - 1).reduce((a, b) => a * b, 1);
    const requested = setup.threads ?? Math.max(1, Math.min(availableParallelism(), Math.floor(evaluationWork(shape, layout) / MIN_WORK_PER_THREAD)));
    // At most one thread per grid line (1D: per point of the axis, whose MLP rows are split).
    this.threads = Math.max(1, Math.min(requested, this.d === 1 ? shape[0] : lines));
    // The WebAssembly SIMD kernels (wasm.ts) cover the 2D pass with an even last axis.
    const sharedMemory = this.threads > 1;
    const simd = options.simd !== false && this.d === 2 && shape[1] % 2 === 0 && simdAvailable(sharedMemory);
    this.geom = { shape, rank: layout.rank, threads: this.threads, bound: layout.bound, simd, simdMlp: options.simd !== false };
    const { bytes } = gridBuffers(this.geom);
    const wasmMemory = simd ? simdMemory(bytes, sharedMemory) : null;
    const memory = wasmMemory ? wasmMemory.buffer : sharedMemory ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    this.kernels = simd ? 'wasm-simd' : 'js';
    this.buf = gridBuffers(this.geom, memory).buffers;
    rules.forEach((rule, a) => this.buf.w[a].set(rule.weights));
    const p = this.buf.params;
    p[Param.invEps2] = 1 / (setup.epsilon * setup.epsilon);
    p[Param.invMovement] = 1 / (2 * setup.mobility * setup.tau);
    p[Param.invN] = 1 / this.points;
    const shared = (len: number) => new Float64Array(this.threads > 1 ? new SharedArrayBuffer(8 * len) : new ArrayBuffer(8 * len));
    this.theta = shared(layout.size);
    this.grads = Array.from({ length: this.threads }, () => shared(layout.size));
    // Per axis: its slice of θ and the threads holding a piece of its MLP, in thread order.
    const pieces = axisPieces(shape, this.threads);
    this.axisSlices = layout.axes.map((axis, a) => {
      const first = axis.layers[0];
      const lastLayer = axis.layers[axis.layers.length - 1];
      const owners = pieces.flatMap((own, t) => (own.some((p) => p.axis === a) ? [t] : []));
      return { start: first.weightOffset, end: lastLayer.biasOffset + lastLayer.outputs, owners };
    });
    // Shared, so that setGrid can move the grid of every thread (Phase.coordinates).
    const coordinates = rules.map((r) => shared(r.points.length));
    coordinates.forEach((c, a) => c.set(rules[a].points));
    this.coordinates = coordinates;
    this.main = new EngineThread(0, this.geom, this.buf, layout, coordinates, this.theta, this.grads[0], wasmMemory ? simdKernels(wasmMemory) : null);
    this.pool =
      this.threads > 1
        ? new WorkerPool(this.threads - 1, workerModule(), () => ({
            memory,
            wasmMemory,
            geometry: this.geom,
            layout,
            coordinates,
            theta: this.theta,
            grads: this.grads,
          }), options.workerLoader)
        : null;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('SDMM engine used after dispose()');
  }

  private gridArray(name: string, v: ArrayLike<number>): void {
    if (v.length !== this.points) throw new Error(`SDMM engine: ${name} has ${v.length} entries, the grid has ${this.points} points`);
  }

  /** ∇uⁿ is checked but not kept: the full Jₙ (float64, not the float32 difference form) does not need it. */
  setStep(uPrev: Float64Array, gradPrev: readonly Float64Array[], sigma: Float64Array | null): void {
    this.checkAlive();
    this.gridArray('uPrev', uPrev);
    if (gradPrev.length !== this.d) throw new Error(`SDMM engine: gradPrev has ${gradPrev.length} arrays, the grid has ${this.d} axes`);
    gradPrev.forEach((g, a) => this.gridArray(`gradPrev[${a}]`, g));
    this.buf.uPrev.set(uPrev);
    if (sigma) {
      this.gridArray('sigma', sigma);
      this.buf.sigma.set(sigma);
    }
    this.buf.params[Param.hasSource] = sigma ? 1 : 0;
    this.hasStep = true;
  }

  setFitTargets(u0: Float64Array, sTarget: Float64Array): void {
    this.checkAlive();
    this.gridArray('u0', u0);
    this.gridArray('sTarget', sTarget);
    this.buf.u0.set(u0);
    this.buf.sTarget.set(sTarget);
    this.hasFit = true;
  }

  /**
   * Move the grid (the moving-grid experiment, benchmarks/sdmm-grid-shift.ts): new rules with this engine's number of points per axis.
   * uⁿ and the fit targets belong to the old grid: call setStep / setFitTargets again before evaluating.
   */
  setGrid(rules: readonly Rule1D[]): void {
    this.checkAlive();
    if (rules.length !== this.d) throw new Error(`SDMM engine: setGrid got ${rules.length} rules for ${this.d} axes`);
    rules.forEach((rule, a) => {
      const n = this.coordinates[a].length;
      if (rule.points.length !== n || rule.weights.length !== n) {
        throw new Error(`SDMM engine: setGrid rules[${a}] has ${rule.points.length} points and ${rule.weights.length} weights, the grid has ${n}`);
      }
    });
    rules.forEach((rule, a) => {
      this.coordinates[a].set(rule.points);
      this.buf.w[a].set(rule.weights);
    });
    this.phase(Phase.coordinates, GridTask.field);
    this.hasStep = false;
    this.hasFit = false;
  }

  /** One phase on every thread. */
  private phase(phase: number, task: GridTaskCode): void {
    const code = phaseCode(phase, task);
    if (this.pool) this.pool.run(code, () => this.main.run(code));
    else this.main.run(code);
  }

  /** Phases 1–2 of the class comment at θ. */
  private forwardAndGrid(task: GridTaskCode, theta: Float64Array): void {
    const { layout } = this.setup;
    if (theta.length !== layout.size) throw new Error(`SDMM engine: theta has ${theta.length} entries, the network has ${layout.size}`);
    this.buf.params[Param.alpha] = layout.alphaIndex >= 0 ? theta[layout.alphaIndex] : layout.alpha;
    this.theta.set(theta);
    this.phase(Phase.forward, task);
    this.phase(Phase.grid, task);
  }

  evaluate(objective: EngineObjective, theta: Float64Array, grad: Float64Array): number {
    this.checkAlive();
    const { layout } = this.setup;
    if (grad.length !== layout.size) throw new Error(`SDMM engine: grad has ${grad.length} entries, the network has ${layout.size}`);
    let task: GridTaskCode;
    switch (objective) {
      case 'step':
        if (!this.hasStep) throw new Error("SDMM engine: call setStep() before evaluate('step')");
        task = GridTask.step;
        break;
      case 'fit':
      case 'pre-fit':
        if (!this.hasFit) throw new Error(`SDMM engine: call setFitTargets() before evaluate('${objective}')`);
        task = objective === 'fit' ? GridTask.fit : GridTask.preFit;
        break;
      default:
        throw new Error(`SDMM engine: objective must be one of step, fit, pre-fit, got ${String(objective)}`);
    }
    this.forwardAndGrid(task, theta);
    this.phase(Phase.backward, task);
    // ∂J/∂α and J from the partial sums in thread order (fixed order → reproducible bits).
    const { partials } = this.buf;
    let value = 0;
    let gAlpha = 0;
    for (let t = 0; t < this.threads; t++) {
      value += partials[t].acc[0];
      gAlpha += partials[t].acc[1];
    }
    // Each axis's slice of θ: the sum of its owners' contributions, in thread order.
    for (const { start, end, owners } of this.axisSlices) {
      for (let p = start; p < end; p++) grad[p] = 0;
      for (const t of owners) {
        const g = this.grads[t];
        for (let p = start; p < end; p++) grad[p] += g[p];
      }
    }
    if (layout.alphaIndex >= 0) grad[layout.alphaIndex] = gAlpha;
    return value;
  }

  fieldOnGrid(theta: Float64Array, u: Float64Array, grad: readonly Float64Array[]): void {
    this.checkAlive();
    this.gridArray('u', u);
    if (grad.length !== this.d) throw new Error(`SDMM engine: grad has ${grad.length} arrays, the grid has ${this.d} axes`);
    grad.forEach((g, a) => this.gridArray(`grad[${a}]`, g));
    this.forwardAndGrid(GridTask.field, theta);
    u.set(this.buf.uOut);
    grad.forEach((g, a) => g.set(this.buf.gradOut[a]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }
}

function positiveFinite(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`SDMM engine: ${name} must be a positive number, got ${String(v)}`);
}

/** Checks the setup once, at the boundary; each message is one line naming the input. */
function validateSetup(setup: EngineSetup): void {
  const { layout, rules } = setup;
  const d = rules.length;
  if (d < 1 || d > 3) throw new Error(`SDMM engine: rules must give 1, 2 or 3 axes, got ${d}`);
  if (layout.axes.length !== d) throw new Error(`SDMM engine: the network has ${layout.axes.length} axes but rules give ${d}`);
  rules.forEach((rule, a) => {
    if (rule.points.length < 1) throw new Error(`SDMM engine: rules[${a}] has no points`);
    if (rule.weights.length !== rule.points.length) {
      throw new Error(`SDMM engine: rules[${a}] has ${rule.points.length} points but ${rule.weights.length} weights`);
    }
  });
  positiveFinite('epsilon', setup.epsilon);
  positiveFinite('mobility', setup.mobility);
  positiveFinite('tau', setup.tau);
  if (setup.threads !== undefined && (!Number.isInteger(setup.threads) || setup.threads < 1)) {
    throw new Error(`SDMM engine: threads must be a positive integer, got ${String(setup.threads)}`);
  }
}

/** Options of the CPU engine beyond the contract's EngineSetup. */
export interface CpuEngineOptions {
  /** How worker threads load the engine's TypeScript (pool.ts): 'bundle' (default) or 'tsx'. */
  readonly workerLoader?: WorkerLoader;
  /**
   * false: the TypeScript kernels even where WebAssembly SIMD is available (default true: the SIMD
   * kernels of wasm.ts for the 2D grid pass with an even number of points on the last axis, and
   * for the axis MLPs' dense products).
   */
  readonly simd?: boolean;
}

/** The float64 CPU engine for a network and quadrature grid (see CpuEngine). Call dispose() when done. */
export function createCpuEngine(setup: EngineSetup, options: CpuEngineOptions = {}): SdmmEngine {
  return new CpuEngine(setup, options);
}
