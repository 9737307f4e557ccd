import { CholeskyPreconditioner } from '../linalg/cholesky.js';
import type { CsrMatrix } from '../linalg/csr.js';
import { JacobiPreconditioner, PcgWorkspace, type Preconditioner, pcg } from '../linalg/pcg.js';
import { Ic0Preconditioner, SsorPreconditioner } from '../linalg/preconditioners.js';

/**
 * Names accepted by the FEM option linearSolver (FEM_OPTIONS, src/fem/options.ts):
 * - 'pcg-jacobi', 'pcg-ic0', 'pcg-sgs': preconditioned CG (src/linalg) with Jacobi, IC(0) or
 *   symmetric Gauss–Seidel, warm-started, stopping on the relative residual;
 * - 'cholesky': sparse Cholesky (nested dissection on the dof coordinates): a direct solve.
 *   The symbolic analysis is done once; `setup` refactors (so for a constant matrix, e.g. the
 *   stabilized scheme's, the factorization happens once per run).
 * - 'pcg-cholesky': CG preconditioned by the Cholesky factorization of the FIRST matrix it is
 *   set up with, kept for all later matrices (for Newton: factor A₀ + M_{G''(uⁿ)} once and
 *   reuse it as a preconditioner for the Jacobians that follow).
 */
export const LINEAR_SOLVERS = ['pcg-jacobi', 'pcg-ic0', 'pcg-sgs', 'cholesky', 'pcg-cholesky'] as const;
/** Name of a linear solver (one of LINEAR_SOLVERS). */
export type LinearSolverName = (typeof LINEAR_SOLVERS)[number];

export interface LinearSolveResult {
  iterations: number;
  converged: boolean;
  residualNorm: number;
}

/**
 * A linear solver for the SPD systems of the FEM schemes: `setup(A)` once per matrix (values
 * change, the pattern never does), `solve(b, x)` many times; x is the warm start and the result.
 */
export interface LinearSolver {
  readonly name: string;
  /**
   * Use A for the next solves. With `refreshPreconditioner` false an iterative solver keeps its
   * current preconditioner (built on an earlier, nearby matrix); direct solvers always refactor.
   */
  setup(A: CsrMatrix, refreshPreconditioner?: boolean): void;
  /** Solve A x = b to relative residual rtol; x holds the warm start on entry and the solution on exit. */
  solve(b: Float64Array, x: Float64Array, rtol?: number): LinearSolveResult;
}

/** Preconditioned CG (src/linalg/pcg.ts) with the given preconditioner. */
export class PcgSolver implements LinearSolver {
  private A: CsrMatrix | null = null;
  private readonly work: PcgWorkspace;
  constructor(
    readonly name: string,
    n: number,
    private readonly preconditioner: Preconditioner,
    private readonly rtol: number,
    private readonly maxIterations: number,
    /** Set the preconditioner up on the first matrix only (a fixed preconditioner). */
    private readonly fixedPreconditioner = false,
  ) {
    this.work = new PcgWorkspace(n);
  }
  setup(A: CsrMatrix, refreshPreconditioner = true): void {
    const first = this.A === null;
    this.A = A;
    if (first || (refreshPreconditioner && !this.fixedPreconditioner)) this.preconditioner.setup(A);
  }
  solve(b: Float64Array, x: Float64Array, rtol = this.rtol): LinearSolveResult {
    if (!this.A) throw new Error(`${this.name}: solve before setup`);
    return pcg(this.A, b, x, this.preconditioner, this.work, { rtol, maxIterations: this.maxIterations });
  }
}

/** Direct solve by sparse Cholesky; one factorization per `setup`. Reports 1 iteration. */
export class CholeskySolver implements LinearSolver {
  readonly name = 'cholesky';
  /** Analyses the pattern once, refactors on every later setup. */
  private readonly chol: CholeskyPreconditioner;
  constructor(coordinates?: Float64Array, dim = 2) {
    this.chol = new CholeskyPreconditioner({ coordinates, dim });
  }
  setup(A: CsrMatrix): void {
    this.chol.setup(A);
  }
  solve(b: Float64Array, x: Float64Array): LinearSolveResult {
    if (!this.chol.factorization) throw new Error('cholesky: solve before setup');
    this.chol.apply(x, b);
    return { iterations: 1, converged: true, residualNorm: 0 };
  }
}

/**
 * Build the named solver for systems of size n; `rtol` is the default relative residual
 * tolerance of the iterative ones. `coordinates` (one point per unknown, layout [dim·i + k])
 * feed the geometric nested dissection of the Cholesky solvers.
 */
export function makeLinearSolver(name: string, n: number, rtol: number, coordinates?: Float64Array, dim = 2): LinearSolver {
  const maxIt = Math.max(1000, 2 * n);
  switch (name) {
    case 'pcg-jacobi':
      return new PcgSolver(name, n, new JacobiPreconditioner(), rtol, maxIt);
    case 'pcg-ic0':
      return new PcgSolver(name, n, new Ic0Preconditioner(), rtol, maxIt);
    case 'pcg-sgs':
      return new PcgSolver(name, n, new SsorPreconditioner(), rtol, maxIt);
    case 'cholesky':
      return new CholeskySolver(coordinates, dim);
    case 'pcg-cholesky':
      return new PcgSolver(name, n, new CholeskyPreconditioner({ coordinates, dim }), rtol, maxIt, true);
    default:
      throw new Error(`unknown linear solver '${name}' (known: ${LINEAR_SOLVERS.join(', ')})`);
  }
}
