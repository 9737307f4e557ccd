import type { SuiteConfig } from './config.js';
import type { WorkerJob } from './parallel.js';
import { defaultSuiteDeps } from './solvers.js';
import { runSuite } from './suite.js';

/**
 * A bench worker process (forked by parallel.ts): receives the suite once, then runs one job at
 * a time through runSuite with a selection and without tables (the parent writes those), and
 * reports 'done'. SIGINT (Ctrl-C reaches the whole process group; the parent forwards SIGTERM as
 * SIGINT) stops after the current step with a checkpoint, like a sequential suite.
 */
let suite: SuiteConfig | undefined;
let root = 'results';
let referenceCommand: string | undefined;
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());

process.on('message', async (m: { type: 'init'; suite: SuiteConfig; root: string; referenceCommand?: string } | { type: 'run'; job: WorkerJob } | { type: 'exit' }) => {
  if (m.type === 'init') {
    ({ suite, root, referenceCommand } = m);
    return;
  }
  if (m.type === 'exit') {
    process.disconnect();
    return;
  }
  const job = m.job;
  const select =
    'references' in job
      ? (t: { role: string; problem: string }) => t.role === 'reference' && job.references.includes(t.problem)
      : (t: { index: number }) => t.index === job.index;
  await runSuite(suite as SuiteConfig, {
    root,
    deps: defaultSuiteDeps(),
    signal: controller.signal,
    select,
    tables: false,
    referenceCommand,
    lockHeld: true, // the parent (parallel.ts) holds the suite folder's lock for its workers
    // Lines go to the parent, which owns stderr (and the log callback of its caller).
    log: (line) => process.send?.({ type: 'log', line: line.replace(/^\[\d+\/\d+\] /, '') }),
  });
  process.send?.({ type: 'done' });
});
