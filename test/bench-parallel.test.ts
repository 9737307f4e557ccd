import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite } from '../src/bench/config.js';
import { mergeShards } from '../src/bench/merge.js';
import { parseShard, runSuiteParallel, shardSelect } from '../src/bench/parallel.js';
import { planSuite, runSuite } from '../src/bench/suite.js';
import { parseCsv } from '../src/io/csv.js';
import { decayDeps } from './bench-fixtures.js';

/** summary.csv without the wall-time columns (the only ones a parallel or sharded run may change). */
function summaryWithoutWalls(dir: string): string[][] {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'summary.csv'), 'utf8')).records;
  const keep = header.map((h, i) => (h === 'total_wall_ms' || h === 'ms_per_step' ? -1 : i)).filter((i) => i >= 0);
  return [header, ...rows].map((r) => keep.map((i) => r[i]));
}

// Two problems, four solver runs and a two-entry sweep on the decay fixture (bench-fixtures.ts).
const suite = parseSuite(
  JSON.stringify({
    name: 'tiny',
    grid: 17,
    reference: { nFactor: 2, tauDivisor: 2 },
    problems: [
      { name: 'circle', overrides: { tEnd: 0.0005 }, solvers: [{ kind: 'fem', scheme: 'mms-newton', n: 32 }, { kind: 'fem', scheme: 'stabilized', n: 16 }] },
      { name: 'star', overrides: { tEnd: 0.0003 }, solvers: [{ kind: 'fem', scheme: 'convex-split', n: 16 }, { kind: 'fem', scheme: 'stabilized', n: 8 }] },
    ],
    sweep: { problems: ['circle'], targets: [1e-2], solvers: [{ kind: 'fem', scheme: 'stabilized', n: 8 }, { kind: 'fem', scheme: 'stabilized', n: 64 }] },
  }),
  'tiny.json',
);

describe('shards', () => {
  it('parses i/n and rejects the rest with one line', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1']) expect(() => parseShard(bad)).toThrow(`--shard: expected i/n with 1 ≤ i ≤ n, got '${bad}'`);
  });

  it('partition the non-reference runs: every run in exactly one shard', () => {
    const runs = planSuite(suite).filter((t) => t.role !== 'reference');
    expect(runs.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const n of [1, 2, 3, 7]) {
      const owners = runs.map((t) => Array.from({ length: n }, (_, i) => shardSelect({ index: i + 1, count: n })(t)).filter(Boolean).length);
      expect(owners).toEqual(runs.map(() => 1));
    }
  });

  it('two shards merged by "bench report" give the summary of a single run (wall times aside)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'bench-shards-'));
    const single = await runSuite(suite, { root: join(base, 'single'), deps: decayDeps(), log: () => {} });
    for (const i of [1, 2]) {
      const part = await runSuite(suite, { root: join(base, `shard${i}`), deps: decayDeps(), log: () => {}, select: shardSelect({ index: i, count: 2 }) });
      // Shard 1 holds runs 0, 2, 4; shard 2 runs 1, 3, 5; each with the references it needed.
      expect(part.runs.filter((r) => r.role !== 'reference')).toHaveLength(3);
    }
    const merged = await mergeShards([join(base, 'shard1', 'tiny'), join(base, 'shard2', 'tiny')], { root: join(base, 'merged'), deps: decayDeps(), log: () => {} });
    expect(merged.runs.map((r) => `${r.problem}/${r.label}`)).toEqual(single.runs.map((r) => `${r.problem}/${r.label}`));
    expect(summaryWithoutWalls(join(base, 'merged', 'tiny'))).toEqual(summaryWithoutWalls(join(base, 'single', 'tiny')));
    expect(readFileSync(join(base, 'merged', 'tiny', 'time-to-accuracy.csv'), 'utf8').split('\n')[1].split(',').slice(0, 4)).toEqual(
      readFileSync(join(base, 'single', 'tiny', 'time-to-accuracy.csv'), 'utf8').split('\n')[1].split(',').slice(0, 4),
    );
    // One shard alone is not the whole suite.
    await expect(mergeShards([join(base, 'shard1', 'tiny')], { root: join(base, 'alone'), deps: decayDeps(), log: () => {} })).rejects.toThrow(
      /^bench report: circle\/fem-stabilized-n16 is finished in none of /,
    );
  });
});

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('allen-cahn bench --jobs', () => {
  it('two worker processes give the summary of one (wall times aside), with the workers\' lines on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-jobs-'));
    writeFileSync(
      join(dir, 'small.json'),
      JSON.stringify({
        name: 'small',
        grid: 9,
        reference: { nFactor: 1, tauDivisor: 1 },
        problems: [
          { name: 'front1d', overrides: { tEnd: 0.05, n: 20 }, solvers: [{ kind: 'fem', scheme: 'mms-newton' }, { kind: 'fem', scheme: 'stabilized' }, { kind: 'fem', scheme: 'convex-split' }] },
          { name: 'circle', overrides: { tEnd: 0.0003, n: 8 }, solvers: [{ kind: 'fem', scheme: 'stabilized' }] },
        ],
      }),
    );
    const one = await cli(['bench', join(dir, 'small.json'), '--root', join(dir, 'one'), '--jobs', '1', '--no-report']);
    const two = await cli(['bench', join(dir, 'small.json'), '--root', join(dir, 'two'), '--jobs', '2', '--no-report']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stderr).toMatch(/\[worker [12]\] front1d\/fem-convex-split-n20: completed/);
    expect(two.stderr).toContain('done: 6 runs (0 failed)');
    expect(summaryWithoutWalls(join(dir, 'two', 'small'))).toEqual(summaryWithoutWalls(join(dir, 'one', 'small')));
  });
});

describe('allen-cahn bench --jobs 2 and Ctrl-C', () => {
  it('forwards the interrupt to the workers, which checkpoint their runs; exit 130, no empty summary written; a second start resumes to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-jobs-int-'));
    // Paper-scale τ (2000 steps) on 32² meshes: long enough (seconds) to be interrupted mid-run.
    writeFileSync(
      join(dir, 'long.json'),
      JSON.stringify({
        name: 'long',
        grid: 9,
        checkpointEvery: 5,
        reference: { nFactor: 1, tauDivisor: 1 },
        problems: [{ name: 'star', scale: 'paper', overrides: { n: 32, tEnd: 0.02 }, solvers: [{ kind: 'fem', scheme: 'stabilized' }, { kind: 'fem', scheme: 'convex-split' }] }],
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts'), 'bench', join(dir, 'long.json'), '--root', dir, '--jobs', '2', '--no-report'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Listen for the end from the start: a run that ends before the kill must fail, not hang.
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const t0 = Date.now();
    while (!/\[worker \d\] star\/fem-(stabilized|convex-split)-n32: starting/.test(stderr)) {
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() - t0 > 60_000) throw new Error(`no worker started a run in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await closed;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: \d+ runs/);
    // at least one worker was inside a run: it stopped after a step and checkpointed
    expect(stderr).toMatch(/\[worker \d\] star\/(reference|fem-[a-z-]+-n32): interrupted/);
    expect(existsSync(join(dir, 'long', 'summary.csv'))).toBe(false);
    const again = await cli(['bench', join(dir, 'long.json'), '--root', dir, '--jobs', '2', '--no-report']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('done: 3 runs (0 failed)');
  });
});


describe('a bench worker that dies during a run (killed, out of memory)', () => {
  // Four short FEM runs (plan indices 0–3); run 1 is the one whose worker dies.
  const small = parseSuite(
    JSON.stringify({
      name: 'small',
      grid: 9,
      reference: { nFactor: 1, tauDivisor: 1 },
      problems: [{ name: 'front1d', overrides: { tEnd: 0.05, n: 20 }, solvers: ['mms-newton', 'stabilized', 'convex-split'].map((scheme) => ({ kind: 'fem', scheme })) }, { name: 'circle', overrides: { tEnd: 0.0003, n: 8 }, solvers: [{ kind: 'fem', scheme: 'stabilized' }] }],
    }),
    'small.json',
  );
  const workerModule = join(import.meta.dirname, 'fixtures', 'dying-bench-worker.ts');

  async function withDyingWorker(times: number, root: string, lines: string[]) {
    const counter = join(root, 'deaths');
    Object.assign(process.env, { BENCH_DIE_ON_RUN: '1', BENCH_DIE_TIMES: String(times), BENCH_DIE_COUNTER: counter });
    try {
      const results = await runSuiteParallel(small, { root, deps: decayDeps(), jobs: 2, workerModule, log: (l) => lines.push(l) });
      return { results, deaths: Number(readFileSync(counter, 'utf8')) };
    } finally {
      for (const k of ['BENCH_DIE_ON_RUN', 'BENCH_DIE_TIMES', 'BENCH_DIE_COUNTER']) delete process.env[k];
    }
  }

  it('once: the run is tried again in a new worker and the suite completes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-die-once-'));
    const lines: string[] = [];
    const { results, deaths } = await withDyingWorker(1, root, lines);
    expect(deaths).toBe(1);
    expect(lines.join('\n')).toMatch(/bench worker [12] was killed by SIGKILL during run 1; trying it again in a new worker/);
    expect(results.runs.filter((r) => r.role !== 'reference').map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('twice: that run is recorded as failed with the reason, the others complete, and the next start runs it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-die-twice-'));
    const lines: string[] = [];
    const { results, deaths } = await withDyingWorker(2, root, lines);
    expect(deaths).toBe(2);
    const runs = results.runs.filter((r) => r.role !== 'reference');
    expect(runs.map((r) => r.status)).toEqual(['completed', 'failed', 'completed', 'completed']);
    expect(runs[1].reason).toMatch(/^bench worker [12] was killed by SIGKILL 2 times during this run \(out of memory\?\); its checkpoint is kept, run the suite again to resume it$/);
    const summary = readFileSync(join(root, 'small', 'summary.csv'), 'utf8');
    expect(summary).toContain('killed by SIGKILL 2 times');
    // Nothing marks it done, so a second start (no more deaths) runs it and skips the rest.
    const again: string[] = [];
    const second = await runSuiteParallel(small, { root, deps: decayDeps(), jobs: 2, workerModule: join(import.meta.dirname, '..', 'src', 'bench', 'worker.ts'), log: (l) => again.push(l) });
    expect(second.runs.filter((r) => r.role !== 'reference').map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(again.filter((l) => /already done \(completed\), skipped/.test(l)).length).toBeGreaterThanOrEqual(3);
  });
});
