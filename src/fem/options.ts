import { z } from 'zod';
import { DIAGONALS } from '../mesh/generators.js';
import type { Mesh } from '../mesh/mesh.js';
import { option } from '../options.js';
import { LINEAR_SOLVERS } from './linear.js';
import { FEM_SCHEMES, SCHEME_PARAMETERS } from './schemes/index.js';

/** Structured 2D cells: P1 triangles or Q1 quadrilaterals. */
export const STRUCTURED_CELL_TYPES = ['triangle', 'quadrilateral'] as const;

/**
 * The options of the finite-element solver, declared once (src/options.ts conventions): the
 * library validates with this schema, `allen-cahn run` makes its FEM flags from it and the suite
 * its `{ "kind": "fem", … }` entries. The scheme parameters come from the scheme table
 * (schemes/index.ts), so a new scheme's parameters appear here without an edit.
 */
export const FEM_OPTIONS = z.strictObject({
  scheme: option
    .oneOf(FEM_SCHEMES, 'scheme')
    .default('mms-newton')
    .meta({ description: 'time scheme (the table in src/fem/schemes/index.ts)', arg: 'scheme' }),
  n: option.positiveInteger('elementsPerSide').optional().meta({ description: "cells per side of the structured mesh (default: the problem's n)", sharedFlag: true }),
  meshFile: option.text().optional().meta({ description: 'Gmsh MSH 2.2/4.1 mesh file instead of the structured mesh', flag: 'mesh', arg: 'file.msh' }),
  cellType: option
    .oneOf(STRUCTURED_CELL_TYPES, 'cell type')
    .optional()
    .meta({ description: 'structured 2D mesh cells: P1 triangles (default) or Q1 quadrilaterals', arg: 'type' }),
  diagonal: option.oneOf(DIAGONALS, 'diagonal').optional().meta({ description: 'structured triangles: how squares are cut (default right)', arg: 'd' }),
  ...SCHEME_PARAMETERS,
  linearSolver: option
    .oneOf(LINEAR_SOLVERS, 'linear solver')
    .optional()
    .meta({ description: "linear solver (default: the scheme's, cholesky for stabilized, pcg-ic0 otherwise)", arg: 'name' }),
  linearTolerance: option
    .openInterval(0, 1)
    .default(1e-8)
    .meta({ description: 'relative residual tolerance of iterative linear solves (the finest inexact-Newton forcing term)', flag: 'linear-tol', arg: 't' }),
});

/**
 * Options of createFemSolver: the schema's fields as a user writes them (every field optional,
 * defaults documented in FEM_OPTIONS) plus a mesh object for library callers.
 */
export type FemOptions = z.input<typeof FEM_OPTIONS> & {
  /** Use this mesh instead of a structured one (exclusive with meshFile and n). */
  mesh?: Mesh;
};

/** FEM options after validation, defaults filled in. */
export type FemSettings = z.output<typeof FEM_OPTIONS>;
