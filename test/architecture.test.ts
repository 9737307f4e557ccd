import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of docs/ARCHITECTURE.md, checked over the real import graph of src/ (static
 * imports, `import type`, re-exports and dynamic `import()` alike). A module's layer is its
 * folder under src/ (quadrature, mesh, …) or, for the top-level files, its name (solver = the
 * contract, options, registry, index = the public API).
 */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  quadrature: ['util'],
  linalg: ['util'],
  physics: ['util'],
  optim: ['util'],
  nn: ['physics', 'util'],
  mesh: ['util'],
  options: ['util'],
  solver: ['physics', 'mesh', 'options', 'util'],
  stability: ['solver', 'util'],
  io: ['mesh', 'solver', 'util'],
  fem: ['quadrature', 'linalg', 'mesh', 'physics', 'options', 'solver', 'io', 'util'],
  sdmm: ['quadrature', 'linalg', 'physics', 'optim', 'nn', 'options', 'solver', 'io', 'util'],
  spinn: ['quadrature', 'physics', 'optim', 'nn', 'options', 'solver', 'util'],
  run: ['solver', 'stability', 'io', 'physics', 'util'],
  registry: ['fem', 'sdmm', 'spinn', 'solver', 'physics', 'options', 'util'],
  bench: ['run', 'registry', 'io', 'physics', 'stability', 'solver', 'options', 'mesh', 'quadrature', 'util'],
  cli: ['bench', 'run', 'registry', 'io', 'physics', 'stability', 'solver', 'options', 'mesh', 'util'],
  index: ['quadrature', 'linalg', 'physics', 'optim', 'nn', 'mesh', 'options', 'solver', 'stability', 'io', 'fem', 'sdmm', 'spinn', 'run', 'registry', 'util'],
};

const SRC = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? parts[0].replace(/\.ts$/, '') : parts[0];
}

/** file → the project files it imports (relative specifiers, `.js` resolved to the `.ts` source). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.\.?\/[^']+)'/g)].map((m) => resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
    graph.set(file, targets);
  }
  return graph;
}

const graph = importGraph();
const name = (f: string) => relative(SRC, f);

describe('import rules (docs/ARCHITECTURE.md)', () => {
  it('finds the source tree and resolves every relative import to a file', () => {
    expect(graph.size).toBeGreaterThan(60);
    const missing = [...graph].flatMap(([f, ts]) => ts.filter((t) => !graph.has(t)).map((t) => `${name(f)} → ${relative(SRC, t)}`));
    expect(missing).toEqual([]);
  });

  it('every layer imports only the layers below it', () => {
    const layers = new Set([...graph.keys()].map(layerOf));
    expect([...layers].filter((l) => !(l in ALLOWED))).toEqual([]); // a new folder needs a rule
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const t of targets) {
        const to = layerOf(t);
        if (to !== from && !ALLOWED[from].includes(to)) violations.push(`${name(file)} (${from}) imports ${name(t)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the rule table itself is acyclic (so is the folder graph it permits)', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycle: string[] = [];
    const visit = (l: string, path: string[]): void => {
      if (state.get(l) === 'done') return;
      if (state.get(l) === 'open') {
        cycle.push([...path, l].join(' → '));
        return;
      }
      state.set(l, 'open');
      for (const d of ALLOWED[l]) visit(d, [...path, l]);
      state.set(l, 'done');
    };
    for (const l of Object.keys(ALLOWED)) visit(l, []);
    expect(cycle).toEqual([]);
  });

  it('the key rules, spelled out: FEM and SDMM never import each other, physics knows no discretisation, the run layer and the suite see solvers only through the contract and the registry', () => {
    expect(ALLOWED.fem).not.toContain('sdmm');
    expect(ALLOWED.sdmm).not.toContain('fem');
    for (const a of ['fem', 'sdmm', 'spinn']) for (const b of ['fem', 'sdmm', 'spinn']) if (a !== b) expect(ALLOWED[a]).not.toContain(b);
    expect(ALLOWED.physics).toEqual(['util']);
    for (const l of ['run', 'bench']) for (const solver of ['fem', 'sdmm', 'spinn']) expect(ALLOWED[l]).not.toContain(solver);
    for (const l of ['solver', 'options']) for (const high of ['fem', 'sdmm', 'registry', 'run', 'bench', 'cli']) expect(ALLOWED[l]).not.toContain(high);
    expect(Object.entries(ALLOWED).filter(([, deps]) => deps.includes('cli')).map(([l]) => l)).toEqual([]);
  });

  it('no import cycle between files (e.g. the report never imports the suite)', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map(name).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
