import { workerData } from 'node:worker_threads';
import type { NetworkLayout } from '../network.js';
import { gridBuffers, type GridGeometry } from './grid.js';
import { reportFailure, serveTasks } from './pool.js';
import { EngineThread } from './thread.js';
import { simdKernels } from './wasm.js';

/**
 * An engine worker thread: maps the engine's shared buffers and runs the phases of thread
 * worker + 1 (EngineThread; the main thread is thread 0) until the pool stops.
 */
const data = workerData as {
  memory: SharedArrayBuffer;
  /** The WebAssembly.Memory whose buffer `memory` is, when the engine uses the SIMD kernels. */
  wasmMemory: WebAssembly.Memory | null;
  geometry: GridGeometry;
  layout: NetworkLayout;
  coordinates: Float64Array[];
  theta: Float64Array;
  grads: Float64Array[];
  control: Int32Array;
  worker: number;
};
try {
  const { buffers } = gridBuffers(data.geometry, data.memory);
  const simd = data.wasmMemory ? simdKernels(data.wasmMemory) : null;
  if (data.geometry.simd && !simd) throw new Error('WebAssembly SIMD kernels are not available in this worker');
  const thread = new EngineThread(data.worker + 1, data.geometry, buffers, data.layout, data.coordinates, data.theta, data.grads[data.worker + 1], simd);
  serveTasks(data.control, data.worker, (code) => thread.run(code));
} catch (err) {
  // A failure to set up is reported through the shared control block (the main thread is blocked).
  reportFailure(data.control, data.worker, err);
}
