import { gradientEnergy, movementTerm, potentialEnergy, sourceWork } from './energy.js';
import { DOUBLE_WELL, type Potential } from './potential.js';
import type { ProblemConfig } from './problems.js';

/**
 * The metric of the movement term ‖u − uⁿ‖². Only L² exists today (Allen–Cahn); the H⁻¹ metric
 * of Cahn–Hilliard would be a second member of this union, and each solver then assembles its
 * movement operator from `metric.kind` (FEM: the mass matrix for L², a discrete inverse
 * Laplacian for H⁻¹; SDMM: the pointwise sum for L²), so a new metric is added once here and
 * once per discretisation, never per scheme.
 */
export type StepMetric = { readonly kind: 'L2' };

/** The L² metric: ‖v‖² = ∫ v². */
export const L2_METRIC: StepMetric = Object.freeze({ kind: 'L2' as const });

/**
 * The Ginzburg–Landau energy E(u) = ∫ ½|∇u|² + ε⁻² F(u) (DESIGN.md §1) for a potential F and an
 * interface width ε, as pointwise densities (plain methods of numbers, safe in hot loops) and as
 * sums over weighted point sets (quadrature points of FEM cells, the SDMM tensor grid; the weights
 * w_q include |det J|). It knows no discretisation: points, weights and gradients come from the
 * caller.
 *
 * Pointwise:  bulk(u) = ε⁻² F(u),  reaction(u) = ε⁻² f(u),  reactionDerivative(u) = ε⁻² f′(u),
 *             bulkChange(u, δ) = ε⁻² (F(u + δ) − F(u)).
 *             Call them as methods (J.reaction(u)): they read ε from the object and allocate
 *             nothing, so they belong in hot loops; the potential's own functions (J.potential.f)
 *             are plain and may be taken out of the object.
 * Sums:       bulkEnergy = ε⁻² Σ w F(u),  bulkEnergyChange,  gradientEnergy = ½ Σ w |∇u|²,  energy = E.
 */
export class EnergyFunctional {
  readonly potential: Potential;
  readonly epsilon: number;
  /** ε⁻²: the weight of the potential in E. */
  readonly bulkScale: number;

  constructor(epsilon: number, potential: Potential = DOUBLE_WELL) {
    positive('epsilon', epsilon);
    this.potential = potential;
    this.epsilon = epsilon;
    this.bulkScale = 1 / (epsilon * epsilon);
  }

  /** ε⁻² F(u). */
  bulk(u: number): number {
    return this.bulkScale * this.potential.F(u);
  }

  /** ε⁻² f(u): the pointwise gradient of the bulk term. */
  reaction(u: number): number {
    return this.bulkScale * this.potential.f(u);
  }

  /** ε⁻² f′(u): the pointwise Hessian of the bulk term (negative for |u| < 1/√3). */
  reactionDerivative(u: number): number {
    return this.bulkScale * this.potential.fPrime(u);
  }

  /** ε⁻² (F(u + δ) − F(u)) without cancellation. */
  bulkChange(u: number, delta: number): number {
    return this.bulkScale * this.potential.change(u, delta);
  }

  /** ε⁻² Σ_q w_q F(u_q). */
  bulkEnergy(weights: Float64Array, u: ArrayLike<number>): number {
    if (this.potential === DOUBLE_WELL) return potentialEnergy(weights, u, this.epsilon);
    const F = this.potential.F;
    let s = 0;
    for (let q = 0; q < weights.length; q++) s += weights[q] * F(u[q]);
    return this.bulkScale * s;
  }

  /** ε⁻² Σ_q w_q (F(u_q + α d_q) − F(u_q)): the exact change of the bulk term along a direction. */
  bulkEnergyChange(weights: Float64Array, u: ArrayLike<number>, direction: ArrayLike<number>, alpha: number): number {
    const change = this.potential.change;
    let s = 0;
    for (let q = 0; q < weights.length; q++) s += weights[q] * change(u[q], alpha * direction[q]);
    return this.bulkScale * s;
  }

  /** ½ Σ_q w_q |∇u_q|² (gradients[k][q] = ∂u/∂x_k at point q). */
  gradientEnergy(weights: Float64Array, gradients: readonly ArrayLike<number>[]): number {
    return gradientEnergy(weights, gradients);
  }

  /**
   * E(u) = ε⁻² Σ w F(u) + ½ Σ w′ |∇u|², with the value weights w and the gradient weights w′
   * (they differ when gradients live on other points, e.g. FEM Q1).
   */
  energy(weights: Float64Array, u: ArrayLike<number>, gradientWeights: Float64Array, gradients: readonly ArrayLike<number>[]): number {
    return this.bulkEnergy(weights, u) + gradientEnergy(gradientWeights, gradients);
  }
}

/**
 * One minimizing movement step (De Giorgi; Jordan–Kinderlehrer–Otto 1998), DESIGN.md §1:
 *
 *   uⁿ⁺¹ = argmin_u Jₙ(u),   Jₙ(u) = E(u) + ‖u − uⁿ‖²/(2 m τ) − (1/m) ∫ s(tⁿ⁺¹) u,
 *
 * whose Euler–Lagrange equation is backward Euler for u_t = m(Δu − ε⁻² f(u)) + s (the source
 * enters as s/m so that this holds for any mobility). This object is the physics both solvers
 * discretise: E (potential, ε) plus m, τ, the source and the metric of the movement term.
 *
 * Jₙ = ∫ φ with the integrand φ(u, ∇u) = ½|∇u|² + ψ(u), ψ(u) = ε⁻² F(u) + (u − uⁿ)²/(2mτ) − s̃ u
 * (s̃ = s/m). A solver that differentiates Jₙ itself (the SDMM engine's reverse pass) needs per
 * point only ∂φ/∂(∂_k u) = ∂_k u and ∂φ/∂u = ψ′(u) (localDerivative); a float32 solver that sums
 * the change Jₙ(u) − Jₙ(uⁿ) needs ψ(u) − ψ(uⁿ) written without cancellation (localChange).
 *
 * Pointwise:  movementDensity(u, uⁿ) = (u − uⁿ)²/(2mτ),  scaledSource(x, t) = s(x, t)/m,
 *             localDerivative(u, uⁿ, s̃) = ψ′(u),  localChange(u, uⁿ, s̃) = ψ(u) − ψ(uⁿ).
 * Sums:       movement = ‖u − uⁿ‖²/(2mτ),  sourceWork = Σ w s̃ u,  value = Jₙ.
 */
export class StepFunctional extends EnergyFunctional {
  readonly metric: StepMetric;
  readonly mobility: number;
  readonly tau: number;
  /** 1/(m τ): the weight of the metric in the Hessian of Jₙ (the movement term is half of it). */
  readonly proximalWeight: number;
  /** 1/(2 m τ): the weight of the movement term. */
  readonly movementScale: number;
  /** 1/m: the source enters Jₙ as −(1/m) ∫ s u. */
  readonly sourceScale: number;
  private readonly source: ProblemConfig['source'];

  constructor(problem: Pick<ProblemConfig, 'epsilon' | 'mobility' | 'tau' | 'source'>, options: { potential?: Potential; metric?: StepMetric } = {}) {
    super(problem.epsilon, options.potential);
    positive('mobility', problem.mobility);
    positive('tau', problem.tau);
    this.metric = options.metric ?? L2_METRIC;
    this.mobility = problem.mobility;
    this.tau = problem.tau;
    this.proximalWeight = 1 / (problem.mobility * problem.tau);
    this.movementScale = 1 / (2 * problem.mobility * problem.tau);
    this.sourceScale = 1 / problem.mobility;
    this.source = problem.source;
  }

  /** Whether Jₙ has a source term. */
  get hasSource(): boolean {
    return this.source !== undefined;
  }

  /** (u − uⁿ)²/(2 m τ). */
  movementDensity(u: number, uPrevious: number): number {
    const d = u - uPrevious;
    return this.movementScale * d * d;
  }

  /** ψ′(u) = ε⁻² f(u) + (u − uⁿ)/(mτ) − s̃: ∂φ/∂u of the integrand (s̃ = s/m, 0 without a source). */
  localDerivative(u: number, uPrevious: number, scaledSource: number): number {
    return this.bulkScale * this.potential.f(u) + this.proximalWeight * (u - uPrevious) - scaledSource;
  }

  /**
   * ψ(u) − ψ(uⁿ) = ε⁻² (F(u) − F(uⁿ)) + (u − uⁿ)²/(2mτ) − s̃ (u − uⁿ), every term a multiple of
   * u − uⁿ (no cancellation: it vanishes exactly at u = uⁿ).
   */
  localChange(u: number, uPrevious: number, scaledSource: number): number {
    const d = u - uPrevious;
    return this.bulkScale * this.potential.change(uPrevious, d) + this.movementScale * d * d - scaledSource * d;
  }

  /** s(x, t)/m at a point x (0 without a source): the density the source term of Jₙ multiplies by −u. */
  scaledSource(x: ArrayLike<number>, t: number): number {
    return this.source ? this.sourceScale * this.source(x, t) : 0;
  }

  /** ‖u − uⁿ‖²/(2 m τ) in the metric (L²: Σ_q w_q (u_q − uⁿ_q)²/(2mτ)). */
  movement(weights: Float64Array, u: ArrayLike<number>, uPrevious: ArrayLike<number>): number {
    return movementTerm(weights, u, uPrevious, this.mobility, this.tau);
  }

  /** Σ_q w_q s̃_q u_q with s̃ = s/m (see scaledSource): the source part of Jₙ is minus this. */
  sourceWork(weights: Float64Array, scaledSource: ArrayLike<number>, u: ArrayLike<number>): number {
    return sourceWork(weights, scaledSource, u);
  }

  /**
   * Jₙ(u) = E(u) + ‖u − uⁿ‖²/(2mτ) − Σ w s̃ u from values (and gradients) at weighted points;
   * `scaledSource` is null without a source.
   */
  value(
    weights: Float64Array,
    u: ArrayLike<number>,
    uPrevious: ArrayLike<number>,
    gradientWeights: Float64Array,
    gradients: readonly ArrayLike<number>[],
    scaledSource: ArrayLike<number> | null,
  ): number {
    let J = this.energy(weights, u, gradientWeights, gradients) + this.movement(weights, u, uPrevious);
    if (scaledSource) J -= sourceWork(weights, scaledSource, u);
    return J;
  }
}

function positive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
}

/** The step functional of a problem (double-well potential, L² metric unless given). */
export function stepFunctional(problem: Pick<ProblemConfig, 'epsilon' | 'mobility' | 'tau' | 'source'>, options?: { potential?: Potential; metric?: StepMetric }): StepFunctional {
  return new StepFunctional(problem, options);
}
