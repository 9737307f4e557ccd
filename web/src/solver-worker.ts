import type { ProblemConfig } from '../../src/physics/problems.js';
import { uniformGrid, type GradientFlowSolver } from '../../src/solver.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { problemFromSettings, type WebSettings } from './settings.js';

/** What a worker entry supplies: build its solver and name the engine that runs it. */
export type SolverFactory = (problem: ProblemConfig, settings: WebSettings) => Promise<{ solver: GradientFlowSolver; engine: string }>;

/** The part of a dedicated worker's global scope used here (tsconfig has the DOM lib, not WebWorker). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
}

/**
 * The worker side of web/src/protocol.ts: `init` builds the solver, runs initialise() (FEM:
 * interpolate u₀; SDMM: fit u₀) and replies with step 0; each `step` advances one step. Every
 * record carries u sampled on the k×k display grid. Messages are handled strictly in order
 * (each waits for the previous), and any error is reported once and ends the worker's run.
 */
export function serveSolver(factory: SolverFactory): void {
  const scope = self as unknown as WorkerScope;
  let solver: GradientFlowSolver | null = null;
  let points: Float64Array | null = null;
  let failed = false;
  let queue: Promise<void> = Promise.resolve();
  const post = (message: FromWorker) => scope.postMessage(message, message.type === 'record' ? [message.field.buffer] : []);
  const send = (record: Awaited<ReturnType<GradientFlowSolver['step']>>) => {
    post({ type: 'record', record, field: solver!.sample(points!) });
  };
  const handle = async (message: ToWorker) => {
    if (failed) return;
    try {
      if (message.type === 'init') {
        const problem = problemFromSettings(message.settings);
        const built = await factory(problem, message.settings);
        solver = built.solver;
        points = uniformGrid(problem, message.grid);
        post({ type: 'ready', engine: built.engine, describe: solver.describe() });
        send(await solver.initialise());
      } else if (message.type === 'step') {
        if (!solver) throw new Error('step before init');
        send(await solver.step());
      }
    } catch (e) {
      failed = true;
      const step = e && typeof e === 'object' && 'step' in e && typeof e.step === 'number' ? e.step : null;
      post({ type: 'error', message: e instanceof Error ? e.message : String(e), step });
    }
  };
  scope.onmessage = (event) => {
    queue = queue.then(() => handle(event.data));
  };
}
