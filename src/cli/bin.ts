/**
 * The process entry of the `allen-cahn` command: bin/allen-cahn.js imports the compiled copy
 * (dist/cli/bin.js); the npm scripts run this file through tsx during development.
 */
import { runCli } from './main.js';

// `allen-cahn problems | head`: a reader that closes the pipe early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await runCli(process.argv);
