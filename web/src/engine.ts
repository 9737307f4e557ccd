/**
 * The one place that chooses how SDMM computes in the browser, and how the page names it.
 *
 * Now: TensorFlow.js with its WebAssembly backend (float32), loaded from the page's own folder
 * (dist/ holds the .wasm binaries, so the page works offline), falling back to TensorFlow.js'
 * plain-JavaScript 'cpu' backend if WebAssembly fails to start. The wasm backend reproduces the
 * Node run of the same settings (the Node library picks wasm too where tfjs-node is absent).
 * Planned: the float64 CPU engine of src/sdmm/engine/ in Web Workers, once it is merged; switch
 * here (and in sdmm-worker.ts, which imports the TensorFlow.js backend) and nowhere else.
 */
export const SDMM_ENGINE = {
  /** Backends to try in order (SdmmOptions['backend'] values); the first that starts is used. */
  backends: ['wasm', 'cpu'] as const,
  /** Human-readable name of a backend that ran, for the page. */
  label(backend: string): string {
    if (backend === 'js') return 'float64 CPU engine (JavaScript)';
    if (backend === 'wasm') return 'TensorFlow.js wasm backend (float32, energies in float64)';
    if (backend === 'cpu') return 'TensorFlow.js cpu backend (float32, energies in float64)';
    return `TensorFlow.js ${backend} backend (float32)`;
  },
};

/** How the FEM computes (the library's own float64 code; nothing to choose). */
export const FEM_ENGINE_LABEL = 'JavaScript, float64';
