import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { packageVersion as ownVersion } from '../runner.js';

/**
 * The machine and software a benchmark ran on, written beside every result (environment.json,
 * the head of REPORT.md): CPU model and core count, memory, OS, Node.js, the versions of the
 * packages that do the work, and the git commit of this repository (with a dirty flag).
 */
export interface EnvironmentInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  packages: Record<string, string>;
  git: { commit: string; dirty: boolean } | null;
}

/**
 * Version of an installed package, found the way Node looks up bare imports: node_modules/<name>
 * in this file's directory and its ancestors (require.resolve of '<name>/package.json' fails for
 * packages whose exports map hides it, e.g. vega).
 */
function packageVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(path)) {
      try {
        return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
      } catch {
        return 'unreadable';
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return 'not installed';
    dir = parent;
  }
}

function gitInfo(): EnvironmentInfo['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

export function environmentInfo(): EnvironmentInfo {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    packages: {
      'allen-cahn': ownVersion(),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      '@tensorflow/tfjs-node': packageVersion('@tensorflow/tfjs-node'),
      vega: packageVersion('vega'),
      'vega-lite': packageVersion('vega-lite'),
      pngjs: packageVersion('pngjs'),
    },
    git: gitInfo(),
  };
}
