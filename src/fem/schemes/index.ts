import type { z } from 'zod';
import { option } from '../../options.js';
import type { LinearSolverName } from '../linear.js';
import { convexSplitScheme } from './convex-split.js';
import { mmsNewtonScheme } from './mms-newton.js';
import { NEWTON_PARAMETERS } from './newton.js';
import { stabilizedScheme } from './stabilized.js';
import type { SchemeContext, TimeScheme } from './types.js';

/**
 * The FEM time schemes as a table: name → factory, default linear solver, parameter schema.
 * A new scheme is one file in this folder (a factory `(ctx, parameters) => TimeScheme` with its
 * formula in the doc comment) plus one entry here; its parameters become FEM options (library,
 * `allen-cahn run` flags, suite fields) without further edits. Parameters shared by several
 * schemes are declared once (NEWTON_PARAMETERS) and merged by key.
 */
export interface SchemeEntry<P extends z.ZodRawShape = z.ZodRawShape> {
  /** One line for help texts and docs. */
  readonly description: string;
  /** Order of accuracy in τ. */
  readonly order: number;
  /**
   * Linear solver unless the user picks one: a direct factorization for a constant matrix
   * (factored once per run), preconditioned CG for matrices that change every iteration.
   */
  readonly defaultLinearSolver: LinearSolverName;
  /** Scheme parameters (zod fields with defaults and docs, src/options.ts conventions). */
  readonly parameters: P;
  /** Build the scheme for one solver (its functional, space and linear solver) and parameters. */
  create(ctx: SchemeContext, parameters: { [K in keyof P]: z.output<P[K]> }): TimeScheme;
}

function entry<P extends z.ZodRawShape>(e: SchemeEntry<P>): SchemeEntry<P> {
  return e;
}

/** S of the stabilized scheme. */
const STABILIZED_PARAMETERS = {
  stabilization: option
    .nonNegative('≥ 0')
    .default(1)
    .meta({ description: 'stabilized scheme: S ≥ 0 (energy stable for S ≥ 1; slows fronts by 1 + S m τ/ε²)', arg: 'S' }),
};

/** The FEM time schemes by name: the one table the CLI flags, option schema and help come from. */
export const TIME_SCHEMES = {
  'mms-newton': entry({
    description: 'exact minimizing movement step: Newton with a line search on Jₙ',
    order: 1,
    defaultLinearSolver: 'pcg-ic0',
    parameters: NEWTON_PARAMETERS,
    create: mmsNewtonScheme,
  }),
  stabilized: entry({
    description: 'linear stabilized semi-implicit (Shen & Yang 2010), one factorization per run',
    order: 1,
    defaultLinearSolver: 'cholesky',
    parameters: STABILIZED_PARAMETERS,
    create: (ctx, p) => stabilizedScheme(ctx, p.stabilization),
  }),
  'convex-split': entry({
    description: "Eyre's convex splitting, Newton on the convex part",
    order: 1,
    defaultLinearSolver: 'pcg-ic0',
    parameters: NEWTON_PARAMETERS,
    create: convexSplitScheme,
  }),
} as const satisfies Record<string, SchemeEntry>;

/** Name of an FEM time scheme ('mms-newton', 'stabilized', 'convex-split'). */
export type FemScheme = keyof typeof TIME_SCHEMES;
/** The scheme names, in table order (for enums in option schemas). */
export const FEM_SCHEMES = Object.keys(TIME_SCHEMES) as [FemScheme, ...FemScheme[]];

/** Every scheme's parameters in one shape (shared keys merged: they are the same declaration). */
export const SCHEME_PARAMETERS = Object.assign({}, ...Object.values(TIME_SCHEMES).map((e) => e.parameters)) as typeof NEWTON_PARAMETERS &
  typeof STABILIZED_PARAMETERS;

/** Build a scheme from the table; `parameters` may hold other schemes' parameters too. */
export function createScheme(name: FemScheme, ctx: SchemeContext, parameters: z.output<z.ZodObject<typeof SCHEME_PARAMETERS>>): TimeScheme {
  const e = TIME_SCHEMES[name] as SchemeEntry;
  return e.create(ctx, parameters as never);
}

export type { SchemeContext, SchemeStepResult, TimeScheme } from './types.js';
