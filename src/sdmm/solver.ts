import type { ProblemConfig } from '../physics/problems.js';
import type { Resolution } from '../physics/resolution.js';
import { compositeGaussLegendre, largestGap, tensorRule, type Rule1D } from '../quadrature/index.js';
import { DivergenceError, type GradientFlowSolver, type SolverDescription, type SolverProgress, type SolverState, type StepRecord } from '../solver.js';
import { createEngine } from './engine/index.js';
import type { SdmmEngine } from './engine/types.js';
import { auditWorkspace, energyOnGrid, refinedRules, type AuditWorkspace } from './audit.js';
import { fitInitialCondition, fitRefusal, type FitDiagnostics } from './fit.js';
import { gridEnergy, gridRange, newGridField } from './grid.js';
import { mlpNetwork, networkLayout, type SeparableNetwork } from './network.js';
import { createAdamState, createLbfgsState } from '../optim/optimizers.js';
import { defaultFitTolerance, resolveSdmmOptions, type SdmmOptions } from './options.js';
import { restoreSdmmState, saveSdmmState, type FitReport } from './state.js';
import { minimizingMovementStep, type OptimizerStates, type SchemeState } from './stepping.js';

/**
 * Relative excess of the energy on the refined audit grid over the step's own grid above which a
 * step's stopReason reports quadrature aliasing (audit.ts). On resolved fields the two agree to
 * ≈ 1e-4 (measured: reduced circle, rank 8, width 16, 24 elements: −7e-5 over 3 steps; reduced
 * circle, depth 1, width 64, defaults otherwise: 35.801 on its grid and on an 800² one at step 20); the aliased
 * reduced star with the default networks was +25 % after one step (88.07 against 110.6 on an 800² grid).
 */
export const ALIASING_TOLERANCE = 0.01;
/** The audit grid is skipped when it would have more points than this (4× the step's grid in 2D). */
const AUDIT_MAX_POINTS = 2 ** 22;

/** The initial-condition fit did not reach its MSE tolerance; the solver refuses to step from it. */
export class SdmmFitError extends Error {
  override name = 'SdmmFitError';
}

/**
 * SDMM: the minimizing movement scheme with a separable neural network (Mattey & Ghosh,
 * arXiv 2405.06119), composed of
 *   - the network (network.ts, a SeparableNetwork: layout, initialisation, float64 evaluation),
 *   - an engine that evaluates the losses on the composite Gauss tensor grid (engine/),
 *   - the initial fit (fit.ts), the step and its float64 acceptance rule (stepping.ts),
 *   - the checkpoint state (state.ts).
 * uⁿ and ∇uⁿ live on the grid in float64; energies are float64 (src/physics/energy.ts).
 */
class SdmmSolver implements GradientFlowSolver {
  readonly kind = 'sdmm';
  private readonly weights: Float64Array;
  private readonly points: Float64Array;
  private readonly optimizers: OptimizerStates;
  /** The quadrature grid's largest gap between adjacent Gauss points (src/physics/resolution.ts). */
  private readonly resolution: Resolution;
  private scheme: SchemeState;
  /** θⁿ⁻¹, for the extrapolated start of the next step (null before the first step). */
  private thetaOld: Float64Array | null = null;
  private fit: FitReport & Partial<FitDiagnostics> = { mse: NaN, iterations: 0, stopReason: '', tolerance: NaN };
  private initialised = false;
  private n = 0;
  /** The refined audit grid (audit.ts), or null when it would be too large. */
  private readonly audit: { rules: Rule1D[]; ws: AuditWorkspace } | null;
  /** Largest relative excess of the audit-grid energy over the own-grid energy so far, and its step. */
  private aliasing = { excess: 0, step: 0 };
  private disposed = false;

  constructor(
    readonly problem: ProblemConfig,
    readonly options: SdmmOptions,
    readonly network: SeparableNetwork,
    readonly engine: SdmmEngine,
    readonly backend: string,
    /** The 1D composite Gauss–Legendre rule of each axis (the engine's grid). */
    private readonly rules: readonly Rule1D[],
  ) {
    const layout = network.layout;
    const rule = tensorRule(this.rules);
    this.weights = rule.weights;
    this.points = rule.points;
    const h = Math.max(...layout.axes.map((a, k) => largestGap(this.rules[k].points, a)));
    this.resolution = { h, of: 'quadrature grid: largest gap between adjacent Gauss points', refine: ['quadElements', 'quadPoints'] };
    this.optimizers = { lbfgs: createLbfgsState(layout.size, options.historySize), adam: createAdamState(layout.size) };
    this.scheme = { theta: network.initialParameters(options.seed), field: newGridField(this.weights.length, layout.dim), energy: NaN };
    const auditRules = refinedRules(layout.axes, options.quadElements, options.quadPoints);
    const auditPoints = auditRules.reduce((n, r) => n * r.points.length, 1);
    this.audit = auditPoints <= AUDIT_MAX_POINTS ? { rules: auditRules, ws: auditWorkspace(auditRules, layout.rank) } : null;
  }

  /**
   * The aliasing check (audit.ts): E(uⁿ) on the refined grid against the own grid's; returns the
   * note appended to the step's stopReason when it exceeds ALIASING_TOLERANCE, else ''.
   */
  private auditStep(step: number): string {
    if (!this.audit) return '';
    const fine = energyOnGrid(this.network, this.scheme.theta, this.audit.rules, this.problem.epsilon, this.audit.ws);
    const own = this.scheme.energy;
    const excess = (fine - own) / Math.max(Math.abs(own), Number.MIN_VALUE);
    if (step === 0 || excess > this.aliasing.excess) this.aliasing = { excess, step };
    if (!(excess > ALIASING_TOLERANCE)) return '';
    const grid = this.audit.rules.map((r) => r.points.length).join('×');
    return `; aliasing: E = ${fine.toPrecision(6)} on a ${grid} Gauss grid, ${(100 * excess).toFixed(1)}% above this grid's`;
  }

  get stepIndex(): number {
    return this.n;
  }

  get time(): number {
    return this.n * this.problem.tau;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('SDMM solver used after dispose()');
  }

  private record(step: number, movement: number, iterations: number, wallMs: number, stopReason: string): StepRecord {
    const [minU, maxU] = gridRange(this.scheme.field.u);
    return { step, t: step * this.problem.tau, energy: this.scheme.energy, movement, iterations, linearIterations: 0, wallMs, minU, maxU, stopReason };
  }

  /** A field f(x) of a point x on the grid (x filled into one scratch point, any dimension). */
  private onGrid(f: (x: ArrayLike<number>) => number): Float64Array {
    const N = this.weights.length;
    const dim = this.network.layout.dim;
    const v = new Float64Array(N);
    const x = new Float64Array(dim);
    for (let q = 0; q < N; q++) {
      for (let k = 0; k < dim; k++) x[k] = this.points[dim * q + k];
      v[q] = f(x);
    }
    return v;
  }

  /** Step 0: fit u_θ to u₀ (fit.ts); the achieved MSE goes into the stopReason and describe(). */
  async initialise(onProgress?: (progress: SolverProgress) => void): Promise<StepRecord> {
    this.checkAlive();
    const t0 = performance.now();
    const u0 = this.onGrid((x) => this.problem.initial(x));
    const theta = this.network.initialParameters(this.options.seed);
    this.fit = fitInitialCondition(this.engine, this.network.layout, this.rules, theta, u0, this.options, onProgress);
    this.setState(theta);
    if (!Number.isFinite(this.scheme.energy)) throw new DivergenceError(`SDMM initial fit: energy is ${this.scheme.energy}`, 0);
    this.n = 0;
    this.thetaOld = null;
    this.initialised = true;
    // A refused fit keeps 'REFUSED' as the last word of its stopReason (it never steps anyway).
    const note = this.auditStep(0);
    return this.record(0, 0, this.fit.iterations, performance.now() - t0, this.fit.stopReason + (this.fit.mse <= this.fit.tolerance ? note : ''));
  }

  /** Make u_θ the current state uⁿ (grid values and float64 energy from the engine). */
  private setState(theta: Float64Array): void {
    const field = newGridField(this.weights.length, this.network.layout.dim);
    this.engine.fieldOnGrid(theta, field.u, field.grad);
    this.scheme = { theta, field, energy: gridEnergy(this.weights, field, this.problem.epsilon) };
  }

  async step(): Promise<StepRecord> {
    this.checkAlive();
    if (!this.initialised) throw new Error('SDMM solver: call initialise() before step()');
    const o = this.options;
    if (!(this.fit.mse <= this.fit.tolerance)) {
      throw new SdmmFitError(fitRefusal(this.fit, o));
    }
    const t0 = performance.now();
    const next = this.n + 1;
    const tNext = next * this.problem.tau;
    // σ = s(·, tⁿ⁺¹)/m: u_t = m(Δu − ε⁻² f(u)) + s puts −(1/m) ∫ s u into Jₙ (the FEM's convention).
    const src = this.problem.source;
    const im = 1 / this.problem.mobility;
    const sigma = src ? this.onGrid((x) => im * src(x, tNext)) : null;
    // θⁿ + β(θⁿ − θⁿ⁻¹): the parameters' own trend as the step's first guess (options.extrapolate).
    let start: Float64Array | undefined;
    if (o.extrapolate > 0 && this.thetaOld) {
      const th = this.scheme.theta;
      start = new Float64Array(th.length);
      for (let p = 0; p < th.length; p++) start[p] = th[p] + o.extrapolate * (th[p] - this.thetaOld[p]);
    }
    const out = minimizingMovementStep(
      { engine: this.engine, weights: this.weights, epsilon: this.problem.epsilon, mobility: this.problem.mobility, tau: this.problem.tau, options: o, optimizers: this.optimizers },
      this.scheme,
      sigma,
      next,
      start,
    );
    this.thetaOld = this.scheme.theta;
    this.scheme = out.state;
    this.n = next;
    const note = this.auditStep(next);
    const rec = this.record(next, out.movement, out.iterations, performance.now() - t0, out.stopReason + note);
    rec.gradientNorm = out.gradientNorm;
    return rec;
  }

  sample(points: Float64Array, out?: Float64Array): Float64Array {
    this.checkAlive();
    const layout = this.network.layout;
    const dim = layout.dim;
    if (points.length % dim !== 0) throw new RangeError(`sample: points length ${points.length} is not a multiple of dim ${dim}`);
    const n = points.length / dim;
    const res = out ?? new Float64Array(n);
    if (res.length < n) throw new RangeError(`sample: out has ${res.length} entries, need ${n}`);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < dim; k++) {
        const x = points[dim * i + k];
        const { min, max } = layout.axes[k];
        const slack = 1e-12 * (max - min);
        if (!(x >= min - slack && x <= max + slack)) {
          throw new RangeError(`sample: point ${i} coordinate ${k} = ${x} is outside the domain [${min}, ${max}]`);
        }
      }
    }
    return this.network.evaluate(this.scheme.theta, points, res);
  }

  describe(): SolverDescription {
    return {
      solver: 'sdmm',
      unknowns: this.network.layout.size,
      backend: this.backend,
      engine: this.engine.name,
      precision: this.engine.precision,
      threads: this.engine.threads,
      ...(this.engine.kernels ? { kernels: this.engine.kernels } : {}),
      ...(this.engine.versions ? { versions: { ...this.engine.versions } } : {}),
      parameters: this.network.layout.size,
      options: { ...this.options },
      quadrature: {
        elementsPerAxis: this.options.quadElements,
        pointsPerElement: this.options.quadPoints,
        gridShape: this.rules.map((r) => r.points.length),
        points: this.weights.length,
      },
      resolution: this.resolution,
      periodicAxes: this.network.layout.axes.map((a) => a.periodic),
      fitMse: this.fit.mse,
      fitTolerance: this.fit.tolerance,
      fitIterations: this.fit.iterations,
      fitStopReason: this.fit.stopReason,
      fitTruncationMse: this.fit.truncationMse,
      fitPhaseMs: this.fit.phaseMs,
      // The aliasing check: the largest (E on the refined grid − E on this grid) / |E| so far (audit.ts).
      ...(this.audit ? { aliasingExcess: this.aliasing.excess, aliasingStep: this.aliasing.step, auditGrid: this.audit.rules.map((r) => r.points.length) } : {}),
      reference: 'Mattey & Ghosh, arXiv 2405.06119 (SDMM); separable structure after SPINN',
    };
  }

  saveState(): SolverState {
    this.checkAlive();
    return saveSdmmState(this.n, this.time, this.scheme, this.optimizers, this.fit, this.options, this.backend, this.thetaOld);
  }

  restoreState(state: SolverState): void {
    this.checkAlive();
    const layout = this.network.layout;
    const { scheme, fit, thetaOld } = restoreSdmmState(state, this.options, layout.size, this.weights.length, layout.dim, this.optimizers);
    this.scheme = scheme;
    this.thetaOld = thetaOld;
    this.fit = fit;
    this.n = state.step;
    this.initialised = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
  }
}

export type { SdmmSolver };

/**
 * Build an SDMM solver for a problem (validates the options, selects the engine).
 * Call initialise() to fit u₀, then step().
 */
export async function createSdmmSolver(problem: ProblemConfig, options: Partial<SdmmOptions> = {}): Promise<GradientFlowSolver> {
  const o = resolveSdmmOptions(problem, options);
  if (Object.values(problem.boundary).some((bc) => bc?.kind === 'dirichlet')) {
    throw new Error(`SDMM supports Neumann and periodic boundaries only; problem '${problem.name}' has a Dirichlet side`);
  }
  const network = mlpNetwork(networkLayout(problem, o));
  const rules = network.layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, o.quadElements, o.quadPoints));
  const { engine, backend } = await createEngine(
    o.backend,
    { layout: network.layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau },
    o.threads,
  );
  // The fit tolerance's default follows the engine's precision and the problem's u₀ (options.ts).
  const fitTolerance = options.fitTolerance === undefined ? defaultFitTolerance(problem, engine.precision) : o.fitTolerance;
  return new SdmmSolver(problem, { ...o, fitTolerance }, network, engine, backend, rules);
}
