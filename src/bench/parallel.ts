import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveSuite, type SuiteConfig } from './config.js';
import { SuiteLayout } from './layout.js';
import type { SuiteResults } from './results.js';
import { lockSuiteFolder, planSuite, referenceTask, runIsDone, runSuite, type SuiteOptions, type SuiteTask } from './suite.js';

/**
 * Scale-out of a suite (`allen-cahn bench --jobs N --shard i/n`):
 *
 * - a shard i/n (1 ≤ i ≤ n) is the deterministic subset of the non-reference runs whose plan
 *   index k (planSuite) has k mod n = i − 1; a problem's reference runs in every shard that needs
 *   it (it is the same FEM run everywhere), so shards share nothing and run on separate machines
 *   (a Slurm job array, GNU parallel, Kubernetes indexed jobs) into separate folders, which
 *   `allen-cahn bench report <dirs…>` (merge.ts) joins;
 * - `jobs` worker processes (worker.ts) share one machine: first the references that are not on
 *   disk yet (one problem per worker at a time), then the runs, handed out one at a time to
 *   whichever worker is free. Runs write only into their own folders, so they never contend.
 *
 * Either way the tables come from a final pass of runSuite in this process over the same
 * selection: every run then has its bench.json and is re-measured from its files (the skip path),
 * so a parallel or sharded summary equals a sequential one apart from the wall times.
 */

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parse 'i/n' with 1 ≤ i ≤ n; throws a one-line error naming the flag. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`--shard: expected i/n with 1 ≤ i ≤ n, got '${text}'`);
  return { index, count };
}

/** The shard's runs; references are run on demand by runSuite (see SuiteOptions.select). */
export function shardSelect(shard: Shard | undefined): (t: SuiteTask) => boolean {
  if (!shard || shard.count === 1) return () => true;
  return (t) => t.role !== 'reference' && t.index % shard.count === shard.index - 1;
}

/** What a worker is asked to run: the references of some problems, or one run by plan index. */
export type WorkerJob = { references: string[] } | { index: number };

export interface ParallelOptions extends SuiteOptions {
  /** Worker processes (1: everything in this process, as runSuite). */
  jobs: number;
  shard?: Shard;
  /** The worker's entry module (default: worker.js beside this file; tests may pass another). */
  workerModule?: string;
}

function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/parallel\.(ts|js)$/, (_m, ext: string) => `worker.${ext}`);
}

/** A forked worker that runs jobs one at a time; resolves each job when the worker reports it done. */
class Worker {
  readonly child: ChildProcess;
  private pending: (() => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  constructor(module: string, init: { suite: SuiteConfig; root: string; id: number; referenceCommand?: string }, log: (line: string) => void) {
    // Running from TypeScript sources (tests, npm scripts): the worker needs tsx's loader too.
    const execArgv = module.endsWith('.ts') ? ['--import', 'tsx'] : [];
    this.child = fork(module, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { type: string; line?: string }) => {
      if (m.type === 'log') log(`[worker ${init.id}] ${m.line}`);
      if (m.type === 'done') {
        const p = this.pending;
        this.pending = this.failed = null;
        p?.();
      }
    });
    this.child.on('exit', (code) => {
      const f = this.failed;
      this.pending = this.failed = null;
      f?.(new Error(`bench worker ${init.id} exited with code ${code} during a job`));
    });
    this.child.send({ type: 'init', ...init });
  }
  run(job: WorkerJob): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending = resolve;
      this.failed = reject;
      this.child.send({ type: 'run', job });
    });
  }
  close(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'exit' });
    });
  }
}

/** Hand `jobs` to `workers`, each taking the next job when free. */
async function drain(workers: Worker[], jobs: WorkerJob[], signal: AbortSignal | undefined): Promise<void> {
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < jobs.length && !signal?.aborted) await w.run(jobs[next++]);
    }),
  );
}

/**
 * Run a suite (or one shard of it, or the selection `options.select` makes, e.g. only the
 * references) with `jobs` worker processes, then write its tables and report.
 */
export async function runSuiteParallel(suite: SuiteConfig, options: ParallelOptions): Promise<SuiteResults> {
  const shard = shardSelect(options.shard);
  const chosen = options.select;
  const select = chosen ? (t: SuiteTask) => chosen(t) && shard(t) : shard;
  if (options.jobs <= 1) return runSuite(suite, { ...options, select });
  // The parent holds the suite folder's lock for itself and its workers (a second bench into the
  // same --root is refused while any of them runs).
  const lock = lockSuiteFolder(new SuiteLayout(options.root ?? 'results', suite.name));
  try {
    return await runWithWorkers(suite, options, select);
  } finally {
    lock.release();
  }
}

async function runWithWorkers(suite: SuiteConfig, options: ParallelOptions, select: (t: SuiteTask) => boolean): Promise<SuiteResults> {
  const root = options.root ?? 'results';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const layout = new SuiteLayout(root, suite.name);
  const all = planSuite(suite);
  const plan = all.filter((t) => t.role !== 'reference' && select(t));
  // References needed by the selected runs, or selected themselves, that are not done yet (missing,
  // or cached under another run key: other settings or code).
  const problems = new Set([...plan, ...all.filter((t) => t.role === 'reference' && select(t))].map((t) => t.problem));
  const refs = resolveSuite(suite)
    .filter((p) => problems.has(p.id) && !runIsDone(referenceTask(p, layout), suite))
    .map((p) => p.id);
  const runs: WorkerJob[] = plan.map((t) => ({ index: t.index }));
  const n = Math.min(options.jobs, Math.max(refs.length, runs.length, 1));
  const workers = Array.from({ length: n }, (_, id) => new Worker(options.workerModule ?? workerPath(), { suite, root, id: id + 1, referenceCommand: options.referenceCommand }, log));
  const stop = () => {
    for (const w of workers) w.child.kill('SIGINT');
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    await drain(workers, refs.map((p) => ({ references: [p] })), options.signal);
    await drain(workers, runs, options.signal);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await Promise.all(workers.map((w) => w.close()));
  }
  // Interrupted: the workers have checkpointed their runs; leave the tables of an earlier
  // complete pass alone (the next start resumes and writes them).
  return runSuite(suite, { ...options, select, lockHeld: true, ...(options.signal?.aborted ? { tables: false } : {}) });
}
