import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { findJsonSyntaxError, lineColumn } from '../io/json.js';
import { withoutDefaults } from '../options.js';
import { makeProblem, PROBLEM_NAMES, ProblemError, stepCount, type ProblemConfig } from '../physics/problems.js';
import { solverKind, solverKinds } from '../registry.js';
import type { SolverKind } from '../solver.js';

/**
 * Benchmark suite definitions (benchmarks/*.json), validated with zod.
 *
 * A suite lists problems (catalogue name, scale, overrides, output times), the solver
 * configurations run on each (`{ "kind": <a registered solver kind>, <its options> }`: the
 * kinds' own option schemas, so every library option is settable here), how the converged FEM
 * reference is made (finer mesh, smaller τ), and an optional resolution sweep for the
 * time-to-accuracy table. `loadSuite(path)` returns the typed config with defaults filled in;
 * any invalid file raises `SuiteConfigError` whose one-line message names the file and the field
 * path, e.g.
 *
 *   benchmarks/quick.json: problems[1].solvers[0].scheme: expected one of mms-newton, stabilized, convex-split, got 'foo'
 *
 * and JSON syntax errors name line and column.
 */

export const SCALES = ['reduced', 'paper'] as const;

const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" and "-"');
const positive = z.number().positive();
const posInt = z.number().int().positive();

/**
 * One solver configuration as written: the kind, an optional directory label, and the kind's
 * options exactly as given (no defaults filled in, so labels and run keys name only what was set).
 */
export type SolverSpec = { kind: string; label?: string } & Record<string, unknown>;

/** The spec schema of one kind: its options schema without defaults, plus kind and label. */
export function solverSpecSchema(kind: SolverKind) {
  return z.strictObject({
    kind: z.literal(kind.name),
    /** Directory name and table label; default: the kind's label of the options. */
    label: slug.optional(),
    ...withoutDefaults(kind.options).shape,
  });
}

/** A discriminated union on `kind` over the registered kinds (read when called). */
export function solverSchema(kinds: readonly SolverKind[] = solverKinds()) {
  const [first, ...rest] = kinds.map(solverSpecSchema);
  return z.discriminatedUnion('kind', [first, ...rest]);
}

/** The options of a spec (without kind and label), as written. */
export function solverOptions(spec: SolverSpec): Record<string, unknown> {
  const { kind: _k, label: _l, ...rest } = spec;
  return rest;
}

export const overridesSchema = z.strictObject({
  epsilon: positive.optional(),
  mobility: positive.optional(),
  tau: positive.optional(),
  tEnd: positive.optional(),
  n: posInt.optional(),
  seed: z.number().int().optional(),
});

/** The reference is a run of the registered 'fem' kind: its scheme and cellType fields, as declared there. */
const femField = (key: string) => withoutDefaults(solverKind('fem').options).shape[key] as unknown as z.ZodOptional<z.ZodString>;

/** How the converged FEM reference is computed: n_ref = nFactor·n, τ_ref = τ/tauDivisor. */
export const referenceSchema = z.strictObject({
  scheme: femField('scheme').default('mms-newton'),
  nFactor: z.number().int().min(1).default(2),
  tauDivisor: z.number().int().min(1).default(4),
  cellType: femField('cellType'),
});

/**
 * Energies published for a problem by others (e.g. the SDMM authors' logged run), which the
 * report compares every run with at the same times. `quantity` says what was published: `E`, the
 * energy E(uⁿ), or `J`, the minimizing-movement functional at the step's minimizer,
 * Jₙ = E(uⁿ) + ‖uⁿ − uⁿ⁻¹‖²/(2mτ) (the energy plus the movement term of that step, which depends
 * on τ: `tau` is the published run's step, and only runs with that step are given a Jₙ).
 */
export const publishedEnergiesSchema = z.strictObject({
  /** Where the numbers come from (paper, arXiv id, table or log), shown above the table. */
  source: z.string().min(1),
  /** What the run behind the numbers was (resolution, hardware), shown with the source. */
  setup: z.string().min(1).optional(),
  quantity: z.enum(['E', 'J']),
  /** The published run's time step (needed to compare Jₙ like with like). */
  tau: positive.optional(),
  times: z.array(positive).min(1),
  values: z.array(z.number()).min(1),
});

export type PublishedEnergies = z.infer<typeof publishedEnergiesSchema>;

function problemSchemaWith<T extends z.ZodType>(solver: T) {
  return z.strictObject({
  name: z.enum(PROBLEM_NAMES as [string, ...string[]]),
  /**
   * This entry's name in the results (directories, tables, `--only`, sweep.problems); default: its
   * catalogue name. Set it to list one problem more than once (e.g. the circle at three ε).
   */
  label: slug.optional(),
  scale: z.enum(SCALES).optional(),
  overrides: overridesSchema.default({}),
  /** Absolute times in (0, T]; each is snapped to the nearest step. Default: T/4, T/2, T. */
  outputTimes: z.array(positive).min(1).optional(),
  reference: referenceSchema.optional(),
  /** Solver configurations for this problem; default: the suite's `solvers`. */
  solvers: z.array(solver).min(1).optional(),
  /** Energies published by others at given times; the report compares every run with them. */
  publishedEnergies: publishedEnergiesSchema.optional(),
  });
}

/** Time-to-accuracy sweep: every solver config is run on each listed problem. */
function sweepSchemaWith<T extends z.ZodType>(solver: T) {
  return z.strictObject({
    /** Problem entries of the suite, by label (default: their catalogue name). */
    problems: z.array(slug).min(1),
    /** Relative L2 errors (at the final time) to reach. */
    targets: z.array(positive).min(1),
    solvers: z.array(solver).min(1),
  });
}

/** The suite file's schema, with the solver entries of the given (default: registered) kinds. */
export function suiteSchema(kinds: readonly SolverKind[] = solverKinds()) {
  const solver = solverSchema(kinds) as unknown as z.ZodType<SolverSpec>;
  return z.strictObject({
  name: slug,
  description: z.string().optional(),
  scale: z.enum(SCALES).default('reduced'),
  /** Side k of the common k×k uniform grid on which errors and pictures are computed. */
  grid: z.number().int().min(8).max(2049).default(101),
  checkpointEvery: posInt.default(10),
  reference: referenceSchema.default({ scheme: 'mms-newton', nFactor: 2, tauDivisor: 4 }),
  solvers: z.array(solver).min(1).optional(),
  problems: z.array(problemSchemaWith(solver)).min(1),
  sweep: sweepSchemaWith(solver).optional(),
  });
}

export type ReferenceSpec = z.infer<typeof referenceSchema>;
export type SuiteConfig = z.infer<ReturnType<typeof suiteSchema>>;
export type ProblemSpec = SuiteConfig['problems'][number];

/** A suite problem made concrete: the catalogue problem, its solvers and output steps. */
export interface ResolvedProblem {
  /** The entry's name in the results: spec.label, else the catalogue name. Unique in a suite. */
  id: string;
  spec: ProblemSpec;
  problem: ProblemConfig;
  reference: ReferenceSpec;
  solvers: (SolverSpec & { label: string })[];
  /** Output step indices (sorted, unique, ≥ 1, ≤ stepCount). */
  outputSteps: number[];
}

/** A config file is invalid; `message` is one line naming the file and the field path. */
export class SuiteConfigError extends Error {
  override name = 'SuiteConfigError';
}

/** `problems[1].solvers[0].scheme` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s === '' ? String(p) : `.${String(p)}`;
  }
  return s === '' ? '(top level)' : s;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** One line per zod issue: `<path>: <what was expected>, got <value>`. */
function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const path = issue.path as PropertyKey[];
  const got = valueAt(data, path);
  switch (issue.code) {
    case 'invalid_value':
      return `${formatPath(path)}: expected one of ${issue.values.map(String).join(', ')}, got ${show(got)}`;
    case 'invalid_union': {
      const i = issue as z.core.$ZodIssueInvalidUnion & { options?: unknown[] };
      if (i.options && i.options.length > 0) {
        return `${formatPath(path)}: expected one of ${i.options.map(String).join(', ')}, got ${show(got)}`;
      }
      return `${formatPath(path)}: ${issue.message}`;
    }
    case 'invalid_type':
      if (got === undefined) return `${formatPath(path)}: required field is missing`;
      return `${formatPath(path)}: expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${show(got)}`;
    case 'unrecognized_keys':
      return `${formatPath(path)}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const rel = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'array') return `${formatPath(path)}: expected ${rel} ${String(bound)} entries, got ${(got as unknown[]).length}`;
      return `${formatPath(path)}: expected a number ${rel} ${String(bound)}, got ${show(got)}`;
    }
    default:
      // Option messages already name the value ("must be a finite non-zero number, got 0").
      return `${formatPath(path)}: ${issue.message}${got === undefined || issue.message.includes(', got ') ? '' : `, got ${show(got)}`}`;
  }
}

/** Default directory label of a solver configuration: its own label, else its kind's. */
export function solverLabel(s: SolverSpec, problemN: number): string {
  return s.label ?? solverKind(s.kind).label(solverOptions(s), problemN);
}

/** The reference problem of a suite problem: n·nFactor cells per side, τ/tauDivisor. */
export function referenceProblem(p: ResolvedProblem): ProblemConfig {
  return makeProblem(p.problem.name, p.problem.scale, {
    ...p.spec.overrides,
    n: p.problem.n * p.reference.nFactor,
    tau: p.problem.tau / p.reference.tauDivisor,
  });
}

/**
 * Parse and validate suite text. `file` is only used in messages.
 * Throws SuiteConfigError `<file>: <path>: <problem>` or `<file>:<line>:<column>: invalid JSON: …`.
 */
export function parseSuite(text: string, file: string): SuiteConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const where = findJsonSyntaxError(text);
    if (where) {
      const { line, column } = lineColumn(text, where.offset);
      const c = text[where.offset];
      // A control character or line break is shown escaped ("\n"), so the message stays one line.
      const found = where.offset >= text.length ? 'end of file' : /[\s\x00-\x1f\x7f]/.test(c) ? JSON.stringify(c) : `'${c}'`;
      throw new SuiteConfigError(`${file}:${line}:${column}: invalid JSON: expected ${where.expected}, found ${found}`);
    }
    throw new SuiteConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  const r = suiteSchema().safeParse(data);
  if (!r.success) {
    // Report the first issue in document order (zod reports unknown keys of a parent last).
    throw new SuiteConfigError(`${file}: ${describeIssue(r.error.issues[0], data)}`);
  }
  resolveSuite(r.data, file); // cross-field checks: problems build, output times fit, labels unique
  return r.data;
}

/** Read and validate a suite file (see parseSuite). */
export function loadSuite(path: string): SuiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SuiteConfigError(`${path}: cannot read suite file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSuite(text, path);
}

/** Options a kind declares mutually exclusive must not both be set. */
function checkExclusive(s: SolverSpec, where: string): void {
  for (const [a, b, why] of solverKind(s.kind).exclusive ?? []) {
    if (s[a] !== undefined && s[b] !== undefined) throw new SuiteConfigError(`${where}.${b}: cannot be set together with ${a} (${why})`);
  }
}

/**
 * Build each problem, fill in default solvers and labels, snap the output times to steps, and
 * check what zod cannot: overrides accepted by makeProblem, output times in (0, T], a solver list
 * for every problem, unique labels, sweep problems that the suite contains.
 */
export function resolveSuite(suite: SuiteConfig, file = suite.name): ResolvedProblem[] {
  const out: ResolvedProblem[] = [];
  const seen = new Set<string>();
  suite.problems.forEach((spec, i) => {
    const where = `${file}: problems[${i}]`;
    const id = spec.label ?? spec.name;
    if (seen.has(id)) {
      throw new SuiteConfigError(`${where}.${spec.label ? 'label' : 'name'}: problem '${id}' is listed twice${spec.label ? '' : " (set 'label' to list it again, e.g. with other overrides)"}`);
    }
    seen.add(id);
    let problem: ProblemConfig;
    try {
      problem = makeProblem(spec.name, spec.scale ?? suite.scale, spec.overrides);
    } catch (e) {
      if (e instanceof ProblemError) throw new SuiteConfigError(`${where}.overrides: ${e.message}`);
      throw e;
    }
    const steps = stepCount(problem);
    const times = spec.outputTimes ?? [problem.tEnd / 4, problem.tEnd / 2, problem.tEnd];
    const outputSteps = new Set<number>();
    times.forEach((t, k) => {
      if (t > problem.tEnd * (1 + 1e-9)) {
        throw new SuiteConfigError(`${where}.outputTimes[${k}]: ${t} is after the final time T = ${problem.tEnd}`);
      }
      outputSteps.add(Math.min(steps, Math.max(1, Math.round(t / problem.tau))));
    });
    const pub = spec.publishedEnergies;
    if (pub) {
      if (pub.values.length !== pub.times.length) {
        throw new SuiteConfigError(`${where}.publishedEnergies.values: expected one value per time (${pub.times.length}), got ${pub.values.length}`);
      }
      pub.times.forEach((t, k) => {
        if (t > problem.tEnd * (1 + 1e-9)) throw new SuiteConfigError(`${where}.publishedEnergies.times[${k}]: ${t} is after the final time T = ${problem.tEnd}`);
      });
    }
    const solverSpecs = spec.solvers ?? suite.solvers;
    if (!solverSpecs) throw new SuiteConfigError(`${where}.solvers: required when the suite has no top-level 'solvers'`);
    const labels = new Set<string>();
    const solvers = solverSpecs.map((s, j) => {
      checkExclusive(s, `${where}.solvers[${j}]`);
      const label = solverLabel(s, problem.n);
      if (labels.has(label) || label === 'reference') {
        throw new SuiteConfigError(`${where}.solvers[${j}].label: '${label}' is not unique in this problem (set 'label')`);
      }
      labels.add(label);
      return { ...s, label };
    });
    out.push({
      id,
      spec,
      problem,
      reference: spec.reference ?? suite.reference,
      solvers,
      outputSteps: [...outputSteps].sort((a, b) => a - b),
    });
  });
  if (suite.sweep) {
    suite.sweep.problems.forEach((name, k) => {
      if (!seen.has(name)) {
        throw new SuiteConfigError(`${file}: sweep.problems[${k}]: '${name}' is not one of the suite's problems (${[...seen].join(', ')})`);
      }
    });
    const labels = new Set<string>();
    suite.sweep.solvers.forEach((s, j) => {
      checkExclusive(s, `${file}: sweep.solvers[${j}]`);
      const label = solverLabel(s, 0);
      if (labels.has(label)) throw new SuiteConfigError(`${file}: sweep.solvers[${j}].label: '${label}' is not unique (set 'label')`);
      labels.add(label);
      const resolution = solverKind(s.kind).resolutionOption;
      if (resolution && s[resolution] === undefined) throw new SuiteConfigError(`${file}: sweep.solvers[${j}].${resolution}: required in a resolution sweep`);
    });
  }
  return out;
}
