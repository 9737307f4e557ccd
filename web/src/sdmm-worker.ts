import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createSdmmSolver } from '../../src/sdmm/solver.js';
import { SDMM_ENGINE } from './engine.js';
import { sdmmOptions } from './settings.js';
import { serveSolver } from './solver-worker.js';

/**
 * The SDMM solver in its own Web Worker (entry point of dist/sdmm-worker.js), on the engine the
 * settings choose (web/src/engine.ts). Importing @tensorflow/tfjs-backend-wasm registers the
 * 'wasm' backend; its .wasm binaries are loaded, only when that engine is chosen, from the folder
 * this worker script was served from (the build copies them next to it).
 */
setWasmPaths(new URL('./', self.location.href).href);

serveSolver(async (problem, settings) => {
  let lastError: unknown = null;
  for (const backend of SDMM_ENGINE.backends(settings.engine)) {
    try {
      const solver = await createSdmmSolver(problem, sdmmOptions(settings, backend));
      const ran = solver.describe().backend;
      return { solver, engine: SDMM_ENGINE.label(typeof ran === 'string' ? ran : backend) };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
});
