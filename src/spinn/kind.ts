import type { ProblemConfig } from '../physics/problems.js';
import { defineSolverKind, type GradientFlowSolver } from '../solver.js';
import { spinnOptionsSchema, type SpinnOptionsInput } from './options.js';

/**
 * The SPINN solver kind (src/registry.ts lists it): a space-time separable PINN trained once,
 * then evaluated at each output time. The resolution a sweep varies is the collocation grid.
 */
export const spinnKind = defineSolverKind({
  name: 'spinn',
  description: 'space-time separable physics-informed network, trained once (Cho et al. 2023; baseline of the SDMM paper)',
  options: spinnOptionsSchema,
  resolutionOption: 'spacePoints',
  label(o: SpinnOptionsInput) {
    const parts = ['spinn'];
    if (o.rank !== undefined) parts.push(`r${o.rank}`);
    if (o.width !== undefined) parts.push(`w${o.width}`);
    if (o.depth !== undefined) parts.push(`d${o.depth}`);
    if (o.spacePoints !== undefined) parts.push(`p${o.spacePoints}`);
    if (o.timePoints !== undefined) parts.push(`t${o.timePoints}`);
    if (o.causal === true) parts.push('causal');
    if (o.warmStartIters === 0) parts.push('nowarm');
    if (o.bound === false) parts.push('unbounded');
    return parts.join('-');
  },
  family: (o: SpinnOptionsInput) => (o.causal === true ? 'spinn-causal' : 'spinn'),
  async create(problem: ProblemConfig, options: SpinnOptionsInput): Promise<GradientFlowSolver> {
    const { createSpinnSolver } = await import('./solver.js');
    return createSpinnSolver(problem, options);
  },
});
