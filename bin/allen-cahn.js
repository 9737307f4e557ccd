#!/usr/bin/env node
// Launcher for the `allen-cahn` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
