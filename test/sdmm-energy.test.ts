import { describe, expect, it } from 'vitest';
import { frontEnergyPerLength, movementTerm } from '../src/physics/energy.js';
import { makeProblem } from '../src/physics/problems.js';
import { compositeGaussLegendre, tensorRule } from '../src/quadrature/index.js';
import { createSdmmSolver, initialParameters, networkLayout, type AxisLayout, type SdmmSolver } from '../src/sdmm/index.js';

/**
 * The quadrature energy of a network that represents the exact steady front
 * u = tanh(d/(√2 ε)) must equal 2√2/(3ε) per unit length of front, through the training path
 * (float32 Jₙ on the composite Gauss grid) and the float64 re-evaluation.
 *
 * Construction (rank 1, width 1, depth 1, tanh): X(x) = (c/δ) tanh(δ ξ(x) + δ b) with δ = 10⁻³,
 * so X = c (ξ + b) (1 + O(δ²)), and u = tanh(X) = tanh((x − x₀)/(√2 ε)) up to 10⁻⁷ relative.
 */

const DELTA = 1e-3;

/** θ of a one-neuron axis network X(x) ≈ c·(ξ(x) − ξ₀) for an axis with input ξ ∈ [−1, 1]. */
function linearAxis(theta: Float32Array, axis: AxisLayout, c: number, xi0: number) {
  const [hidden, out] = axis.layers;
  theta[hidden.weightOffset] = DELTA;
  theta[hidden.biasOffset] = -DELTA * xi0;
  theta[out.weightOffset] = c / DELTA;
  theta[out.biasOffset] = 0;
}

const OPTS = { rank: 1, width: 1, depth: 1, activation: 'tanh', backend: 'wasm' } as const;

describe('SDMM energy of the exact tanh front', () => {
  it('1D front1d (ε = 0.05 on [−1, 1]): float32 Jₙ and float64 E agree with 2√2/(3ε) within 0.1%', async () => {
    const problem = makeProblem('front1d', 'reduced');
    const solver = (await createSdmmSolver(problem, { ...OPTS, quadElements: 80 })) as SdmmSolver;
    const layout = networkLayout(problem, { ...OPTS, alpha: 1, trainAlpha: false, bound: true });
    const theta = new Float32Array(layout.size);
    // ξ = x on [−1, 1]; the front is at x = 0; u = tanh(x/(√2 ε)) needs X = ξ/(√2 ε).
    linearAxis(theta, layout.axes[0], 1 / (Math.SQRT2 * problem.epsilon), 0);
    const exact = frontEnergyPerLength(problem.epsilon);
    const e64 = solver.loadParameters(theta);
    expect(Math.abs(e64 - exact) / exact).toBeLessThan(1e-3);
    const loss32 = solver.trainingLoss();
    expect(Math.abs(loss32 - exact) / exact).toBeLessThan(1e-3);
    // The sampled network is the profile itself.
    const u = solver.sample(Float64Array.from([-0.1, 0, 0.03]));
    expect(u[0]).toBeCloseTo(Math.tanh(-0.1 / (Math.SQRT2 * 0.05)), 5);
    expect(u[1]).toBeCloseTo(0, 6);
    expect(u[2]).toBeCloseTo(Math.tanh(0.03 / (Math.SQRT2 * 0.05)), 5);
    solver.dispose();
  });

  it('2D straight front x = 0.5 on [0,1]² (ε = 0.04, length 1): Jₙ and E agree with 2√2/(3ε) within 0.1%', async () => {
    const problem = makeProblem('star', 'reduced');
    const solver = (await createSdmmSolver(problem, { ...OPTS, quadElements: 64 })) as SdmmSolver;
    const layout = networkLayout(problem, { ...OPTS, alpha: 1, trainAlpha: false, bound: true });
    const [, oy] = layout.axes[1].layers;
    const theta = new Float32Array(layout.size);
    // ξ = 2x − 1, so (x − 0.5)/(√2 ε) = ξ / (2√2 ε); Y ≡ 1 through the output bias.
    linearAxis(theta, layout.axes[0], 1 / (2 * Math.SQRT2 * problem.epsilon), 0);
    theta[oy.biasOffset] = 1;
    const exact = frontEnergyPerLength(problem.epsilon);
    const e64 = solver.loadParameters(theta);
    expect(Math.abs(e64 - exact) / exact).toBeLessThan(1e-3);
    expect(Math.abs(solver.trainingLoss() - exact) / exact).toBeLessThan(1e-3);
    solver.dispose();
  });

  it('a front twice as steep as the steady one has energy (1/2 + 2)/2 = 1.25 times larger (tests the ½|∇u|² vs ε⁻²F balance)', async () => {
    // u = tanh(k x/(√2 ε)): ∫ ½ u'² = k·E∞/2 and ∫ ε⁻² F = E∞/(2k), E∞ = 2√2/(3ε); k = 2 gives 1.25 E∞.
    const problem = makeProblem('front1d', 'reduced');
    const solver = (await createSdmmSolver(problem, { ...OPTS, quadElements: 160 })) as SdmmSolver;
    const layout = networkLayout(problem, { ...OPTS, alpha: 1, trainAlpha: false, bound: true });
    const theta = new Float32Array(layout.size);
    linearAxis(theta, layout.axes[0], 2 / (Math.SQRT2 * problem.epsilon), 0);
    const exact = 1.25 * frontEnergyPerLength(problem.epsilon);
    expect(Math.abs(solver.loadParameters(theta) - exact) / exact).toBeLessThan(1e-3);
    expect(Math.abs(solver.trainingLoss() - exact) / exact).toBeLessThan(1e-3);
    solver.dispose();
  });

  it('Jₙ(u_θ) against a different uⁿ: the training loss adds the movement term and keeps E (steady front stepped from the steep one)', async () => {
    // uⁿ = tanh(2x/(√2 ε)), candidate u = tanh(x/(√2 ε)): Jₙ = E∞ + Σ_q w_q (u − uⁿ)²/(2mτ).
    const problem = makeProblem('front1d', 'reduced');
    const quadElements = 160;
    const solver = (await createSdmmSolver(problem, { ...OPTS, quadElements })) as SdmmSolver;
    const layout = networkLayout(problem, { ...OPTS, alpha: 1, trainAlpha: false, bound: true });
    const steep = new Float32Array(layout.size);
    linearAxis(steep, layout.axes[0], 2 / (Math.SQRT2 * problem.epsilon), 0);
    const steady = new Float32Array(layout.size);
    linearAxis(steady, layout.axes[0], 1 / (Math.SQRT2 * problem.epsilon), 0);
    solver.loadParameters(steep);
    const rule = compositeGaussLegendre(-1, 1, quadElements, 2);
    const a = Math.SQRT2 * problem.epsilon;
    const u = rule.points.map((x) => Math.tanh(x / a));
    const uPrev = rule.points.map((x) => Math.tanh((2 * x) / a));
    const exact = frontEnergyPerLength(problem.epsilon) + movementTerm(rule.weights, u, uPrev, problem.mobility, problem.tau);
    expect(Math.abs(solver.trainingLoss(steady) - exact) / exact).toBeLessThan(1e-3);
    solver.dispose();
  });
});

describe('SDMM float32 step loss resolves small changes of Jₙ', () => {
  it('small-amplitude coarsening field (E ≈ 156 from the bulk term ε⁻²F ≈ ε⁻²/4): Jₙ(θ₁) − Jₙ(θ₀) ≈ 1e-4 matches float64 within 1e-3', async () => {
    // In float32 a loss of 156 carries rounding of order 1e-5, as large as the changes of Jₙ that
    // decide a time step of small-amplitude data; L-BFGS then stops on noise and leaves errors in the
    // slowest (least stable) direction. The step loss must be evaluated so that such changes survive.
    const problem = makeProblem('coarsening', 'reduced');
    const opts = { rank: 4, width: 8, depth: 1, quadElements: 16, backend: 'wasm' } as const;
    const solver = (await createSdmmSolver(problem, opts)) as SdmmSolver;
    const layout = networkLayout(problem, { ...opts, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
    const theta0 = initialParameters(layout, 7);
    const outX = layout.axes[0].layers[layout.axes[0].layers.length - 1];
    const scaleOut = (theta: Float32Array, c: number) => {
      for (let i = 0; i < outX.inputs * outX.outputs; i++) theta[outX.weightOffset + i] *= c;
      for (let i = 0; i < outX.outputs; i++) theta[outX.biasOffset + i] *= c;
    };
    scaleOut(theta0, 0.03);
    const theta1 = new Float32Array(theta0);
    scaleOut(theta1, 1.002);
    // Float64 reference: Jₙ(θ₁) − Jₙ(θ₀) = E(u₁) + ‖u₁ − u₀‖²/(2mτ) − E(u₀).
    const ref = (await createSdmmSolver(problem, opts)) as SdmmSolver;
    const e1 = ref.loadParameters(theta1);
    const grid = tensorRule([0, 1].map(() => compositeGaussLegendre(0, 1, opts.quadElements, 2)));
    const u1 = ref.sample(grid.points);
    ref.dispose();
    const e0 = solver.loadParameters(theta0);
    const u0 = solver.sample(grid.points);
    let maxU = 0;
    for (const v of u0) maxU = Math.max(maxU, Math.abs(v));
    expect(maxU).toBeLessThan(0.2);
    expect(e0).toBeGreaterThan(150);
    const exact = e1 + movementTerm(grid.weights, u1, u0, problem.mobility, problem.tau) - e0;
    expect(Math.abs(exact)).toBeGreaterThan(1e-5);
    expect(Math.abs(exact)).toBeLessThan(1e-3);
    const diff32 = solver.trainingLoss(theta1) - solver.trainingLoss();
    expect(Math.abs(diff32 - exact) / Math.abs(exact)).toBeLessThan(1e-3);
    solver.dispose();
  });
});
