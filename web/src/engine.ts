import type { SdmmOptions } from '../../src/sdmm/options.js';
import type { WebSdmmEngine } from './settings.js';

/**
 * The one place that says how each SDMM engine setting of the page (WebSettings.engine) computes,
 * and how the page names it.
 *
 * - 'js' (the default): the library's float64 CPU engine (src/sdmm/engine/cpu-engine.ts) on the
 *   SDMM worker's own thread (its thread pool is Node's worker_threads). Everything from u₀ to the
 *   energies is +, −, ×, ÷, √ (which IEEE 754 fixes to the bit) or the portable tanh, atanh, cos, …
 *   of src/util/portable-math.ts, never V8's Math functions (their last bit differs between V8
 *   versions), so the page reproduces the Node run of the same settings bit for bit
 *   (test/web.test.ts).
 * - 'wasm': TensorFlow.js with its WebAssembly backend (float32), loaded from the page's own folder
 *   (dist/ holds the .wasm binaries, so the page works offline), falling back to TensorFlow.js'
 *   plain-JavaScript 'cpu' backend if WebAssembly fails to start. It agrees with Node's wasm run
 *   to float32 precision amplified by the fit and the steps (measured 7e-5 after 5 steps).
 */
export const SDMM_ENGINE = {
  /** Backends to try in order (SdmmOptions['backend'] values) for an engine setting; the first that starts is used. */
  backends(engine: WebSdmmEngine): readonly SdmmOptions['backend'][] {
    return engine === 'js' ? ['js'] : ['wasm', 'cpu'];
  },
  /** Human-readable name of a backend that ran, for the page. */
  label(backend: string): string {
    if (backend === 'js') return 'float64 CPU engine (JavaScript, 1 thread)';
    if (backend === 'wasm') return 'TensorFlow.js wasm backend (float32, energies in float64)';
    if (backend === 'cpu') return 'TensorFlow.js cpu backend (float32, energies in float64)';
    return `TensorFlow.js ${backend} backend (float32)`;
  },
};

/** How the FEM computes (the library's own float64 code; nothing to choose). */
export const FEM_ENGINE_LABEL = 'JavaScript, float64';
