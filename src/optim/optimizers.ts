import { vectorMemory, type VectorKernels } from './simd.js';

/**
 * Optimizers on the flat parameter vector θ (a Float64Array; an engine that computes in float32
 * rounds it on the way in), with their state in plain typed arrays, so a checkpoint holds
 * everything needed to continue bit for bit.
 *
 * Both keep the best iterate: on return θ holds the parameters with the lowest loss evaluated
 * (the starting point is evaluated first, so the result is never worse than the start).
 */

/**
 * The loss and its gradient: returns f(θ) and writes ∇f(θ) into `grad`. May return NaN/±Inf;
 * the optimizers report that as stopReason 'non-finite'.
 */
export type Objective = (theta: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  /** Iteration cap. */
  maxIters: number;
  /**
   * Stop when the last iteration's decrease is at most tol times the decrease so far,
   * f_{k−1} − f_k ≤ tol · (f_0 − f_k) (0: never). Scale-free: it does not depend on |f|, which
   * for the step functional Jₙ is dominated by the energy (10⁴ on ac1d while a step changes it by 10).
   */
  tol: number;
  /** Stop when ‖∇f(θ_k)‖₂ ≤ gradTol · ‖∇f(θ_0)‖₂ (relative to the start of the call; 0 or absent: never). */
  gradTol?: number;
  /**
   * The loss and gradient norm the relative tests (tol, gradTol) refer to, when not those at the
   * start of the call: an SDMM step started from an extrapolated guess still measures its decrease
   * and gradient against θⁿ, so a better start does not make the tests stricter (L-BFGS only).
   */
  reference?: { value: number; gradientNorm: number };
  /** Stop as soon as the best loss is ≤ target (the initial fit's MSE tolerance). */
  target?: number;
  /** Checked after every `everyIters` iterations with the current (best) θ: true stops with stopReason 'switch'. */
  stop?: { everyIters: number; test: (theta: Float64Array) => boolean };
}

export interface MinimizeResult {
  /** Optimizer iterations taken (accepted L-BFGS steps / Adam updates). */
  iterations: number;
  /** Loss evaluations. */
  evaluations: number;
  /** 'rel-decrease' | 'max-iters' | 'target' | 'switch' | 'line-search' | 'converged' | 'non-finite'. */
  stopReason: string;
  /** Loss at the start and at the returned (best) iterate. */
  initial: number;
  best: number;
  /** ‖∇f‖₂ at the start and at the returned iterate (NaN where not evaluated). */
  initialGradientNorm: number;
  gradientNorm: number;
}

function norm2(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/**
 * trial = θ + t d. The per-evaluation loops of the line search and the direction live in top-level
 * functions rather than in lbfgsMinimize's closures, which are re-created on every call (each time
 * step), so their type feedback would start cold each time (same operations, same bits).
 */
function stepAlong(trial: Float64Array, theta: Float64Array, t: number, d: Float64Array, P: number): void {
  for (let p = 0; p < P; p++) trial[p] = theta[p] + t * d[p];
}

/** d = −g. */
function negateInto(d: Float64Array, g: Float64Array, P: number): void {
  for (let p = 0; p < P; p++) d[p] = -g[p];
}

function dotN(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/**
 * L-BFGS state: the last m curvature pairs (s_i = θ_{i+1} − θ_i, y_i = ∇f_{i+1} − ∇f_i) in a ring.
 * Layout: S[j·P + p], Y[j·P + p] for slot j < m; rho[j] = 1/(y_jᵀ s_j); the newest pair is in slot
 * (head − 1) mod m; `count` pairs are valid.
 */
export interface LbfgsState {
  readonly historySize: number;
  readonly size: number;
  readonly S: Float64Array;
  readonly Y: Float64Array;
  readonly rho: Float64Array;
  count: number;
  head: number;
  /**
   * Where WebAssembly SIMD is available: S and Y are views into one memory with `work` (the search
   * direction, P values) and `kernels` runs the two-loop's dot products and updates on it (simd.ts).
   */
  readonly work?: Float64Array;
  readonly kernels?: VectorKernels;
}

/** @param simd false: plain arrays and the TypeScript two-loop (default: SIMD where available) */
export function createLbfgsState(size: number, historySize: number, simd = true): LbfgsState {
  const vm = simd && size > 1 ? vectorMemory((2 * historySize + 1) * size) : null;
  if (vm) {
    const at = (k: number, len: number) => new Float64Array(vm.memory.buffer, 8 * k * size, len);
    return {
      historySize,
      size,
      S: at(0, historySize * size),
      Y: at(historySize, historySize * size),
      rho: new Float64Array(historySize),
      count: 0,
      head: 0,
      work: at(2 * historySize, size),
      kernels: vm.kernels,
    };
  }
  return {
    historySize,
    size,
    S: new Float64Array(historySize * size),
    Y: new Float64Array(historySize * size),
    rho: new Float64Array(historySize),
    count: 0,
    head: 0,
  };
}

/**
 * The two-loop recursion of lbfgsMinimize (Nocedal & Wright, Alg. 7.4) on the SIMD kernels of the
 * state, d = −g on entry:
 *   for i newest → oldest: αᵢ = ρᵢ sᵢᵀd, d −= αᵢ yᵢ;   d *= γ = sᵀy / yᵀy (newest pair);
 *   for i oldest → newest: βᵢ = ρᵢ yᵢᵀd, d += (αᵢ − βᵢ) sᵢ.
 * The kernels take an even count; an odd P's last entry is done here.
 */
function simdDirection(state: LbfgsState, d: Float64Array, alphas: Float64Array): void {
  const { S, Y, rho, count, head, historySize: m, size: P } = state;
  const k = state.kernels!;
  const even = P & ~1;
  const last = P - 1;
  const odd = P !== even;
  const dAt = d.byteOffset;
  const dot = (A: Float64Array, j: number) => k.dot(A.byteOffset + 8 * j * P, dAt, even) + (odd ? A[j * P + last] * d[last] : 0);
  const axpy = (A: Float64Array, j: number, a: number) => {
    k.axpy(dAt, A.byteOffset + 8 * j * P, a, even);
    if (odd) d[last] += a * A[j * P + last];
  };
  for (let c = 0; c < count; c++) {
    const j = (head - 1 - c + m) % m;
    const a = rho[j] * dot(S, j);
    alphas[j] = a;
    axpy(Y, j, -a);
  }
  const jn = (head - 1 + m) % m;
  const yy = k.dot(Y.byteOffset + 8 * jn * P, Y.byteOffset + 8 * jn * P, even) + (odd ? Y[jn * P + last] * Y[jn * P + last] : 0);
  const gamma = 1 / (rho[jn] * yy);
  for (let p = 0; p < P; p++) d[p] *= gamma;
  for (let c = count - 1; c >= 0; c--) {
    const j = (head - 1 - c + m) % m;
    const b = rho[j] * dot(Y, j);
    axpy(S, j, alphas[j] - b);
  }
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.: Alg. 7.4 two-loop
 * recursion with initial Hessian γI, γ = sᵀy / yᵀy of the newest pair; Alg. 3.5/3.6 line search
 * for the strong Wolfe conditions f(θ + t d) ≤ f(θ) + c₁ t ∇fᵀd, |∇f(θ + t d)ᵀd| ≤ c₂ |∇fᵀd|,
 * c₁ = 10⁻⁴, c₂ = 0.9, bracketing by doubling and zooming by safeguarded quadratic interpolation).
 * A trial must also decrease f strictly (float32 losses are noisy at the last bit); non-finite
 * trial losses count as "too far". Without history the first trial step is min(1, 1/‖∇f‖₁)
 * along −∇f (the bracketing phase grows it). Pairs with sᵀy ≤ 10⁻¹⁰ yᵀy are skipped. The history
 * persists in `state` across calls (warm start between time steps); a non-descent direction
 * resets it.
 */
export function lbfgsMinimize(f: Objective, theta: Float64Array, state: LbfgsState, opts: MinimizeOptions): MinimizeResult {
  const P = theta.length;
  if (state.size !== P) throw new Error(`L-BFGS state is for ${state.size} parameters, got ${P}`);
  const m = state.historySize;
  const c1 = 1e-4;
  const c2 = 0.9;
  const maxEvaluationsPerSearch = 25;
  const g = new Float64Array(P);
  const d = state.work ?? new Float64Array(P);
  const alphas = new Float64Array(m);
  const trial = new Float64Array(P);
  const gTrial = new Float64Array(P);
  const bestTheta = new Float64Array(P);
  const bestG = new Float64Array(P);
  let evaluations = 1;
  let fx = f(theta, g);
  const initial = fx;
  const g0 = norm2(g);
  const result = (iterations: number, stopReason: string) => ({ iterations, evaluations, stopReason, initial, best: fx, initialGradientNorm: g0, gradientNorm: norm2(g) });
  if (!Number.isFinite(fx)) return result(0, 'non-finite');
  if (opts.target !== undefined && fx <= opts.target) return result(0, 'target');
  if (opts.gradTol && !(g0 > 0)) return result(0, 'gradient');
  const fRef = opts.reference ? Math.max(opts.reference.value, initial) : initial;
  const gRef = opts.reference ? opts.reference.gradientNorm : g0;

  const direction = () => {
    negateInto(d, g, P);
    if (state.count === 0) return;
    if (state.kernels) {
      simdDirection(state, d, alphas);
      return;
    }
    // First loop: newest to oldest.
    for (let c = 0; c < state.count; c++) {
      const j = (state.head - 1 - c + m) % m;
      const a = state.rho[j] * dotN(state.S, j * P, d, 0, P);
      alphas[j] = a;
      for (let p = 0; p < P; p++) d[p] -= a * state.Y[j * P + p];
    }
    const jn = (state.head - 1 + m) % m;
    const gamma = 1 / (state.rho[jn] * dotN(state.Y, jn * P, state.Y, jn * P, P));
    for (let p = 0; p < P; p++) d[p] *= gamma;
    // Second loop: oldest to newest.
    for (let c = state.count - 1; c >= 0; c--) {
      const j = (state.head - 1 - c + m) % m;
      const b = state.rho[j] * dotN(state.Y, j * P, d, 0, P);
      const coef = alphas[j] - b;
      for (let p = 0; p < P; p++) d[p] += coef * state.S[j * P + p];
    }
  };

  /** Line search from θ along d; on success the accepted point is in bestTheta/bestG and its loss returned, else NaN. */
  const lineSearch = (t0: number, gtd: number): number => {
    let evals = 0;
    let bestF = fx;
    const evalAt = (t: number): [number, number] => {
      stepAlong(trial, theta, t, d, P);
      const ft = f(trial, gTrial);
      evals++;
      evaluations++;
      const dg = dotN(gTrial, 0, d, 0, P);
      if (Number.isFinite(ft) && ft < bestF && ft <= fx + c1 * t * gtd) {
        bestF = ft;
        bestTheta.set(trial);
        bestG.set(gTrial);
      }
      return [ft, dg];
    };
    const strongWolfe = (ft: number, t: number, dg: number) =>
      Number.isFinite(ft) && ft < fx && ft <= fx + c1 * t * gtd && Math.abs(dg) <= -c2 * gtd;
    const zoom = (lo: number, fLo: number, dLo: number, hi: number, fHi: number): number => {
      while (evals < maxEvaluationsPerSearch) {
        // Quadratic through (lo, fLo) with slope dLo and (hi, fHi), safeguarded to the middle 80%.
        let t = 0.5 * (lo + hi);
        if (Number.isFinite(fHi)) {
          const denom = 2 * (fHi - fLo - dLo * (hi - lo));
          if (denom > 0) t = lo - (dLo * (hi - lo) * (hi - lo)) / denom;
        }
        const a = Math.min(lo, hi);
        const b = Math.max(lo, hi);
        t = Math.min(Math.max(t, a + 0.1 * (b - a)), b - 0.1 * (b - a));
        const [ft, dg] = evalAt(t);
        if (!Number.isFinite(ft) || ft > fx + c1 * t * gtd || ft >= fLo) {
          hi = t;
          fHi = ft;
        } else {
          if (strongWolfe(ft, t, dg)) return bestF;
          if (dg * (hi - lo) >= 0) {
            hi = lo;
            fHi = fLo;
          }
          lo = t;
          fLo = ft;
          dLo = dg;
        }
        if (Math.abs(hi - lo) <= 1e-12 * Math.max(1, Math.abs(lo))) break;
      }
      return bestF < fx ? bestF : NaN;
    };
    let tPrev = 0;
    let fPrev = fx;
    let dPrev = gtd;
    let t = t0;
    while (evals < maxEvaluationsPerSearch) {
      const [ft, dg] = evalAt(t);
      if (!Number.isFinite(ft) || ft > fx + c1 * t * gtd || (evals > 1 && ft >= fPrev)) return zoom(tPrev, fPrev, dPrev, t, ft);
      if (strongWolfe(ft, t, dg)) return bestF;
      if (dg >= 0) return zoom(t, ft, dg, tPrev, fPrev);
      tPrev = t;
      fPrev = ft;
      dPrev = dg;
      t *= 2;
    }
    return bestF < fx ? bestF : NaN;
  };

  let iterations = 0;
  let stopReason = 'max-iters';
  while (iterations < opts.maxIters) {
    direction();
    let gtd = dotN(g, 0, d, 0, P);
    if (!(gtd < 0)) {
      state.count = 0;
      state.head = 0;
      direction();
      gtd = dotN(g, 0, d, 0, P);
      if (!(gtd < 0)) {
        stopReason = 'converged';
        break;
      }
    }
    let t0 = 1;
    if (state.count === 0) {
      let g1 = 0;
      for (let p = 0; p < P; p++) g1 += Math.abs(g[p]);
      t0 = Math.min(1, 1 / g1);
    }
    const fNew = lineSearch(t0, gtd);
    if (!(fNew < fx)) {
      if (state.count > 0) {
        // A stale history (e.g. from the previous time step) can give a poor direction: retry along −∇f once.
        state.count = 0;
        state.head = 0;
        continue;
      }
      stopReason = 'line-search';
      break;
    }
    iterations++;
    const j = state.head;
    let sy = 0;
    let yy = 0;
    for (let p = 0; p < P; p++) {
      const s = bestTheta[p] - theta[p];
      const y = bestG[p] - g[p];
      state.S[j * P + p] = s;
      state.Y[j * P + p] = y;
      sy += s * y;
      yy += y * y;
    }
    if (sy > 1e-10 * yy && yy > 0) {
      state.rho[j] = 1 / sy;
      state.head = (state.head + 1) % m;
      state.count = Math.min(state.count + 1, m);
    }
    const fPrev = fx;
    theta.set(bestTheta);
    g.set(bestG);
    fx = fNew;
    if (opts.target !== undefined && fx <= opts.target) {
      stopReason = 'target';
      break;
    }
    if (opts.gradTol && norm2(g) <= opts.gradTol * gRef) {
      stopReason = 'gradient';
      break;
    }
    if (fPrev - fx <= opts.tol * (fRef - fx)) {
      stopReason = 'rel-decrease';
      break;
    }
    if (opts.stop && iterations % opts.stop.everyIters === 0 && opts.stop.test(theta)) {
      stopReason = 'switch';
      break;
    }
  }
  // Every accepted step decreased f strictly, so the current iterate is the best one.
  return result(iterations, stopReason);
}

/** Adam state: first and second moment estimates and the update count t (kept across steps). */
export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  t: number;
}

export function createAdamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
}

/** Width of the window over which Adam's relative decrease is measured (its loss is not monotone). */
export const ADAM_WINDOW = 25;

/**
 * Adam (Kingma & Ba 2015; β₁ = 0.9, β₂ = 0.999, ε̂ = 10⁻⁸):
 *   m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  θ ← θ − lr m̂ / (√v̂ + ε̂)
 * with bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). Keeps the best evaluated iterate;
 * stops when the best loss improved over the last ADAM_WINDOW iterations by at most tol times its
 * total improvement so far
 * iterations, at the target, at the `stop` test, or at the cap. A non-finite loss stops it ('non-finite').
 */
export function adamMinimize(
  f: Objective,
  theta: Float64Array,
  state: AdamState,
  opts: MinimizeOptions & { learningRate: number },
): MinimizeResult {
  const P = theta.length;
  if (state.m.length !== P) throw new Error(`Adam state is for ${state.m.length} parameters, got ${P}`);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const g = new Float64Array(P);
  const bestTheta = new Float64Array(theta);
  const window = new Float64Array(ADAM_WINDOW);
  let best = Infinity;
  let initial = NaN;
  let evaluations = 0;
  let stopReason = 'max-iters';
  let iterations = 0;
  for (;;) {
    const fx = f(theta, g);
    evaluations++;
    if (evaluations === 1) initial = fx;
    if (!Number.isFinite(fx)) {
      stopReason = 'non-finite';
      break;
    }
    if (fx < best) {
      best = fx;
      bestTheta.set(theta);
    }
    if (opts.target !== undefined && best <= opts.target) {
      stopReason = 'target';
      break;
    }
    // tol < 0 switches the rule off (with no progress yet, initial − best = 0 and the test would pass).
    if (opts.tol >= 0 && iterations >= ADAM_WINDOW && window[iterations % ADAM_WINDOW] - best <= opts.tol * (initial - best)) {
      stopReason = 'rel-decrease';
      break;
    }
    window[iterations % ADAM_WINDOW] = best;
    if (iterations > 0 && opts.stop && iterations % opts.stop.everyIters === 0 && opts.stop.test(bestTheta)) {
      stopReason = 'switch';
      break;
    }
    if (iterations >= opts.maxIters) break;
    state.t++;
    const c1 = 1 - Math.pow(beta1, state.t);
    const c2 = 1 - Math.pow(beta2, state.t);
    for (let p = 0; p < P; p++) {
      const gp = g[p];
      const mp = (state.m[p] = beta1 * state.m[p] + (1 - beta1) * gp);
      const vp = (state.v[p] = beta2 * state.v[p] + (1 - beta2) * gp * gp);
      theta[p] -= (opts.learningRate * (mp / c1)) / (Math.sqrt(vp / c2) + 1e-8);
    }
    iterations++;
  }
  if (best < Infinity) theta.set(bestTheta);
  // Adam does not keep the gradient of the best iterate; report the last one evaluated.
  return { iterations, evaluations, stopReason, initial, best, initialGradientNorm: NaN, gradientNorm: norm2(g) };
}
