import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What makes a cached FEM reference reusable. A suite's reference of a problem
 * (`<root>/<suite>/reference/<problem>/`, computed by `allen-cahn bench reference <suite>` or by
 * the suite itself when missing) is keyed by its run key (suite.ts `runKey`: the reference's
 * solver options, the problem's settings, the common grid, the output steps) plus, for a
 * reference only, `referenceCodeHash()`: a hash of the source of every module its numbers depend
 * on. A reference made by other code is never reused silently: the suite says what changed and
 * recomputes it.
 */

/**
 * The modules a FEM reference's numbers are a function of, relative to the package's source root
 * (src/ under tsx, dist/ when compiled): the FEM solver and its schemes, the problem catalogue
 * (u₀, parameters), quadrature, sparse linear algebra, meshes, the solver contract (uniform grid
 * sampling) and the option schemas (defaults).
 */
export const REFERENCE_CODE = ['fem', 'physics', 'quadrature', 'linalg', 'mesh', 'solver', 'options'] as const;

let cached: string | null = null;

/** Source files (of this build's extension, .ts or .js; no .d.ts) under `path`, sorted. */
function sourceFiles(path: string, ext: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isFile()) return [path];
  const dir = st?.isDirectory() ? path : null;
  if (!dir) {
    const file = `${path}${ext}`;
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return [file];
    throw new Error(`reference code hash: ${path} not found (is the package complete?)`);
  }
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p, ext));
    else if (entry.name.endsWith(ext) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * SHA-256 (first 16 hex digits) over the relative path and content of every source file of
 * REFERENCE_CODE, in sorted order; computed once per process. Running from src/ (tsx) and from
 * dist/ (compiled) gives different hashes, so a reference cached by one is recomputed by the
 * other: safe, if not thrifty.
 */
export function referenceCodeHash(): string {
  if (cached) return cached;
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const root = join(here, '..', '..');
  const hash = createHash('sha256');
  for (const name of REFERENCE_CODE) {
    for (const file of sourceFiles(join(root, name), ext)) {
      hash.update(relative(root, file).split('\\').join('/'));
      hash.update('\0');
      hash.update(readFileSync(file));
      hash.update('\0');
    }
  }
  cached = hash.digest('hex').slice(0, 16);
  return cached;
}

/**
 * Which top-level fields of two run keys (JSON objects) differ, for the log line of a run that
 * starts afresh: e.g. 'problem, code'. Text that is not a JSON object differs as a whole ('all').
 */
export function changedKeyFields(before: string, after: string): string {
  let a: Record<string, unknown>;
  let b: Record<string, unknown>;
  try {
    a = JSON.parse(before) as Record<string, unknown>;
    b = JSON.parse(after) as Record<string, unknown>;
  } catch {
    return 'all';
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return 'all';
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const changed = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return changed.length > 0 ? changed.join(', ') : 'formatting';
}
