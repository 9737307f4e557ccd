import type { StepRecord } from '../../src/solver.js';
import type { WebSettings } from './settings.js';

/**
 * Messages between the page and a solver worker (one worker per solver). The page drives: it
 * sends `init`, then one `step` at a time, and decides after each reply whether to send the
 * next, so pausing never interrupts a step. Reset terminates the worker and starts a new one
 * (an SDMM fit can take seconds; terminating is the only way to stop it at once).
 */
export type ToWorker =
  | { type: 'init'; settings: WebSettings; grid: number }
  | { type: 'step' };

/** u on the display grid: k×k uniform points over [0,1]², point (i, j) at index i·k + j (src/solver.ts uniformGrid). */
export type FromWorker =
  | { type: 'ready'; engine: string; describe: Record<string, unknown> }
  | { type: 'record'; record: StepRecord; field: Float64Array }
  | { type: 'error'; message: string; step: number | null };
