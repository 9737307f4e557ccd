import { describe, expect, it } from 'vitest';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { compositeGaussLegendre, tensorRule } from '../src/quadrature/index.js';
import { createSdmmSolver, SdmmFitError, type SdmmOptions } from '../src/sdmm/index.js';
import { axisProblem, centreDensity, lastLayerLeastSquares, preActivationTarget, projectedMisfit, regressionStart, svdFactors } from '../src/sdmm/fit.js';
import { AxisMlp } from '../src/sdmm/engine/axis-mlp.js';
import { mlpNetwork, networkLayout, type NetworkLayout } from '../src/sdmm/network.js';
import { createLbfgsState, lbfgsMinimize } from '../src/optim/optimizers.js';
import { mulberry32 } from '../src/physics/random.js';
import { defaultFitTolerance, FIT_TOLERANCE_FLOAT32, FIT_TOLERANCE_FLOAT64, resolveSdmmOptions } from '../src/sdmm/options.js';

/**
 * The initial fit (src/sdmm/fit.ts: SVD factors, per-axis regressions, L-BFGS on the MSE of u)
 * reaches its default tolerance on the reduced problems' u₀ — relative MSE 1e-8 on the float64
 * 'js' engine, 1e-6 on TensorFlow.js (cpu backend, float32) — checked independently of the
 * solver's own report: u_θ sampled in float64 at the Gauss points against u₀.
 * Grids and networks are smaller than the defaults so the file runs in seconds.
 */

const CASES: [string, Partial<SdmmOptions>][] = [
  ['circle', { rank: 8, width: 16, quadElements: 24 }],
  ['star', { rank: 16, width: 32, quadElements: 24 }],
  // The reduced coarsening u₀ (amplitude 0.2) spans −0.51 … 0.43, where atanh is far from linear: its
  // pre-activation is not nearly rank 3 as u₀ is (rank 8: relative MSE 5.7e-7 measured), so rank 16.
  ['coarsening', { rank: 16, width: 32, quadElements: 24 }],
  // ac1d's u₀ = x² cos πx has a kink where it touches −1 at the periodic boundary (slopes −2, +2):
  // no smooth periodic network reaches 1e-8 there (measured ≈ 1.6e-6 on js, 6e-6 on tfjs cpu), so its
  // catalogue entry declares initialFitTolerance 1e-5, the default it is held to on both engines.
  ['ac1d', { rank: 4, width: 16, quadElements: 160 }],
];

/** The default each case is held to: the engine's, or the problem's looser declared floor (ac1d 1e-5). */
const PROBLEM_FLOOR: Record<string, number> = { ac1d: 1e-5 };

/** mean_q (u_θ − u₀)² / mean_q u₀² at the Gauss points of the solver's grid, from sample(). */
function sampledRelativeMse(problem: ProblemConfig, sample: (p: Float64Array) => Float64Array, quadElements: number): number {
  const axes = Array.from({ length: problem.dim }, (_, a) => compositeGaussLegendre(problem.domain.min[a], problem.domain.max[a], quadElements, 2));
  const grid = tensorRule(axes);
  const u = sample(grid.points);
  let se = 0;
  let ms = 0;
  for (let q = 0; q < u.length; q++) {
    const x = grid.points[problem.dim * q];
    const y = problem.dim === 2 ? grid.points[problem.dim * q + 1] : 0;
    const u0 = problem.initial(x, y);
    se += (u[q] - u0) ** 2;
    ms += u0 * u0;
  }
  return se / ms;
}

describe('SDMM fit building blocks', () => {
  it('svdFactors: a rank-2 separable target S = f gᵀ + p qᵀ is reproduced by X Yᵀ to rounding; factors beyond its rank are 0', () => {
    const nx = 9;
    const ny = 7;
    const S = new Float64Array(nx * ny);
    for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) S[i * ny + j] = Math.sin(i + 1) * Math.cos(0.3 * j) + (i * i - 3) * (j - 2.5);
    const r = 4;
    const { X, Y, sigma } = svdFactors(S, nx, ny, r);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        let v = 0;
        for (let k = 0; k < r; k++) v += X[i * r + k] * Y[j * r + k];
        err = Math.max(err, Math.abs(v - S[i * ny + j]));
        norm = Math.max(norm, Math.abs(S[i * ny + j]));
      }
    }
    expect(err).toBeLessThan(1e-12 * norm);
    expect(sigma[0]).toBeGreaterThanOrEqual(sigma[1]);
    expect(sigma[1]).toBeGreaterThan(1e-6 * sigma[0]);
    expect(sigma[2]).toBeLessThan(1e-12 * sigma[0]);
  });

  it('preActivationTarget: atanh(u₀)/α, finite where u₀ rounds to ±1; u₀/α without the bounding', () => {
    const u0 = Float64Array.from([0.5, -0.25, 1, -1, 0]);
    const s = preActivationTarget(u0, true, 2);
    expect(s[0]).toBeCloseTo(Math.atanh(0.5) / 2, 14);
    expect(s[1]).toBeCloseTo(Math.atanh(-0.25) / 2, 14);
    expect(Number.isFinite(s[2]) && s[2] > 8).toBe(true);
    expect(s[3]).toBe(-s[2]);
    expect(s[4]).toBe(0);
    expect([...preActivationTarget(u0, false, 2)]).toEqual([0.25, -0.125, 0.5, -0.5, 0]);
  });
});

describe('SDMM initial fit reaches its tolerance', () => {
  for (const [backend, tolerance] of [
    ['js', FIT_TOLERANCE_FLOAT64],
    ['cpu', FIT_TOLERANCE_FLOAT32],
  ] as const) {
    for (const [name, options] of CASES) {
      const tol = options.fitTolerance ?? Math.max(tolerance, PROBLEM_FLOOR[name] ?? 0);
      it(`${name} on ${backend}: relative MSE ≤ ${tol} (default for ${backend === 'js' ? 'float64' : 'float32'}${PROBLEM_FLOOR[name] ? ' and this u₀' : ''})`, async () => {
        const problem = makeProblem(name, 'reduced');
        const solver = await createSdmmSolver(problem, { ...options, backend });
        const r0 = await solver.initialise();
        expect(r0.stopReason).toMatch(new RegExp(`^fit relative mse \\S+ <= tolerance ${tol.toExponential(3).replace('.', '\\.')}`));
        const d = solver.describe();
        expect(d.fitTolerance).toBe(tol);
        expect(d.precision).toBe(backend === 'js' ? 'float64' : 'float32');
        const mse = sampledRelativeMse(problem, (p) => solver.sample(p), options.quadElements!);
        expect(mse).toBeLessThanOrEqual(tol);
        expect(mse).toBeGreaterThan(0);
        solver.dispose();
      });
    }
  }
});

describe("the problem's initialFitTolerance is SDMM's default fit tolerance", () => {
  it('ac1d declares 1e-5 (its u₀ has a kink at the periodic boundary); the smooth problems declare none', () => {
    expect(makeProblem('ac1d').initialFitTolerance).toBe(1e-5);
    expect(makeProblem('ac1d', 'paper').initialFitTolerance).toBe(1e-5);
    for (const name of ['star', 'circle', 'coarsening', 'random', 'front1d']) expect(makeProblem(name).initialFitTolerance).toBeUndefined();
  });

  it('default: the looser of the engine precision and the problem; an explicit fitTolerance wins either way', () => {
    expect(resolveSdmmOptions(makeProblem('ac1d'), {}).fitTolerance).toBe(1e-5);
    expect(resolveSdmmOptions(makeProblem('star'), {}).fitTolerance).toBe(FIT_TOLERANCE_FLOAT64);
    expect(resolveSdmmOptions(makeProblem('ac1d'), { fitTolerance: 1e-7 }).fitTolerance).toBe(1e-7);
    expect(defaultFitTolerance(makeProblem('ac1d'), 'float32')).toBe(1e-5);
    expect(defaultFitTolerance(makeProblem('circle'), 'float32')).toBe(FIT_TOLERANCE_FLOAT32);
    expect(defaultFitTolerance({ initialFitTolerance: 1e-9 }, 'float64')).toBe(FIT_TOLERANCE_FLOAT64); // tighter than the engine: the engine's
  });
});

describe('SDMM initial fit with the other network options', () => {
  for (const [name, options] of [
    ['coarsening, unbounded (u = α s, periodic axes)', { bound: false }],
    ['circle, trainable α = 2', { trainAlpha: true, alpha: 2 }],
  ] as const) {
    it(`${name}: relative MSE ≤ 1e-8 on js`, async () => {
      const problem = makeProblem(name.split(',')[0], 'reduced');
      const solver = await createSdmmSolver(problem, { rank: 8, width: 16, quadElements: 24, backend: 'js', ...options });
      const r0 = await solver.initialise();
      expect(r0.stopReason).toMatch(/^fit relative mse \S+ <= tolerance 1\.000e-8/);
      expect(sampledRelativeMse(problem, (p) => solver.sample(p), 24)).toBeLessThanOrEqual(1e-8);
      solver.dispose();
    });
  }
});

describe('SDMM initial fit with every default', () => {
  // What `allen-cahn run --problem star --solver sdmm` does: rank 16, width 32, depth 2, the
  // problem's quadrature (128 Gauss points per axis), js engine. This failed (relative MSE 1.5e-7 >
  // 1e-8, the run refused to step) while the regression's gradient left out its ridge term and its
  // ramps were evenly spaced: the y-axis regression ended in a failed line search at 2.8e-6 against
  // its 2.1e-8 target. The iteration cap of 400 per phase (today 117 and 169 axis iterations, none
  // in the u-phase) also holds the fit to its speed: the old route needed 1,000–2,000 per axis.
  it('reduced star: the default fit reaches the default tolerance 1e-8 within 400 iterations per phase', async () => {
    const problem = makeProblem('star', 'reduced');
    const solver = await createSdmmSolver(problem, { backend: 'js', fitMaxIters: 400 });
    const r0 = await solver.initialise();
    solver.dispose();
    expect(r0.stopReason).toMatch(/^fit relative mse \S+ <= tolerance 1\.000e-8/);
    expect(r0.iterations).toBeLessThan(400);
  }, 120_000);

  // Other seeds of the same run (measured: 157 + 131 and 355 + 132 axis iterations).
  for (const seed of [2, 3]) {
    it(`reduced star, seed ${seed}: the default fit reaches 1e-8 within 600 iterations per phase`, async () => {
      const solver = await createSdmmSolver(makeProblem('star', 'reduced'), { backend: 'js', fitMaxIters: 600, seed });
      const r0 = await solver.initialise();
      solver.dispose();
      expect(r0.stopReason).toMatch(/^fit relative mse \S+ <= tolerance 1\.000e-8/);
    }, 120_000);
  }
});

describe('the per-axis regression (variable projection)', () => {
  /**
   * The star's y-axis regression at the fit's start and after 30 L-BFGS iterations, on a 48-point
   * grid: the projected misfit φ (last layer at its ridge least-squares optimum) and its reported
   * gradient, against central differences along seeded directions in the hidden weights (error
   * relative to ‖∇φ‖‖d‖). Before the ridge term was part of φ, the reported gradient missed
   * −2λβᵀdβ/dθ: 2.8e-5 at the start and 2.4e-3 after 30 iterations (measured by evaluating the old
   * objective on this code); now 1.6e-8 and 8.4e-7, the same for h = 1e-5 … 1e-6 (the rounding of
   * the normal equations, not the difference quotient).
   */
  function yAxisRegression() {
    const problem = makeProblem('star', 'reduced');
    const o = resolveSdmmOptions(problem, { quadElements: 24, backend: 'js' });
    const network = mlpNetwork(networkLayout(problem, o));
    const layout = network.layout;
    const rules = layout.axes.map((ax) => compositeGaussLegendre(ax.min, ax.max, o.quadElements, o.quadPoints));
    const [nx, ny] = rules.map((ru) => ru.points.length);
    const u0 = new Float64Array(nx * ny);
    for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) u0[i * ny + j] = problem.initial([rules[0].points[i], rules[1].points[j]]);
    const r = layout.rank;
    const { X, Y } = svdFactors(preActivationTarget(u0, true, 1), nx, ny, r);
    const colW = new Float64Array(r);
    for (let k = 0; k < r; k++) for (let i = 0; i < nx; i++) colW[k] += X[i * r + k] ** 2 / (nx * ny);
    const p = axisProblem(new AxisMlp(layout.axes[1], layout.activation, rules[1].points), Y, false, null, colW);
    const theta = network.initialParameters(o.seed);
    const density = centreDensity(p, Float64Array.from(rules[1].points, (y) => 2 * y - 1), o.width);
    regressionStart(layout, 1, theta, o.seed, density);
    const Xb = new Float64Array(ny * r);
    const gX = new Float64Array(ny * r);
    lastLayerLeastSquares(p, layout, 1, theta, Xb);
    const f = (th: Float64Array, g: Float64Array) => projectedMisfit(p, layout, 1, th, g, Xb, gX);
    return { layout, theta, f, density };
  }

  function worstDirectionalError(layout: NetworkLayout, theta: Float64Array, f: (th: Float64Array, g: Float64Array) => number): number {
    const P = theta.length;
    const g = new Float64Array(P);
    const scratch = new Float64Array(P);
    f(new Float64Array(theta), g);
    const gNorm = Math.hypot(...g);
    const rand = mulberry32(5);
    let worst = 0;
    for (let k = 0; k < 6; k++) {
      const d = new Float64Array(P);
      for (const L of layout.axes[1].layers.slice(0, -1)) {
        for (let q = 0; q < L.inputs * L.outputs; q++) d[L.weightOffset + q] = rand() - 0.5;
        for (let q = 0; q < L.outputs; q++) d[L.biasOffset + q] = rand() - 0.5;
      }
      const h = 1e-5;
      const plus = theta.map((v, q) => v + h * d[q]);
      const minus = theta.map((v, q) => v - h * d[q]);
      const central = (f(plus, scratch) - f(minus, scratch)) / (2 * h);
      let gd = 0;
      for (let q = 0; q < P; q++) gd += g[q] * d[q];
      worst = Math.max(worst, Math.abs(central - gd) / (gNorm * Math.hypot(...d)));
    }
    return worst;
  }

  it('the reported gradient of the projected misfit equals central differences (start and after 30 L-BFGS iterations)', () => {
    const { layout, theta, f } = yAxisRegression();
    expect(worstDirectionalError(layout, theta, f)).toBeLessThan(2e-7);
    lbfgsMinimize(f, theta, createLbfgsState(theta.length, 60), { maxIters: 30, tol: 0 });
    expect(worstDirectionalError(layout, theta, f)).toBeLessThan(2e-5);
  });

  it('the projected misfit is reproducible to the bit and includes the ridge term λ Σ colW_k ‖β_k‖² > 0', () => {
    const { theta, f } = yAxisRegression();
    const g = new Float64Array(theta.length);
    const a = f(new Float64Array(theta), g);
    const b = f(new Float64Array(theta), g);
    expect(b).toBe(a);
    expect(a).toBeGreaterThan(0);
  });

  it('centreDensity: a normalised CDF over [−1, 1] that puts more centres where the target bends (the star\'s centre), no denser than one ramp per grid spacing', () => {
    const { density } = yAxisRegression();
    expect(density).not.toBeNull();
    const { nodes, cdf } = density!;
    expect(nodes[0]).toBe(-1);
    expect(nodes[nodes.length - 1]).toBe(1);
    expect(cdf[0]).toBe(0);
    expect(cdf[cdf.length - 1]).toBeCloseTo(1, 14);
    for (let i = 1; i < cdf.length; i++) expect(cdf[i]).toBeGreaterThanOrEqual(cdf[i - 1]);
    // Mass within ±0.1 of the centre (5 % of the axis) against an even spread's 10 %.
    const massIn = (lo: number, hi: number) => {
      const at = (x: number) => {
        let i = 0;
        while (i < nodes.length - 2 && nodes[i + 1] <= x) i++;
        return cdf[i] + ((x - nodes[i]) / (nodes[i + 1] - nodes[i])) * (cdf[i + 1] - cdf[i]);
      };
      return at(hi) - at(lo);
    };
    expect(massIn(-0.1, 0.1)).toBeGreaterThan(0.15);
    // ρ ≤ n/(2 width) = 48/64: at most one ramp per average grid spacing.
    for (let i = 0; i + 1 < nodes.length; i++) expect(cdf[i + 1] - cdf[i]).toBeLessThanOrEqual((48 / 64) * (nodes[i + 1] - nodes[i]) * (1 + 1e-12));
  });
});

describe('SDMM fit refusals are one clear line', () => {
  it('a rank too small for u₀: names the achieved MSE, the rank and its truncation error', async () => {
    const solver = await createSdmmSolver(makeProblem('star', 'reduced'), { rank: 1, width: 8, quadElements: 16, fitMaxIters: 20, backend: 'js' });
    const r0 = await solver.initialise();
    expect(r0.stopReason).toMatch(/REFUSED$/);
    const err = await solver.step().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdmmFitError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(
      /^SDMM refuses to step: initial fit relative MSE \S+ exceeds fitTolerance 1\.000e-8: rank 1 cannot represent u₀ \(its best rank-1 approximation alone has relative MSE \S+; raise rank\)$/,
    );
    solver.dispose();
  });

  it('a network too small for factors the rank can hold: names width, depth and fitMaxIters', async () => {
    const solver = await createSdmmSolver(makeProblem('circle', 'reduced'), { rank: 8, width: 2, depth: 1, quadElements: 16, fitMaxIters: 20, backend: 'js' });
    await solver.initialise();
    await expect(solver.step()).rejects.toThrow(
      /^SDMM refuses to step: initial fit relative MSE \S+ exceeds fitTolerance 1\.000e-8 \(rank 8 suffices: its truncation error is \S+\): raise width \(2\) or depth \(1\) of the axis networks, or fitMaxIters \(20\)$/,
    );
    solver.dispose();
  });
});
