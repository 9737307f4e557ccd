import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownTables, tableProblems } from './markdown-tables.js';

/**
 * The project's own Markdown renders its tables as tables (marked, a GFM parser, decides): a
 * missing blank line after a table once pulled a paragraph of README.md into it.
 */
const ROOT = join(import.meta.dirname, '..');
const DOCS = ['README.md', 'docs/ARCHITECTURE.md', 'docs/DESIGN.md', 'docs/LIBRARY.md', 'benchmarks/README.md', 'results/baseline/README.md'];

describe('Markdown tables of the documentation', () => {
  it.each(DOCS)('%s: every table has as many cells in each row as in its header', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(tableProblems(text)).toEqual([]);
  });

  it('README.md has its tables (the file outputs, the engines, the exit codes, the report columns, …)', () => {
    expect(markdownTables(readFileSync(join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThanOrEqual(7);
  });
});
