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

/** A worker process ended during a job (killed, out of memory, crashed): the job did not finish. */
class WorkerDied extends Error {}

/** A forked worker that runs jobs one at a time; resolves each job when the worker reports it done. */
class Worker {
  readonly child: ChildProcess;
  private pending: (() => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  constructor(
    module: string,
    readonly init: { suite: SuiteConfig; root: string; id: number; referenceCommand?: string },
    log: (line: string) => void,
  ) {
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
    // A message to a worker that has just died fails with ERR_IPC_CHANNEL_CLOSED: its 'exit' says
    // what happened, so the channel error itself is not news (unhandled, it would end the parent).
    this.child.on('error', () => {});
    this.child.on('exit', (code, signal) => {
      const f = this.failed;
      this.pending = this.failed = null;
      f?.(new WorkerDied(signal ? `bench worker ${init.id} was killed by ${signal}` : `bench worker ${init.id} exited with code ${code}`));
    });
    this.child.send({ type: 'init', ...init });
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }
  run(job: WorkerJob): Promise<void> {
    if (!this.alive) return Promise.reject(new WorkerDied(`bench worker ${this.init.id} is not running`));
    return new Promise((resolve, reject) => {
      this.pending = resolve;
      this.failed = reject;
      this.child.send({ type: 'run', job });
    });
  }
  close(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'exit' });
    });
  }
}

/** How often a job is tried in a fresh worker process when its worker dies (the first try included). */
const ATTEMPTS = 2;

/**
 * Hand `jobs` to `workers`, each taking the next job when free. A worker that dies during a job
 * is replaced (`spawn`) and the job tried again in the new one, which resumes a run from its
 * checkpoint; after ATTEMPTS deaths a run is handed to `lost` (the suite records it as failed) and
 * the others go on, while a reference stops the suite (every run of its problem needs it).
 */
async function drain(
  workers: Worker[],
  jobs: WorkerJob[],
  signal: AbortSignal | undefined,
  spawn: (id: number) => Worker,
  lost: (job: { index: number }, reason: string) => void,
  log: (line: string) => void,
): Promise<void> {
  let next = 0;
  await Promise.all(
    workers.map(async (_, slot) => {
      while (next < jobs.length && !signal?.aborted) {
        const job = jobs[next++];
        for (let attempt = 1; ; attempt++) {
          try {
            await workers[slot].run(job);
            break;
          } catch (e) {
            if (!(e instanceof WorkerDied) || signal?.aborted) throw e;
            const what = 'references' in job ? `the reference of ${job.references.join(', ')}` : `run ${job.index}`;
            workers[slot] = spawn(slot + 1);
            if (attempt < ATTEMPTS) {
              log(`${e.message} during ${what}; trying it again in a new worker (a run resumes from its checkpoint)`);
              continue;
            }
            const reason = `${e.message} ${ATTEMPTS} times during this run (out of memory?); its checkpoint is kept, run the suite again to resume it`;
            if ('references' in job) throw new Error(`${e.message} ${ATTEMPTS} times while computing ${what}; run the suite again to resume it`);
            log(`${e.message} again during ${what}: recorded as failed`);
            lost(job, reason);
            break;
          }
        }
      }
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
  const spawn = (id: number) => new Worker(options.workerModule ?? workerPath(), { suite, root, id, referenceCommand: options.referenceCommand }, log);
  const workers = Array.from({ length: n }, (_, i) => spawn(i + 1));
  const lostRuns = new Map<number, string>();
  const lost = (job: { index: number }, reason: string) => lostRuns.set(job.index, reason);
  const stop = () => {
    for (const w of workers) if (w.alive) w.child.kill('SIGINT');
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    await drain(workers, refs.map((p) => ({ references: [p] })), options.signal, spawn, lost, log);
    await drain(workers, runs, options.signal, spawn, lost, log);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await Promise.all(workers.map((w) => w.close()));
  }
  // Interrupted: the workers have checkpointed their runs; leave the tables of an earlier
  // complete pass alone (the next start resumes and writes them).
  return runSuite(suite, { ...options, select, lockHeld: true, lostRuns, ...(options.signal?.aborted ? { tables: false } : {}) });
}
