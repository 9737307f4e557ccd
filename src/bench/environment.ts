import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { createRequire } from 'node:module';

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

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
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
  let self = 'unknown';
  try {
    self = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    // running from an unusual layout
  }
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    packages: {
      'allen-cahn': self,
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
