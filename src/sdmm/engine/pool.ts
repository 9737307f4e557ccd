import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A fixed pool of worker threads that run numbered tasks on shared memory, driven synchronously
 * from the main thread: `run` publishes a task, does the main thread's own share, and blocks in
 * Atomics.wait until every worker has finished (allowed on Node's main thread). No messages are
 * exchanged after start-up, so a task costs two futex wake-ups, not a structured clone.
 *
 * Protocol on a shared Int32Array `control` (both sides live in this module):
 *   control[GENERATION] is bumped (and notified) to publish control[TASK]; each worker runs it and
 *   decrements control[PENDING], the last one notifies; control[READY] counts started workers;
 *   a worker that throws sets control[FAILED] = its index + 1 and writes its message (UTF-8) into
 *   the bytes after the header. TASK_STOP ends the workers' loops.
 *
 * Workers are unref'd (an idle pool never keeps a process alive) and ended by `dispose`.
 *
 * TypeScript workers: Node does not pass tsx's loader on to worker threads (and vitest runs its
 * own transform). Two ways to start one, both working under `tsx`, vitest and plain Node:
 *   'bundle' (default): the worker module and its imports bundled once per process into one
 *            CommonJS string by esbuild (the TypeScript compiler tsx itself uses, found through
 *            tsx's own dependency) and started with `eval`: ≈ 0.1 s for the first engine, then
 *            only the thread start (the tsx route costs 0.2–0.6 s per worker);
 *   'tsx':   the plain-JavaScript bootstrap worker-entry.mjs loads the module through tsx's
 *            tsImport; used when bundling is not possible.
 */
const GENERATION = 0;
const TASK = 1;
const PENDING = 2;
const READY = 3;
const FAILED = 4;
const HEADER_INTS = 8;
const MESSAGE_BYTES = 1024;
export const TASK_STOP = -1;
/** Start-up budget (tsx compiles the worker module on first use). */
const START_TIMEOUT_MS = 60_000;
/**
 * Longest single Atomics.wait of either side; each side then re-checks the shared counter it is
 * waiting on. Two long suite runs (ac1d, ~70 steps in, 1-minute load ≈ 20) hung with the main
 * thread and its one worker both asleep in a futex wait: a wake-up was lost, cause not found. With
 * bounded waits a lost wake-up costs at most this long instead of the run; a notified wait returns
 * at once as before, and an idle worker wakes 10 times a second (no measurable cost).
 */
export const WAKE_CHECK_MS = 100;
/** A task on which no worker makes progress for this long is a dead or hung worker: an error. */
const STALL_TIMEOUT_MS = 120_000;

/** Indices of the control block (the protocol above), for tests that drive a worker directly. */
export const CONTROL = Object.freeze({ GENERATION, TASK, PENDING, READY, FAILED });

/** The shared control block of a pool. */
export function createControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(HEADER_INTS * 4 + MESSAGE_BYTES));
}

function failureMessage(control: Int32Array): string {
  const bytes = new Uint8Array(control.buffer, HEADER_INTS * 4, MESSAGE_BYTES);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
}

/** Record a worker's failure (first one wins) and wake the main thread. */
export function reportFailure(control: Int32Array, worker: number, err: unknown): void {
  if (Atomics.compareExchange(control, FAILED, 0, worker + 1) !== 0) return;
  const text = new TextEncoder().encode(err instanceof Error ? err.message : String(err)).slice(0, MESSAGE_BYTES - 1);
  new Uint8Array(control.buffer, HEADER_INTS * 4, MESSAGE_BYTES).set(text);
  Atomics.store(control, PENDING, 0);
  Atomics.notify(control, PENDING);
  Atomics.notify(control, READY);
}

/**
 * The worker side: announce readiness, then run each published task with `handler` until
 * TASK_STOP. Never returns to the event loop while serving.
 */
export function serveTasks(control: Int32Array, worker: number, handler: (task: number) => void): void {
  let generation = Atomics.load(control, GENERATION);
  Atomics.add(control, READY, 1);
  Atomics.notify(control, READY);
  for (;;) {
    while (Atomics.load(control, GENERATION) === generation) Atomics.wait(control, GENERATION, generation, WAKE_CHECK_MS);
    generation = Atomics.load(control, GENERATION);
    const task = Atomics.load(control, TASK);
    if (task === TASK_STOP) return;
    try {
      handler(task);
    } catch (err) {
      reportFailure(control, worker, err);
      return;
    }
    if (Atomics.sub(control, PENDING, 1) === 1) Atomics.notify(control, PENDING);
  }
}

/** How workers load their TypeScript module (see the module comment). */
/** How TypeScript workers start (see the module comment); compiled JavaScript workers start natively. */
export type WorkerLoader = 'bundle' | 'tsx' | 'native';

/** Bundled worker sources by module URL (null: bundling failed, use tsx). */
const bundles = new Map<string, string | null>();

/** The module and its imports as one CommonJS script, or null if esbuild is not available. */
function bundledSource(module: URL): string | null {
  const cached = bundles.get(module.href);
  if (cached !== undefined) return cached;
  let code: string | null = null;
  try {
    const require = createRequire(import.meta.url);
    const esbuild = createRequire(require.resolve('tsx'))('esbuild') as {
      buildSync(o: Record<string, unknown>): { outputFiles: { text: string }[] };
    };
    const out = esbuild.buildSync({ entryPoints: [fileURLToPath(module)], bundle: true, format: 'cjs', platform: 'node', target: 'node20', write: false, logLevel: 'silent' });
    code = out.outputFiles[0].text;
  } catch {
    code = null;
  }
  bundles.set(module.href, code);
  return code;
}

export class WorkerPool {
  private readonly workers: Worker[];
  readonly loader: WorkerLoader;
  private ready = false;
  private disposed = false;
  /** Set when a task stalled: the workers' state is unknown, so the pool runs nothing more. */
  private broken: Error | null = null;
  /** How long a task may go without any worker finishing before `run` gives up (ms). */
  stallTimeoutMs = STALL_TIMEOUT_MS;

  /**
   * @param size    number of workers (the main thread is one more participant)
   * @param module  URL of the TypeScript (or JavaScript) worker module; it receives
   *                workerData = { ...data(w), control, worker: w } and should call serveTasks
   * @param loader  'bundle' (default; falls back to 'tsx' when esbuild cannot bundle) or 'tsx'
   */
  constructor(
    readonly size: number,
    module: URL,
    data: (worker: number) => Record<string, unknown>,
    loader: WorkerLoader = 'bundle',
    readonly control: Int32Array = createControl(),
  ) {
    // A compiled JavaScript module (the published package's dist/) starts as it is.
    const native = loader === 'native' || /\.m?js$/.test(module.pathname);
    const code = !native && loader === 'bundle' ? bundledSource(module) : null;
    /** The loader actually used. */
    this.loader = native ? 'native' : code === null ? 'tsx' : 'bundle';
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    this.workers = [];
    for (let w = 0; w < size; w++) {
      const workerData = { ...data(w), control: this.control, worker: w, module: module.href };
      const worker = native
        ? new Worker(module, { workerData })
        : code === null
          ? new Worker(entry, { workerData })
          : new Worker(code, { eval: true, workerData, execArgv: [] });
      worker.unref();
      this.workers.push(worker);
    }
  }

  private failure(): Error | null {
    const failed = Atomics.load(this.control, FAILED);
    return failed === 0 ? null : new Error(`SDMM engine worker ${failed - 1} failed: ${failureMessage(this.control)}`);
  }

  /** Block until every worker has started (the first `run` calls this). */
  waitReady(): void {
    if (this.ready) return;
    const c = this.control;
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      const failed = this.failure();
      if (failed) throw failed;
      const count = Atomics.load(c, READY);
      if (count >= this.size) break;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`SDMM engine: ${this.size - count} of ${this.size} worker threads did not start within ${START_TIMEOUT_MS / 1000} s`);
      Atomics.wait(c, READY, count, Math.min(left, 1000));
    }
    this.ready = true;
  }

  /** Run `task` on every worker while the main thread runs `own`; returns when all are done. */
  run(task: number, own: () => void): void {
    if (this.disposed) throw new Error('SDMM engine: worker pool used after dispose()');
    if (this.broken) throw this.broken;
    // A worker that failed has left its loop; the pool cannot run tasks any more.
    const failedBefore = this.failure();
    if (failedBefore) throw failedBefore;
    this.waitReady();
    const c = this.control;
    Atomics.store(c, TASK, task);
    Atomics.store(c, PENDING, this.size);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    let ownError: unknown = null;
    try {
      own();
    } catch (err) {
      ownError = err;
    }
    let last = -1;
    let since = performance.now();
    for (;;) {
      const pending = Atomics.load(c, PENDING);
      if (pending === 0) break;
      const now = performance.now();
      if (pending !== last) {
        last = pending;
        since = now;
      } else if (now - since > this.stallTimeoutMs) {
        this.broken = new Error(
          `SDMM engine: ${pending} of ${this.size} worker threads made no progress on a task for ${Math.round((now - since) / 1000)} s (a worker died or hangs); rerun with --threads 1`,
        );
        throw this.broken;
      }
      Atomics.wait(c, PENDING, pending, WAKE_CHECK_MS);
    }
    const failed = this.failure();
    if (ownError) throw ownError;
    if (failed) throw failed;
  }

  /** Stop and terminate the workers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.control, TASK, TASK_STOP);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}
