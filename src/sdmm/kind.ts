import type { z } from 'zod';
import type { ProblemConfig } from '../physics/problems.js';
import type { GradientFlowSolver, SolverDescription } from '../solver.js';
import { defineSolverKind } from '../solver.js';
import { SDMM_OPTIONS } from './options.js';

type Written = z.input<typeof SDMM_OPTIONS>;

/** The SDMM solver kind (src/registry.ts lists it). Creating one loads TensorFlow.js. */
export const sdmmKind = defineSolverKind({
  name: 'sdmm',
  description: 'separable neural network in the minimizing movement scheme (Mattey & Ghosh)',
  options: SDMM_OPTIONS,
  resolutionOption: 'quadElements',
  label(o: Written) {
    const parts = ['sdmm'];
    if (o.rank !== undefined) parts.push(`r${o.rank}`);
    if (o.width !== undefined) parts.push(`w${o.width}`);
    if (o.depth !== undefined) parts.push(`d${o.depth}`);
    if (o.quadElements !== undefined) parts.push(`q${o.quadElements}`);
    if (o.optimizer !== undefined && o.optimizer !== 'lbfgs') parts.push(o.optimizer);
    if (o.bound === false) parts.push('unbounded');
    return parts.join('-');
  },
  family: (o: Written) => (o.optimizer === 'adam' ? 'sdmm-adam' : 'sdmm'),
  async create(problem: ProblemConfig, options: Written): Promise<GradientFlowSolver> {
    const [{ createSdmmSolver }, tf] = await Promise.all([import('./solver.js'), import('@tensorflow/tfjs')]);
    const solver = await createSdmmSolver(problem, options);
    // Typed facts for the run layer (unknowns, backend, precision, library versions).
    // Transitional: SdmmSolver.describe() predates SolverDescription; once the SDMM split gives
    // it these fields itself, this wrapper goes.
    const describe = solver.describe.bind(solver);
    solver.describe = (): SolverDescription => {
      const d = describe();
      const versions: Record<string, string> = {};
      for (const [k, v] of Object.entries(tf.version)) versions[k] = String(v);
      versions.tfjsBackend = tf.getBackend();
      return { ...d, unknowns: Number(d.parameters), backend: String(d.backend), precision: 'float32', versions };
    };
    return solver;
  },
});
