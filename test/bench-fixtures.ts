import type { SolverSpec } from '../src/bench/config.js';
import type { SuiteDeps } from '../src/bench/suite.js';
import type { ProblemConfig } from '../src/physics/problems.js';
import { DivergenceError, type GradientFlowSolver, type SolverState, type StepRecord } from '../src/solver.js';
import { runSolver } from '../src/run/index.js';

/**
 * A closed-form stand-in solver for suite-level tests (the suite's bookkeeping, not numerics):
 * u(x, y, t) = u₀(x, y)·exp(−c t) with c = 1 + 16/n, so two configurations differ by an exactly
 * known factor: the relative L2 error of a run against a reference with c_ref is
 * |exp(−(c − c_ref) t) − 1| on any grid and quadrature (the fields are proportional).
 * E(t) = E₀ exp(−2 c t) with E₀ = 1 decreases, movement 0, so every step is stable. Each step
 * reports n/8 ms of wall time and step 0 reports 1 ms, so costs are known exactly too.
 * `divergeAt` throws DivergenceError at that step (a forced divergence), `delayMs` slows each
 * step so a test can kill the process mid-run. It reports a resolution h = 1/n (a structured
 * mesh's spacing), so the suite's under-resolved warning (h > ε) appears for n < 1/ε.
 */
export class DecaySolver implements GradientFlowSolver {
  readonly kind = 'fem';
  stepIndex = 0;
  readonly rate: number;
  /** Reported wall time per step: n/8 ms (finer configurations cost more). */
  readonly stepMs: number;
  constructor(
    readonly problem: ProblemConfig,
    readonly n: number,
    private readonly divergeAt = Infinity,
    private readonly delayMs = 0,
  ) {
    this.rate = 1 + 16 / n;
    this.stepMs = n / 8;
  }
  get time() {
    return this.stepIndex * this.problem.tau;
  }
  private record(wallMs: number): StepRecord {
    const f = Math.exp(-this.rate * this.time);
    return {
      step: this.stepIndex,
      t: this.time,
      energy: f * f,
      movement: 0,
      iterations: 2,
      linearIterations: 7,
      wallMs,
      minU: -f,
      maxU: f,
      stopReason: 'closed-form',
    };
  }
  async initialise() {
    this.stepIndex = 0;
    return this.record(1);
  }
  async step() {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.stepIndex + 1 >= this.divergeAt) throw new DivergenceError(`energy became NaN at step ${this.stepIndex + 1}`, this.stepIndex + 1);
    this.stepIndex++;
    return this.record(this.stepMs);
  }
  sample(points: Float64Array, out = new Float64Array(points.length / this.problem.dim)) {
    const f = Math.exp(-this.rate * this.time);
    const d = this.problem.dim;
    for (let i = 0; i < out.length; i++) out[i] = f * this.problem.initial(points.subarray(d * i, d * i + d));
    return out;
  }
  describe() {
    return { solver: 'decay', unknowns: 1000 + this.rate, backend: 'closed-form', resolution: { h: 1 / this.n, of: 'decay fixture: 1/n', refine: ['n'] } };
  }
  saveState(): SolverState {
    return { kind: this.kind, step: this.stepIndex, t: this.time, arrays: { rate: Float64Array.of(this.rate) }, meta: {} };
  }
  restoreState(state: SolverState) {
    this.stepIndex = state.step;
  }
  dispose() {}
}

/** Deps: FEM specs → DecaySolver(n); an SDMM spec with `maxIters` = k diverges at step k. */
export function decayDeps(delayMs = 0): SuiteDeps {
  return {
    createSolver: async (problem: ProblemConfig, spec: SolverSpec) => {
      if (spec.kind === 'fem') return new DecaySolver(problem, Number(spec.n ?? problem.n), Infinity, delayMs);
      return new DecaySolver(problem, Number(spec.quadElements ?? problem.n), Number(spec.maxIters ?? Infinity), delayMs);
    },
    runSolver: (solver, options) => runSolver(solver, options),
  };
}
