import { gradientEnergy, movementTerm, potentialEnergy } from '../physics/energy.js';
import type { ProblemConfig } from '../physics/problems.js';
import { compositeGaussLegendre, tensorRule } from '../quadrature/index.js';
import { DivergenceError, type GradientFlowSolver, type SolverDescription, type SolverState, type StepRecord } from '../solver.js';
import { SpinnField } from './field.js';
import { SpinnLoss } from './loss.js';
import { spinnInitialParameters, spinnLayout, type SpinnLayout } from './network.js';
import { resolveSpinnOptions, type ResolvedSpinnOptions, type SpinnOptionsInput } from './options.js';
import { trainSpinn, type TrainingReport } from './train.js';

/**
 * SPINN as a gradient-flow solver: the network is trained once over [0, T] × Ω (initialise, whose
 * wall time is the run's step 0), and step n then evaluates the trained u(tₙ, ·) at tₙ = nτ on the
 * composite Gauss–Legendre tensor grid of SDMM (quadElements × quadPoints per space axis), where
 * the float64 energy E(uⁿ) (src/physics/energy.ts), the movement ‖uⁿ − uⁿ⁻¹‖²/(2mτ) and
 * min/max u are computed exactly as for the other solvers. Nothing forces a space-time PINN to
 * dissipate E: the shared stability checker reports whether it does.
 */
class SpinnSolver implements GradientFlowSolver {
  readonly kind = 'spinn';
  readonly layout: SpinnLayout;
  private theta: Float64Array;
  private readonly field: SpinnField;
  private readonly weights: Float64Array;
  private uPrev: Float64Array;
  private u: Float64Array;
  private readonly grad: Float64Array[];
  private n = 0;
  private trained = false;
  private training: { iterations: number; evaluations: number; wallMs: number; summary: string; loss: Record<string, number>; phases: unknown[] } | null = null;

  constructor(
    readonly problem: ProblemConfig,
    readonly options: ResolvedSpinnOptions,
  ) {
    this.layout = spinnLayout(problem, options);
    this.theta = spinnInitialParameters(this.layout, options.seed);
    this.field = new SpinnField(this.layout);
    const rules = this.layout.axes.slice(1).map((a) => compositeGaussLegendre(a.min, a.max, options.quadElements, options.quadPoints));
    this.weights = tensorRule(rules).weights;
    this.field.setGrid(rules.map((r) => r.points));
    const N = this.weights.length;
    this.uPrev = new Float64Array(N);
    this.u = new Float64Array(N);
    this.grad = rules.map(() => new Float64Array(N));
  }

  get stepIndex(): number {
    return this.n;
  }

  get time(): number {
    return this.n * this.problem.tau;
  }

  /** u(t) and ∇u(t) on the grid into this.u, this.grad; returns E(u(t)). */
  private evaluateAt(t: number): number {
    this.field.onGrid(this.theta, t, this.u, this.grad);
    return potentialEnergy(this.weights, this.u, this.problem.epsilon) + gradientEnergy(this.weights, this.grad);
  }

  private record(step: number, energy: number, movement: number, iterations: number, wallMs: number, stopReason: string): StepRecord {
    let minU = Infinity;
    let maxU = -Infinity;
    for (let q = 0; q < this.u.length; q++) {
      if (this.u[q] < minU) minU = this.u[q];
      if (this.u[q] > maxU) maxU = this.u[q];
    }
    if (!Number.isFinite(energy)) throw new DivergenceError(`SPINN step ${step}: energy is ${energy}`, step);
    return { step, t: step * this.problem.tau, energy, movement, iterations, linearIterations: 0, wallMs, minU, maxU, stopReason };
  }

  /** Train over the space-time box, then report u(0, ·) as step 0 (wall time = training time). */
  async initialise(): Promise<StepRecord> {
    const t0 = performance.now();
    const o = this.options;
    const loss = new SpinnLoss(
      this.problem,
      this.layout,
      { space: o.spacePoints, time: o.timePoints },
      { ic: o.icWeight, boundary: o.boundaryWeight, causalEpsilon: o.causal ? o.causalEpsilon : 0 },
      o.seed,
    );
    let report: TrainingReport;
    try {
      report = trainSpinn(loss, this.theta, o);
    } catch (e) {
      throw new DivergenceError((e as Error).message, 0);
    }
    const energy = this.evaluateAt(0);
    const wallMs = performance.now() - t0;
    this.training = {
      iterations: report.iterations,
      evaluations: report.evaluations,
      wallMs,
      summary: report.summary,
      loss: { ...report.loss },
      phases: report.phases,
    };
    this.n = 0;
    this.trained = true;
    this.uPrev.set(this.u);
    return this.record(0, energy, 0, report.iterations, wallMs, report.summary);
  }

  async step(): Promise<StepRecord> {
    if (!this.trained) throw new Error('SPINN solver: call initialise() before step()');
    const t0 = performance.now();
    const next = this.n + 1;
    const energy = this.evaluateAt(next * this.problem.tau);
    const movement = movementTerm(this.weights, this.u, this.uPrev, this.problem.mobility, this.problem.tau);
    this.n = next;
    const rec = this.record(next, energy, movement, 0, performance.now() - t0, 'evaluated');
    this.uPrev.set(this.u);
    return rec;
  }

  sample(points: Float64Array, out?: Float64Array): Float64Array {
    const dim = this.layout.dim;
    if (points.length % dim !== 0) throw new RangeError(`sample: points length ${points.length} is not a multiple of dim ${dim}`);
    const count = points.length / dim;
    const res = out ?? new Float64Array(count);
    if (res.length < count) throw new RangeError(`sample: out has ${res.length} entries, need ${count}`);
    const t = this.time;
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < dim; k++) {
        const x = points[dim * i + k];
        const { min, max } = this.layout.axes[k + 1];
        const slack = 1e-12 * (max - min);
        if (!(x >= min - slack && x <= max + slack)) {
          throw new RangeError(`sample: point ${i} coordinate ${k} = ${x} is outside the domain [${min}, ${max}]`);
        }
      }
      res[i] = this.field.value(this.theta, t, points[dim * i], dim === 2 ? points[dim * i + 1] : 0);
    }
    return res;
  }

  describe(): SolverDescription {
    return {
      solver: 'spinn',
      unknowns: this.layout.size,
      backend: 'js (float64)',
      precision: 'float64',
      stepsDissipate: false,
      parameters: this.layout.size,
      options: { ...this.options },
      collocation: {
        spaceTimeGrid: [this.options.timePoints, ...new Array<number>(this.layout.dim).fill(this.options.spacePoints)],
        points: this.options.timePoints * this.options.spacePoints ** this.layout.dim,
      },
      quadrature: { elementsPerAxis: this.options.quadElements, pointsPerElement: this.options.quadPoints, points: this.weights.length },
      // The collocation cells of each space axis: fixed points are their midpoints, resampled
      // points one draw per cell (loss.ts), so the cell size is the spacing the residual sees.
      resolution: {
        h: Math.max(...this.layout.axes.slice(1).map((a) => (a.max - a.min) / this.options.spacePoints)),
        of: 'collocation grid: spacing in space',
        refine: ['spacePoints'],
      },
      periodicAxes: this.layout.axes.slice(1).map((a) => a.periodic),
      training: this.training,
      reference: 'Cho et al., Separable Physics-Informed Neural Networks, NeurIPS 2023 (SPINN); causal weights after Wang, Sankaran & Perdikaris 2022',
    };
  }

  /** θ (float64) and the step; the training facts ride in meta. */
  saveState(): SolverState {
    return {
      kind: this.kind,
      step: this.n,
      t: this.time,
      arrays: { theta: new Float64Array(this.theta) },
      meta: { parameters: this.layout.size, options: { ...this.options }, training: this.training },
    };
  }

  restoreState(state: SolverState): void {
    if (state.kind !== 'spinn') throw new Error(`restoreState: checkpoint is for solver '${state.kind}', not 'spinn'`);
    const theta = state.arrays.theta;
    if (!theta) throw new Error(`restoreState: checkpoint lacks array 'theta'`);
    if (theta.length !== this.layout.size) {
      throw new Error(`restoreState: array 'theta' has ${theta.length} entries, expected ${this.layout.size} (different network options?)`);
    }
    const saved = (state.meta.options ?? {}) as Partial<ResolvedSpinnOptions>;
    for (const key of ['rank', 'width', 'depth', 'activation', 'bound', 'alpha', 'quadElements', 'quadPoints'] as const) {
      if (saved[key] !== undefined && saved[key] !== this.options[key]) {
        throw new Error(`restoreState: checkpoint was written with ${key} = ${String(saved[key])}, this solver has ${String(this.options[key])}`);
      }
    }
    this.theta = Float64Array.from(theta);
    this.training = (state.meta.training as SpinnSolver['training']) ?? null;
    this.n = state.step;
    this.evaluateAt(this.time);
    this.uPrev.set(this.u);
    this.trained = true;
  }

  dispose(): void {}

  /** Current parameters θ (a copy; tests and diagnostics). */
  parameters(): Float64Array {
    return new Float64Array(this.theta);
  }
}

export type { SpinnSolver };

/**
 * Build a SPINN solver (validates the options; one-line SpinnOptionsError naming the field).
 * Call initialise() to train, then step() to evaluate each output time.
 */
export async function createSpinnSolver(problem: ProblemConfig, options: SpinnOptionsInput = {}): Promise<GradientFlowSolver> {
  const o = resolveSpinnOptions(problem, options);
  if (Object.values(problem.boundary).some((bc) => bc?.kind === 'dirichlet')) {
    throw new Error(`SPINN supports Neumann and periodic boundaries only; problem '${problem.name}' has a Dirichlet side`);
  }
  return new SpinnSolver(problem, o);
}
