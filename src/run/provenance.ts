import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SolverFacts } from '../solver.js';

/**
 * Where a result came from, in one place: the machine, the versions of this package and of the
 * libraries doing the work, and the git commit. summary.json (one run) and environment.json /
 * REPORT.md (a suite, a scaling benchmark) are written from these functions.
 */

/** The machine as summary.json records it. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
}

/** The machine and software of a benchmark (environment.json, the head of REPORT.md). */
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

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: platform(),
    arch: arch(),
    node: process.version,
  };
}

/** This package's version from package.json ('unknown' if it cannot be read). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Version of an installed package, found the way Node looks up bare imports: node_modules/<name>
 * in this file's directory and its ancestors (require.resolve of '<name>/package.json' fails for
 * packages whose exports map hides it, e.g. vega).
 */
export function installedVersion(name: string): string {
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

/** The commit of the checkout and whether tracked files differ from it; null outside git. */
export function gitInfo(): EnvironmentInfo['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

/** summary.json's versions: this package, Node.js, and what the solver reports (e.g. tfjs and its backend). */
export function runVersions(facts: SolverFacts): Record<string, string> {
  return { 'allen-cahn': packageVersion(), node: process.version, ...(facts.versions ?? {}) };
}

/** The packages whose versions a benchmark report lists. */
const REPORTED_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'vega', 'vega-lite', 'pngjs'];

export function environmentInfo(): EnvironmentInfo {
  const m = machine();
  return {
    date: new Date().toISOString(),
    cpu: m.cpu,
    cores: m.cores,
    memoryGiB: m.memoryGiB,
    os: `${m.platform} ${release()} ${m.arch}`,
    node: m.node,
    packages: { 'allen-cahn': packageVersion(), ...Object.fromEntries(REPORTED_PACKAGES.map((p) => [p, installedVersion(p)])) },
    git: gitInfo(),
  };
}
