import { createFemSolver } from '../../src/fem/solver.js';
import { FEM_ENGINE_LABEL } from './engine.js';
import { femOptions } from './settings.js';
import { serveSolver } from './solver-worker.js';

/** The FEM solver in its own Web Worker (entry point of dist/fem-worker.js). */
serveSolver(async (problem, settings) => {
  const solver = createFemSolver(problem, femOptions(settings));
  const d = solver.describe();
  const linear = typeof d.linearSolver === 'string' ? `, ${d.linearSolver}` : '';
  return { solver, engine: `${FEM_ENGINE_LABEL}, ${settings.scheme}${linear}` };
});
