/**
 * SDMM engines: the contract (types.ts), the float64 CPU engine and its building blocks. The
 * per-axis MLP on a whole 1D grid (AxisMlp) is exported for 1D regressions of an axis's features.
 */
export type { EngineObjective, EngineSetup, SdmmEngine } from './types.js';
export { createCpuEngine, evaluationWork, MIN_WORK_PER_THREAD, type CpuEngineOptions } from './cpu-engine.js';
export { AxisMlp } from './axis-mlp.js';
