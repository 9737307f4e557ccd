import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runOk } from './fixtures/run-command.js';

/**
 * The package as a user gets it: build (npm run build), `npm pack`, unpack the tarball into a
 * fresh project's node_modules, give that project exactly the packed package.json's
 * dependencies (linked from this checkout's node_modules: no network), then
 *
 * - import it from a plain .mjs file with plain node (no tsx) and run 5 FEM and 5 SDMM steps;
 * - type-check a .ts consumer with tsc against the shipped .d.ts (skipLibCheck off).
 *
 * A source-only entry point, a missing runtime dependency, a file left out of "files" or a
 * declaration that needs a dev-only @types package fails here.
 */
const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'consumer');
const MODULES = realpathSync(join(ROOT, 'node_modules'));
let project = '';
let files: string[] = [];

function link(name: string, nodeModules: string): void {
  const target = join(nodeModules, name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(MODULES, name), target, 'dir');
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'allen-cahn-consumer-'));
  await runOk(process.execPath, [join(MODULES, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], ROOT);
  // --ignore-scripts: the build above is what `prepare` would run again.
  const packed = JSON.parse(await runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT)) as { filename: string; files: { path: string }[] }[];
  files = packed[0].files.map((f) => f.path);
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  await runOk('tar', ['-xzf', join(project, packed[0].filename), '-C', modules], project);
  renameSync(join(modules, 'package'), join(modules, 'allen-cahn'));
  const pkg = JSON.parse(readFileSync(join(modules, 'allen-cahn', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(pkg.dependencies)) link(name, modules);
  // What a TypeScript consumer has of its own: the compiler and Node's types.
  link('@types/node', modules);
  link('undici-types', modules);
  cpSync(FIXTURE, project, { recursive: true });
}, 180_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships compiled JavaScript with declarations, the bin and the licence, not the sources or tests', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/bin.js');
    expect(files).toContain('bin/allen-cahn.js');
    expect(files).toContain('LICENSE');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('imports from a plain .mjs file and runs 5 FEM and 5 SDMM steps', async () => {
    const out = JSON.parse(await runOk(process.execPath, ['solve.mjs'], project)) as Record<string, { steps: number; energies: number[]; stable: boolean }>;
    for (const name of ['fem', 'sdmm']) {
      expect(out[name].steps).toBe(5);
      expect(out[name].energies).toHaveLength(6);
      // The energy of a gradient flow decreases (both schemes are energy stable on this problem).
      expect(out[name].energies[5]).toBeLessThan(out[name].energies[0]);
      expect(out[name].stable).toBe(true);
    }
  });

  it('runs the example of docs/LIBRARY.md (own u₀ and source, both solvers, the stability check) as printed there', async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'LIBRARY.md'), 'utf8');
    const block = /<!-- library-example[^>]*-->\n```js\n([\s\S]*?)```\n<!-- \/library-example -->/.exec(doc);
    expect(block).not.toBeNull();
    writeFileSync(join(project, 'library.mjs'), block![1]);
    const out = (await runOk(process.execPath, ['library.mjs'], project)).trim().split('\n');
    expect(out).toHaveLength(2);
    out.forEach((line, i) => {
      const m = /^(\w+): (\d+) steps, E ([\d.]+) → ([\d.]+); energy stable over steps 0–5 /.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![1]).toBe(['fem', 'sdmm'][i]);
      expect(Number(m![2])).toBe(5);
      expect(Number(m![4])).toBeLessThan(Number(m![3]));
    });
    // the printed numbers in the document are this run's to the digits shown
    const fem = /^fem: 5 steps, E ([\d.]+) → ([\d.]+)/.exec(out[0])!;
    expect(doc).toContain(`fem: 5 steps, E ${Number(fem[1]).toFixed(1)} → ${Number(fem[2]).toFixed(1)}; energy stable over steps 0–5 …`);
    const sdmm = /^sdmm: 5 steps, E ([\d.]+) → ([\d.]+)/.exec(out[1])!;
    expect(doc).toContain(`sdmm: 5 steps, E ${Number(sdmm[1]).toFixed(1)} → ${Number(sdmm[2]).toFixed(1)}; energy stable over steps 0–5 …`);
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    const r = await run(process.execPath, [join(MODULES, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    // skipLibCheck is off so that this package's own .d.ts files are checked; errors inside
    // third-party declarations (tfjs-core's refer to an ambient 'Long'; @webgpu/types clash with
    // lib.dom) are theirs, and every consumer with the usual skipLibCheck: true skips them.
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => / error TS/.test(l));
    const ours = lines.filter((l) => l.startsWith('consumer.ts') || l.includes('node_modules/allen-cahn/'));
    expect(ours).toEqual([]);
    expect(lines.filter((l) => !l.includes('node_modules/'))).toEqual([]);
    expect(r.stdout + r.stderr).not.toMatch(/Cannot find (module|name) '(pngjs|cli-progress|commander|zod)'/);
  });

  it('runs the installed bin with plain node', async () => {
    const out = await runOk(process.execPath, [join(project, 'node_modules', 'allen-cahn', 'bin', 'allen-cahn.js'), 'problems', '--json'], project);
    expect((JSON.parse(out) as { name: string }[]).map((p) => p.name)).toContain('star');
  });
});
