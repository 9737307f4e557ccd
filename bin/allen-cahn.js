#!/usr/bin/env node
// Launcher for the `allen-cahn` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
register();
// `allen-cahn problems | head`: a reader that closes the pipe early is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv);
