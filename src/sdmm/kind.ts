import type { z } from 'zod';
import type { ProblemConfig } from '../physics/problems.js';
import type { GradientFlowSolver } from '../solver.js';
import { defineSolverKind } from '../solver.js';
import { SDMM_OPTIONS } from './options.js';

type Written = z.input<typeof SDMM_OPTIONS>;

/** The SDMM solver kind (src/registry.ts lists it). TensorFlow.js loads only for a tfjs backend. */
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
    const { createSdmmSolver } = await import('./solver.js');
    return createSdmmSolver(problem, options);
  },
});
