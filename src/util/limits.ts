import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Upper bounds on every size and count a user can ask for, checked BEFORE anything is allocated
 * or looped over, with one-line errors naming the option and the limit.
 *
 * Why a limit at all: without one, `--quad-points 1000000` computes a Gauss rule for minutes,
 * `--dt 1e-300` plans 2·10²⁹⁸ steps and fills the disk with CSV, `--n 1e9` dies in "Invalid
 * typed array length", `--rank 1000000` in "memory access out of bounds", and `--mesh /dev/zero`
 * reads for 88 s before a native abort. Each bound below is far beyond what this project's
 * problems need (paper scale: n = 256, rank ≤ 64, width ≤ 64, 4000 steps) and below where memory
 * or time becomes absurd on a workstation; the doc comment of each says what it costs.
 *
 * This module is a leaf (imports nothing of the project) so that the option schemas of the
 * CLI, the suite and the library, and the file readers, can all call it.
 */
export const LIMITS = {
  /** Nodes of a mesh (file or generated): 2²² ≈ 4.2 M. A P1 FEM matrix then holds ≈ 30 M non-zeros (≈ 0.4 GB). */
  meshNodes: 4_194_304,
  /** Cells of a mesh: 2²³ ≈ 8.4 M (a triangle mesh has about twice as many cells as nodes). */
  meshCells: 8_388_608,
  /** Elements per side of a structured mesh or of SDMM's quadrature (`--n`): 2²² (1D); 2D is also bounded by meshNodes. */
  elementsPerSide: 4_194_304,
  /** Gauss points per element and axis (`--quad-points`): 64 (exact for polynomials of degree 127; the rule costs O(q²)). */
  quadPointsPerAxis: 64,
  /** Quadrature points in total, (n·q)^dim: 2²² ≈ 4.2 M (SDMM evaluates its network and u at each, every iteration). */
  quadPointsTotal: 4_194_304,
  /** SDMM rank r (`--rank`): 1024 features per axis. */
  rank: 1024,
  /** SDMM hidden width (`--width`): 4096 (a width² weight matrix is 128 MiB in float64). */
  width: 4096,
  /** SDMM hidden layers (`--depth`): 64. */
  depth: 64,
  /** Points per side of the output sampling grid (`--grid`): 4096 (16.8 M points; final.csv ≈ 0.6 GB). */
  grid: 4096,
  /** Time steps of one run ⌈T/τ⌉: 10⁷ (steps.csv alone ≈ 1.3 GB). */
  plannedSteps: 10_000_000,
  /**
   * Bytes of a mesh file (`--mesh`): 256 MiB. The reader holds the file as one string, and a
   * V8 string holds at most 2²⁹ − 24 characters (512 MiB); 256 MiB is a mesh of a few million nodes.
   */
  meshFileBytes: 268_435_456,
} as const;

export type LimitName = keyof typeof LIMITS;

/** A size or count out of bounds. `option` is the name as the user wrote it (`--rank`, `rank`). */
export class LimitError extends RangeError {
  override name = 'LimitError';
  constructor(
    message: string,
    readonly option: string,
    readonly limit?: number,
  ) {
    super(message);
  }
}

/** A number as the user would write it (1e+300 → 1e300). */
const show = (v: unknown) => (typeof v === 'number' ? String(v).replace('e+', 'e') : JSON.stringify(v) ?? String(v));

/**
 * Check that `value` is an integer in [min, LIMITS[name]] and return it; otherwise throw a
 * LimitError: `--rank must be an integer from 1 to 1024 (the limit), got 1000000`.
 * `option` defaults to `name`.
 */
export function checkCount(name: LimitName, value: unknown, option: string = name, min = 1): number {
  const max = LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const what = typeof value === 'number' && Number.isInteger(value) && value > max ? `, got ${show(value)} (above the limit)` : `, got ${show(value)}`;
    throw new LimitError(`${option} must be an integer from ${min} to ${max}${what}`, option, max);
  }
  return value;
}

/**
 * Check a product of counts (e.g. (n·q)^dim quadrature points, (n+1)^dim nodes) against a limit
 * without overflow: `--n 2048 with --quad-points 64 gives 1.7e10 quadrature points in total, above the limit 4194304`.
 * `description` names the inputs (`--n 2048 with --quad-points 64`), `what` the counted thing.
 */
export function checkTotal(name: LimitName, total: number, description: string, what: string): number {
  const max = LIMITS[name];
  if (!(total <= max)) {
    throw new LimitError(`${description} gives ${show(Number(total.toPrecision(2)))} ${what} in total, above the limit ${max}`, description, max);
  }
  return total;
}

/**
 * Checks the counts a mesh reader finds in a file header BEFORE it reads or allocates for them
 * (`nodes`, `elements`: the $Nodes and $Elements counts, elements including facets and points),
 * or the size of a built or generated mesh (`nodes`, `cells`). `where` names the file and line
 * (`square.msh:12`) or the option (`--n 4096`). Counts above the limits, and negative or
 * non-integer counts, are one-line errors.
 */
export function checkMeshCounts(where: string, counts: { nodes?: number; elements?: number; cells?: number }): void {
  // Elements include the facets and points listed beside the cells: allow twice the cell limit.
  const bounds: [keyof typeof counts, number][] = [
    ['nodes', LIMITS.meshNodes],
    ['elements', 2 * LIMITS.meshCells],
    ['cells', LIMITS.meshCells],
  ];
  for (const [what, max] of bounds) {
    const v = counts[what];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0) throw new LimitError(`${where}: ${show(v)} is not a number of ${what} (an integer ≥ 0)`, where);
    if (v > max) throw new LimitError(`${where}: ${show(v)} ${what} is above the limit of ${max} ${what} per mesh`, where, max);
  }
}

/** Relative tolerance for T/τ to count as an integer (0.02/1e-5 = 2000.0000000000002 must pass). */
export const STEP_RATIO_TOLERANCE = 1e-9;

/**
 * Number of time steps N = T/τ of a run with end time `tEnd` and step `tau`, which must be a
 * whole number (to a relative STEP_RATIO_TOLERANCE): then step n is at t = n·τ exactly as every
 * checkpoint, steps.csv row and resume assume, and t_N = T.
 *
 * An end time that is not a multiple of τ is REFUSED rather than met with a shorter last step:
 * every scheme here is built for one τ (the stabilized scheme factorizes M + τ(K + S/ε² M)
 * once; SDMM's Jₙ and the stability checker's ‖uⁿ⁺¹ − uⁿ‖²/(2mτ) take τ as a constant), so a
 * different last step would need a second factorization and a per-step τ everywhere; the user can
 * always choose T and τ that fit. Silently running to ⌈T/τ⌉·τ (the old behaviour: T = 1e-4 with
 * τ = 1e-3 ran to 1e-3) is the one thing not to do.
 *
 * Also refused: non-finite or non-positive τ, negative or non-finite T, and more than
 * LIMITS.plannedSteps steps. T = 0 gives 0 steps (the initial state only).
 * Names in messages are `names.tEnd` / `names.tau` (default `--t-end` / `--dt`).
 */
export function plannedSteps(tEnd: number, tau: number, names: { tEnd?: string; tau?: string } = {}): number {
  const T = names.tEnd ?? '--t-end';
  const dt = names.tau ?? '--dt';
  if (typeof tau !== 'number' || !Number.isFinite(tau) || tau <= 0) throw new LimitError(`${dt} must be a finite number > 0, got ${show(tau)}`, dt);
  if (typeof tEnd !== 'number' || !Number.isFinite(tEnd) || tEnd < 0) throw new LimitError(`${T} must be a finite number ≥ 0, got ${show(tEnd)}`, T);
  const ratio = tEnd / tau;
  if (!(ratio <= LIMITS.plannedSteps + 0.5)) {
    throw new LimitError(
      `${T} ${show(tEnd)} with ${dt} ${show(tau)} plans ${show(Number(ratio.toPrecision(3)))} steps, above the limit of ${LIMITS.plannedSteps}`,
      T,
      LIMITS.plannedSteps,
    );
  }
  const n = Math.round(ratio);
  if (Math.abs(ratio - n) > STEP_RATIO_TOLERANCE * Math.max(1, n)) {
    const below = Math.floor(ratio);
    const time = (k: number) => show(Number((k * tau).toPrecision(12))); // 3 × 0.1 → 0.3, not 0.30000000000000004
    const fit = below >= 1 ? `${time(below)} (${below} step${below === 1 ? '' : 's'}) or ${time(below + 1)}` : time(1);
    throw new LimitError(
      `${T} ${show(tEnd)} is not a whole number of steps of ${dt} ${show(tau)} (T/τ = ${Number(ratio.toPrecision(6))}); use e.g. ${T} ${fit}`,
      T,
    );
  }
  return n;
}

/**
 * Check a mesh file before reading it: it must be a regular file (not a device such as
 * /dev/zero, a FIFO or a folder) of at most LIMITS.meshFileBytes bytes, and it is then read
 * through the same file descriptor with at most that many bytes, so a file that grows or lies
 * about its size cannot make the read unbounded. Returns the file's text (UTF-8).
 * Errors are one line naming `option` (default `--mesh`) and the path.
 */
export function readBoundedTextFile(path: string, option = '--mesh', maxBytes: number = LIMITS.meshFileBytes): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new LimitError(`${option} ${path}: ${(err as Error).message.split('\n')[0]}`, option);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new LimitError(`${option} ${path}: is ${kind}, not a regular file`, option);
    }
    if (st.size > maxBytes) {
      throw new LimitError(`${option} ${path}: ${st.size} bytes is above the limit of ${maxBytes} bytes`, option, maxBytes);
    }
    // Read through this descriptor at most maxBytes + 1 bytes (one more than allowed proves
    // the file is over the limit), and at most 64 KiB more than stat reported.
    const cap = Math.min(maxBytes + 1, st.size + 65536);
    const buf = Buffer.allocUnsafe(cap);
    let len = 0;
    while (len < cap) {
      const n = readSync(fd, buf, len, cap - len, null);
      if (n === 0) break;
      len += n;
    }
    if (len > maxBytes) throw new LimitError(`${option} ${path}: more than the limit of ${maxBytes} bytes`, option, maxBytes);
    if (len === cap) throw new LimitError(`${option} ${path}: the file grew while being read`, option);
    return buf.toString('utf8', 0, len);
  } finally {
    closeSync(fd);
  }
}
