import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCount, checkMeshCounts, checkTotal, LimitError, LIMITS, plannedSteps, readBoundedTextFile } from '../src/util/limits.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ac-limits-'));

describe('checkCount', () => {
  it('accepts integers within the bounds and names option and limit otherwise', () => {
    expect(checkCount('rank', 1, '--rank')).toBe(1);
    expect(checkCount('rank', 1024, '--rank')).toBe(1024);
    expect(() => checkCount('rank', 1_000_000, '--rank')).toThrow('--rank must be an integer from 1 to 1024, got 1000000 (above the limit)');
    expect(() => checkCount('quadPointsPerAxis', 1_000_000, '--quad-points')).toThrow('--quad-points must be an integer from 1 to 64, got 1000000 (above the limit)');
    expect(() => checkCount('grid', 100000, '--grid')).toThrow('--grid must be an integer from 1 to 4096, got 100000 (above the limit)');
    expect(() => checkCount('width', 1e7)).toThrow('width must be an integer from 1 to 4096, got 10000000 (above the limit)');
    expect(() => checkCount('elementsPerSide', 1e9, '--n')).toThrow('--n must be an integer from 1 to 4194304, got 1000000000 (above the limit)');
    for (const [bad, shown] of [[0, '0'], [-3, '-3'], [2.5, '2.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['8', '"8"'], [null, 'null'], [undefined, 'undefined']] as const) {
      expect(() => checkCount('depth', bad, '--depth')).toThrow(`--depth must be an integer from 1 to 64, got ${shown}`);
    }
    expect(checkCount('depth', 0, 'depth', 0)).toBe(0);
    let err: unknown;
    try {
      checkCount('rank', 2048, '--rank');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ option: '--rank', limit: 1024 });
  });

  it('checkTotal bounds products without overflow', () => {
    expect(checkTotal('quadPointsTotal', (256 * 2) ** 2, '--n 256 with --quad-points 2', 'quadrature points')).toBe(262144);
    expect(() => checkTotal('quadPointsTotal', (2048 * 64) ** 2, '--n 2048 with --quad-points 64', 'quadrature points')).toThrow(
      '--n 2048 with --quad-points 64 gives 17000000000 quadrature points in total, above the limit 4194304',
    );
    expect(() => checkTotal('meshNodes', NaN, '--n NaN', 'nodes')).toThrow('--n NaN gives NaN nodes in total, above the limit 4194304');
  });

  it('checkMeshCounts refuses absurd header counts before any allocation', () => {
    checkMeshCounts('m.msh:5', { nodes: 0, elements: LIMITS.meshCells * 2 });
    expect(() => checkMeshCounts('m.msh:5', { nodes: 1e12 })).toThrow('m.msh:5: 1000000000000 nodes is above the limit of 4194304 nodes per mesh');
    expect(() => checkMeshCounts('m.msh:9', { elements: 2 * LIMITS.meshCells + 1 })).toThrow(
      'm.msh:9: 16777217 elements is above the limit of 16777216 elements per mesh',
    );
    expect(() => checkMeshCounts('m.msh:9', { nodes: -1 })).toThrow('m.msh:9: -1 is not a number of nodes (an integer ≥ 0)');
    expect(() => checkMeshCounts('--n 4096', { nodes: 4097 ** 2, cells: 2 * 4096 ** 2 })).toThrow(
      '--n 4096: 16785409 nodes is above the limit of 4194304 nodes per mesh',
    );
    expect(() => checkMeshCounts('--n 4096', { cells: 2 * 4096 ** 2 })).toThrow('--n 4096: 33554432 cells is above the limit of 8388608 cells per mesh');
  });
});

describe('plannedSteps', () => {
  it('gives T/τ for the catalogue settings, round-off included', () => {
    expect(plannedSteps(0.02, 1e-5)).toBe(2000); // 0.02/1e-5 = 2000.0000000000002
    expect(plannedSteps(0.02, 5e-5)).toBe(400);
    expect(plannedSteps(0.04, 5e-5)).toBe(800);
    expect(plannedSteps(1, 1e-3)).toBe(1000);
    expect(plannedSteps(0.3, 0.1)).toBe(3); // 0.3/0.1 = 2.9999999999999996
    expect(plannedSteps(0, 1e-3)).toBe(0);
    expect(plannedSteps(LIMITS.plannedSteps * 1e-3, 1e-3)).toBe(LIMITS.plannedSteps);
  });

  it('refuses an end time that is not a multiple of τ, naming a fitting one', () => {
    expect(() => plannedSteps(1e-4, 1e-3)).toThrow('--t-end 0.0001 is not a whole number of steps of --dt 0.001 (T/τ = 0.1); use e.g. --t-end 0.001');
    expect(() => plannedSteps(0.0105, 1e-3)).toThrow(
      '--t-end 0.0105 is not a whole number of steps of --dt 0.001 (T/τ = 10.5); use e.g. --t-end 0.01 (10 steps) or 0.011',
    );
    expect(() => plannedSteps(1.5, 1, { tEnd: 'tEnd', tau: 'tau' })).toThrow('tEnd 1.5 is not a whole number of steps of tau 1 (T/τ = 1.5); use e.g. tEnd 1 (1 step) or 2');
  });

  it('refuses non-finite, non-positive and absurd settings', () => {
    expect(() => plannedSteps(1, 1e-300)).toThrow('--t-end 1 with --dt 1e-300 plans 1e300 steps, above the limit of 10000000');
    expect(() => plannedSteps(1e308, 1e-308)).toThrow('--t-end 1e308 with --dt 1e-308 plans Infinity steps, above the limit of 10000000');
    expect(() => plannedSteps(LIMITS.plannedSteps * 1e-3 + 1e-3, 1e-3)).toThrow(/plans 10000000 steps, above the limit of 10000000$/);
    expect(() => plannedSteps(NaN, 1e-3)).toThrow('--t-end must be a finite number ≥ 0, got NaN');
    expect(() => plannedSteps(-1, 1e-3)).toThrow('--t-end must be a finite number ≥ 0, got -1');
    expect(() => plannedSteps(1, 0)).toThrow('--dt must be a finite number > 0, got 0');
    expect(() => plannedSteps(1, -1e-3)).toThrow('--dt must be a finite number > 0, got -0.001');
    expect(() => plannedSteps(1, Infinity)).toThrow('--dt must be a finite number > 0, got Infinity');
    expect(() => plannedSteps(1, NaN, { tau: 'tau' })).toThrow('tau must be a finite number > 0, got NaN');
  });

  it('property: N·τ gives back N; a fractional T/τ is refused; never a non-LimitError', () => {
    const taus = [1e-3, 1e-4, 5e-5, 1e-5, 2.5e-6, 0.1, 0.01, 1 / 3];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...taus), (n, tau) => plannedSteps(n * tau, tau) === n),
      { numRuns: 500, seed: 42 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.constantFrom(...taus), (n, frac, tau) => {
        expect(() => plannedSteps((n + frac) * tau, tau)).toThrow(LimitError);
      }),
      { numRuns: 500, seed: 43 },
    );
    fc.assert(
      fc.property(fc.double(), fc.double(), (T, tau) => {
        try {
          const n = plannedSteps(T, tau);
          return Number.isInteger(n) && n >= 0 && n <= LIMITS.plannedSteps;
        } catch (e) {
          return e instanceof LimitError && !(e as Error).message.includes('\n');
        }
      }),
      { numRuns: 1000, seed: 44 },
    );
  });
});

describe('readBoundedTextFile (--mesh)', () => {
  it('reads a regular file and refuses devices, folders, pipes, missing and oversized files in one line', () => {
    const dir = tmp();
    const p = join(dir, 'm.msh');
    writeFileSync(p, '$MeshFormat\n4.1 0 8\n$EndMeshFormat\n');
    expect(readBoundedTextFile(p)).toBe('$MeshFormat\n4.1 0 8\n$EndMeshFormat\n');
    expect(() => readBoundedTextFile('/dev/zero')).toThrow('--mesh /dev/zero: is a device, not a regular file');
    expect(() => readBoundedTextFile(dir)).toThrow(`--mesh ${dir}: is a folder, not a regular file`);
    expect(() => readBoundedTextFile(join(dir, 'nope.msh'))).toThrow(new RegExp(`^--mesh ${join(dir, 'nope.msh')}: ENOENT: no such file or directory`));
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => readBoundedTextFile(fifo)).toThrow(`--mesh ${fifo}: is a pipe, not a regular file`); // and does not wait for a writer
    writeFileSync(p, 'x'.repeat(101));
    expect(() => readBoundedTextFile(p, '--mesh', 100)).toThrow(`--mesh ${p}: 101 bytes is above the limit of 100 bytes`);
    expect(readBoundedTextFile(p, 'mesh', 101)).toBe('x'.repeat(101));
  });
});

describe('plannedSteps suggestions', () => {
  it('prints the fitting end times without round-off noise', () => {
    expect(() => plannedSteps(0.35, 0.1)).toThrow('--t-end 0.35 is not a whole number of steps of --dt 0.1 (T/τ = 3.5); use e.g. --t-end 0.3 (3 steps) or 0.4');
  });
});
