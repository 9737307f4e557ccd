import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { isTemporaryName, writeFileAtomic } from './atomic.js';
import { LOCK_FILE } from './lock.js';

/**
 * The run-folder marker: `<dir>/.allen-cahn-run.json` says that the folder holds a run of this
 * program, which run (problem, solver kind, a hash of its configuration) and which files and
 * folders the run owns. With it a fresh run can tell an empty folder, its own earlier run, a
 * different run, and a user's files apart ({@link classifyRunFolder}), and `--overwrite` can
 * delete exactly what runs wrote and nothing else ({@link removeOwnedFiles}).
 *
 * Content: { format: 1, problem, solver, configHash, created, files: [...], dirs: [...] },
 * paths relative to the folder with '/' separators, normalised, never absolute and never
 * leaving the folder (checked on read, so a hand-edited marker cannot make removal delete
 * anything outside). The run layer records a file BEFORE creating it
 * ({@link recordOwnedFiles}), so a crash never leaves a file of ours unlisted.
 */

export const RUN_MARKER = '.allen-cahn-run.json';
const FORMAT = 1;

export interface RunIdentity {
  /** Problem name, e.g. 'star'. */
  problem: string;
  /** Solver kind, e.g. 'fem'. */
  solver: string;
  /** {@link configHash} of the run's configuration (what must match for a resume). */
  configHash: string;
}

export interface RunMarker extends RunIdentity {
  format: 1;
  /** ISO 8601 time the marker was first written. */
  created: string;
  /** Files the run owns, relative paths ('steps.csv', 'checkpoint/step-00000010.ckpt'). */
  files: string[];
  /** Folders the run created, relative paths ('vtk', 'checkpoint'). */
  dirs: string[];
}

/** A damaged or foreign marker file, or a path in it that leaves the folder. One line. */
export class RunMarkerError extends Error {
  override name = 'RunMarkerError';
}

/** JSON with object keys sorted at every level (a canonical form for hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** SHA-256 (hex) of the canonical JSON of a configuration: equal for equal settings in any key order. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** A relative path inside the folder, normalised with '/'; throws for anything that leaves it. */
function ownedPath(dir: string, p: unknown): string {
  if (typeof p !== 'string' || p === '') throw new RunMarkerError(`${join(dir, RUN_MARKER)}: an owned path is not a non-empty string`);
  const n = posix.normalize(p.replace(/\\/g, '/'));
  if (posix.isAbsolute(n) || n === '.' || n === '..' || n.startsWith('../') || /^[A-Za-z]:/.test(n) || n.includes('\0')) {
    throw new RunMarkerError(`${join(dir, RUN_MARKER)}: owned path ${JSON.stringify(p)} leaves the folder`);
  }
  if (n === RUN_MARKER || n === LOCK_FILE) throw new RunMarkerError(`${join(dir, RUN_MARKER)}: owned path ${JSON.stringify(p)} is reserved`);
  return n;
}

/** Read the marker of `dir`: undefined if there is none; RunMarkerError if it is damaged. */
export function readRunMarker(dir: string): RunMarker | undefined {
  const path = join(dir, RUN_MARKER);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunMarkerError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new RunMarkerError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!v || typeof v !== 'object' || v.format !== FORMAT) throw new RunMarkerError(`${path}: not a run marker of format ${FORMAT}`);
  for (const key of ['problem', 'solver', 'configHash', 'created'] as const) {
    if (typeof v[key] !== 'string') throw new RunMarkerError(`${path}: '${key}' is missing or not a string`);
  }
  if (!Array.isArray(v.files) || !Array.isArray(v.dirs)) throw new RunMarkerError(`${path}: 'files' and 'dirs' must be lists`);
  return {
    format: FORMAT,
    problem: v.problem as string,
    solver: v.solver as string,
    configHash: v.configHash as string,
    created: v.created as string,
    files: [...new Set(v.files.map((p) => ownedPath(dir, p)))],
    dirs: [...new Set(v.dirs.map((p) => ownedPath(dir, p)))],
  };
}

/** A new marker for `identity` owning nothing yet. */
export function newRunMarker(identity: RunIdentity): RunMarker {
  return { format: FORMAT, ...identity, created: new Date().toISOString(), files: [], dirs: [] };
}

/** Write the marker atomically. */
export function writeRunMarker(dir: string, marker: RunMarker): void {
  const files = marker.files.map((p) => ownedPath(dir, p));
  const dirs = marker.dirs.map((p) => ownedPath(dir, p));
  writeFileAtomic(join(dir, RUN_MARKER), JSON.stringify({ ...marker, files, dirs }, null, 2) + '\n');
}

/**
 * Add files and folders to the marker (rewriting it only if something is new) and return the
 * updated marker. Call before creating them. A folder of a file ('vtk/u_5.vtu' → 'vtk') is added
 * to `dirs` automatically.
 */
export function recordOwnedFiles(dir: string, marker: RunMarker, files: readonly string[], dirs: readonly string[] = []): RunMarker {
  const fileSet = new Set(marker.files);
  const dirSet = new Set(marker.dirs);
  let changed = false;
  const addDir = (d: string) => {
    for (let p = d; p !== '.' && p !== ''; p = posix.dirname(p)) {
      if (!dirSet.has(p)) {
        dirSet.add(p);
        changed = true;
      }
    }
  };
  for (const f of files) {
    const p = ownedPath(dir, f);
    if (!fileSet.has(p)) {
      fileSet.add(p);
      changed = true;
    }
    addDir(posix.dirname(p));
  }
  for (const d of dirs) addDir(ownedPath(dir, d));
  if (!changed) return marker;
  const next: RunMarker = { ...marker, files: [...fileSet], dirs: [...dirSet] };
  writeRunMarker(dir, next);
  return next;
}

export type RunFolderKind = 'missing' | 'empty' | 'same-config' | 'other-config' | 'foreign';

export interface RunFolderState {
  /**
   * - 'missing': the folder does not exist;
   * - 'empty': nothing in it (a lock, or temp files of our writers, do not count);
   * - 'same-config' / 'other-config': a run of this program with the same / another identity
   *   (problem, solver, configHash), and nothing in the folder that the run does not own;
   * - 'foreign': something in the folder that no run of ours owns (with or without a marker).
   */
  kind: RunFolderKind;
  marker?: RunMarker;
  /** Paths (relative, '/'-separated, folders end in '/') that no marker owns; at most 20. */
  foreign: string[];
  /** How many foreign entries there are in all. */
  foreignCount: number;
}

/**
 * Classify folder `dir` for a run with `identity`. Throws RunMarkerError for a damaged marker
 * (the caller should refuse: it cannot tell what the folder holds).
 */
export function classifyRunFolder(dir: string, identity: RunIdentity): RunFolderState {
  if (!existsSync(dir)) return { kind: 'missing', foreign: [], foreignCount: 0 };
  if (!lstatSync(dir).isDirectory()) throw new RunMarkerError(`${dir} exists and is not a folder`);
  const marker = readRunMarker(dir);
  const files = new Set(marker?.files ?? []);
  const dirs = new Set(marker?.dirs ?? []);
  const foreign: string[] = [];
  let foreignCount = 0;
  let ownedSeen = 0;
  const walk = (rel: string) => {
    for (const name of readdirSync(rel === '' ? dir : join(dir, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (rel === '' && (name === LOCK_FILE || name === RUN_MARKER)) continue;
      if (isTemporaryName(name)) continue; // a writer's leftover temp file (ours by its name form)
      const isDir = lstatSync(join(dir, p)).isDirectory();
      if (isDir && dirs.has(p)) {
        walk(p);
      } else if (!isDir && files.has(p)) {
        ownedSeen++;
      } else {
        foreignCount++;
        if (foreign.length < 20) foreign.push(isDir ? `${p}/` : p);
      }
    }
  };
  walk('');
  if (foreignCount > 0) return { kind: 'foreign', marker, foreign, foreignCount };
  if (!marker) return { kind: 'empty', foreign, foreignCount };
  if (ownedSeen === 0) return { kind: 'empty', marker, foreign, foreignCount }; // a marker, but none of its files
  const same = marker.problem === identity.problem && marker.solver === identity.solver && marker.configHash === identity.configHash;
  return { kind: same ? 'same-config' : 'other-config', marker, foreign, foreignCount };
}

/** Whether every folder on the way from `dir` to relative path `p` is a real folder (not a symlink). */
function insideRealFolders(dir: string, p: string): boolean {
  const parts = p.split('/');
  let cur = dir;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = join(cur, parts[i]);
    try {
      if (!lstatSync(cur).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Delete exactly what the marker owns: its files (and leftover temp files of them), then its
 * folders if they are empty (deepest first; a folder holding anything else stays), then the
 * marker itself. Missing files are fine (idempotent: a removal interrupted half-way can be run
 * again). Returns the relative paths removed.
 */
export function removeOwnedFiles(dir: string, marker: RunMarker): string[] {
  const removed: string[] = [];
  const checked = marker.files.map((p) => ownedPath(dir, p));
  const owned = new Set(checked);
  for (const p of checked) {
    const full = join(dir, p);
    if (!insideRealFolders(dir, p)) continue; // a folder on the way was replaced by a link: not ours to follow
    if (existsSync(full) && !lstatSync(full).isDirectory()) {
      rmSync(full, { force: true });
      removed.push(p);
    }
  }
  // Temp files of owned files: `.<name>.tmp-<pid>-<hex>` next to them.
  const parents = new Set(['', ...marker.dirs.map((d) => ownedPath(dir, d))]);
  for (const rel of parents) {
    const folder = rel === '' ? dir : join(dir, rel);
    if (rel !== '' && !insideRealFolders(dir, `${rel}/x`)) continue;
    for (const name of readdirSync(folder)) {
      if (!isTemporaryName(name)) continue;
      const base = name.slice(1).replace(/\.tmp-\d+-[0-9a-f]{8}$/, '');
      const target = rel === '' ? base : `${rel}/${base}`;
      if (owned.has(target) || (rel === '' && base === RUN_MARKER)) {
        rmSync(join(folder, name), { force: true });
        removed.push(rel === '' ? name : `${rel}/${name}`);
      }
    }
  }
  const folders = marker.dirs.map((d) => ownedPath(dir, d)).sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
  for (const d of folders) {
    const full = join(dir, d);
    try {
      if (lstatSync(full).isDirectory() && readdirSync(full).length === 0) {
        rmdirSync(full);
        removed.push(`${d}/`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  rmSync(join(dir, RUN_MARKER), { force: true });
  removed.push(basename(RUN_MARKER));
  return removed;
}
