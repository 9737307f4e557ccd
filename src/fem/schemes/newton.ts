import { type CsrMatrix, spmv, zeroMatrix } from '../../linalg/csr.js';
import { dot } from '../../linalg/vector.js';
import { movementTerm, sourceWork } from '../../physics/energy.js';
import { DivergenceError } from '../../solver.js';
import { addWeightedMass, assembleLoad, eliminateDirichlet, valuesAtQuadrature, zeroDirichlet } from '../assembly.js';
import { type EnergyWorkspace, femGradientEnergy } from '../functional.js';
import type { SchemeContext, SchemeStepResult } from './types.js';

/**
 * The pointwise (nonlinear) part of a step functional, Σ_q |det J| w_q G(u_q), and its first
 * and (modified, bounded below) second derivative at the quadrature points. `uqOld` is uⁿ at
 * the quadrature points (for explicit parts, e.g. the convex-split scheme).
 */
export interface PointwiseModel {
  value(uq: Float64Array, uqOld: Float64Array): number;
  first(uq: Float64Array, uqOld: Float64Array, out: Float64Array): void;
  second(uq: Float64Array, uqOld: Float64Array, out: Float64Array): void;
}

/** Armijo sufficient-decrease constant and the largest number of step halvings. */
const ARMIJO_C1 = 1e-4;
const MAX_HALVINGS = 30;
/** Relative size of round-off in the computed step functional (sums over ~10⁶ points). */
const J_ROUNDOFF = 1e-12;

/**
 * Newton's method with a backtracking (Armijo) line search for one step functional
 *
 *   Φ(u) = ½ ∫|∇u|² + ‖u − uⁿ‖²/(2 m τ) + Σ_q w_q G(u_q) − ∫ s u,
 *   ∇Φ(u) = A₀ u − M uⁿ/(m τ) + ∫ (G'(u) − s) φ,     A₀ = M/(m τ) + K,
 *   H(u) = A₀ + M_{G''_mod(u)}  (SPD by the model's lower bound on G''),
 *
 * (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 3.1 and §3.4 for the modified
 * Hessian). Every direction solves H d = −∇Φ by PCG (the first warm-started from the previous
 * increment and rejected unless it is a descent direction, then from zero: CG from zero on an
 * SPD system always gives ∇Φ·d < 0), and every accepted step satisfies
 * Φ(u + α d) ≤ Φ(u) + c₁ α ∇Φ·d, so Φ decreases monotonically from uⁿ: the final iterate is
 * the best one. Once the predicted decrease |∇Φ·d| falls below the round-off of Φ
 * (1e-12·|Φ|), Φ can no longer rank iterates; the full Newton step is then taken if Φ does
 * not rise beyond that round-off, and the iteration stops ('converged-roundoff').
 *
 * Φ is evaluated through the shared functions of src/physics/energy.ts (gradientEnergy via
 * femGradientEnergy, movementTerm, sourceWork) plus the model's pointwise sum.
 * Stops when ‖∇Φ‖₂ ≤ tol·max(‖∇Φ(uⁿ)‖₂, 1e-12‖M uⁿ‖₂/(mτ)) ('converged'), on a failed line
 * search ('line-search') or after maxNewtonIterations ('max-iters').
 * Dirichlet dofs keep their values (increments vanish there).
 */
export class NewtonMinimizer {
  private readonly A0: CsrMatrix;
  private readonly H: CsrMatrix;
  private readonly g: Float64Array;
  private readonly rhs: Float64Array;
  private readonly d: Float64Array;
  private readonly bn: Float64Array;
  private readonly tmp: Float64Array;
  private readonly trial: Float64Array;
  private readonly uq2: Float64Array;
  private readonly rq: Float64Array;
  private readonly inv2mt: number;

  constructor(
    private readonly ctx: SchemeContext,
    private readonly model: PointwiseModel,
  ) {
    const { space, M, K, problem } = ctx;
    const mt = problem.mobility * problem.tau;
    this.inv2mt = 1 / mt;
    this.A0 = zeroMatrix(space.pattern);
    for (let k = 0; k < this.A0.values.length; k++) this.A0.values[k] = M.values[k] / mt + K.values[k];
    this.H = zeroMatrix(space.pattern);
    const n = space.nDofs;
    this.g = new Float64Array(n);
    this.rhs = new Float64Array(n);
    this.d = new Float64Array(n);
    this.bn = new Float64Array(n);
    this.tmp = new Float64Array(n);
    this.trial = new Float64Array(n);
    const nq = space.basis.nCells * space.basis.nQ;
    this.uq2 = new Float64Array(nq);
    this.rq = new Float64Array(nq);
  }

  /** Φ at u (with u_q given). */
  private phi(u: Float64Array, uq: Float64Array, uqOld: Float64Array, source: Float64Array | null, work: EnergyWorkspace): number {
    const b = this.ctx.space.basis;
    const p = this.ctx.problem;
    let J = femGradientEnergy(this.ctx.space, u, work) + movementTerm(b.detJw, uq, uqOld, p.mobility, p.tau) + this.model.value(uq, uqOld);
    if (source) J -= sourceWork(b.detJw, source, uq);
    return J;
  }

  /** g = ∇Φ(u) (Dirichlet rows zeroed); returns ‖g‖₂. */
  private gradient(u: Float64Array, uq: Float64Array, uqOld: Float64Array, source: Float64Array | null): number {
    const { space } = this.ctx;
    const { g, tmp, rq, bn } = this;
    this.model.first(uq, uqOld, rq);
    if (source) for (let i = 0; i < rq.length; i++) rq[i] -= source[i];
    assembleLoad(tmp, space, space.basis, rq);
    spmv(g, this.A0, u);
    for (let i = 0; i < g.length; i++) g[i] += tmp[i] - bn[i];
    zeroDirichlet(space, g);
    return Math.sqrt(dot(g, g));
  }

  /**
   * Minimize Φ from uⁿ. `work.uq` is used as the iterate's u_q and holds u_h(uNew) on return.
   */
  minimize(uOld: Float64Array, uqOld: Float64Array, source: Float64Array | null, warm: Float64Array, uNew: Float64Array, work: EnergyWorkspace): SchemeStepResult {
    const { space, M, linear, linearTolerance, newtonTolerance, maxNewtonIterations } = this.ctx;
    const basis = space.basis;
    const { g, d, rhs, H, A0 } = this;
    spmv(this.bn, M, uOld);
    const bn = this.bn;
    for (let i = 0; i < bn.length; i++) bn[i] *= this.inv2mt;
    const floor = 1e-12 * Math.sqrt(dot(bn, bn));

    uNew.set(uOld);
    let uq = work.uq;
    uq.set(uqOld);
    let uqTrial = this.uq2;
    let J = this.phi(uNew, uq, uqOld, source, work);
    const functionalStart = J;
    let lineSearchHalvings = 0;
    if (!Number.isFinite(J)) throw new DivergenceError(`step functional is ${J} at the start of the step`, -1);
    let gnorm = this.gradient(uNew, uq, uqOld, source);
    const target = Math.max(newtonTolerance * gnorm, floor);
    let iterations = 0;
    let linearIterations = 0;
    let stopReason = 'max-iters';
    if (gnorm <= target) stopReason = 'converged';
    else {
      for (let it = 1; it <= maxNewtonIterations; it++) {
        iterations = it;
        // Jacobian H = A0 + M_{G''}
        H.values.set(A0.values);
        this.model.second(uq, uqOld, this.rq);
        addWeightedMass(H, space, basis, this.rq, 1);
        eliminateDirichlet(space, H);
        linear.setup(H);
        for (let i = 0; i < rhs.length; i++) rhs[i] = -g[i];
        if (it === 1) {
          d.set(warm);
          zeroDirichlet(space, d);
        } else d.fill(0);
        let res = linear.solve(rhs, d, linearTolerance);
        linearIterations += res.iterations;
        let slope = dot(g, d);
        if (!(slope < 0) && it === 1) {
          d.fill(0);
          res = linear.solve(rhs, d, linearTolerance);
          linearIterations += res.iterations;
          slope = dot(g, d);
        }
        if (!Number.isFinite(slope)) throw new DivergenceError(`Newton direction is not finite (∇Φ·d = ${slope})`, -1);
        if (!(slope < 0)) {
          stopReason = 'no-descent';
          break;
        }
        const roundoff = J_ROUNDOFF * (Math.abs(J) + 1);
        let alpha = 1;
        let accepted = false;
        let Jt = J;
        const trial = this.trial;
        for (let h = 0; h <= MAX_HALVINGS; h++) {
          for (let i = 0; i < trial.length; i++) trial[i] = uNew[i] + alpha * d[i];
          valuesAtQuadrature(uqTrial, space, basis, trial);
          Jt = this.phi(trial, uqTrial, uqOld, source, work);
          if (Jt <= J + ARMIJO_C1 * alpha * slope || (-slope <= roundoff && alpha === 1 && Jt <= J + roundoff)) {
            accepted = true;
            break;
          }
          alpha *= 0.5;
          lineSearchHalvings++;
        }
        if (!accepted) {
          stopReason = Number.isFinite(Jt) ? 'line-search' : 'line-search-nonfinite';
          break;
        }
        uNew.set(trial);
        const sw = uq;
        uq = uqTrial;
        uqTrial = sw;
        J = Jt;
        gnorm = this.gradient(uNew, uq, uqOld, source);
        if (gnorm <= target) {
          stopReason = 'converged';
          break;
        }
        if (-slope <= roundoff) {
          stopReason = 'converged-roundoff';
          break;
        }
      }
    }
    if (uq !== work.uq) work.uq.set(uq);
    return { iterations, linearIterations, stopReason, uqValid: true, lineSearchHalvings, functionalStart, functionalEnd: J };
  }
}
