import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LINEAR_SOLVERS } from '../fem/linear.js';
import { FEM_SCHEMES } from '../fem/schemes/index.js';
import { SDMM_ACTIVATIONS, SDMM_BACKENDS, SDMM_OPTIMIZERS } from '../sdmm/options.js';
import { makeProblem, PROBLEM_NAMES, ProblemError, stepCount, type ProblemConfig } from '../physics/problems.js';

/**
 * Benchmark suite definitions (benchmarks/*.json), validated with zod.
 *
 * A suite lists problems (catalogue name, scale, overrides, output times), the solver
 * configurations run on each (FEM scheme and mesh size, or SDMM network, quadrature and optimizer
 * options), how the converged FEM reference is made (finer mesh, smaller τ), and an optional
 * resolution sweep for the time-to-accuracy table. `loadSuite(path)` returns the typed config with
 * defaults filled in; any invalid file raises `SuiteConfigError` whose one-line message names the
 * file and the field path, e.g.
 *
 *   benchmarks/quick.json: problems[1].solvers[0].scheme: expected one of mms-newton, stabilized, convex-split, got 'foo'
 *
 * and JSON syntax errors name line and column.
 */

export { FEM_SCHEMES };
export const CELL_TYPES = ['triangle', 'quadrilateral'] as const;
export { SDMM_ACTIVATIONS, SDMM_OPTIMIZERS };
export const SCALES = ['reduced', 'paper'] as const;

const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" and "-"');
const positive = z.number().positive();
const posInt = z.number().int().positive();

/** FEM solver options (forwarded to createFemSolver; n overrides the problem's cells per side). */
export const femSolverSchema = z.strictObject({
  kind: z.literal('fem'),
  /** Directory name and table label; default `fem-<scheme>-n<n>`. */
  label: slug.optional(),
  scheme: z.enum(FEM_SCHEMES),
  n: z.number().int().min(2).optional(),
  cellType: z.enum(CELL_TYPES).optional(),
  /** S of the stabilized scheme (default 1 in the solver). */
  stabilization: z.number().nonnegative().optional(),
  /** How structured squares are cut into triangles (default 'right'). */
  diagonal: z.enum(['right', 'left', 'crossed-alternating']).optional(),
  /** Linear solver of each Newton/linear step (src/fem/linear.ts; default 'pcg-jacobi'). */
  linearSolver: z.enum(LINEAR_SOLVERS).optional(),
});

/** SDMM options (forwarded to createSdmmSolver as Partial<SdmmOptions>). */
export const sdmmSolverSchema = z.strictObject({
  kind: z.literal('sdmm'),
  /** Directory name and table label; default `sdmm-r<rank>-w<width>-d<depth>-q<quadElements>`. */
  label: slug.optional(),
  rank: posInt.optional(),
  width: posInt.optional(),
  depth: posInt.optional(),
  activation: z.enum(SDMM_ACTIVATIONS).optional(),
  alpha: positive.optional(),
  trainAlpha: z.boolean().optional(),
  bound: z.boolean().optional(),
  quadElements: posInt.optional(),
  quadPoints: z.number().int().min(1).max(20).optional(),
  optimizer: z.enum(SDMM_OPTIMIZERS).optional(),
  maxIters: posInt.optional(),
  tol: z.number().nonnegative().optional(),
  learningRate: positive.optional(),
  historySize: posInt.optional(),
  fitTolerance: positive.optional(),
  fitMaxIters: posInt.optional(),
  seed: z.number().int().optional(),
  backend: z.enum(SDMM_BACKENDS).optional(),
});

export const solverSchema = z.discriminatedUnion('kind', [femSolverSchema, sdmmSolverSchema]);

export const overridesSchema = z.strictObject({
  epsilon: positive.optional(),
  mobility: positive.optional(),
  tau: positive.optional(),
  tEnd: positive.optional(),
  n: posInt.optional(),
  seed: z.number().int().optional(),
});

/** How the converged FEM reference is computed: n_ref = nFactor·n, τ_ref = τ/tauDivisor. */
export const referenceSchema = z.strictObject({
  scheme: z.enum(FEM_SCHEMES).default('mms-newton'),
  nFactor: z.number().int().min(1).default(2),
  tauDivisor: z.number().int().min(1).default(4),
  cellType: z.enum(CELL_TYPES).optional(),
});

export const problemSchema = z.strictObject({
  name: z.enum(PROBLEM_NAMES as [string, ...string[]]),
  scale: z.enum(SCALES).optional(),
  overrides: overridesSchema.default({}),
  /** Absolute times in (0, T]; each is snapped to the nearest step. Default: T/4, T/2, T. */
  outputTimes: z.array(positive).min(1).optional(),
  reference: referenceSchema.optional(),
  /** Solver configurations for this problem; default: the suite's `solvers`. */
  solvers: z.array(solverSchema).min(1).optional(),
});

/** Time-to-accuracy sweep: every solver config is run on each listed problem. */
export const sweepSchema = z.strictObject({
  problems: z.array(z.enum(PROBLEM_NAMES as [string, ...string[]])).min(1),
  /** Relative L2 errors (at the final time) to reach. */
  targets: z.array(positive).min(1),
  solvers: z.array(solverSchema).min(1),
});

export const suiteSchema = z.strictObject({
  name: slug,
  description: z.string().optional(),
  scale: z.enum(SCALES).default('reduced'),
  /** Side k of the common k×k uniform grid on which errors and pictures are computed. */
  grid: z.number().int().min(8).max(2049).default(101),
  checkpointEvery: posInt.default(10),
  reference: referenceSchema.default({ scheme: 'mms-newton', nFactor: 2, tauDivisor: 4 }),
  solvers: z.array(solverSchema).min(1).optional(),
  problems: z.array(problemSchema).min(1),
  sweep: sweepSchema.optional(),
});

export type FemSolverSpec = z.infer<typeof femSolverSchema>;
export type SdmmSolverSpec = z.infer<typeof sdmmSolverSchema>;
export type SolverSpec = z.infer<typeof solverSchema>;
export type ReferenceSpec = z.infer<typeof referenceSchema>;
export type ProblemSpec = z.infer<typeof problemSchema>;
export type SuiteConfig = z.infer<typeof suiteSchema>;

/** A suite problem made concrete: the catalogue problem, its solvers and output steps. */
export interface ResolvedProblem {
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
      return `${formatPath(path)}: ${issue.message}${got === undefined ? '' : `, got ${show(got)}`}`;
  }
}

/**
 * Locate the first JSON syntax error (Node 20's JSON.parse does not always give a position):
 * a small recursive-descent recogniser of RFC 8259 returning the offset and what was expected.
 */
export function findJsonSyntaxError(text: string): { offset: number; expected: string } | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  class Stop {
    constructor(readonly offset: number, readonly expected: string) {}
  }
  const fail = (expected: string): never => {
    throw new Stop(i, expected);
  };
  const str = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('four hex digits after \\u');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail('a valid escape sequence');
      } else if (c < ' ') fail('no control characters inside a string');
      else i++;
    }
    fail('a closing quote');
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail('a number');
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a property name in double quotes');
        str();
        ws();
        if (text[i] !== ':') fail("':' after a property name");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}' after a property value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']' after an array element");
      }
    } else if (c === '"') str();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) num();
    else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else fail('a value');
  };
  try {
    value();
    ws();
    if (i < text.length) fail('end of input');
    return null;
  } catch (e) {
    if (e instanceof Stop) return { offset: e.offset, expected: e.expected };
    throw e;
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Default directory label of a solver configuration. */
export function solverLabel(s: SolverSpec, problemN: number): string {
  if (s.label) return s.label;
  if (s.kind === 'fem') {
    return `fem-${s.scheme}-n${s.n ?? problemN}${s.cellType === 'quadrilateral' ? '-q1' : ''}${s.stabilization !== undefined ? `-S${s.stabilization}` : ''}${s.linearSolver ? `-${s.linearSolver}` : ''}`;
  }
  const parts = ['sdmm'];
  if (s.rank !== undefined) parts.push(`r${s.rank}`);
  if (s.width !== undefined) parts.push(`w${s.width}`);
  if (s.depth !== undefined) parts.push(`d${s.depth}`);
  if (s.quadElements !== undefined) parts.push(`q${s.quadElements}`);
  if (s.optimizer !== undefined && s.optimizer !== 'lbfgs') parts.push(s.optimizer);
  if (s.bound === false) parts.push('unbounded');
  return parts.join('-');
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
      const found = where.offset < text.length ? `'${text[where.offset]}'` : 'end of file';
      throw new SuiteConfigError(`${file}:${line}:${column}: invalid JSON: expected ${where.expected}, found ${found}`);
    }
    throw new SuiteConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  const r = suiteSchema.safeParse(data);
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
    if (seen.has(spec.name)) throw new SuiteConfigError(`${where}.name: problem '${spec.name}' is listed twice`);
    seen.add(spec.name);
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
    const solverSpecs = spec.solvers ?? suite.solvers;
    if (!solverSpecs) throw new SuiteConfigError(`${where}.solvers: required when the suite has no top-level 'solvers'`);
    const labels = new Set<string>();
    const solvers = solverSpecs.map((s, j) => {
      const label = solverLabel(s, problem.n);
      if (labels.has(label) || label === 'reference') {
        throw new SuiteConfigError(`${where}.solvers[${j}].label: '${label}' is not unique in this problem (set 'label')`);
      }
      labels.add(label);
      return { ...s, label };
    });
    out.push({
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
      const label = solverLabel(s, 0);
      if (labels.has(label)) throw new SuiteConfigError(`${file}: sweep.solvers[${j}].label: '${label}' is not unique (set 'label')`);
      labels.add(label);
      if (s.kind === 'fem' && s.n === undefined) throw new SuiteConfigError(`${file}: sweep.solvers[${j}].n: required in a resolution sweep`);
      if (s.kind === 'sdmm' && s.quadElements === undefined) {
        throw new SuiteConfigError(`${file}: sweep.solvers[${j}].quadElements: required in a resolution sweep`);
      }
    });
  }
  return out;
}
