// Child process of test/bench-suite.test.ts: runs a suite with the DecaySolver until killed.
import { parseSuite } from '../src/bench/config.js';
import { runSuite } from '../src/bench/suite.js';
import { decayDeps } from './bench-fixtures.js';

const [root, suiteJson, delay] = process.argv.slice(2);
await runSuite(parseSuite(suiteJson, 'child.json'), { root, deps: decayDeps(Number(delay)), log: () => {} });
process.stdout.write('done\n');
