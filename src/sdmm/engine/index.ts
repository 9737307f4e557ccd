import { selectBackend } from '../backend.js';
import type { SdmmOptions } from '../options.js';
import { TfjsEngine } from './tfjs.js';
import type { EngineSetup, SdmmEngine } from './types.js';

export type { EngineObjective, EngineSetup, SdmmEngine } from './types.js';

/**
 * The engine for a backend option: TensorFlow.js on the selected tfjs backend. Returns the engine
 * and the name of the backend that runs.
 */
export async function createEngine(backend: SdmmOptions['backend'], setup: EngineSetup): Promise<{ engine: SdmmEngine; backend: string }> {
  const tfBackend = await selectBackend(backend);
  return { engine: new TfjsEngine(setup, tfBackend), backend: tfBackend };
}
