/**
 * SDMM engines: the contract (types.ts), the float64 CPU engine and its building blocks (the
 * per-axis MLP on a whole 1D grid, AxisMlp, serves the initial fit's 1D regressions), the
 * TensorFlow.js engine (tfjs.ts, loaded on demand), and the choice between them (createEngine).
 */
import type { SdmmOptions } from '../options.js';
import { createCpuEngine } from './cpu-engine.js';
import type { EngineSetup, SdmmEngine } from './types.js';

export type { EngineObjective, EngineSetup, SdmmEngine } from './types.js';
export { createCpuEngine, evaluationWork, MIN_WORK_PER_THREAD, type CpuEngineOptions } from './cpu-engine.js';
export { AxisMlp } from './axis-mlp.js';

/** tfjs-node-gpu and tfjs-node: optional peer dependencies (their install downloads libtensorflow). */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Whether a native TensorFlow.js package is installed (resolvable), without loading it. */
async function nativeTfjsAvailable(): Promise<boolean> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  for (const pkg of NATIVE_PACKAGES) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      // not installed
    }
  }
  return false;
}

/**
 * The engine for a backend option (DESIGN.md §2, "Backends"):
 * - 'js': the float64 CPU engine (cpu-engine.ts), `threads` workers (0 = automatic);
 * - 'tensorflow', 'wasm', 'cpu': TensorFlow.js on that backend (float32, tfjs.ts);
 * - 'auto': TensorFlow.js on tfjs-node-gpu / tfjs-node when one is installed, else 'js'.
 * TensorFlow.js is imported only when a tfjs backend is chosen. Returns the engine and the name of
 * the backend that runs ('js', or the tfjs backend).
 */
export async function createEngine(
  backend: SdmmOptions['backend'],
  setup: EngineSetup,
  threads = 0,
): Promise<{ engine: SdmmEngine; backend: string }> {
  const choice = backend === 'auto' ? ((await nativeTfjsAvailable()) ? 'tensorflow' : 'js') : backend;
  if (choice === 'js') return { engine: createCpuEngine(threads > 0 ? { ...setup, threads } : setup), backend: 'js' };
  const { selectBackend } = await import('../backend.js');
  const { TfjsEngine } = await import('./tfjs.js');
  const tfBackend = await selectBackend(choice);
  return { engine: new TfjsEngine(setup, tfBackend), backend: tfBackend };
}
