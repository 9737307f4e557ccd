import { spmv, zeroMatrix } from '../../linalg/csr.js';
import { assembleLoad, eliminateDirichlet, zeroDirichlet } from '../assembly.js';
import type { SchemeContext, TimeScheme } from './types.js';

/**
 * `stabilized`: the linear stabilized semi-implicit scheme of Shen & Yang ("Numerical
 * approximations of Allen–Cahn and Cahn–Hilliard equations", DCDS-A 28 (2010) 1669–1691):
 *
 *   (1/(mτ) + S/ε²) M uⁿ⁺¹ + K uⁿ⁺¹ = (1/(mτ) + S/ε²) M uⁿ − ε⁻² ∫ f(uⁿ) φ + (1/m) ∫ s(tⁿ⁺¹) φ,
 *
 * first order in τ; energy stable for any τ when S ≥ 1 (S ≥ max|f'|/2 on [−1, 1]) in this
 * scaling, at the price of slowing interfaces by about 1 + S m τ/ε². The matrix
 * A = (1/(mτ) + S/ε²) M + K is constant: it is built and the preconditioner set up ONCE.
 * Each step solves for the increment d = uⁿ⁺¹ − uⁿ:
 *
 *   A d = −(K uⁿ + ε⁻² ∫ f(uⁿ) φ − (1/m) ∫ s φ),
 *
 * warm-started from the previous increment; d = 0 on Dirichlet dofs. ε⁻² f, 1/(mτ) and ε⁻² come
 * from the step functional (src/physics).
 */
export function stabilizedScheme(ctx: SchemeContext, stabilization: number): TimeScheme {
  const { space, M, K, linear, linearTolerance, functional: J } = ctx;
  const c = J.proximalWeight + stabilization * J.bulkScale;
  const A = zeroMatrix(space.pattern);
  for (let k = 0; k < A.values.length; k++) A.values[k] = c * M.values[k] + K.values[k];
  eliminateDirichlet(space, A);
  linear.setup(A);
  const n = space.nDofs;
  const rhs = new Float64Array(n);
  const load = new Float64Array(n);
  const rq = new Float64Array(space.basis.nCells * space.basis.nQ);
  return {
    name: 'stabilized',
    step(uOld, uqOld, source, warm, uNew) {
      for (let i = 0; i < rq.length; i++) rq[i] = J.reaction(uqOld[i]) - (source ? source[i] : 0);
      assembleLoad(load, space, space.basis, rq);
      spmv(rhs, K, uOld);
      for (let i = 0; i < n; i++) rhs[i] = -(rhs[i] + load[i]);
      zeroDirichlet(space, rhs);
      uNew.set(warm);
      zeroDirichlet(space, uNew);
      const res = linear.solve(rhs, uNew, linearTolerance);
      for (let i = 0; i < n; i++) uNew[i] += uOld[i];
      return {
        iterations: 1,
        linearIterations: res.iterations,
        stopReason: res.converged ? 'converged' : 'linear-max-iters',
        uqValid: false,
      };
    },
  };
}
