import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSuite, SuiteConfigError } from '../src/bench/config.js';
import { runCli } from '../src/cli/main.js';
import type { RunDeps } from '../src/cli/run.js';
import { validateFemOptions } from '../src/fem/solver.js';
import type { RunSummary } from '../src/run/index.js';
import { resolveSdmmOptions } from '../src/sdmm/options.js';
import type { GradientFlowSolver } from '../src/solver.js';

/**
 * Property-based tests (fast-check, fixed seeds) of the two inputs a user types: the command line
 * of `allen-cahn run` and a suite file. Hundreds of generated and mutated inputs each end in a
 * result or in ONE line of error (exit code 1 for the CLI, SuiteConfigError for the suite) —
 * never a stack trace, another exception, a hang or a native abort.
 *
 * The CLI runs in this process with its real parsing and validation (flags, makeProblem, T/τ,
 * each kind's schema, FEM's mesh and size checks, SDMM's total quadrature) but a solver factory
 * that stops after validation and a run that returns at once: what is tested is that no input
 * gets past the checks unbounded or crashes them, not the solvers.
 */

afterEach(() => vi.restoreAllMocks());

const out = mkdtempSync(join(tmpdir(), 'ac-prop-'));

/** Validation only: the same checks kind.create makes first, without building anything. */
const validateOnly: RunDeps = {
  createSolver(kind, problem, options) {
    if (kind.name === 'fem') validateFemOptions(problem, options);
    else resolveSdmmOptions(problem, options);
    return { dispose() {} } as unknown as GradientFlowSolver;
  },
  async runSolver() {
    return {
      status: 'completed',
      totals: { steps: 1, plannedSteps: 1, finalTime: 1, msPerStep: 1, iterationsPerStep: 1, finalEnergy: 1 },
      stability: { ok: true, message: 'energy stable' },
    } as unknown as RunSummary;
  },
};

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await runCli(['node', 'allen-cahn', ...args], validateOnly);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Numbers as typed: small and huge, negative, zero, fractional, exponents, not numbers at all. */
const numberText = fc.oneof(
  fc.integer({ min: -3, max: 40 }).map(String),
  fc.constantFrom('1e9', '1e308', '1e-300', '-1e-308', '4194305', '2048', '1000000', '65', '0', '-0', '0.5', '2.5', '1e-4', '1e-3', '5e-5'),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '', ' ', 'abc', '0x10', '1,5', '∞', '１'),
  fc.string({ maxLength: 6 }),
);

/** Flags of `allen-cahn run` with the kind of value each takes (and some that do not exist). */
const FLAG_VALUES: [string, fc.Arbitrary<string> | null][] = [
  ['--problem', fc.oneof(fc.constantFrom('star', 'circle', 'coarsening', 'random', 'front1d', 'ac1d'), fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'toString', 'constructor'))],
  ['--solver', fc.constantFrom('fem', 'sdmm', 'toy', '')],
  ['--scale', fc.constantFrom('paper', 'reduced', 'huge')],
  ['--epsilon', numberText],
  ['--dt', numberText],
  ['--t-end', numberText],
  ['--mobility', numberText],
  ['--n', numberText],
  ['--seed', numberText],
  ['--grid', numberText],
  ['--checkpoint-every', numberText],
  ['--vtk-every', numberText],
  ['--vtk-format', fc.constantFrom('ascii', 'base64', 'binary')],
  ['--scheme', fc.constantFrom('mms-newton', 'stabilized', 'convex-split', 'rk4')],
  ['--stabilization', numberText],
  ['--mesh', fc.constantFrom('meshes/square-h16.msh', 'meshes/disk-h32.msh', 'test/fixtures/meshes/truncated.msh', 'test/fixtures/meshes/binary.msh', '/dev/zero', '/nonexistent.msh', 'meshes', '')],
  ['--cell-type', fc.constantFrom('triangle', 'quadrilateral', 'hex')],
  ['--linear-solver', fc.constantFrom('cholesky', 'pcg-ic0', 'gauss')],
  ['--rank', numberText],
  ['--width', numberText],
  ['--depth', numberText],
  ['--quad-elements', numberText],
  ['--quad-points', numberText],
  ['--alpha', numberText],
  ['--lr', numberText],
  ['--optimizer', fc.constantFrom('lbfgs', 'adam', 'sgd')],
  ['--backend', fc.constantFrom('auto', 'cpu', 'gpu')],
  ['--resume', null],
  ['--overwrite', null],
  ['--no-bound', null],
  ['--frobnicate', null],
];

const flagArg: fc.Arbitrary<string[]> = fc.constantFrom(...FLAG_VALUES).chain(([flag, value]) => (value ? value.map((v) => [flag, v]) : fc.constant([flag])));

/** A run command line: mostly well-formed flag/value pairs, sometimes with stray words. */
const runArgs = fc
  .tuple(fc.array(flagArg, { maxLength: 7 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 1 }), fc.boolean())
  .map(([pairs, stray, withProblem]) => ['run', ...(withProblem ? ['--problem', 'star'] : []), ...pairs.flat(), ...stray, '--out', join(out, 'never'), '--no-progress']);

function expectOneLineOrResult(r: { code: number; stdout: string; stderr: string }, args: string[]) {
  const where = JSON.stringify(args);
  expect(r.stderr, where).not.toMatch(/\n\s+at /); // no stack trace
  if (r.code === 0) {
    expect(r.stderr, where).toBe('');
    return;
  }
  expect(r.code, where).toBe(1);
  expect(r.stderr, where).toMatch(/^allen-cahn: [^\n]+\n$/);
}

describe('allen-cahn run: generated command lines', () => {
  it('every command line ends in a result or one line of error with exit code 1', async () => {
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(runArgs, async (args) => {
        const r = await cli(args);
        if (r.code !== 0) errors++;
        expectOneLineOrResult(r, args);
      }),
      { numRuns: 400, seed: 20261130 },
    );
    // The generator reaches both ends (a property that never errs, or never passes, proves little).
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(400);
  });

  it('arbitrary words after `run` never crash the parser', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('--problem', '--n', '--dt', '--', '-', '--help=x', '--rank=0')), { maxLength: 6 }), async (words) => {
        const args = ['run', ...words];
        expectOneLineOrResult(await cli(args), args);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('suite files: mutated benchmarks/quick.json', () => {
  const base = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'benchmarks', 'quick.json'), 'utf8')) as unknown;
  const baseText = JSON.stringify(base, null, 2);

  /** Every path to a value in a JSON document. */
  function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
    const here = [at];
    if (Array.isArray(v)) return here.concat(...v.map((x, i) => paths(x, [...at, i])));
    if (v && typeof v === 'object') return here.concat(...Object.entries(v).map(([k, x]) => paths(x, [...at, k])));
    return here;
  }
  const allPaths = paths(base).filter((p) => p.length > 0);

  function mutate(doc: unknown, path: (string | number)[], how: 'replace' | 'delete' | 'add', value: unknown): unknown {
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let parent: Record<string | number, unknown> = copy;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (how === 'replace') parent[last] = value;
    else if (how === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (Array.isArray(parent)) parent.push(value);
    else parent[`${String(last)}_x`] = value;
    return copy;
  }

  const hostileValues = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(1e8, 1e308, -1, 0, 0.5, 4194305, 1e-300, 'star', 'fem', 'sdmm', null, [], {}),
  );

  function expectOneLine(text: string) {
    try {
      parseSuite(text, 'quick.json');
    } catch (err) {
      expect(err, text.slice(0, 200)).toBeInstanceOf(SuiteConfigError);
      expect((err as Error).message).toMatch(/^quick\.json[:]/);
      expect((err as Error).message).not.toContain('\n');
    }
  }

  it('structural mutations (a value replaced, removed or added anywhere) give a suite or one SuiteConfigError line', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), fc.constantFrom('replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>, hostileValues, (path, how, value) => {
        const text = JSON.stringify(mutate(base, path, how, value));
        try {
          parseSuite(text, 'quick.json');
        } catch {
          refused++;
        }
        expectOneLine(text);
      }),
      { numRuns: 500, seed: 42 },
    );
    expect(refused).toBeGreaterThan(100);
  });

  it('text mutations (truncated, a character inserted or deleted) give a suite or one SuiteConfigError line', () => {
    fc.assert(
      fc.property(fc.nat({ max: baseText.length }), fc.constantFrom('truncate', 'insert', 'delete'), fc.string({ minLength: 1, maxLength: 2 }), (at, how, ch) => {
        const text = how === 'truncate' ? baseText.slice(0, at) : how === 'insert' ? baseText.slice(0, at) + ch + baseText.slice(at) : baseText.slice(0, at) + baseText.slice(at + 1);
        expectOneLine(text);
      }),
      { numRuns: 500, seed: 43 },
    );
  });
});
