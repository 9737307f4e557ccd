import type { CsrMatrix } from '../linalg/csr.js';
import { JacobiPreconditioner, PcgWorkspace, type Preconditioner, pcg } from '../linalg/pcg.js';

/** Names accepted by FemOptions.linearSolver. */
export const LINEAR_SOLVERS = ['pcg-jacobi'] as const;
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
  setup(A: CsrMatrix): void;
  solve(b: Float64Array, x: Float64Array, rtol?: number): LinearSolveResult;
}

/** Preconditioned CG (src/linalg/pcg.ts) with the named preconditioner. */
export class PcgSolver implements LinearSolver {
  private A: CsrMatrix | null = null;
  private readonly work: PcgWorkspace;
  constructor(
    readonly name: string,
    n: number,
    private readonly preconditioner: Preconditioner,
    private readonly rtol: number,
    private readonly maxIterations: number,
  ) {
    this.work = new PcgWorkspace(n);
  }
  setup(A: CsrMatrix): void {
    this.A = A;
    this.preconditioner.setup(A);
  }
  solve(b: Float64Array, x: Float64Array, rtol = this.rtol): LinearSolveResult {
    if (!this.A) throw new Error(`${this.name}: solve before setup`);
    return pcg(this.A, b, x, this.preconditioner, this.work, { rtol, maxIterations: this.maxIterations });
  }
}

/** Build the named solver for systems of size n; `rtol` is the default relative residual tolerance. */
export function makeLinearSolver(name: string, n: number, rtol: number): LinearSolver {
  switch (name) {
    case 'pcg-jacobi':
      return new PcgSolver(name, n, new JacobiPreconditioner(), rtol, Math.max(1000, 2 * n));
    default:
      throw new Error(`unknown linear solver '${name}' (known: ${LINEAR_SOLVERS.join(', ')})`);
  }
}
