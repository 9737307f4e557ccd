import type { FemOptions } from '../../src/fem/options.js';
import { FEM_SCHEMES, type FemScheme } from '../../src/fem/schemes/index.js';
import { CATALOGUE, makeProblem, pointFunction, stepCount, type ProblemConfig } from '../../src/physics/problems.js';
import { FIT_TOLERANCE_FLOAT32, type SdmmOptions } from '../../src/sdmm/options.js';
import { exp } from '../../src/util/portable-math.js';

/**
 * What the page lets a person set, and how it maps onto the library: one problem instance
 * (`problemFromSettings`) and one option object per solver (`femOptions`, `sdmmOptions`). The
 * workers build their solvers through these functions and the browser tests build the Node
 * reference run through the same ones, so "the same settings" means the same objects.
 *
 * Only DOM-free code lives here (the Node test imports it).
 */

/** The 2D problems of the catalogue the page offers, plus 'drawn' (u₀ painted with the mouse). */
export const WEB_PROBLEMS = ['star', 'circle', 'coarsening', 'random', 'drawn'] as const;
export type WebProblem = (typeof WEB_PROBLEMS)[number];

/**
 * How SDMM computes in the page (web/src/engine.ts names them): 'js', the library's float64 CPU
 * engine on one thread (the default: the Node run of the same settings gives the same bits), or
 * 'wasm', TensorFlow.js' WebAssembly backend in float32.
 */
export const WEB_SDMM_ENGINES = ['js', 'wasm'] as const;
export type WebSdmmEngine = (typeof WEB_SDMM_ENGINES)[number];

/** Cells per side of the painted lattice (the drawing canvas' resolution). */
export const DRAW_LATTICE = 128;

export interface WebSettings {
  problem: WebProblem;
  /** Interface width ε. */
  epsilon: number;
  /** Time step τ. */
  tau: number;
  /** FEM: cells per side of the structured mesh. */
  resolution: number;
  scheme: FemScheme;
  /** SDMM: rank r, hidden width and depth of each per-axis MLP, quadrature elements per axis n_e. */
  rank: number;
  width: number;
  depth: number;
  quadElements: number;
  /** SDMM engine (WEB_SDMM_ENGINES). */
  engine: WebSdmmEngine;
  /** The run pauses by itself after this step. */
  stopStep: number;
  /**
   * Only for problem 'drawn': the painted phase (+1 or −1) per lattice cell, DRAW_LATTICE²
   * values, cell (i, j) (x index i, y index j, y up) at index j·DRAW_LATTICE + i.
   */
  drawn?: Float32Array;
}

/**
 * Defaults: the reduced star of the catalogue (ε = 0.04, τ = 1e-4, 64×64 cells, T = 0.004 →
 * 40 steps) and the quick suite's SDMM size (rank 16, width 32, depth 2, 32×32 elements) on the
 * float64 CPU engine.
 */
export const DEFAULT_SETTINGS: Readonly<WebSettings> = Object.freeze({
  problem: 'star',
  epsilon: 0.04,
  tau: 1e-4,
  resolution: 64,
  scheme: 'mms-newton',
  rank: 16,
  width: 32,
  depth: 2,
  quadElements: 32,
  engine: 'js',
  stopStep: 40,
});

/**
 * What choosing a catalogue problem sets: its reduced ε, τ, cells per side and T/τ steps
 * (coarsening and random: ε = 0.02, τ = 2e-4, 200 steps to T = 0.04). A drawn problem
 * keeps the current values.
 */
export function problemDefaults(problem: WebProblem): Partial<WebSettings> {
  if (problem === 'drawn') return {};
  const r = CATALOGUE[problem].reduced;
  return { epsilon: r.epsilon, tau: r.tau, resolution: r.n, stopStep: stepCount(r) };
}

/** Thrown for a setting out of range; the message is one line naming the setting. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

function positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new SettingsError(`${name} must be a positive number, got ${v}`);
}

function integerIn(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new SettingsError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

/** Check every field (the bounds keep a browser tab from allocating gigabytes). */
export function validateSettings(s: WebSettings): void {
  if (!(WEB_PROBLEMS as readonly string[]).includes(s.problem)) {
    throw new SettingsError(`problem must be one of ${WEB_PROBLEMS.join(', ')}, got ${s.problem}`);
  }
  positive('epsilon', s.epsilon);
  positive('tau', s.tau);
  integerIn('resolution', s.resolution, 2, 512);
  if (!(FEM_SCHEMES as readonly string[]).includes(s.scheme)) {
    throw new SettingsError(`scheme must be one of ${FEM_SCHEMES.join(', ')}, got ${s.scheme}`);
  }
  integerIn('rank', s.rank, 1, 128);
  integerIn('width', s.width, 1, 256);
  integerIn('depth', s.depth, 1, 8);
  integerIn('quadElements', s.quadElements, 1, 256);
  if (!(WEB_SDMM_ENGINES as readonly string[]).includes(s.engine)) {
    throw new SettingsError(`engine must be one of ${WEB_SDMM_ENGINES.join(', ')}, got ${s.engine}`);
  }
  integerIn('stopStep', s.stopStep, 0, 1_000_000);
  if (s.problem === 'drawn' && (!s.drawn || s.drawn.length !== DRAW_LATTICE * DRAW_LATTICE)) {
    throw new SettingsError(`drawn must hold ${DRAW_LATTICE}² painted values for problem 'drawn'`);
  }
}

/**
 * The phase field of a painting: the ±1 mask blurred by a Gaussian of standard deviation
 * σ = 1.2 ε, then interpolated bilinearly between cell centres (constant beyond the outer
 * centres, matching the Neumann boundary). Across a straight edge the blurred mask is
 * erf(d/(√2 σ)) ≈ tanh(1.2 d/(√2 σ)) = tanh(d/(√2 ε)), the equilibrium profile, so a painted
 * shape starts as a resolved diffuse interface of width ε and |u₀| ≤ 1. The kernel uses the portable
 * exp (src/util/portable-math.ts), so the painted u₀ has the same bits in the page and in Node.
 * Layout of `mask` as in WebSettings.drawn. Returns u₀(x, y) on [0, 1]².
 */
export function drawnInitial(mask: Float32Array, epsilon: number, lattice = DRAW_LATTICE): (x: number, y: number) => number {
  const L = lattice;
  const sigma = 1.2 * epsilon * L;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] /= sum;
  // Reflecting boundary (the mirror image across each side), as the Neumann condition suggests.
  const reflect = (i: number) => (i < 0 ? -1 - i : i >= L ? 2 * L - 1 - i : i);
  const tmp = new Float64Array(L * L);
  const field = new Float64Array(L * L);
  for (let j = 0; j < L; j++) {
    for (let i = 0; i < L; i++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * mask[j * L + reflect(Math.min(Math.max(i + k, -L), 2 * L - 1))];
      tmp[j * L + i] = s;
    }
  }
  for (let j = 0; j < L; j++) {
    for (let i = 0; i < L; i++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * tmp[reflect(Math.min(Math.max(j + k, -L), 2 * L - 1)) * L + i];
      field[j * L + i] = Math.max(-1, Math.min(1, s));
    }
  }
  return (x: number, y: number) => {
    const fx = Math.min(Math.max(x * L - 0.5, 0), L - 1);
    const fy = Math.min(Math.max(y * L - 0.5, 0), L - 1);
    const i0 = Math.min(Math.floor(fx), L - 2);
    const j0 = Math.min(Math.floor(fy), L - 2);
    const sx = fx - i0;
    const sy = fy - j0;
    return (
      (1 - sx) * (1 - sy) * field[j0 * L + i0] +
      sx * (1 - sy) * field[j0 * L + i0 + 1] +
      (1 - sx) * sy * field[(j0 + 1) * L + i0] +
      sx * sy * field[(j0 + 1) * L + i0 + 1]
    );
  };
}

/**
 * The problem instance: a reduced catalogue problem with ε, τ and n overridden, or for 'drawn'
 * the circle's setting ([0,1]², Neumann, m = 1) with the painted u₀.
 */
export function problemFromSettings(s: WebSettings): ProblemConfig {
  validateSettings(s);
  // T = stopStep·τ: the page runs to its stop step, and makeProblem wants T a whole number of steps.
  const overrides = { epsilon: s.epsilon, tau: s.tau, n: s.resolution, tEnd: Math.max(1, s.stopStep) * s.tau };
  if (s.problem !== 'drawn') return makeProblem(s.problem, 'reduced', overrides);
  const base = makeProblem('circle', 'reduced', overrides);
  return { ...base, name: 'drawn', initial: pointFunction(drawnPointFunction(drawnInitial(s.drawn!, s.epsilon))) };
}

/** The painted u₀(x, y) as a function of a point. */
function drawnPointFunction(f: (x: number, y: number) => number) {
  return (p: ArrayLike<number>) => f(p[0], p[1]);
}

export function femOptions(s: WebSettings): FemOptions {
  return { scheme: s.scheme, n: s.resolution };
}

/**
 * The page caps SDMM's L-BFGS iterations per step at 50 (the library's default is 500, for
 * converged steps) so that a step takes under a second: on the default star in headless Chromium
 * 0.43 s on the float64 engine, 0.87 s on TensorFlow.js wasm (shared 2-core machine, noisy).
 */
export const PAGE_SDMM_MAX_ITERS = 50;

/**
 * The page's initial-fit tolerance (relative MSE), on either engine: the float32 one, 1e-6. The
 * library's float64 default (1e-8) is not reached on the page's default star (rank 16, width 32,
 * 32×32 elements: 2.2e-8 after 2,000 iterations, refused after 76 s in Node), while 1e-6 takes
 * 6 s there (Node, one thread, shared machine).
 */
export const PAGE_SDMM_FIT_TOLERANCE = FIT_TOLERANCE_FLOAT32;

/**
 * The SDMM options for a backend (web/src/engine.ts lists the backends of each engine setting).
 * The float64 CPU engine gets threads: 1 — the page runs it on its worker's own thread (its
 * thread pool is Node's worker_threads), and the thread count decides the summation order, so a
 * Node run must use the same count to give the same bits; an explicit count also keeps the engine
 * from asking Node's os module for the cores.
 */
export function sdmmOptions(s: WebSettings, backend: SdmmOptions['backend']): Partial<SdmmOptions> {
  const o: Partial<SdmmOptions> = {
    rank: s.rank,
    width: s.width,
    depth: s.depth,
    quadElements: s.quadElements,
    maxIters: PAGE_SDMM_MAX_ITERS,
    fitTolerance: PAGE_SDMM_FIT_TOLERANCE,
    backend,
  };
  if (backend === 'js') o.threads = 1;
  return o;
}

/**
 * Settings from a URL query (?problem=circle&epsilon=0.05&…) over the defaults (and the chosen
 * problem's defaults, problemDefaults); unknown keys are an error. A 'drawn' problem from a URL starts from an empty painting (u₀ ≡ −1).
 */
export function settingsFromQuery(query: string, base: Readonly<WebSettings> = DEFAULT_SETTINGS): WebSettings {
  const params = new URLSearchParams(query);
  const problem = params.get('problem');
  const s: WebSettings = { ...base };
  if (problem !== null && (WEB_PROBLEMS as readonly string[]).includes(problem)) Object.assign(s, problemDefaults(problem as WebProblem));
  for (const [key, value] of params) {
    switch (key) {
      case 'problem':
        s.problem = value as WebProblem;
        break;
      case 'scheme':
        s.scheme = value as FemScheme;
        break;
      case 'engine':
        s.engine = value as WebSdmmEngine;
        break;
      case 'epsilon':
      case 'tau':
      case 'resolution':
      case 'rank':
      case 'width':
      case 'depth':
      case 'quadElements':
      case 'stopStep':
        s[key] = Number(value);
        break;
      case 'run': // run=1 starts the run at once; the page reads it, it is not a solver setting
        break;
      default:
        throw new SettingsError(`unknown URL setting '${key}'`);
    }
  }
  if (s.problem === 'drawn' && !s.drawn) s.drawn = new Float32Array(DRAW_LATTICE * DRAW_LATTICE).fill(-1);
  validateSettings(s);
  return s;
}
