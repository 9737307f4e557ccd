import { frontEnergyPerLength, frontProfile } from './energy.js';
import { checkMeshCounts, LimitError, LIMITS, plannedSteps } from '../util/limits.js';
import { stripUndefined } from '../util/object.js';
import { atan2, cos } from '../util/portable-math.js';
import { mulberry32 } from './random.js';

/**
 * The problem catalogue (DESIGN.md §3). A problem fixes the domain (a box), the boundary
 * condition on each side, ε, m, the initial condition, the time step and the final time; each
 * has a paper-scale setting and a reduced setting for tests and quick runs.
 */

export type BoundaryCondition =
  | { kind: 'neumann' }
  | { kind: 'periodic' }
  | { kind: 'dirichlet'; value: number };

/**
 * Sides of the box: the low and high end of each axis (a problem of dimension d uses the first 2d:
 * 1D xmin, xmax; 2D adds ymin, ymax; 3D adds zmin, zmax).
 */
export type Side = 'xmin' | 'xmax' | 'ymin' | 'ymax' | 'zmin' | 'zmax';
export const SIDES_3D: readonly Side[] = ['xmin', 'xmax', 'ymin', 'ymax', 'zmin', 'zmax'];
export const SIDES_2D: readonly Side[] = SIDES_3D.slice(0, 4);
export const SIDES_1D: readonly Side[] = SIDES_3D.slice(0, 2);

/** The sides of a box of dimension `dim` (1, 2 or 3). */
export function sidesOf(dim: number): readonly Side[] {
  return SIDES_3D.slice(0, 2 * dim);
}

/** The axis of a side (x 0, y 1, z 2) and which end of it. */
export function sideAxis(side: Side): { axis: number; end: 'min' | 'max' } {
  const i = SIDES_3D.indexOf(side);
  return { axis: i >> 1, end: i % 2 === 0 ? 'min' : 'max' };
}

/** A function of a point: x[k] is coordinate k (k < dim), any array-like of length ≥ dim. */
export type PointFunction = (x: ArrayLike<number>) => number;

/** A function of a point and time: s(x, t). */
export type PointTimeFunction = (x: ArrayLike<number>, t: number) => number;

/**
 * u₀ as a problem carries it: u₀(x) of a point. The second call form u₀(x, y) of two numbers is
 * transitional, for the SDMM modules that still pass coordinates (deprecated: pass a point);
 * makeProblem and `pointFunction` build functions that accept both without allocating.
 */
export interface InitialCondition {
  (x: ArrayLike<number>): number;
  /** @deprecated pass a point: u₀(x). */
  (x: number, y: number): number;
}

/** s(x, t) as a problem carries it; the form s(x, y, t) of numbers is transitional as above. */
export interface SourceTerm {
  (x: ArrayLike<number>, t: number): number;
  /** @deprecated pass a point: s(x, t). */
  (x: number, y: number, t: number): number;
}

/** Wrap a function of a point as an InitialCondition (the two-number form fills a scratch point). */
export function pointFunction(f: PointFunction): InitialCondition {
  const scratch = new Float64Array(3);
  return ((x: ArrayLike<number> | number, y?: number) => {
    if (typeof x !== 'number') return f(x);
    scratch[0] = x;
    scratch[1] = y ?? 0;
    return f(scratch);
  }) as InitialCondition;
}

/** Wrap s(x, t) of a point as a SourceTerm (the form s(x, y, t) fills a scratch point). */
export function sourceTerm(f: PointTimeFunction): SourceTerm {
  const scratch = new Float64Array(3);
  return ((x: ArrayLike<number> | number, a: number, b?: number) => {
    if (typeof x !== 'number') return f(x, a);
    scratch[0] = x;
    scratch[1] = a;
    return f(scratch, b ?? 0);
  }) as SourceTerm;
}

export type Scale = 'paper' | 'reduced';

/** A fully specified problem instance: what a solver is built from. */
export interface ProblemConfig {
  readonly name: string;
  readonly scale: Scale;
  readonly dim: 1 | 2;
  /** Box [min_k, max_k] per axis (k < dim). */
  readonly domain: { readonly min: readonly number[]; readonly max: readonly number[] };
  /** Boundary condition per side; opposite sides are both periodic or neither. */
  readonly boundary: Readonly<Partial<Record<Side, BoundaryCondition>>>;
  /** Interface width ε. */
  readonly epsilon: number;
  /** Mobility m. */
  readonly mobility: number;
  /** Time step τ. */
  readonly tau: number;
  /** Final time T. */
  readonly tEnd: number;
  /** Suggested FEM cells per side (ε/h ≥ 2.5 for P1) and SDMM quadrature elements per axis. */
  readonly n: number;
  /** Seed of every random draw in the problem (initial noise). */
  readonly seed: number;
  /** Initial condition u₀(x) at a point x (x[k], k < dim); build one with pointFunction. */
  readonly initial: InitialCondition;
  /** Optional source s(x, t): u_t = m(Δu − ε⁻² f(u)) + s; build one with sourceTerm. */
  readonly source?: SourceTerm;
  /** What is known exactly about the solution (evaluated by the suite for every law present). */
  readonly laws?: ExactLaws;
  /**
   * The pointwise error is pattern-sensitive: the solution is a coarsening pattern whose
   * interfaces a small change of u₀ (or a solver's small error early on) can shift, so the suite
   * reports beside it what such a change leaves stable (energy curve, phase fraction,
   * characteristic length; src/bench/pattern.ts). Absent: false.
   */
  readonly patternSensitive?: boolean;
  /**
   * The relative MSE, mean (v − u₀)² / mean u₀², to which a smooth function v (smooth and
   * periodic along periodic axes) can be asked to approximate u₀, for a problem whose u₀ is not
   * smooth in that sense; absent: u₀ is smooth and working precision is reachable. A fact about u₀,
   * not about any solver: solvers that fit u₀ with a smooth model (SDMM's initial fit) take it as
   * their default tolerance when it is looser than their own, and an explicit tolerance still wins.
   */
  readonly initialFitTolerance?: number;
}

/**
 * Exact laws a catalogue problem carries, so a benchmark evaluates them without knowing the
 * problem: each is a function of time.
 */
export interface ExactLaws {
  /**
   * Sharp-interface radius R(t) of the phase {u > 0} when it is a disc (shrinking circle:
   * R² = R₀² − 2mt; 0 after it vanishes). A run's radius is √(|{u > 0}|/π).
   */
  readonly radius?: (t: number) => number;
  /** Exact energy E(t) (the steady 1D front: 2√2/(3ε) at all times, up to e^{−L/(√2ε)} tails). */
  readonly energy?: (t: number) => number;
}

/** User overrides accepted by `makeProblem` (all optional; validated). */
export interface ProblemOverrides {
  epsilon?: number;
  mobility?: number;
  tau?: number;
  tEnd?: number;
  n?: number;
  seed?: number;
}

interface Settings {
  epsilon: number;
  mobility: number;
  tau: number;
  tEnd: number;
  n: number;
  /** Amplitude of the initial perturbation (coarsening, random; unused by the others). */
  amplitude?: number;
  /** Noise lattice cells per side (random; unused by the others). */
  lattice?: number;
}

interface CatalogueEntry {
  readonly description: string;
  readonly checks: string;
  readonly dim: 1 | 2;
  readonly domain: { min: number[]; max: number[] };
  readonly boundary: 'neumann' | 'periodic';
  readonly paper: Settings;
  readonly reduced: Settings;
  readonly initial: (epsilon: number, seed: number, s: Settings) => PointFunction;
  /** Exact laws for the given settings (absent: none known). */
  readonly laws?: (s: Settings) => ExactLaws;
  /** ProblemConfig.patternSensitive. */
  readonly patternSensitive?: boolean;
  /** ProblemConfig.initialFitTolerance: where u₀ is not smooth, the fit tolerance it allows (with why, at the entry). */
  readonly initialFitTolerance?: number;
}

/**
 * Width of the star's smoothed centre in units of ε (starInitial): δ = 1.25 ε.
 * Measured on the reduced star (ε = 0.04, 64 elements × 2 Gauss points; benchmarks/README.md, "The
 * star's centre seeds the aliasing", `npx tsx benchmarks/sdmm-star-centre.ts <δ>`): with the singular
 * centre every SDMM fit that reaches 1e-8 seeds steps that alias (8–11 % from the FEM reference at
 * T); δ = 0.05 (6.4 grid spacings) runs at 0.47 % with no aliasing and moves the FEM reference at T by
 * 0.005 %; δ = 0.03 and 0.02 still alias (9.7 %, 11.1 %).
 */
const STAR_CENTRE_PER_EPSILON = 1.25;

/**
 * Star: tanh((0.25 + 0.1 m_δ(r) cos 7θ − r)/(√2 ε)) centred at (0.5, 0.5), with
 * m_δ(r) = r⁷/(r⁷ + δ⁷), δ = STAR_CENTRE_PER_EPSILON · ε. The usual star (m = 1) is discontinuous at
 * r = 0, where cos 7θ has no limit: at ε = 0.04 u₀ takes every value in [0.990, 1) around the centre,
 * a feature no grid resolves, and an initial fit exact on the Gauss points reproduces it with hidden
 * features narrower than a grid spacing, which SDMM's steps then exploit between the points. With
 * m_δ, m_δ cos 7θ = Re((x + iy)⁷)/(r⁷ + δ⁷) is smooth, and the shape is unchanged outside r ≈ 2δ (the
 * star's inner radius is 0.15). At the paper's ε = 0.01 (δ = 0.0125) the change in u₀ is at most 2.2e-7
 * (relative L2 1.1e-8; measured on a 1001² grid), at ε = 0.04 at most 4.7e-2 near the centre
 * (relative L2 2.1e-3). The initial conditions use the portable tanh, cos and atan2
 * (src/util/portable-math.ts), r = √(dx² + dy²) (not Math.hypot, which the standard leaves
 * approximate) and r⁷ by multiplication: u₀ then has the same bits in Node and in a browser, which
 * SDMM's fit needs to give the same run in both.
 */
function starInitial(epsilon: number): PointFunction {
  const delta = STAR_CENTRE_PER_EPSILON * epsilon;
  const d2 = delta * delta;
  const d7 = d2 * d2 * d2 * delta;
  return (x) => {
    const dx = x[0] - 0.5;
    const dy = x[1] - 0.5;
    const r = distance(dx, dy);
    const r2 = r * r;
    const r7 = r2 * r2 * r2 * r;
    const theta = atan2(dy, dx);
    return frontProfile(0.25 + ((0.1 * r7) / (r7 + d7)) * cos(7 * theta) - r, epsilon);
  };
}

/**
 * Seeded uniform noise of amplitude A on a periodic L×L lattice of [0,1]², bilinearly
 * interpolated, so the initial condition is one function of position whatever points a solver
 * evaluates it at.
 */
export function latticeNoise(seed: number, lattice: number, amplitude: number): PointFunction {
  const rand = mulberry32(seed);
  const values = new Float64Array(lattice * lattice);
  for (let i = 0; i < values.length; i++) values[i] = amplitude * (2 * rand() - 1);
  return (p) => {
    const fx = (((p[0] % 1) + 1) % 1) * lattice;
    const fy = (((p[1] % 1) + 1) % 1) * lattice;
    const i0 = Math.min(Math.floor(fx), lattice - 1);
    const j0 = Math.min(Math.floor(fy), lattice - 1);
    const sx = fx - i0;
    const sy = fy - j0;
    const i1 = (i0 + 1) % lattice;
    const j1 = (j0 + 1) % lattice;
    return (
      (1 - sx) * (1 - sy) * values[i0 * lattice + j0] +
      sx * (1 - sy) * values[i1 * lattice + j0] +
      (1 - sx) * sy * values[i0 * lattice + j1] +
      sx * sy * values[i1 * lattice + j1]
    );
  };
}

/** √(dx² + dy²) in plain arithmetic (Math.hypot is only approximate by the standard, so engines may differ). */
function distance(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

/** Initial radius R₀ of the circle problem; its sharp-interface law is R(t)² = R₀² − 2 m t. */
export const CIRCLE_RADIUS = 0.25;

/** Sharp-interface radius of a shrinking circle (mean-curvature flow): √(R₀² − 2 m t), 0 after it vanishes. */
export function shrinkingCircleRadius(r0: number, mobility: number, t: number): number {
  return Math.sqrt(Math.max(0, r0 * r0 - 2 * mobility * t));
}

const C = cos;
const PI = Math.PI;

export const CATALOGUE: Readonly<Record<string, CatalogueEntry>> = {
  star: {
    description: 'seven-pointed star relaxing by curvature flow, [0,1]², Neumann',
    checks: 'sharp interface, the paper\'s main case',
    dim: 2,
    domain: { min: [0, 0], max: [1, 1] },
    boundary: 'neumann',
    paper: { epsilon: 0.01, mobility: 1, tau: 1e-5, tEnd: 0.02, n: 256 },
    reduced: { epsilon: 0.04, mobility: 1, tau: 1e-4, tEnd: 0.004, n: 64 },
    initial: (epsilon) => starInitial(epsilon),
  },
  circle: {
    description: 'shrinking circle of radius 0.25, [0,1]², Neumann',
    checks: 'R² = R₀² − 2 m t',
    dim: 2,
    domain: { min: [0, 0], max: [1, 1] },
    boundary: 'neumann',
    paper: { epsilon: 0.01, mobility: 1, tau: 5e-5, tEnd: 0.02, n: 256 },
    reduced: { epsilon: 0.04, mobility: 1, tau: 1e-4, tEnd: 0.004, n: 64 },
    initial: (epsilon) => (x) => frontProfile(CIRCLE_RADIUS - distance(x[0] - 0.5, x[1] - 0.5), epsilon),
    laws: ({ mobility }) => ({ radius: (t) => shrinkingCircleRadius(CIRCLE_RADIUS, mobility, t) }),
  },
  // The reduced coarsening and random problems are chosen to be well-conditioned (benchmarks/
  // README.md, "Well-posed reduced problems"; test/problem-conditioning.test.ts): a constant 1e-4
  // added to u₀ must move the FEM solution at T by at most 1e-2 relative L2. The paper's data at
  // ε = 0.04 failed it by far (coarsening 1.7, random 9e-2): near the unstable state u = 0 the
  // mean grows at m/ε² = 625 per unit time while most of the data's modes (|k|² = 395…1145)
  // decay, so the mean of u₀ decided the final pattern. Ten times the amplitude at ε = 0.02 leaves
  // no long linear phase (u₀ spans −0.51 … 0.43 and every mode of the data grows, at
  // m(ε⁻² − |k|²) ≥ 1355): measured 1.2e-3 (coarsening) and 2.7e-3 (random, noise of amplitude
  // 0.5 on a 16² lattice, spacing ≈ 3ε as the paper's 32² at ε = 0.01). n = 128 keeps ε/h ≥ 2.5;
  // the quick suite runs its FEM rows on 64² (h ≤ ε) against a 128² reference.
  coarsening: {
    description: 'coarsening from a smooth trigonometric perturbation of amplitude a (paper 0.02, reduced 0.2), [0,1]², periodic',
    checks: 'topology change',
    dim: 2,
    domain: { min: [0, 0], max: [1, 1] },
    boundary: 'periodic',
    paper: { epsilon: 0.01, mobility: 1, tau: 5e-5, tEnd: 0.04, n: 256, amplitude: 0.02 },
    reduced: { epsilon: 0.02, mobility: 1, tau: 2e-4, tEnd: 0.04, n: 128, amplitude: 0.2 },
    initial: (_epsilon, _seed, { amplitude: a = 0.02 }) => (p) => {
      const x = p[0];
      const y = p[1];
      return a * C(4 * PI * x) * C(8 * PI * y) - a * C(6 * PI * x) * C(2 * PI * y) + 0.5 * a * C(10 * PI * x) * C(4 * PI * y) + a * C(6 * PI * x) * C(6 * PI * y);
    },
    patternSensitive: true,
  },
  random: {
    description: 'coarsening from seeded uniform noise of amplitude a on an L×L lattice (paper 0.05, 32; reduced 0.5, 16), [0,1]², periodic',
    checks: 'coarsening from noise',
    dim: 2,
    domain: { min: [0, 0], max: [1, 1] },
    boundary: 'periodic',
    paper: { epsilon: 0.01, mobility: 1, tau: 5e-5, tEnd: 0.04, n: 256, amplitude: 0.05, lattice: 32 },
    reduced: { epsilon: 0.02, mobility: 1, tau: 2e-4, tEnd: 0.04, n: 128, amplitude: 0.5, lattice: 16 },
    initial: (_epsilon, seed, { amplitude = 0.05, lattice = 32 }) => latticeNoise(seed, lattice, amplitude),
    patternSensitive: true,
  },
  front1d: {
    description: '1D steady front tanh(x/(√2 ε)) on [−1,1], Neumann',
    checks: 'exact steady state, energy 2√2/(3ε)',
    dim: 1,
    domain: { min: [-1], max: [1] },
    boundary: 'neumann',
    paper: { epsilon: 0.05, mobility: 1, tau: 1e-3, tEnd: 0.1, n: 400 },
    reduced: { epsilon: 0.05, mobility: 1, tau: 1e-3, tEnd: 0.02, n: 160 },
    initial: (epsilon) => (x) => frontProfile(x[0], epsilon),
    laws: ({ epsilon }) => ({ energy: () => frontEnergyPerLength(epsilon) }),
  },
  ac1d: {
    description: 'the classic PINN benchmark u_t = 1e-4 u_xx − 5(u³ − u) on [−1,1], periodic',
    checks: 'metastable interfaces from x² cos(πx)',
    dim: 1,
    domain: { min: [-1], max: [1] },
    boundary: 'periodic',
    paper: { epsilon: Math.sqrt(2e-5), mobility: 1e-4, tau: 1e-3, tEnd: 1, n: 2048 },
    reduced: { epsilon: Math.sqrt(2e-5), mobility: 1e-4, tau: 5e-3, tEnd: 0.25, n: 1200 },
    initial: () => (p) => p[0] * p[0] * Math.cos(PI * p[0]),
    // u₀(±1) = −1 but u₀'(±1) = ∓2: the periodic extension has a kink at x = ±1, which no smooth
    // periodic function matches to working precision (SDMM's fit, periodic embedding: ≈ 2e-7 after
    // 2,000 L-BFGS iterations per phase at the reduced grid, 1.6e-6 with rank 4, width 16; 6e-6 in
    // float32). 1e-5 is reached on every engine and is ≈ 0.3 % RMS, below the 1e-2 target of the
    // benchmark at t = 0.25…1 (measured 2.6e-3 at t = 0.25, dt = 1e-3).
    initialFitTolerance: 1e-5,
  },
};

export const PROBLEM_NAMES: readonly string[] = Object.freeze(Object.keys(CATALOGUE));

/** Thrown for an unknown problem or an out-of-range parameter; `message` is one line. */
export class ProblemError extends Error {
  override name = 'ProblemError';
}

function requirePositive(field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ProblemError(`${field} must be a positive number, got ${show(value)}`);
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v));

const OVERRIDE_KEYS = ['epsilon', 'mobility', 'tau', 'tEnd', 'n', 'seed'] as const;
export const PROBLEM_SCALES: readonly Scale[] = ['paper', 'reduced'];

/** A LimitError from src/util/limits.ts as a ProblemError with the same one-line message. */
function asProblemError<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof LimitError) throw new ProblemError(err.message);
    throw err;
  }
}

/**
 * Build a problem instance from the catalogue at the given scale, with optional overrides.
 * Throws ProblemError with a one-line message for an unknown name, scale or override key, a bad
 * override value, a resolution n above the limits of src/util/limits.ts (n ≤ 2²² per side and
 * at most LIMITS.meshNodes nodes (n+1)^dim), and an end time that is not a whole number of
 * steps (T/τ must be an integer: see plannedSteps; T = 1e-4 with τ = 1e-3 is refused, not run
 * to 1e-3) or plans more than LIMITS.plannedSteps steps.
 */
export function makeProblem(name: string, scale: Scale = 'reduced', overrides: ProblemOverrides = {}): ProblemConfig {
  const entry = typeof name === 'string' && Object.hasOwn(CATALOGUE, name) ? CATALOGUE[name] : undefined;
  if (!entry) throw new ProblemError(`unknown problem ${show(name)} (known: ${PROBLEM_NAMES.join(', ')})`);
  if (scale !== 'paper' && scale !== 'reduced') throw new ProblemError(`unknown scale ${show(scale)} (known: ${PROBLEM_SCALES.join(', ')})`);
  overrides ??= {};
  if (typeof overrides !== 'object' || Array.isArray(overrides)) throw new ProblemError(`problem overrides must be an object, got ${show(overrides)}`);
  const unknown = Object.keys(overrides).filter((k) => !(OVERRIDE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new ProblemError(`unknown problem override${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${OVERRIDE_KEYS.join(', ')})`);
  }
  requirePositive('epsilon', overrides.epsilon);
  requirePositive('mobility', overrides.mobility);
  requirePositive('dt', overrides.tau);
  requirePositive('t-end', overrides.tEnd);
  if (overrides.n !== undefined && (typeof overrides.n !== 'number' || !Number.isInteger(overrides.n) || overrides.n < 1)) {
    throw new ProblemError(`n must be a positive integer, got ${show(overrides.n)}`);
  }
  if (overrides.seed !== undefined && (typeof overrides.seed !== 'number' || !Number.isSafeInteger(overrides.seed))) {
    throw new ProblemError(`seed must be an integer, got ${show(overrides.seed)}`);
  }
  const base = entry[scale];
  const s = { ...base, ...stripUndefined(overrides) };
  asProblemError(() => {
    if (s.n > LIMITS.elementsPerSide) throw new LimitError(`n must be at most ${LIMITS.elementsPerSide} (the limit), got ${s.n}`, 'n');
    checkMeshCounts(`n ${s.n}`, { nodes: (s.n + 1) ** entry.dim });
    plannedSteps(s.tEnd, s.tau, { tEnd: 't-end', tau: 'dt' });
  });
  const seed = overrides.seed ?? 1;
  const kind = entry.boundary;
  const sides = sidesOf(entry.dim);
  const boundary: Partial<Record<Side, BoundaryCondition>> = {};
  for (const side of sides) boundary[side] = { kind };
  return {
    name,
    scale,
    dim: entry.dim,
    domain: entry.domain,
    boundary,
    epsilon: s.epsilon,
    mobility: s.mobility,
    tau: s.tau,
    tEnd: s.tEnd,
    n: s.n,
    seed,
    initial: pointFunction(entry.initial(s.epsilon, seed, s)),
    laws: entry.laws ? entry.laws(s) : {},
    ...(entry.patternSensitive ? { patternSensitive: true } : {}),
    ...(entry.initialFitTolerance !== undefined ? { initialFitTolerance: entry.initialFitTolerance } : {}),
  };
}


/**
 * Number of time steps N = T/τ of a problem, which must be a whole number (within round-off,
 * 0.02/1e-5 = 2000.0000000000002 is 2000) and at most LIMITS.plannedSteps: plannedSteps of
 * src/util/limits.ts, which refuses anything else with one line (LimitError naming tEnd and tau).
 * makeProblem has already checked its problems; this guards problems built by hand.
 */
export function stepCount(problem: Pick<ProblemConfig, 'tau' | 'tEnd'>): number {
  return plannedSteps(problem.tEnd, problem.tau, { tEnd: 'tEnd', tau: 'tau' });
}

/** Whether the problem is periodic along axis k (0 = x, 1 = y, 2 = z): its low side is. */
export function isPeriodic(problem: Pick<ProblemConfig, 'boundary'>, axis: number): boolean {
  return problem.boundary[SIDES_3D[2 * axis]]?.kind === 'periodic';
}

/** A JSON-safe description of the problem for summary.json. */
export function describeProblem(p: ProblemConfig): Record<string, unknown> {
  return {
    name: p.name,
    scale: p.scale,
    dim: p.dim,
    domain: p.domain,
    boundary: p.boundary,
    epsilon: p.epsilon,
    mobility: p.mobility,
    tau: p.tau,
    tEnd: p.tEnd,
    steps: stepCount(p),
    n: p.n,
    seed: p.seed,
  };
}
