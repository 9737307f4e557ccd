// Bootstrap of every engine worker thread (see pool.ts): load the TypeScript worker module named
// in workerData.module through tsx (a dependency), since Node does not hand tsx's loader to
// worker threads. A failure to load is reported through the shared control block.
import { workerData } from 'node:worker_threads';

try {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(workerData.module, import.meta.url);
} catch (err) {
  const { reportFailure } = await import('tsx/esm/api').then((m) => m.tsImport('./pool.ts', import.meta.url)).catch(() => ({}));
  if (reportFailure) reportFailure(workerData.control, workerData.worker, err);
  else throw err;
}
