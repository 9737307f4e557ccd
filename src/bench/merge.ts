import { cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseSuite, type SuiteConfig } from './config.js';
import { SuiteLayout } from './layout.js';
import type { SuiteResults } from './results.js';
import { planSuite, runSuite, type SuiteOptions } from './suite.js';

/**
 * `allen-cahn bench report <dirs…>`: join the folders of shards of one suite (parallel.ts) into
 * one suite folder, `<root>/<suite name>/` (which may be one of them), and write its tables and report from it. Every run folder of the plan is
 * copied from the first shard folder that holds it finished (bench.json present; a problem's
 * reference is the same in every shard); a run in none of them is an error, so the merged
 * summary is never silently short. The tables then come from runSuite's skip path, exactly as
 * for a single run.
 */
export async function mergeShards(dirs: readonly string[], options: Omit<SuiteOptions, 'select'>): Promise<SuiteResults> {
  if (dirs.length === 0) throw new Error('bench report: give at least one suite folder');
  const suites = dirs.map((d) => {
    const path = new SuiteLayout(dirname(d), basename(d)).suiteJson;
    if (!existsSync(path)) throw new Error(`bench report: ${d} is not a suite folder (no suite.json)`);
    return { dir: d, text: readFileSync(path, 'utf8') };
  });
  for (const s of suites.slice(1)) {
    if (s.text !== suites[0].text) throw new Error(`bench report: ${s.dir} holds another suite than ${suites[0].dir} (suite.json differs)`);
  }
  const suite: SuiteConfig = parseSuite(suites[0].text, `${dirs[0]}/suite.json`);
  const root = options.root ?? 'results';
  const target = new SuiteLayout(root, suite.name);
  const sources = dirs.map((d) => new SuiteLayout(dirname(d), basename(d)));
  for (const task of planSuite(suite)) {
    const to = target.run(task);
    if (existsSync(to.bench)) continue;
    const from = sources.find((s) => existsSync(s.run(task).bench));
    if (!from) throw new Error(`bench report: ${task.problem}/${task.label} is finished in none of ${dirs.join(', ')}`);
    if (resolve(from.run(task).dir) !== resolve(to.dir)) cpSync(from.run(task).dir, to.dir, { recursive: true });
  }
  return runSuite(suite, { ...options, root });
}
