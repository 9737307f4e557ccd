import { type CsrMatrix, spmv, zeroMatrix } from '../../linalg/csr.js';
import { dot, norm2 } from '../../linalg/vector.js';
import { DivergenceError } from '../../solver.js';
import { addWeightedMass, assembleLoad, eliminateDirichlet, valuesAtQuadrature, zeroDirichlet } from '../assembly.js';
import { type EnergyWorkspace, femGradientEnergy } from '../functional.js';
import { option } from '../../options.js';
import type { SchemeContext, SchemeStepResult } from './types.js';

/**
 * Parameters of the Newton schemes (mms-newton, convex-split), declared once for both: the
 * scheme table merges them into the FEM options schema.
 */
export const NEWTON_PARAMETERS = {
  newtonTolerance: option
    .positive()
    .default(1e-8)
    .meta({ description: 'Newton: relative tolerance on ‖∇Jₙ‖ (from the step\'s start)', flag: 'newton-tol', arg: 't' }),
  maxNewtonIterations: option.positiveInteger().default(50).meta({ description: 'Newton: iteration cap per step', flag: 'newton-iters', arg: 'k' }),
};

/** Values of NEWTON_PARAMETERS. */
export interface NewtonSettings {
  newtonTolerance: number;
  maxNewtonIterations: number;
}

/**
 * The pointwise (nonlinear) part of a step functional, P(u) = Σ_q |det J| w_q G(u_q), its change
 * along a direction, and the first and (modified, bounded below) second derivative of G at the
 * quadrature points. `uqOld` is uⁿ at the quadrature points (for explicit parts, e.g. the
 * convex-split scheme).
 */
export interface PointwiseModel {
  /** P(u). */
  value(uq: Float64Array, uqOld: Float64Array): number;
  /**
   * P(u + α d) − P(u), summed pointwise from G(u_q + α d_q) − G(u_q) written in a form without
   * cancellation (so the line search can rank iterates that differ by far less than ε_mach·|P|).
   */
  delta(uq: Float64Array, dq: Float64Array, alpha: number, uqOld: Float64Array): number;
  /** out[q] = G′(u_q). */
  first(uq: Float64Array, uqOld: Float64Array, out: Float64Array): void;
  /** out[q] = G″(u_q), modified to stay bounded below (so the Newton matrix stays SPD). */
  second(uq: Float64Array, uqOld: Float64Array, out: Float64Array): void;
}

/** Armijo sufficient-decrease constant and the largest number of step halvings. */
const ARMIJO_C1 = 1e-4;
const MAX_HALVINGS = 30;

/**
 * Newton's method with a backtracking (Armijo) line search for one step functional
 *
 *   Φ(u) = ½ ∫|∇u|² + ‖u − uⁿ‖²/(2 m τ) + P(u) − ∫ s̃ u            (s̃ = s/m)
 *        = ½ uᵀA₀u − uᵀbₙ + P(u) − ∫ s̃ u + const,   A₀ = M/(mτ) + K,  bₙ = M uⁿ/(mτ),
 *   ∇Φ(u) = A₀ u − bₙ + ∫ (G'(u) − s̃) φ,
 *   H(u) = A₀ + M_{G''_mod(u)}   (SPD by the model's lower bound on G''),
 *
 * (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 3.1, §3.4 (modified Hessian),
 * §7.1 (inexact Newton)). Each direction solves H d = −∇Φ with ctx.linear (PCG by default, or
 * a direct Cholesky solve; the first solve is warm-started from the previous increment and
 * rejected unless it is a descent direction, then redone from zero: CG from zero on an SPD
 * system always gives ∇Φ·d < 0). The line search evaluates the change of Φ along
 * d exactly: the quadratic part is α (A₀u − bₙ)·d + ½ α² dᵀA₀d, the pointwise part
 * `model.delta` without cancellation, the source part −α ∫ s̃ d; a step is accepted when
 * ΔΦ(α) ≤ c₁ α ∇Φ·d. So Φ decreases strictly from uⁿ at every accepted iterate, and the final
 * iterate is the best one: Jₙ(uⁿ⁺¹) ≤ Jₙ(uⁿ) by construction (up to the round-off of the
 * pointwise differences, ~1e-16 of |ΔΦ|, not of |Φ|).
 *
 * A predictor uⁿ + (uⁿ − uⁿ⁻¹) is taken as the start when it lowers Φ.
 * Stops when ‖∇Φ‖₂ ≤ max(tol·‖∇Φ(uⁿ)‖₂, 1e-12‖bₙ‖₂) (relative to the residual of the step's
 * start, with a round-off floor)
 * ('converged' / 'converged-predictor'), on a failed line search ('line-search') or after
 * maxNewtonIterations ('max-iters'); an unconverged step that did not even reduce ‖∇Φ‖ below
 * its start is a DivergenceError ("Newton fails badly"). Dirichlet dofs keep their values (increments vanish there).
 * `functionalStart` is Φ(uⁿ) through the step functional (src/physics); the
 * reported `functionalEnd` is Φ(uⁿ) plus the accepted exact decreases.
 */
export class NewtonMinimizer {
  private readonly A0: CsrMatrix;
  private readonly H: CsrMatrix;
  private readonly g: Float64Array;
  private readonly r0: Float64Array;
  private readonly rhs: Float64Array;
  private readonly d: Float64Array;
  private readonly Ad: Float64Array;
  private readonly bn: Float64Array;
  private readonly load: Float64Array;
  private readonly dq: Float64Array;
  private readonly rq: Float64Array;
  private readonly invMt: number;

  constructor(
    private readonly ctx: SchemeContext,
    private readonly model: PointwiseModel,
    private readonly settings: NewtonSettings,
    private readonly usePredictor = true,
  ) {
    const { space, M, K, functional } = ctx;
    const mt = functional.mobility * functional.tau;
    this.invMt = 1 / mt;
    this.A0 = zeroMatrix(space.pattern);
    for (let k = 0; k < this.A0.values.length; k++) this.A0.values[k] = M.values[k] / mt + K.values[k];
    this.H = zeroMatrix(space.pattern);
    const n = space.nDofs;
    this.g = new Float64Array(n);
    this.r0 = new Float64Array(n);
    this.rhs = new Float64Array(n);
    this.d = new Float64Array(n);
    this.Ad = new Float64Array(n);
    this.bn = new Float64Array(n);
    this.load = new Float64Array(n);
    const nq = space.basis.nCells * space.basis.nQ;
    this.dq = new Float64Array(nq);
    this.rq = new Float64Array(nq);
  }

  /** Φ at u through the shared energy functions (diagnostics: Jₙ(uⁿ)). */
  private phi(u: Float64Array, uq: Float64Array, uqOld: Float64Array, source: Float64Array | null, work: EnergyWorkspace): number {
    const b = this.ctx.space.basis;
    const F = this.ctx.functional;
    let J = femGradientEnergy(this.ctx.space, u, work) + F.movement(b.detJw, uq, uqOld) + this.model.value(uq, uqOld);
    if (source) J -= F.sourceWork(b.detJw, source, uq);
    return J;
  }

  /** g = r0 + ∫ (G'(u) − s̃) φ with r0 = A₀u − bₙ (Dirichlet rows zeroed); returns ‖g‖₂. */
  private gradient(uq: Float64Array, uqOld: Float64Array, source: Float64Array | null): number {
    const { space } = this.ctx;
    const { g, load, rq, r0 } = this;
    this.model.first(uq, uqOld, rq);
    if (source) for (let i = 0; i < rq.length; i++) rq[i] -= source[i];
    assembleLoad(load, space, space.basis, rq);
    for (let i = 0; i < g.length; i++) g[i] = r0[i] + load[i];
    zeroDirichlet(space, g);
    return norm2(g);
  }

  /**
   * Exact change ΔΦ(α) = Φ(u + α d) − Φ(u) given r0·d, dᵀA₀d and d at the quadrature points.
   */
  private change(alpha: number, r0d: number, dAd: number, uq: Float64Array, uqOld: Float64Array, sd: number): number {
    return alpha * r0d + 0.5 * alpha * alpha * dAd + this.model.delta(uq, this.dq, alpha, uqOld) - alpha * sd;
  }

  /** u += α d, u_q += α d_q, r0 += α A₀d. */
  private advance(alpha: number, u: Float64Array, uq: Float64Array): void {
    const { d, dq, r0, Ad } = this;
    for (let i = 0; i < u.length; i++) {
      u[i] += alpha * d[i];
      r0[i] += alpha * Ad[i];
    }
    for (let i = 0; i < uq.length; i++) uq[i] += alpha * dq[i];
  }

  /** Line-search coefficients along this.d: r0·d, dᵀA₀d, ∫ s̃ d (set by `direction`). */
  private r0d = 0;
  private dAd = 0;
  private sd = 0;

  /** Prepare the line search along this.d: d_q, A₀d and the coefficients above. */
  private direction(source: Float64Array | null): void {
    const { space } = this.ctx;
    valuesAtQuadrature(this.dq, space, space.basis, this.d);
    spmv(this.Ad, this.A0, this.d);
    this.sd = source ? this.ctx.functional.sourceWork(space.basis.detJw, source, this.dq) : 0;
    this.r0d = dot(this.r0, this.d);
    this.dAd = dot(this.d, this.Ad);
  }

  /**
   * Minimize Φ from uⁿ. `work.uq` is scratch for the iterate's u_q (incrementally updated).
   */
  minimize(uOld: Float64Array, uqOld: Float64Array, source: Float64Array | null, warm: Float64Array, uNew: Float64Array, work: EnergyWorkspace): SchemeStepResult {
    const { space, M, linear, linearTolerance } = this.ctx;
    const { newtonTolerance, maxNewtonIterations } = this.settings;
    const { g, d, rhs, H, A0, r0, bn } = this;
    spmv(bn, M, uOld);
    for (let i = 0; i < bn.length; i++) bn[i] *= this.invMt;
    const floor = 1e-12 * norm2(bn);

    uNew.set(uOld);
    const uq = work.uq;
    uq.set(uqOld);
    const functionalStart = this.phi(uNew, uq, uqOld, source, work);
    if (!Number.isFinite(functionalStart)) throw new DivergenceError(`step functional is ${functionalStart} at the start of the step`, -1);
    let decrease = 0;
    let lineSearchHalvings = 0;
    spmv(r0, A0, uNew);
    for (let i = 0; i < r0.length; i++) r0[i] -= bn[i];
    let gnorm = this.gradient(uq, uqOld, source);
    const target = Math.max(newtonTolerance * gnorm, floor);
    const gStart = gnorm;

    // Predictor: start from uⁿ + (uⁿ − uⁿ⁻¹) when that lowers Φ (keeps the decrease from uⁿ).
    let predicted = false;
    if (this.usePredictor && gnorm > target) {
      d.set(warm);
      zeroDirichlet(space, d);
      this.direction(source);
      const dphi = this.change(1, this.r0d, this.dAd, uq, uqOld, this.sd);
      if (dphi < 0) {
        predicted = true;
        decrease += dphi;
        this.advance(1, uNew, uq);
        gnorm = this.gradient(uq, uqOld, source);
      }
    }

    let iterations = 0;
    let linearIterations = 0;
    let gPrev = gnorm;
    let stopReason = 'max-iters';
    if (gnorm <= target) stopReason = predicted ? 'converged-predictor' : 'converged';
    else {
      for (let it = 1; it <= maxNewtonIterations; it++) {
        iterations = it;
        // Jacobian H = A₀ + M_{G''}. The preconditioner is built on the first Jacobian of the
        // step and reused (the Jacobians of one step differ little); CG runs on the current one.
        H.values.set(A0.values);
        this.model.second(uq, uqOld, this.rq);
        addWeightedMass(H, space, space.basis, this.rq, 1);
        eliminateDirichlet(space, H);
        linear.setup(H, it === 1);
        for (let i = 0; i < rhs.length; i++) rhs[i] = -g[i];
        if (it === 1 && !predicted) {
          d.set(warm);
          zeroDirichlet(space, d);
        } else d.fill(0);
        // Inexact Newton (Eisenstat & Walker 1996, choice 2, γ = 0.9): relative CG tolerance
        // η_k = 0.9 (‖g_k‖/‖g_{k−1}‖)², at most 1e-2 (1e-3 on the first iteration), never finer
        // than needed to reach the target now (½·target/‖g_k‖) nor than linearTolerance.
        let eta = it === 1 ? 1e-3 : Math.min(1e-2, 0.9 * (gnorm / gPrev) ** 2);
        eta = Math.max(eta, (0.5 * target) / gnorm, linearTolerance);
        gPrev = gnorm;
        let res = linear.solve(rhs, d, eta);
        linearIterations += res.iterations;
        let slope = dot(g, d);
        if (!(slope < 0) && it === 1) {
          d.fill(0);
          res = linear.solve(rhs, d, eta);
          linearIterations += res.iterations;
          slope = dot(g, d);
        }
        if (!Number.isFinite(slope)) throw new DivergenceError(`Newton direction is not finite (∇Φ·d = ${slope})`, -1);
        if (!(slope < 0)) {
          stopReason = 'no-descent';
          break;
        }
        this.direction(source);
        let alpha = 1;
        let accepted = false;
        let dphi = 0;
        for (let h = 0; h <= MAX_HALVINGS; h++) {
          dphi = this.change(alpha, this.r0d, this.dAd, uq, uqOld, this.sd);
          if (dphi <= ARMIJO_C1 * alpha * slope) {
            accepted = true;
            break;
          }
          alpha *= 0.5;
          lineSearchHalvings++;
        }
        if (!accepted) {
          stopReason = Number.isFinite(dphi) ? 'line-search' : 'line-search-nonfinite';
          break;
        }
        decrease += dphi;
        this.advance(alpha, uNew, uq);
        gnorm = this.gradient(uq, uqOld, source);
        if (gnorm <= target) {
          stopReason = 'converged';
          break;
        }
      }
    }
    if (!stopReason.startsWith('converged') && !(gnorm < gStart)) {
      throw new DivergenceError(
        `Newton failed (${stopReason} after ${iterations} iterations): ‖∇Jₙ‖ went from ${gStart.toExponential(3)} to ${gnorm.toExponential(3)}`,
        -1,
      );
    }
    return {
      iterations,
      linearIterations,
      stopReason,
      // work.uq was advanced incrementally (u_q += α d_q): the solver recomputes it from uⁿ⁺¹,
      // so the state after a step is a function of the nodal values alone (bit-identical
      // restarts from a checkpoint of u).
      uqValid: false,
      lineSearchHalvings,
      functionalStart,
      functionalEnd: functionalStart + decrease,
    };
  }
}
