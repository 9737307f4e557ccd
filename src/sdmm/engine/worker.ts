import { workerData } from 'node:worker_threads';
import { GridKernel, gridBuffers, type GridGeometry, type GridTaskCode } from './grid.js';
import { serveTasks } from './pool.js';

/**
 * An engine worker thread: maps the engine's shared grid buffers, builds its own GridKernel
 * (line workspace) and runs grid tasks on its block of lines (thread index worker + 1; the main
 * thread is thread 0) until the pool stops.
 */
const data = workerData as { memory: SharedArrayBuffer; geometry: GridGeometry; control: Int32Array; worker: number };
const { buffers } = gridBuffers(data.geometry, data.memory);
const kernel = new GridKernel(data.geometry, buffers);
serveTasks(data.control, data.worker, (task) => kernel.run(task as GridTaskCode, data.worker + 1));
