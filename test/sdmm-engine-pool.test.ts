import { afterEach, expect, it } from 'vitest';
import { CONTROL, WorkerPool } from '../src/sdmm/engine/pool.js';

/**
 * The engine's worker pool protocol (src/sdmm/engine/pool.ts) under the failures seen in long
 * loaded runs: a lost wake-up must delay a task, not hang it; a worker that makes no progress must
 * become an error, not a hang.
 */
const MODULE = new URL('./fixtures/pool-worker.ts', import.meta.url);
let pool: WorkerPool | null = null;
afterEach(() => pool?.dispose());

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

it('a task published without its wake-up (a lost notify) is still run, and the pool goes on as before', () => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  pool = new WorkerPool(1, MODULE, () => ({ counter }));
  pool.waitReady();
  sleep(200); // the worker is now asleep in its wait on GENERATION
  const c = pool.control;
  Atomics.store(c, CONTROL.TASK, 7);
  Atomics.store(c, CONTROL.PENDING, 1);
  Atomics.add(c, CONTROL.GENERATION, 1); // … and no Atomics.notify
  const start = performance.now();
  while (Atomics.load(c, CONTROL.PENDING) !== 0 && performance.now() - start < 5000) Atomics.wait(c, CONTROL.PENDING, 1, 20);
  expect(Atomics.load(c, CONTROL.PENDING)).toBe(0);
  expect(counter[0]).toBe(7);
  pool.run(2, () => {});
  expect(counter[0]).toBe(9);
});

it('a task on which no worker makes progress within the stall timeout is an error, and the pool refuses further tasks', () => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  pool = new WorkerPool(1, MODULE, () => ({ counter }));
  pool.run(1, () => {});
  expect(counter[0]).toBe(1);
  pool.stallTimeoutMs = 300;
  expect(() => pool!.run(13, () => {})).toThrow(/1 of 1 worker threads made no progress on a task for 0 s .*--threads 1/);
  expect(() => pool!.run(1, () => {})).toThrow(/made no progress/);
});
