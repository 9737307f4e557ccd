import { femKind } from './fem/kind.js';
import type { ProblemConfig } from './physics/problems.js';
import { sdmmKind } from './sdmm/kind.js';
import { spinnKind } from './spinn/kind.js';
import type { GradientFlowSolver, SolverKind } from './solver.js';

/**
 * The solver kinds, high in the import graph: the kinds import the contract (src/solver.ts),
 * this registry imports the kinds, and the commands (CLI, suite) read the registry. The
 * `allen-cahn run` flags and the suite's solver schema are generated from what is registered
 * when they are built, so a kind registered by a plugin (or a test) is picked up by both.
 *
 * Adding a kind: a `kind.ts` in its solver folder exporting `defineSolverKind({...})`, and one
 * line below.
 */
const KINDS = new Map<string, SolverKind>([
  [femKind.name, femKind],
  [sdmmKind.name, sdmmKind],
  [spinnKind.name, spinnKind],
]);

/** Thrown for an unknown kind or a duplicate registration; one line. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Every registered kind, in registration order. */
export function solverKinds(): readonly SolverKind[] {
  return [...KINDS.values()];
}

/** The kind of this name (RegistryError listing the known ones otherwise). */
export function solverKind(name: string): SolverKind {
  const kind = KINDS.get(name);
  if (!kind) throw new RegistryError(`unknown solver '${name}' (known: ${[...KINDS.keys()].join(', ')})`);
  return kind;
}

/** Register a kind (a plugin, or a test fixture); its name must be new. Returns a function that unregisters it. */
export function registerSolverKind(kind: SolverKind): () => void {
  if (KINDS.has(kind.name)) throw new RegistryError(`solver kind '${kind.name}' is already registered`);
  if (kind.name === 'reference') throw new RegistryError("'reference' is reserved for the suite's reference runs");
  KINDS.set(kind.name, kind);
  return () => {
    if (KINDS.get(kind.name) === kind) KINDS.delete(kind.name);
  };
}

/** Build a solver of a registered kind from options as written (the kind validates them). */
export async function createSolver(problem: ProblemConfig, kind: string, options: Record<string, unknown> = {}): Promise<GradientFlowSolver> {
  return solverKind(kind).create(problem, options);
}
