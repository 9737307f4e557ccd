import * as tf from './tf.js';
import type { SdmmOptions } from './options.js';

/**
 * TensorFlow.js backend choice (DESIGN.md §2, "Backends").
 *
 * - `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (native TensorFlow): optional peer
 *   dependencies, detected at run time by a dynamic import, because their install script
 *   downloads libtensorflow from outside the npm registry. Both register the backend 'tensorflow'.
 * - `@tensorflow/tfjs-backend-wasm` (a dependency; its .wasm binaries ship in the npm package).
 * - 'cpu' (plain JavaScript) last.
 *
 * The backend is global to the process (tf.setBackend), so every solver in a process shares it.
 */

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Import a package by a computed name so TypeScript does not require it to be installed. */
async function optionalImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

async function tryNative(): Promise<string | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    if ((await optionalImport(pkg)) && tf.findBackendFactory('tensorflow') && (await tf.setBackend('tensorflow'))) {
      return pkg;
    }
  }
  return undefined;
}

async function tryWasm(): Promise<boolean> {
  if (!tf.findBackendFactory('wasm') && !(await optionalImport('@tensorflow/tfjs-backend-wasm'))) return false;
  try {
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Select and initialise a TensorFlow.js backend; returns the name of the backend that runs
 * ('tensorflow', 'wasm' or 'cpu'). A forced backend that is not available is an error.
 */
export async function selectBackend(preference: Exclude<SdmmOptions['backend'], 'js'>): Promise<string> {
  switch (preference) {
    case 'auto': {
      if (tf.getBackend() === 'tensorflow') return 'tensorflow';
      if ((await tryNative()) !== undefined) break;
      if (await tryWasm()) break;
      await tf.setBackend('cpu');
      break;
    }
    case 'tensorflow':
      if (tf.getBackend() !== 'tensorflow' && (await tryNative()) === undefined) {
        throw new Error(
          "backend 'tensorflow' is not available: install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu for CUDA), or use --backend wasm",
        );
      }
      break;
    case 'wasm':
      if (!(await tryWasm())) throw new Error("backend 'wasm' is not available: @tensorflow/tfjs-backend-wasm failed to load");
      break;
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error("backend 'cpu' is not available");
      break;
    default:
      throw new Error(`backend must be one of auto, tensorflow, wasm, cpu, got ${String(preference)}`);
  }
  await tf.ready();
  return tf.getBackend();
}
