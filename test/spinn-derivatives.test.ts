import { describe, expect, it } from 'vitest';
import { makeProblem, sourceTerm, type ProblemConfig } from '../src/physics/problems.js';
import {
  SpinnField,
  SpinnLoss,
  activationDerivatives,
  resolveSpinnOptions,
  spinnInitialParameters,
  spinnLayout,
  type SpinnActivation,
} from '../src/spinn/index.js';
import { maxRelativeError } from './fixtures/relative-error.js';

/**
 * SPINN's hand-propagated tangents against central finite differences in float64:
 * σ', σ'', σ''' of each activation; u_t, u_x, u_y, u_xx, u_yy of the space-time network (bounded
 * and not, periodic and Neumann, 1D and 2D); the collocation kernel's residual against the
 * point derivatives; and ∂L/∂θ of the whole loss (residual, causal weights, source, IC, Neumann
 * lines) against central differences of L. Tolerance: 1e-6 relative.
 */

const ACTIVATIONS: SpinnActivation[] = ['tanh', 'sin', 'gelu'];


/** A problem with O(1) terms (ε = 0.5, m = 0.3) and a source, so every loss term weighs in the gradient. */
function withSource(base: ProblemConfig): ProblemConfig {
  return {
    ...base,
    epsilon: 0.5,
    mobility: 0.3,
    tEnd: 0.7,
    source: sourceTerm((p, t) => Math.sin(3 * p[0] + t) * Math.cos(2 * (p.length > 1 ? p[1] : 0)) + 0.2),
  };
}

const CASES: [string, ProblemConfig][] = [
  ['2D Neumann (circle)', withSource(makeProblem('circle'))],
  ['2D periodic (coarsening)', withSource(makeProblem('coarsening'))],
  ['1D periodic (ac1d)', withSource(makeProblem('ac1d'))],
  ['1D Neumann (front1d)', withSource(makeProblem('front1d'))],
];

function setup(problem: ProblemConfig, activation: SpinnActivation, bound: boolean) {
  const layout = spinnLayout(problem, { rank: 4, width: 7, depth: 2, activation, bound, alpha: 1.3 });
  const theta = spinnInitialParameters(layout, 11);
  for (let i = 0; i < theta.length; i++) theta[i] = 1.2 * theta[i] + 0.05 * Math.sin(i);
  return { layout, theta };
}

describe('SPINN activations', () => {
  for (const act of ACTIVATIONS) {
    it(`${act}: σ', σ'', σ''' match central differences`, () => {
      const d = new Float64Array(4);
      const dp = new Float64Array(4);
      const dm = new Float64Array(4);
      const h = 1e-5;
      for (const z of [-2.3, -0.7, 0, 0.4, 1.9]) {
        activationDerivatives(act, z, d);
        activationDerivatives(act, z + h, dp);
        activationDerivatives(act, z - h, dm);
        for (let k = 0; k < 3; k++) expect(Math.abs((dp[k] - dm[k]) / (2 * h) - d[k + 1])).toBeLessThan(1e-8);
      }
    });
  }
});

describe('SPINN point derivatives u_t, u_x, u_y, u_xx, u_yy', () => {
  for (const [name, problem] of CASES) {
    for (const bound of [true, false]) {
      for (const act of ACTIVATIONS) {
        it(`${name}, ${bound ? 'bounded' : 'unbounded'}, ${act}`, () => {
          const { layout, theta } = setup(problem, act, bound);
          const f = new SpinnField(layout);
          const h = 1e-5;
          const d = new Float64Array(6);
          const p = new Float64Array(6);
          const m = new Float64Array(6);
          const got: number[] = [];
          const want: number[] = [];
          const { min, max } = problem.domain;
          for (const [ft, fx, fy] of [
            [0.2, 0.3, 0.6],
            [0.7, 0.85, 0.1],
            [0.45, 0.5, 0.45],
          ]) {
            const t = ft * problem.tEnd;
            const x = min[0] + fx * (max[0] - min[0]);
            const y = problem.dim === 2 ? min[1] + fy * (max[1] - min[1]) : 0;
            f.derivatives(theta, t, x, y, d);
            // u_t, u_x, u_y from values; u_xx, u_yy from the (exact) first derivatives.
            got.push(d[1], d[2]);
            want.push((f.value(theta, t + h, x, y) - f.value(theta, t - h, x, y)) / (2 * h));
            want.push((f.value(theta, t, x + h, y) - f.value(theta, t, x - h, y)) / (2 * h));
            f.derivatives(theta, t, x + h, y, p);
            f.derivatives(theta, t, x - h, y, m);
            got.push(d[4]);
            want.push((p[2] - m[2]) / (2 * h));
            if (problem.dim === 2) {
              got.push(d[3]);
              want.push((f.value(theta, t, x, y + h) - f.value(theta, t, x, y - h)) / (2 * h));
              f.derivatives(theta, t, x, y + h, p);
              f.derivatives(theta, t, x, y - h, m);
              got.push(d[5]);
              want.push((p[3] - m[3]) / (2 * h));
            }
          }
          // Every quantity separately, relative to its own size over the points.
          const per = problem.dim === 2 ? 5 : 3;
          for (let q = 0; q < per; q++) {
            const g = got.filter((_, i) => i % per === q);
            const w = want.filter((_, i) => i % per === q);
            expect(maxRelativeError(g, w)).toBeLessThan(1e-6);
          }
        });
      }
    }
  }

  it('a periodic axis is exactly periodic in u and its derivatives', () => {
    const problem = makeProblem('coarsening');
    const { layout, theta } = setup(problem, 'tanh', true);
    const f = new SpinnField(layout);
    const a = f.derivatives(theta, 0.01, 0, 0.3, new Float64Array(6));
    const b = f.derivatives(theta, 0.01, 1, 0.3, new Float64Array(6));
    for (let k = 0; k < 6; k++) expect(b[k]).toBeCloseTo(a[k], 10);
  });
});

describe('SPINN collocation kernel', () => {
  for (const [name, problem] of CASES) {
    for (const bound of [true, false]) {
      it(`${name}, ${bound ? 'bounded' : 'unbounded'}: the grid residual equals u_t − m(Δu − ε⁻²f(u)) − s from the point derivatives`, () => {
        const { layout, theta } = setup(problem, 'gelu', bound);
        const loss = new SpinnLoss(problem, layout, { space: 5, time: 4 }, { ic: 1, boundary: 1, causalEpsilon: 0 }, 3);
        const res = new Float64Array(loss.nt * loss.nx * loss.ny);
        loss.evaluate(theta, undefined, res);
        const f = new SpinnField(layout);
        const d = new Float64Array(6);
        const want = new Float64Array(res.length);
        const { mobility: mob, epsilon: eps } = problem;
        for (let t = 0; t < loss.nt; t++)
          for (let i = 0; i < loss.nx; i++)
            for (let j = 0; j < loss.ny; j++) {
              const [tt, x, y] = [loss.tPoints[t], loss.xPoints[i], loss.yPoints[j]];
              f.derivatives(theta, tt, x, y, d);
              const u = d[0];
              want[(t * loss.nx + i) * loss.ny + j] = d[1] - mob * (d[4] + d[5] - (u * u * u - u) / (eps * eps)) - problem.source!(x, y, tt);
            }
        expect(maxRelativeError(res, want)).toBeLessThan(1e-12);
      });
    }
  }
});

describe('SPINN loss value', () => {
  for (const [name, problem] of CASES) {
    it(`${name}: every term equals its definition from the point derivatives (causal weights included)`, () => {
      const { layout, theta } = setup(problem, 'sin', true);
      const w = { ic: 3, boundary: 2, causalEpsilon: 0.4 };
      const loss = new SpinnLoss(problem, layout, { space: 5, time: 4 }, w, 9);
      loss.resample();
      const L = loss.evaluate(theta);
      const f = new SpinnField(layout);
      const d = new Float64Array(6);
      const { nt, nx, ny } = loss;
      const kappa = problem.epsilon ** 2 / problem.mobility;
      const ys = problem.dim === 2 ? loss.yPoints : Float64Array.of(0);
      // Residual slices L_i = mean (κr)², causal w_i = exp(−ε_c Σ_{j<i} L_j).
      let cumulative = 0;
      let residual = 0;
      for (let t = 0; t < nt; t++) {
        let Li = 0;
        for (const x of loss.xPoints)
          for (const y of ys) {
            const tt = loss.tPoints[t];
            f.derivatives(theta, tt, x, y, d);
            const r = d[1] - problem.mobility * (d[4] + d[5] - (d[0] ** 3 - d[0]) / problem.epsilon ** 2) - problem.source!(x, y, tt);
            Li += (kappa * r) ** 2 / (nx * ny);
          }
        const wi = Math.exp(-w.causalEpsilon * cumulative);
        expect(loss.causalWeights[t]).toBeCloseTo(wi, 13);
        residual += (wi * Li) / nt;
        cumulative += Li;
      }
      expect(loss.parts.residual).toBeCloseTo(residual, 12);
      // IC: mean (u(0,·) − u₀)² on the space collocation grid.
      let ic = 0;
      for (const x of loss.xPoints) for (const y of ys) ic += (f.value(theta, 0, x, y) - problem.initial(x, y)) ** 2 / (nx * ny);
      expect(loss.parts.ic).toBeCloseTo(ic, 13);
      // Neumann lines: mean (∂u/∂n)² over t_i × {a, b} × (the other axis' points).
      let b = 0;
      let count = 0;
      const { min, max } = problem.domain;
      const neumann = problem.boundary.xmin?.kind === 'neumann';
      if (neumann) {
        for (const t of loss.tPoints) {
          for (const xb of [min[0], max[0]]) for (const y of ys) (b += f.derivatives(theta, t, xb, y, d)[2] ** 2), count++;
          if (problem.dim === 2) for (const x of loss.xPoints) for (const yb of [min[1], max[1]]) (b += f.derivatives(theta, t, x, yb, d)[3] ** 2), count++;
        }
        expect(loss.parts.boundary).toBeCloseTo(b / count, 12);
      } else expect(loss.parts.boundary).toBe(0);
      expect(L).toBeCloseTo(residual + w.ic * ic + (neumann ? w.boundary * (b / count) : 0), 11);
    });
  }
});

describe('SPINN loss gradient ∂L/∂θ against central differences', () => {
  const weightSets = [
    { label: 'all terms', ic: 3, boundary: 2, causalEpsilon: 0 },
    { label: 'IC-dominated', ic: 1e4, boundary: 0, causalEpsilon: 0 },
    { label: 'boundary-dominated', ic: 0.1, boundary: 1e4, causalEpsilon: 0 },
    { label: 'causal weights', ic: 3, boundary: 2, causalEpsilon: 0.7 },
  ];
  for (const [name, problem] of CASES) {
    for (const bound of [true, false]) {
      for (const w of weightSets) {
        if (w.label === 'boundary-dominated' && (problem.name === 'coarsening' || problem.name === 'ac1d')) continue; // periodic: no boundary term
        it(`${name}, ${bound ? 'bounded' : 'unbounded'}, ${w.label}`, () => {
          const { layout, theta } = setup(problem, 'tanh', bound);
          const loss = new SpinnLoss(problem, layout, { space: 5, time: 4 }, w, 5);
          const grad = new Float64Array(layout.size);
          const L = loss.evaluate(theta, grad);
          expect(Number.isFinite(L)).toBe(true);
          if (w.causalEpsilon > 0) expect(loss.parts.lastCausalWeight).toBeLessThan(1);
          // The causal weights are constants of the gradient (stop-gradient): hold them for the differences.
          loss.freezeCausalWeights = true;
          const h = 1e-5;
          const got: number[] = [];
          const want: number[] = [];
          // Every 7th parameter (covers W and b of every layer of every axis) and the last.
          for (let p = 0; p < layout.size; p += p + 7 < layout.size ? 7 : Math.max(1, layout.size - 1 - p)) {
            const keep = theta[p];
            theta[p] = keep + h;
            const lp = loss.evaluate(theta);
            theta[p] = keep - h;
            const lm = loss.evaluate(theta);
            theta[p] = keep;
            got.push(grad[p]);
            want.push((lp - lm) / (2 * h));
          }
          expect(maxRelativeError(got, want)).toBeLessThan(1e-6);
        });
      }
    }
  }
});

describe('SPINN IC warm-start loss', () => {
  for (const [name, problem] of CASES) {
    for (const bound of [true, false]) {
      it(`${name}, ${bound ? 'bounded' : 'unbounded'}: value mean (αs(0,·) − s*)² and gradient against central differences`, () => {
        const { layout, theta } = setup(problem, 'tanh', bound);
        const loss = new SpinnLoss(problem, layout, { space: 6, time: 3 }, { ic: 1, boundary: 1, causalEpsilon: 0 }, 2);
        const grad = new Float64Array(layout.size);
        const L = loss.evaluateWarmStart(theta, grad);
        const f = new SpinnField(layout);
        const ys = problem.dim === 2 ? loss.yPoints : Float64Array.of(0);
        let want = 0;
        for (const x of loss.xPoints)
          for (const y of ys) {
            const u = f.value(theta, 0, x, y);
            const as = bound ? Math.atanh(u) : u;
            const u0 = problem.initial(x, y);
            const target = bound ? Math.max(-3, Math.min(3, Math.atanh(u0))) : u0;
            want += (as - target) ** 2 / (loss.nx * loss.ny);
          }
        expect(L).toBeCloseTo(want, 9);
        const h = 1e-5;
        const got: number[] = [];
        const fd: number[] = [];
        for (let p = 0; p < layout.size; p += 5) {
          const keep = theta[p];
          theta[p] = keep + h;
          const lp = loss.evaluateWarmStart(theta);
          theta[p] = keep - h;
          const lm = loss.evaluateWarmStart(theta);
          theta[p] = keep;
          got.push(grad[p]);
          fd.push((lp - lm) / (2 * h));
        }
        expect(maxRelativeError(got, fd)).toBeLessThan(1e-6);
      });
    }
  }
});

describe('SPINN options', () => {
  const problem = makeProblem('circle');
  it('fills the defaults and the problem-dependent fields', () => {
    const o = resolveSpinnOptions(problem, {});
    expect(o.rank).toBe(32);
    expect(o.quadElements).toBe(problem.n);
    expect(o.seed).toBe(problem.seed);
    expect(resolveSpinnOptions(problem, { quadElements: 10, seed: 4 })).toMatchObject({ quadElements: 10, seed: 4 });
  });
  const bad: [Record<string, unknown>, string][] = [
    [{ rank: 0 }, 'rank must be a positive integer, got 0'],
    [{ width: 2.5 }, 'width must be a positive integer, got 2.5'],
    [{ activation: 'relu' }, 'activation must be one of tanh, sin, gelu, got relu'],
    [{ optimizer: 'sgd' }, 'optimizer must be one of adam, lbfgs, adam-lbfgs, got sgd'],
    [{ icWeight: -1 }, 'icWeight must be a positive number, got -1'],
    [{ learningRate: 0 }, 'learningRate must be a positive number, got 0'],
    [{ causal: 'yes' }, 'causal must be true or false, got yes'],
    [{ spacePoints: 1 }, 'spacePoints must be an integer in [2, 4096], got 1'],
    [{ rnak: 3 }, "unknown SPINN option 'rnak' (known: rank, width,"],
    [{ rank: 2000 }, 'rank must be at most 1024 (the limit), got 2000'],
    [{ spacePoints: 4096, timePoints: 4096 }, 'timePoints 4096 with spacePoints 4096 in 2D gives'],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)} with a one-line message naming the field`, () => {
      let msg = '';
      try {
        resolveSpinnOptions(problem, input);
      } catch (e) {
        msg = (e as Error).message;
        expect((e as Error).name).toBe('SpinnOptionsError');
      }
      expect(msg.startsWith(message)).toBe(true);
      expect(msg).not.toContain('\n');
    });
  }
});
