import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressBar } from '../src/cli/progress.js';
import { checkCovers, interpolateGrid, readGridField, toGridField } from '../src/io/field.js';
import { gridToVtu, writeVtu } from '../src/io/vtk.js';
import { readStepsCsv } from '../src/io/csv.js';
import { makeProblem } from '../src/physics/problems.js';
import { createSdmmSolver } from '../src/sdmm/index.js';
import type { SolverProgress } from '../src/solver.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-initial-'));
const BIN = join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A bilinear field b(x, y) = 0.3 + 0.2x − 0.1y + 0.05xy: interpolation reproduces it exactly. */
const b = (x: number, y: number) => 0.3 + 0.2 * x - 0.1 * y + 0.05 * x * y;

/** CSV rows x, y, u on an (nx × ny) grid over [x0, x1] × [y0, y1], written in a shuffled order. */
function gridCsv(path: string, nx: number, ny: number, x1 = 1, y1 = 1): void {
  const rows: string[] = [];
  for (let j = ny - 1; j >= 0; j--) for (let i = 0; i < nx; i++) rows.push(`${(i * x1) / (nx - 1)},${(j * y1) / (ny - 1)},${b((i * x1) / (nx - 1), (j * y1) / (ny - 1))}`);
  writeFileSync(path, ['x,y,u', ...rows].join('\n') + '\n');
}

describe('a field file as u₀ (io/field.ts)', () => {
  it('interpolates a bilinear field exactly between grid points, from CSV and from VTU', () => {
    gridCsv(join(dir, 'b.csv'), 5, 4);
    const points = new Float64Array(2 * 20);
    const values = new Float64Array(20);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) {
      points.set([i / 4, j / 3], 2 * (i * 4 + j));
      values[i * 4 + j] = b(i / 4, j / 3);
    }
    writeVtu(join(dir, 'b.vtu'), { dim: 2, points, cellType: 'quadrilateral', cells: new Uint32Array(0), pointData: { u: values } });
    for (const f of ['b.csv', 'b.vtu']) {
      const field = readGridField(join(dir, f), 2);
      for (const [x, y] of [[0, 0], [1, 1], [0.37, 0.81], [0.999, 0.001], [0.5, 1 / 3]]) expect(interpolateGrid(field, [x, y])).toBeCloseTo(b(x, y), 14);
    }
    // 1D: linear between the points
    const line = toGridField(Float64Array.of(0, 1, 0.5), Float64Array.of(2, 4, 5), 1, 'line');
    expect(interpolateGrid(line, [0.25])).toBe(3.5);
    expect(interpolateGrid(line, [0.75])).toBe(4.5);
  });

  it('refuses what is not a covering grid, in one line naming the file', () => {
    gridCsv(join(dir, 'half.csv'), 3, 3, 0.5, 1);
    expect(() => checkCovers(readGridField(join(dir, 'half.csv'), 2), { min: [0, 0], max: [1, 1] }, 'half.csv')).toThrow(
      'half.csv: the field covers [0, 0.5]×[0, 1], which does not cover the domain [0, 1]×[0, 1]',
    );
    writeFileSync(join(dir, 'scattered.csv'), 'x,y,u\n0,0,1\n1,0,1\n0.5,0.7,1\n');
    expect(() => readGridField(join(dir, 'scattered.csv'), 2)).toThrow(`${join(dir, 'scattered.csv')}: the 3 points are not a rectilinear grid (3 × 2 distinct coordinates)`);
    writeFileSync(join(dir, 'cols.csv'), 'a,b,c\n0,0,1\n');
    expect(() => readGridField(join(dir, 'cols.csv'), 2)).toThrow("needs columns x, y, u; the header is 'a,b,c'");
    expect(() => readGridField(join(dir, 'field.txt'), 2)).toThrow('field.txt: no such file');
  });
});

describe('allen-cahn run --initial', () => {
  it('starts from the file: step 0 of a FEM run has the bilinear field at its nodes; results on stdout, nothing else', async () => {
    gridCsv(join(dir, 'u0.csv'), 5, 5);
    const out = join(dir, 'run');
    // ε = 0.2 is resolved by the 8×8 mesh (largest cell diameter √2/8 ≈ 0.177), so no
    // under-resolved warning either: stderr stays empty.
    const r = await cli(['run', '--problem', 'star', '--scheme', 'stabilized', '--n', '8', '--epsilon', '0.2', '--t-end', '0.0002', '--initial', join(dir, 'u0.csv'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^star \(reduced\) fem-stabilized: 2 steps/);
    const step0 = readStepsCsv(join(out, 'steps.csv')).rows[0];
    // min and max of b over the nodes are at the corners: b(0, 1) = 0.2, b(1, 0) = 0.5
    expect(step0.minU).toBeCloseTo(0.2, 14);
    expect(step0.maxU).toBeCloseTo(0.5, 14);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).run.initial).toBe(join(dir, 'u0.csv'));
  });

  it('exits 1 with one line for a field that does not cover the domain', async () => {
    const r = await cli(['run', '--problem', 'star', '--initial', join(dir, 'half.csv'), '--out', join(dir, 'never')]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `allen-cahn: ${join(dir, 'half.csv')}: the field covers [0, 0.5]×[0, 1], which does not cover the domain [0, 1]×[0, 1]\n` });
  });
});

describe('progress of the SDMM initial fit', () => {
  it('initialise(onProgress) reports each fit phase from 0 iterations, counts within the cap', async () => {
    const solver = await createSdmmSolver(makeProblem('star', 'reduced', { n: 8 }), { rank: 2, width: 4, quadElements: 4, fitMaxIters: 120, fitTolerance: 0.9, backend: 'cpu' });
    const seen: SolverProgress[] = [];
    await solver.initialise((p) => seen.push(p));
    solver.dispose();
    // The fit's phases (src/sdmm/fit.ts): a regression per axis, then L-BFGS on the MSE of u; each
    // reported at its start (0), every 50 iterations, and at its end (its count).
    expect(seen[0]).toEqual({ phase: 'initial fit axis0', iterations: 0, maxIterations: 120 });
    expect([...new Set(seen.map((p) => p.phase))]).toEqual(['initial fit axis0', 'initial fit axis1', 'initial fit u']);
    expect(seen.every((p) => p.iterations <= 120)).toBe(true);
  });

  it('the progress display writes its set-up line to the given (stderr) stream, and nothing off a terminal', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    progressBar('star sdmm', tty).onProgress?.({ phase: 'initial fit adam(s)', iterations: 50, maxIterations: 20000 });
    expect(written).toEqual(['\r\x1b[2Kstar sdmm | initial fit adam(s): 50/20000 iterations']);
    expect(progressBar('x', { isTTY: false } as NodeJS.WriteStream)).toEqual({});
  });
});
