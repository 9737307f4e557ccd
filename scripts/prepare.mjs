// `prepare` (npm ci / npm install in a checkout or from git, npm pack): compile src/ into dist/.
// Without TypeScript (`npm ci --omit=dev`) there is nothing to compile with: say so and let the
// install finish instead of failing it; dist/ is then missing until an install with dev
// dependencies (the published package ships dist/ and never runs this).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let tsc;
try {
  const pkg = createRequire(import.meta.url).resolve('typescript/package.json');
  tsc = join(dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin.tsc);
} catch {
  process.stderr.write('allen-cahn prepare: TypeScript is not installed (dev dependencies omitted), so dist/ was not built; run npm ci with dev dependencies to build it\n');
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
