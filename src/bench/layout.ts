import { join } from 'node:path';
import { RunLayout } from '../run/layout.js';

/**
 * Every path of a suite's output directory `<root>/<suite name>/`, used by the suite and the
 * report alike (each run's own files are its RunLayout):
 *
 *   suite.json, environment.json       the suite as resolved, the machine and versions
 *   summary.csv, time-to-accuracy.csv  the tables
 *   published-energies.csv             energies beside published ones (when the suite has any)
 *   output-times.csv                   every run's errors at each of its problem's output times
 *   REPORT.md, report.html             the report (Markdown; self-contained HTML)
 *   <problem>/*.png|svg                its pictures
 *   reference/<problem>/               the FEM reference run of a problem
 *   <problem>/<label>/                 every other run
 */
export class SuiteLayout {
  readonly dir: string;
  constructor(root: string, name: string) {
    this.dir = join(root, name);
  }
  get suiteJson(): string {
    return join(this.dir, 'suite.json');
  }
  get environmentJson(): string {
    return join(this.dir, 'environment.json');
  }
  get summaryCsv(): string {
    return join(this.dir, 'summary.csv');
  }
  get timeToAccuracyCsv(): string {
    return join(this.dir, 'time-to-accuracy.csv');
  }
  /** Each run's energies beside published ones (published.ts), for suites that carry them. */
  get publishedEnergiesCsv(): string {
    return join(this.dir, 'published-energies.csv');
  }
  /** Every run's errors at each of its problem's output times. */
  get outputTimesCsv(): string {
    return join(this.dir, 'output-times.csv');
  }
  get report(): string {
    return join(this.dir, 'REPORT.md');
  }
  /** The same report as one self-contained HTML file (tables, pictures, interactive plots). */
  get reportHtml(): string {
    return join(this.dir, 'report.html');
  }
  /** Directory of a problem's pictures. */
  problemDir(problem: string): string {
    return join(this.dir, problem);
  }
  /** A run: the reference of a problem, or a configuration by its label. */
  run(r: { role: 'reference' | 'main' | 'sweep'; problem: string; label: string }): RunLayout {
    return new RunLayout(r.role === 'reference' ? join(this.dir, 'reference', r.problem) : join(this.dir, r.problem, r.label));
  }
}
