import { describe, expect, it } from 'vitest';
import { frontEnergyPerLength, movementTerm } from '../src/physics/energy.js';
import { makeProblem, type ProblemConfig } from '../src/physics/problems.js';
import { compositeGaussLegendre, tensorRule } from '../src/quadrature/index.js';
import {
  createEngine,
  gridEnergy,
  initialParameters,
  networkLayout,
  newGridField,
  type AxisLayout,
  type NetworkLayout,
  type SdmmOptions,
} from '../src/sdmm/index.js';

/**
 * The quadrature energy of a network that represents the exact steady front
 * u = tanh(d/(√2 ε)) must equal 2√2/(3ε) per unit length of front, through an engine's step
 * objective Jₙ and the float64 grid values (engine contract, src/sdmm/engine/types.ts).
 *
 * Construction (rank 1, width 1, depth 1, tanh): X(x) = (c/δ) tanh(δ ξ(x) + δ b) with δ = 10⁻³,
 * so X = c (ξ + b) (1 + O(δ²)), and u = tanh(X) = tanh((x − x₀)/(√2 ε)) up to 10⁻⁷ relative.
 */

const DELTA = 1e-3;
const BACKEND: SdmmOptions['backend'] = 'wasm';

/** θ of a one-neuron axis network X(x) ≈ c·(ξ(x) − ξ₀) for an axis with input ξ ∈ [−1, 1]. */
function linearAxis(theta: Float64Array, axis: AxisLayout, c: number, xi0: number) {
  const [hidden, out] = axis.layers;
  theta[hidden.weightOffset] = DELTA;
  theta[hidden.biasOffset] = -DELTA * xi0;
  theta[out.weightOffset] = c / DELTA;
  theta[out.biasOffset] = 0;
}

const NET = { rank: 1, width: 1, depth: 1, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true } as const;

/** An engine on the problem's grid with quadElements per axis, its weights and a grid-field helper. */
async function setup(problem: ProblemConfig, layout: NetworkLayout, quadElements: number) {
  const rules = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, quadElements, 2));
  const { engine } = await createEngine(BACKEND, { layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau });
  const grid = tensorRule(rules);
  const field = (theta: Float64Array) => {
    const f = newGridField(engine.points, layout.dim);
    engine.fieldOnGrid(theta, f.u, f.grad);
    return f;
  };
  return { engine, grid, field, grad: new Float64Array(layout.size) };
}

describe('SDMM energy of the exact tanh front (engine step objective and float64 grid values)', () => {
  it('1D front1d (ε = 0.05 on [−1, 1]): Jₙ against uⁿ = 0 and float64 E agree with 2√2/(3ε) (+ movement) within 0.1%', async () => {
    const problem = makeProblem('front1d', 'reduced');
    const layout = networkLayout(problem, NET);
    const { engine, grid, field, grad } = await setup(problem, layout, 80);
    const theta = new Float64Array(layout.size);
    // ξ = x on [−1, 1]; the front is at x = 0; u = tanh(x/(√2 ε)) needs X = ξ/(√2 ε).
    linearAxis(theta, layout.axes[0], 1 / (Math.SQRT2 * problem.epsilon), 0);
    const exact = frontEnergyPerLength(problem.epsilon);
    const f = field(theta);
    expect(Math.abs(gridEnergy(grid.weights, f, problem.epsilon) - exact) / exact).toBeLessThan(1e-3);
    // Against uⁿ ≡ 0: Jₙ = E(u) + Σ w u²/(2mτ).
    const zero = newGridField(engine.points, 1);
    engine.setStep(zero.u, zero.grad, null);
    const expected = exact + movementTerm(grid.weights, f.u, zero.u, problem.mobility, problem.tau);
    expect(Math.abs(engine.evaluate('step', theta, grad) - expected) / expected).toBeLessThan(1e-3);
    for (let q = 0; q < engine.points; q++) expect(f.u[q]).toBeCloseTo(Math.tanh(grid.points[q] / (Math.SQRT2 * problem.epsilon)), 5);
    engine.dispose();
  });

  it('2D straight front x = 0.5 on [0,1]² (ε = 0.04, length 1): Jₙ(uⁿ = u) and E agree with 2√2/(3ε) within 0.1%', async () => {
    const problem = makeProblem('star', 'reduced');
    const layout = networkLayout(problem, NET);
    const { engine, grid, field, grad } = await setup(problem, layout, 64);
    const [, oy] = layout.axes[1].layers;
    const theta = new Float64Array(layout.size);
    // ξ = 2x − 1, so (x − 0.5)/(√2 ε) = ξ / (2√2 ε); Y ≡ 1 through the output bias.
    linearAxis(theta, layout.axes[0], 1 / (2 * Math.SQRT2 * problem.epsilon), 0);
    theta[oy.biasOffset] = 1;
    const exact = frontEnergyPerLength(problem.epsilon);
    const f = field(theta);
    expect(Math.abs(gridEnergy(grid.weights, f, problem.epsilon) - exact) / exact).toBeLessThan(1e-3);
    engine.setStep(f.u, f.grad, null);
    expect(Math.abs(engine.evaluate('step', theta, grad) - exact) / exact).toBeLessThan(1e-3);
    engine.dispose();
  });

  it('a front twice as steep as the steady one has energy (1/2 + 2)/2 = 1.25 times larger (tests the ½|∇u|² vs ε⁻²F balance)', async () => {
    // u = tanh(k x/(√2 ε)): ∫ ½ u'² = k·E∞/2 and ∫ ε⁻² F = E∞/(2k), E∞ = 2√2/(3ε); k = 2 gives 1.25 E∞.
    const problem = makeProblem('front1d', 'reduced');
    const layout = networkLayout(problem, NET);
    const { engine, grid, field } = await setup(problem, layout, 160);
    const theta = new Float64Array(layout.size);
    linearAxis(theta, layout.axes[0], 2 / (Math.SQRT2 * problem.epsilon), 0);
    const exact = 1.25 * frontEnergyPerLength(problem.epsilon);
    expect(Math.abs(gridEnergy(grid.weights, field(theta), problem.epsilon) - exact) / exact).toBeLessThan(1e-3);
    engine.dispose();
  });

  it('Jₙ(u_θ) against a different uⁿ: the step objective adds the movement term and keeps E (steady front stepped from the steep one)', async () => {
    // uⁿ = tanh(2x/(√2 ε)), candidate u = tanh(x/(√2 ε)): Jₙ = E∞ + Σ_q w_q (u − uⁿ)²/(2mτ).
    const problem = makeProblem('front1d', 'reduced');
    const layout = networkLayout(problem, NET);
    const { engine, grid, field, grad } = await setup(problem, layout, 160);
    const steep = new Float64Array(layout.size);
    linearAxis(steep, layout.axes[0], 2 / (Math.SQRT2 * problem.epsilon), 0);
    const steady = new Float64Array(layout.size);
    linearAxis(steady, layout.axes[0], 1 / (Math.SQRT2 * problem.epsilon), 0);
    const prev = field(steep);
    engine.setStep(prev.u, prev.grad, null);
    const a = Math.SQRT2 * problem.epsilon;
    const u = grid.points.map((x) => Math.tanh(x / a));
    const uPrev = grid.points.map((x) => Math.tanh((2 * x) / a));
    const exact = frontEnergyPerLength(problem.epsilon) + movementTerm(grid.weights, u, uPrev, problem.mobility, problem.tau);
    expect(Math.abs(engine.evaluate('step', steady, grad) - exact) / exact).toBeLessThan(1e-3);
    engine.dispose();
  });
});

describe('SDMM step objective resolves small changes of Jₙ', () => {
  it('small-amplitude coarsening field (E ≈ 156 from the bulk term ε⁻²F ≈ ε⁻²/4): Jₙ(θ₁) − Jₙ(θ₀) ≈ 1e-4 matches float64 within 1e-3', async () => {
    // In float32 a loss of 156 carries rounding of order 1e-5, as large as the changes of Jₙ that
    // decide a time step of small-amplitude data; L-BFGS then stops on noise and leaves errors in the
    // slowest (least stable) direction. The step objective must be evaluated so that such changes survive.
    const problem = makeProblem('coarsening', 'reduced', { epsilon: 0.04 }); // the bulk term of this title
    const layout = networkLayout(problem, { rank: 4, width: 8, depth: 1, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
    const { engine, grid, field, grad } = await setup(problem, layout, 16);
    const theta0 = initialParameters(layout, 7);
    const outX = layout.axes[0].layers[layout.axes[0].layers.length - 1];
    const scaleOut = (theta: Float64Array, c: number) => {
      for (let i = 0; i < outX.inputs * outX.outputs; i++) theta[outX.weightOffset + i] *= c;
      for (let i = 0; i < outX.outputs; i++) theta[outX.biasOffset + i] *= c;
    };
    scaleOut(theta0, 0.03);
    // Round to float32 so a float32 engine evaluates exactly these parameters.
    theta0.set(Float32Array.from(theta0));
    const theta1 = new Float64Array(theta0);
    scaleOut(theta1, 1.002);
    theta1.set(Float32Array.from(theta1));
    const f0 = field(theta0);
    const f1 = field(theta1);
    let maxU = 0;
    for (const v of f0.u) maxU = Math.max(maxU, Math.abs(v));
    expect(maxU).toBeLessThan(0.2);
    const e0 = gridEnergy(grid.weights, f0, problem.epsilon);
    expect(e0).toBeGreaterThan(150);
    // Float64 reference: Jₙ(θ₁) − Jₙ(θ₀) = E(u₁) + ‖u₁ − u₀‖²/(2mτ) − E(u₀).
    const exact = gridEnergy(grid.weights, f1, problem.epsilon) + movementTerm(grid.weights, f1.u, f0.u, problem.mobility, problem.tau) - e0;
    expect(Math.abs(exact)).toBeGreaterThan(1e-5);
    expect(Math.abs(exact)).toBeLessThan(1e-3);
    engine.setStep(f0.u, f0.grad, null);
    const diff = engine.evaluate('step', theta1, grad) - engine.evaluate('step', theta0, grad);
    expect(Math.abs(diff - exact) / Math.abs(exact)).toBeLessThan(1e-3);
    engine.dispose();
  });
});
