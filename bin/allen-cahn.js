#!/usr/bin/env node
// Launcher for the `allen-cahn` command: the compiled CLI (npm run build → dist/; `prepare` runs
// it on `npm ci` / `npm install` from git and on `npm pack`). During development,
// `npm run allen-cahn -- …` runs the TypeScript source through tsx instead.
await import('../dist/cli/bin.js');
