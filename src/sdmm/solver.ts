import * as tf from './tf.js';
import { gradientEnergy, movementTerm, potentialEnergy, sourceWork } from '../physics/energy.js';
import type { ProblemConfig } from '../physics/problems.js';
import { compositeGaussLegendre, tensorRule, type Rule1D } from '../quadrature/index.js';
import { DivergenceError, type GradientFlowSolver, type SolverProgress, type SolverState, type StepRecord } from '../solver.js';
import { selectBackend } from './backend.js';
import {
  adamMinimize,
  createAdamState,
  createLbfgsState,
  lbfgsMinimize,
  type AdamState,
  type LbfgsState,
  type MinimizeResult,
  type Objective,
} from './optimizers.js';
import { resolveSdmmOptions, type SdmmOptions } from './options.js';
import {
  NetworkEvaluator,
  alphaOf,
  boundedFieldTf,
  encodeAxis,
  initialParameters,
  networkLayout,
  separableFieldTf,
  type NetworkLayout,
} from './network.js';

/** The initial-condition fit did not reach its MSE tolerance; the solver refuses to step from it. */
export class SdmmFitError extends Error {
  override name = 'SdmmFitError';
}

/** Float64 grid values of one field: u and ∇u at the quadrature points (layout u[i_x·n_y + i_y]). */
interface GridValues {
  u: Float64Array;
  grad: Float64Array[];
}

/**
 * SDMM: the minimizing movement scheme with a separable neural network (Mattey & Ghosh,
 * arXiv 2405.06119). Each step solves
 *
 *   θⁿ⁺¹ ≈ argmin_θ Jₙ(u_θ),  Jₙ(u) = Σ_q w_q [½|∇u|² + ε⁻² F(u) + (u − uⁿ)²/(2mτ) − s u / m]
 *
 * on the composite Gauss–Legendre tensor grid (n_e elements × q points per axis; weights the outer
 * product of the 1D weights), with uⁿ and ∇uⁿ stored on that grid. The loss and its θ-gradient are
 * computed by TensorFlow.js in float32 (one reverse-mode pass), as the difference Jₙ(u) − Jₙ(uⁿ)
 * (see the constructor) so that float32 resolves the small changes of Jₙ; E, the movement term and min/max u are then
 * re-evaluated in float64 from the grid values through src/physics/energy.ts, and a step is
 * accepted only if the float64 Jₙ did not increase (else uⁿ⁺¹ = uⁿ and θ is left unchanged), so
 * E(uⁿ⁺¹) + ‖uⁿ⁺¹ − uⁿ‖²/(2mτ) ≤ E(uⁿ) holds in float64 on every step.
 */
class SdmmSolver implements GradientFlowSolver {
  readonly kind = 'sdmm';
  readonly layout: NetworkLayout;
  private theta: Float32Array;
  private readonly evaluator: NetworkEvaluator;
  private readonly rules: Rule1D[];
  private readonly shape: number[];
  private readonly weights: Float64Array;
  private readonly weightsT: tf.Tensor;
  private readonly inputs: { enc: tf.Tensor2D; dEnc: tf.Tensor2D }[];
  private readonly points: Float64Array;
  private uPrevT: tf.Tensor | null = null;
  /** ∇uⁿ on the grid (float32), one tensor per axis: the step loss is evaluated relative to uⁿ. */
  private uPrevGradT: tf.Tensor[] = [];
  private targetT: tf.Tensor | null = null;
  private preTargetT: tf.Tensor | null = null;
  private sourceT: tf.Tensor | null = null;
  private uPrev: GridValues;
  private source64: Float64Array | null = null;
  private lbfgs: LbfgsState;
  private adam: AdamState;
  private energy = NaN;
  /** Relative fit error mean_q (u_θ − u₀)² / mean_q u₀². */
  private fitMse = NaN;
  /** mean_q u₀² on the grid (1 for u₀ ≡ 0). */
  private fitScale = 1;
  private fitIterations = 0;
  private fitStopReason = '';
  private initialised = false;
  private n = 0;
  private readonly stepLossGrad: (theta: tf.Tensor1D) => { value: tf.Scalar; grad: tf.Tensor1D };
  private readonly fitLossGrad: (theta: tf.Tensor1D) => { value: tf.Scalar; grad: tf.Tensor1D };
  private readonly preFitLossGrad: (theta: tf.Tensor1D) => { value: tf.Scalar; grad: tf.Tensor1D };
  private disposed = false;

  constructor(
    readonly problem: ProblemConfig,
    readonly options: SdmmOptions,
    readonly backend: string,
  ) {
    this.layout = networkLayout(problem, options);
    this.theta = initialParameters(this.layout, options.seed);
    this.evaluator = new NetworkEvaluator(this.layout);
    this.rules = this.layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, options.quadElements, options.quadPoints));
    this.shape = this.rules.map((r) => r.points.length);
    const rule = tensorRule(this.rules);
    this.weights = rule.weights;
    this.points = rule.points;
    this.weightsT = tf.tensor(Float32Array.from(this.weights), this.shape, 'float32');
    this.inputs = this.layout.axes.map((axis, a) => {
      const { enc, dEnc } = encodeAxis(axis, this.rules[a].points);
      const n = this.shape[a];
      return {
        enc: tf.tensor2d(Float32Array.from(enc), [n, axis.inputs], 'float32'),
        dEnc: tf.tensor2d(Float32Array.from(dEnc), [n, axis.inputs], 'float32'),
      };
    });
    this.uPrev = this.newGridValues();
    this.lbfgs = createLbfgsState(this.layout.size, options.historySize);
    this.adam = createAdamState(this.layout.size);
    const { epsilon, mobility, tau } = problem;
    const invEps2 = 1 / (epsilon * epsilon);
    const invMovement = 1 / (2 * mobility * tau);
    // The step loss is Jₙ(u) − Jₙ(uⁿ), Jₙ(uⁿ) = E(uⁿ) − ∫ s uⁿ/m: a θ-independent shift, so the
    // minimizer and the θ-gradient are those of Jₙ, but every term is written as a difference that
    // vanishes at u = uⁿ,
    //   ½(|∇u|² − |∇uⁿ|²) = ½ Σ_k (∂_k u − ∂_k uⁿ)(∂_k u + ∂_k uⁿ),
    //   ε⁻²(F(u) − F(uⁿ)) = ¼ ε⁻² (u − uⁿ)(u + uⁿ)(u² + uⁿ² − 2),
    //   (u − uⁿ)²/(2mτ) − s (u − uⁿ)/m,
    // so float32 keeps the small changes of Jₙ that decide a step. Summing Jₙ itself in float32 buries
    // them: small-amplitude data (coarsening, |u| ≤ 0.05) has Jₙ ≈ ε⁻²/4 = 156 from the bulk term,
    // float32 rounding of order 1e-5 there, and per-step changes of Jₙ of 1e-4 to 1e-6; L-BFGS then
    // stops on rounding noise ('line-search') and leaves the error in the least stable direction
    // (the mean, growing at m/ε²), which took the reduced coarsening run to u ≡ 1.
    this.stepLossGrad = tf.valueAndGrad((theta: tf.Tensor1D) => {
      const { u, grad } = this.fieldTf(theta);
      const uPrev = this.uPrevT!;
      let density = tf.mul(
        0.5,
        grad.map((g, k) => tf.mul(tf.sub(g, this.uPrevGradT[k]), tf.add(g, this.uPrevGradT[k]))).reduce((a, b) => tf.add(a, b)),
      );
      const du = tf.sub(u, uPrev);
      const bulk = tf.mul(tf.mul(du, tf.add(u, uPrev)), tf.sub(tf.add(tf.square(u), tf.square(uPrev)), 2));
      density = tf.add(density, tf.mul(0.25 * invEps2, bulk));
      density = tf.add(density, tf.mul(invMovement, tf.square(du)));
      if (this.sourceT) density = tf.sub(density, tf.mul(this.sourceT, du));
      return tf.sum(tf.mul(this.weightsT, density)) as tf.Scalar;
    });
    this.fitLossGrad = tf.valueAndGrad((theta: tf.Tensor1D) => {
      const { u } = this.fieldTf(theta);
      return tf.mean(tf.square(tf.sub(u, this.targetT!))) as tf.Scalar;
    });
    this.preFitLossGrad = tf.valueAndGrad((theta: tf.Tensor1D) => {
      const field = separableFieldTf(theta, this.layout, this.inputs);
      return tf.mean(tf.square(tf.sub(tf.mul(alphaOf(theta, this.layout), field.s), this.preTargetT!))) as tf.Scalar;
    });
  }

  get stepIndex(): number {
    return this.n;
  }

  get time(): number {
    return this.n * this.problem.tau;
  }

  private fieldTf(theta: tf.Tensor1D) {
    const field = separableFieldTf(theta, this.layout, this.inputs);
    return boundedFieldTf(field, alphaOf(theta, this.layout), this.layout.bound);
  }

  private objective(which: 'step' | 'fit' | 'pre-fit'): Objective {
    const vg = which === 'step' ? this.stepLossGrad : which === 'fit' ? this.fitLossGrad : this.preFitLossGrad;
    return (theta, grad) => {
      let value = NaN;
      tf.tidy(() => {
        const r = vg(tf.tensor1d(theta, 'float32'));
        value = r.value.dataSync()[0];
        grad.set(r.grad.dataSync());
      });
      return value;
    };
  }

  /**
   * u and ∇u on the grid in float64 from the float32 separable sums s, ∂s/∂x_k:
   * u = tanh(α s), ∂u/∂x_k = α sech²(α s) ∂s/∂x_k (bounded) or u = α s, ∂u/∂x_k = α ∂s/∂x_k.
   */
  private gridValues(theta: Float32Array, out: GridValues): GridValues {
    const arrays = tf.tidy(() => {
      const f = separableFieldTf(tf.tensor1d(theta, 'float32'), this.layout, this.inputs);
      return [f.s, ...f.ds].map((t) => t.dataSync() as Float32Array);
    });
    const [s, ...ds] = arrays;
    const alpha = this.layout.alphaIndex >= 0 ? theta[this.layout.alphaIndex] : this.layout.alpha;
    for (let q = 0; q < s.length; q++) {
      const as = alpha * s[q];
      let g = alpha;
      if (this.layout.bound) {
        out.u[q] = Math.tanh(as);
        const c = Math.cosh(as);
        g = alpha / (c * c);
      } else out.u[q] = as;
      for (let k = 0; k < ds.length; k++) out.grad[k][q] = g * ds[k][q];
    }
    return out;
  }

  private newGridValues(): GridValues {
    const N = this.weights.length;
    return { u: new Float64Array(N), grad: this.layout.axes.map(() => new Float64Array(N)) };
  }

  private energy64(v: GridValues): number {
    return potentialEnergy(this.weights, v.u, this.problem.epsilon) + gradientEnergy(this.weights, v.grad);
  }

  private setPrevious(v: GridValues): void {
    this.uPrev = v;
    this.uPrevT?.dispose();
    this.uPrevT = tf.tensor(Float32Array.from(v.u), this.shape, 'float32');
    for (const t of this.uPrevGradT) t.dispose();
    this.uPrevGradT = v.grad.map((g) => tf.tensor(Float32Array.from(g), this.shape, 'float32'));
  }

  /** Jₙ(uⁿ) = E(uⁿ) − ∫ s uⁿ/m in float64 (with the source of the step being taken, if any): the shift of the step loss. */
  private previousJ(): number {
    return this.energy - (this.source64 ? sourceWork(this.weights, this.source64, this.uPrev.u) : 0);
  }

  /**
   * The scaled source s(x, y, t)/m on the grid at t = tⁿ⁺¹, or null without a source. The PDE is
   * u_t = m(Δu − ε⁻² f(u)) + s, so Jₙ carries −(1/m) ∫ s u (its Euler–Lagrange equation is
   * (u − uⁿ)/τ = m(Δu − ε⁻² f(u)) + s), the same convention as the FEM solver.
   */
  private setSource(t: number): void {
    this.sourceT?.dispose();
    this.sourceT = null;
    this.source64 = null;
    const src = this.problem.source;
    if (!src) return;
    const N = this.weights.length;
    const dim = this.layout.dim;
    const v = new Float64Array(N);
    const im = 1 / this.problem.mobility;
    for (let q = 0; q < N; q++) v[q] = im * src(this.points[dim * q], dim === 2 ? this.points[dim * q + 1] : 0, t);
    this.source64 = v;
    this.sourceT = tf.tensor(Float32Array.from(v), this.shape, 'float32');
  }

  private record(step: number, energy: number, movement: number, v: GridValues, iterations: number, wallMs: number, stopReason: string): StepRecord {
    let minU = Infinity;
    let maxU = -Infinity;
    for (let q = 0; q < v.u.length; q++) {
      if (v.u[q] < minU) minU = v.u[q];
      if (v.u[q] > maxU) maxU = v.u[q];
    }
    return { step, t: step * this.problem.tau, energy, movement, iterations, linearIterations: 0, wallMs, minU, maxU, stopReason };
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('SDMM solver used after dispose()');
  }

  /**
   * Step 0: fit u_θ to u₀ on the quadrature grid; the fit error is the relative MSE
   * mean_q (u_θ − u₀)² / mean_q u₀².
   * With the tanh bounding, minimizing the MSE from the Glorot start stalls (measured: the star
   * stays at MSE ≈ 0.14): s = Σ X_k Y_k starts near the saddle X = Y = 0, and saturated tanh
   * regions pass no gradient. So the fit runs in three phases, each capped at fitMaxIters:
   *   1. Adam (learningRate) on the pre-activation misfit mean_q (α s − s*)², s* = atanh(u₀)
   *      clamped to [−3, 3] (tanh 3 = 0.995), until it improves by < 10⁻³ (relative) over 25 iterations
   *      or passes phase 2's MSE test;
   *   2. L-BFGS on the same misfit until the MSE (checked every 50 iterations) is ≤ 10·fitTolerance·mean u₀²
   *      or the misfit's relative decrease is < 10⁻⁸;
   *   3. L-BFGS on the MSE itself until MSE ≤ fitTolerance·mean u₀², or its relative decrease per
   *      iteration is < 10⁻⁷ (the float32 noise floor).
   * Without the bounding s* = u₀, so phases 1–2 already minimize the MSE. The achieved MSE
   * (float64) goes into the step-0 stopReason and describe().
   */
  async initialise(onProgress?: (progress: SolverProgress) => void): Promise<StepRecord> {
    this.checkAlive();
    const t0 = performance.now();
    const N = this.weights.length;
    const dim = this.layout.dim;
    const u0 = new Float64Array(N);
    for (let q = 0; q < N; q++) u0[q] = this.problem.initial(this.points[dim * q], dim === 2 ? this.points[dim * q + 1] : 0);
    const clampS = 3;
    const sTarget = new Float32Array(N);
    for (let q = 0; q < N; q++) {
      const v = u0[q];
      sTarget[q] = this.layout.bound ? Math.max(-clampS, Math.min(clampS, Math.atanh(Math.max(-1, Math.min(1, v))))) : v;
    }
    const o = this.options;
    const phases: string[] = [];
    let iterations = 0;
    const run = (label: string, res: MinimizeResult) => {
      iterations += res.iterations;
      phases.push(`${label} ${res.iterations} ${res.stopReason}`);
      if (res.stopReason === 'non-finite') {
        throw new DivergenceError(`SDMM initial fit (${label}): the loss became NaN or infinite (check the initial condition u₀ and learningRate)`, 0);
      }
      return res;
    };
    this.targetT?.dispose();
    this.preTargetT?.dispose();
    this.targetT = tf.tensor(Float32Array.from(u0), this.shape, 'float32');
    this.preTargetT = tf.tensor(sTarget, this.shape, 'float32');
    // The tolerance is relative to the mean square of u₀, so small-amplitude data (coarsening,
    // random: |u₀| ≤ 0.05) is held to the same relative accuracy as a ±1 field.
    let meanSquare = 0;
    for (let q = 0; q < N; q++) meanSquare += u0[q] * u0[q];
    meanSquare /= N;
    this.fitScale = meanSquare > 1e-300 ? meanSquare : 1;
    const mseTarget = o.fitTolerance * this.fitScale;
    const mse32 = (theta: Float32Array) =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(this.fieldTf(tf.tensor1d(theta, 'float32')).u, this.targetT!))).dataSync()[0]);
    // Progress: every 50 iterations of a phase (the stop test's cadence) and at each phase's end.
    let phase = 'adam(s)';
    let inPhase = 0;
    const report = (n: number) => onProgress?.({ phase: `initial fit ${phase}`, iterations: n, maxIterations: o.fitMaxIters });
    const switchToMse = {
      everyIters: 50,
      test: (theta: Float32Array) => {
        report((inPhase += 50));
        return mse32(theta) <= 10 * mseTarget;
      },
    };
    const next = (label: string) => {
      phase = label;
      inPhase = 0;
      report(0);
    };
    try {
      const pre = this.objective('pre-fit');
      next('adam(s)');
      run('adam(s)', adamMinimize(pre, this.theta, createAdamState(this.layout.size), { maxIters: o.fitMaxIters, tol: 1e-3, learningRate: o.learningRate, stop: switchToMse }));
      next('lbfgs(s)');
      run('lbfgs(s)', lbfgsMinimize(pre, this.theta, createLbfgsState(this.layout.size, o.historySize), { maxIters: o.fitMaxIters, tol: 1e-8, stop: switchToMse }));
      next('lbfgs(u)');
      run('lbfgs(u)', lbfgsMinimize(this.objective('fit'), this.theta, createLbfgsState(this.layout.size, o.historySize), { maxIters: o.fitMaxIters, tol: 1e-7, target: mseTarget }));
    } finally {
      this.targetT?.dispose();
      this.preTargetT?.dispose();
      this.targetT = null;
      this.preTargetT = null;
    }
    const v = this.gridValues(this.theta, this.newGridValues());
    let se = 0;
    for (let q = 0; q < N; q++) se += (v.u[q] - u0[q]) ** 2;
    this.fitMse = se / N / this.fitScale;
    this.fitIterations = iterations;
    const ok = this.fitMse <= o.fitTolerance;
    this.fitStopReason =
      `fit relative mse ${this.fitMse.toExponential(3)} ${ok ? '<=' : '>'} tolerance ${o.fitTolerance.toExponential(3)}` +
      ` (${phases.join(', ')})` +
      (ok ? '' : ' REFUSED');
    this.setPrevious(v);
    this.energy = this.energy64(v);
    if (!Number.isFinite(this.energy)) throw new DivergenceError(`SDMM initial fit: energy is ${this.energy}`, 0);
    this.n = 0;
    this.initialised = true;
    return this.record(0, this.energy, 0, v, this.fitIterations, performance.now() - t0, this.fitStopReason);
  }

  async step(): Promise<StepRecord> {
    this.checkAlive();
    if (!this.initialised) throw new Error('SDMM solver: call initialise() before step()');
    const o = this.options;
    if (!(this.fitMse <= o.fitTolerance)) {
      throw new SdmmFitError(
        `SDMM refuses to step: initial fit relative MSE ${this.fitMse.toExponential(3)} exceeds fitTolerance ${o.fitTolerance.toExponential(3)} (raise fitMaxIters, learningRate, rank or width)`,
      );
    }
    const t0 = performance.now();
    const next = this.n + 1;
    const tNext = next * this.problem.tau;
    const { mobility, tau } = this.problem;
    this.setSource(tNext);
    const work = (v: GridValues) => (this.source64 ? sourceWork(this.weights, this.source64, v.u) : 0);
    // Jₙ(uⁿ) in float64: uⁿ is itself a candidate (movement 0).
    const jPrev = this.previousJ();
    const thetaPrev = new Float32Array(this.theta);
    const objective = this.objective('step');
    const res =
      o.optimizer === 'lbfgs'
        ? lbfgsMinimize(objective, this.theta, this.lbfgs, { maxIters: o.maxIters, tol: o.tol, offset: jPrev })
        : adamMinimize(objective, this.theta, this.adam, { maxIters: o.maxIters, tol: o.tol, learningRate: o.learningRate, offset: jPrev });
    if (res.stopReason === 'non-finite') {
      this.theta = thetaPrev;
      throw new DivergenceError(
        `SDMM step ${next}: the loss Jₙ became ${Number.isNaN(res.initial) || Number.isNaN(res.best) ? 'NaN' : 'infinite'} (${o.optimizer}); the run stops at step ${this.n}`,
        next,
      );
    }
    const cand = this.gridValues(this.theta, this.newGridValues());
    const energy = this.energy64(cand);
    const movement = movementTerm(this.weights, cand.u, this.uPrev.u, mobility, tau);
    const jNew = energy + movement - work(cand);
    if (!Number.isFinite(jNew)) {
      this.theta = thetaPrev;
      throw new DivergenceError(`SDMM step ${next}: float64 Jₙ is ${jNew}; the run stops at step ${this.n}`, next);
    }
    let stopReason = res.stopReason;
    let v = cand;
    let e = energy;
    let mv = movement;
    if (!(jNew <= jPrev)) {
      // The float32 optimum did not decrease the float64 Jₙ: keep uⁿ (and θⁿ).
      this.theta = thetaPrev;
      v = this.uPrev;
      e = this.energy;
      mv = 0;
      stopReason += '; kept previous (float64 Jn did not decrease)';
    } else {
      this.setPrevious(cand);
    }
    this.energy = e;
    this.n = next;
    return this.record(next, e, mv, v, res.iterations, performance.now() - t0, stopReason);
  }

  sample(points: Float64Array, out?: Float64Array): Float64Array {
    this.checkAlive();
    const dim = this.layout.dim;
    if (points.length % dim !== 0) throw new RangeError(`sample: points length ${points.length} is not a multiple of dim ${dim}`);
    const n = points.length / dim;
    const res = out ?? new Float64Array(n);
    if (res.length < n) throw new RangeError(`sample: out has ${res.length} entries, need ${n}`);
    this.evaluator.setParameters(this.theta);
    const p = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < dim; k++) {
        const x = points[dim * i + k];
        const { min, max } = this.layout.axes[k];
        const slack = 1e-12 * (max - min);
        if (!(x >= min - slack && x <= max + slack)) {
          throw new RangeError(`sample: point ${i} coordinate ${k} = ${x} is outside the domain [${min}, ${max}]`);
        }
        p[k] = x;
      }
      res[i] = this.evaluator.value(p);
    }
    return res;
  }

  describe(): Record<string, unknown> {
    return {
      solver: 'sdmm',
      backend: this.backend,
      parameters: this.layout.size,
      options: { ...this.options },
      quadrature: { elementsPerAxis: this.options.quadElements, pointsPerElement: this.options.quadPoints, gridShape: [...this.shape], points: this.weights.length },
      periodicAxes: this.layout.axes.map((a) => a.periodic),
      fitMse: this.fitMse,
      fitIterations: this.fitIterations,
      fitStopReason: this.fitStopReason,
      reference: 'Mattey & Ghosh, arXiv 2405.06119 (SDMM); separable structure after SPINN',
    };
  }

  /**
   * Arrays: theta (Float32Array), uPrev and the float64 ∇uⁿ (gradX, gradY) on the grid,
   * L-BFGS history (lbfgsS, lbfgsY, lbfgsRho) and Adam moments (adamM, adamV), all copies.
   */
  saveState(): SolverState {
    this.checkAlive();
    const arrays: Record<string, Float64Array | Float32Array> = {
      theta: new Float32Array(this.theta),
      uPrev: new Float64Array(this.uPrev.u),
      lbfgsS: new Float64Array(this.lbfgs.S),
      lbfgsY: new Float64Array(this.lbfgs.Y),
      lbfgsRho: new Float64Array(this.lbfgs.rho),
      adamM: new Float64Array(this.adam.m),
      adamV: new Float64Array(this.adam.v),
    };
    this.uPrev.grad.forEach((g, k) => (arrays[`grad${k}`] = new Float64Array(g)));
    return {
      kind: this.kind,
      step: this.n,
      t: this.time,
      arrays,
      meta: {
        parameters: this.layout.size,
        gridPoints: this.weights.length,
        energy: this.energy,
        fitMse: this.fitMse,
        fitIterations: this.fitIterations,
        fitStopReason: this.fitStopReason,
        lbfgsCount: this.lbfgs.count,
        lbfgsHead: this.lbfgs.head,
        historySize: this.lbfgs.historySize,
        adamT: this.adam.t,
        options: { ...this.options },
        backend: this.backend,
      },
    };
  }

  restoreState(state: SolverState): void {
    this.checkAlive();
    if (state.kind !== 'sdmm') throw new Error(`restoreState: checkpoint is for solver '${state.kind}', not 'sdmm'`);
    const a = state.arrays;
    const need = (name: string, len: number) => {
      const arr = a[name];
      if (!arr) throw new Error(`restoreState: checkpoint lacks array '${name}'`);
      if (arr.length !== len) throw new Error(`restoreState: array '${name}' has ${arr.length} entries, expected ${len} (different network or grid options?)`);
      return arr;
    };
    const P = this.layout.size;
    const N = this.weights.length;
    const m = this.options.historySize;
    const meta = state.meta;
    if (meta.historySize !== m) throw new Error(`restoreState: checkpoint historySize ${String(meta.historySize)} differs from ${m}`);
    const saved = (meta.options ?? {}) as Partial<SdmmOptions>;
    for (const key of ['rank', 'width', 'depth', 'activation', 'alpha', 'trainAlpha', 'bound', 'quadElements', 'quadPoints'] as const) {
      if (saved[key] !== undefined && saved[key] !== this.options[key]) {
        throw new Error(`restoreState: checkpoint was written with ${key} = ${String(saved[key])}, this solver has ${String(this.options[key])}`);
      }
    }
    this.theta = Float32Array.from(need('theta', P));
    const v = this.newGridValues();
    v.u.set(need('uPrev', N));
    v.grad.forEach((g, k) => g.set(need(`grad${k}`, N)));
    this.lbfgs.S.set(need('lbfgsS', m * P));
    this.lbfgs.Y.set(need('lbfgsY', m * P));
    this.lbfgs.rho.set(need('lbfgsRho', m));
    this.lbfgs.count = Number(meta.lbfgsCount);
    this.lbfgs.head = Number(meta.lbfgsHead);
    this.adam.m.set(need('adamM', P));
    this.adam.v.set(need('adamV', P));
    this.adam.t = Number(meta.adamT);
    this.setPrevious(v);
    this.energy = Number(meta.energy);
    this.fitMse = Number(meta.fitMse);
    this.fitIterations = Number(meta.fitIterations);
    this.fitStopReason = String(meta.fitStopReason);
    this.n = state.step;
    this.initialised = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weightsT.dispose();
    for (const i of this.inputs) {
      i.enc.dispose();
      i.dEnc.dispose();
    }
    this.uPrevT?.dispose();
    for (const t of this.uPrevGradT) t.dispose();
    this.targetT?.dispose();
    this.preTargetT?.dispose();
    this.sourceT?.dispose();
  }

  /**
   * Set θ directly and make u_θ the current state uⁿ (as after a fit, step 0); returns E(uⁿ) in
   * float64. For tests and for warm starts from a known network.
   */
  loadParameters(theta: Float32Array): number {
    this.checkAlive();
    if (theta.length !== this.layout.size) throw new Error(`loadParameters: got ${theta.length} parameters, the network has ${this.layout.size}`);
    this.theta = new Float32Array(theta);
    const v = this.gridValues(this.theta, this.newGridValues());
    this.setPrevious(v);
    this.energy = this.energy64(v);
    this.fitMse = 0;
    this.fitStopReason = 'parameters loaded';
    this.n = 0;
    this.initialised = true;
    return this.energy;
  }

  /**
   * Jₙ(u_θ) through the float32 training loss, against the current uⁿ (for tests): θ defaults to
   * the current parameters (then Jₙ = E(uⁿ), the movement being 0).
   */
  trainingLoss(theta: Float32Array = this.theta): number {
    if (theta.length !== this.layout.size) throw new Error(`trainingLoss: got ${theta.length} parameters, the network has ${this.layout.size}`);
    return this.objective('step')(theta, new Float64Array(this.layout.size)) + this.previousJ();
  }

  /** Current parameters θ (a copy; tests and diagnostics). */
  parameters(): Float32Array {
    return new Float32Array(this.theta);
  }
}

export type { SdmmSolver };

/**
 * Build an SDMM solver for a problem (validates the options, selects the backend).
 * Call initialise() to fit u₀, then step().
 */
export async function createSdmmSolver(problem: ProblemConfig, options: Partial<SdmmOptions> = {}): Promise<GradientFlowSolver> {
  const o = resolveSdmmOptions(problem, options);
  if (Object.values(problem.boundary).some((bc) => bc?.kind === 'dirichlet')) {
    throw new Error(`SDMM supports Neumann and periodic boundaries only; problem '${problem.name}' has a Dirichlet side`);
  }
  const backend = await selectBackend(o.backend);
  return new SdmmSolver(problem, o, backend);
}
