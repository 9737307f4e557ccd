import { CATALOGUE, PROBLEM_NAMES, stepCount } from '../physics/problems.js';
import { g } from './format.js';

/** `allen-cahn problems [--json]`: the catalogue, paper and reduced settings. */
export function problemsCommand(json: boolean, write: (s: string) => void): void {
  const rows = PROBLEM_NAMES.map((name) => {
    const e = CATALOGUE[name];
    const box = e.domain.min.map((lo, k) => `[${lo},${e.domain.max[k]}]`).join('×');
    const s = (x: typeof e.paper) => ({ epsilon: x.epsilon, mobility: x.mobility, tau: x.tau, tEnd: x.tEnd, steps: stepCount(x), n: x.n });
    return { name, dim: e.dim, domain: box, boundary: e.boundary, paper: s(e.paper), reduced: s(e.reduced), checks: e.checks, description: e.description };
  });
  if (json) {
    write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const table: string[][] = [['name', 'dim', 'domain', 'BC', 'scale', 'ε', 'm', 'τ', 'T', 'steps', 'n', 'checks']];
  for (const r of rows) {
    for (const scale of ['paper', 'reduced'] as const) {
      const p = r[scale];
      table.push([
        scale === 'paper' ? r.name : '',
        scale === 'paper' ? String(r.dim) : '',
        scale === 'paper' ? r.domain : '',
        scale === 'paper' ? r.boundary : '',
        scale,
        g(p.epsilon, 4),
        g(p.mobility),
        g(p.tau),
        g(p.tEnd),
        String(p.steps),
        String(p.n),
        scale === 'paper' ? r.checks : '',
      ]);
    }
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => [...row[c]].length)));
  for (const row of table) {
    write(row.map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat(widths[c] - [...cell].length))).join('  ').trimEnd() + '\n');
  }
}
