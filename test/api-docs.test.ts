import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { run } from './fixtures/run-command.js';

/**
 * `npm run docs` renders the public API (typedoc.json: src/index.ts and src/fem/index.ts). Here
 * TypeDoc converts it without writing HTML and with warnings as errors, so an exported class,
 * function, interface, type or constant without a doc comment, or a broken {@link}, fails.
 */
const ROOT = resolve(import.meta.dirname, '..');

it('every exported name of the public API has a doc comment and every {@link} resolves', async () => {
  const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
  const r = await run(process.execPath, [typedoc, '--emit', 'none', '--treatWarningsAsErrors'], ROOT);
  const output = `${r.stdout}${r.stderr}`;
  expect(output, output).not.toMatch(/\[(warning|error)\]/);
  expect(r.status, output).toBe(0);
}, 180_000);
