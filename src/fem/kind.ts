import type { z } from 'zod';
import { defineSolverKind } from '../solver.js';
import { FEM_OPTIONS } from './options.js';
import { createFemSolver } from './solver.js';

type Written = z.input<typeof FEM_OPTIONS>;
const DEFAULT_SCHEME = FEM_OPTIONS.parse({}).scheme;

/** The finite-element solver kind (src/registry.ts lists it). */
export const femKind = defineSolverKind({
  name: 'fem',
  description: 'finite elements (P1/Q1), the reference: mms-newton, stabilized or convex-split in time',
  options: FEM_OPTIONS,
  resolutionOption: 'n',
  exclusive: [
    ['meshFile', 'n', 'the mesh fixes the resolution'],
    ['meshFile', 'cellType', 'the mesh fixes the cells'],
    ['meshFile', 'diagonal', 'the mesh fixes the cells'],
  ],
  label: (o: Written, problemN: number) =>
    `fem-${o.scheme ?? DEFAULT_SCHEME}-n${o.n ?? problemN}${o.cellType === 'quadrilateral' ? '-q1' : ''}${o.stabilization !== undefined ? `-S${o.stabilization}` : ''}${o.linearSolver ? `-${o.linearSolver}` : ''}`,
  runName: (o: Written) => `fem-${o.scheme ?? DEFAULT_SCHEME}`,
  create: (problem, options) => createFemSolver(problem, options),
});
