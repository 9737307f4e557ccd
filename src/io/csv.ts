import { existsSync, readFileSync, statSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { StepRecord } from '../solver.js';
import { AppendLog, writeFileAtomic, type WriteOptions } from './atomic.js';

/**
 * CSV outputs (all written with csv-stringify).
 *
 * steps.csv — one row per step, step 0 (the initial state) included, columns in this order:
 *   step, t, energy, movement, wall_ms, iterations, linear_iterations, min_u, max_u, stable, stop_reason, gradient_norm
 * Numbers are written with JavaScript's shortest round-trip representation (so reading them
 * back gives the identical float64; NaN and Infinity appear as `NaN`, `Infinity`), `stable` is
 * `true`/`false` (this step satisfies the energy inequality, see src/stability; always `true`
 * at step 0), `stop_reason` is free text (quoted by csv-stringify when needed), `gradient_norm` the
 * final gradient norm of the step's iteration where the solver reports one (SDMM: ‖∇_θ Jₙ‖₂), else empty.
 *
 * The writer appends a row as soon as a step is produced, so after a kill (even kill -9) the
 * file holds every completed step; at most the last line can be cut short, and the reader drops
 * such an unterminated line. On resume the runner truncates rows after the checkpoint's step.
 */
export const STEP_COLUMNS = [
  'step',
  't',
  'energy',
  'movement',
  'wall_ms',
  'iterations',
  'linear_iterations',
  'min_u',
  'max_u',
  'stable',
  'stop_reason',
  'gradient_norm',
] as const;

/** A steps.csv row: the StepRecord plus its `stable` flag. */
export interface StepRow extends StepRecord {
  stable: boolean;
}

/** Thrown for a malformed CSV file; the message names the file and line. */
export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

function stepValues(r: StepRecord, stable: boolean): (string | number)[] {
  return [r.step, r.t, r.energy, r.movement, r.wallMs, r.iterations, r.linearIterations, r.minU, r.maxU, stable ? 'true' : 'false', r.stopReason, r.gradientNorm ?? ''];
}

/** csv-stringify with an explicit number cast (shortest round-trip form, NaN/Infinity kept). */
export function csvLines(rows: readonly (readonly (string | number | boolean)[])[]): string {
  return stringify(rows as (string | number | boolean)[][], {
    cast: { number: (v: number) => String(v), boolean: (v: boolean) => (v ? 'true' : 'false') },
    record_delimiter: 'unix',
  });
}

/** Format steps.csv content (header and rows) as one string. */
export function formatStepsCsv(rows: readonly StepRow[]): string {
  return csvLines([[...STEP_COLUMNS], ...rows.map((r) => stepValues(r, r.stable))]);
}

/**
 * Appendable steps.csv writer. `fresh: true` (or a missing/empty file) starts a new file with
 * the header (an existing file is replaced atomically, so a failure leaves it as it was);
 * otherwise the existing header and the termination of the last row are checked and rows are
 * appended after it. Appends go through {@link AppendLog}: a row is written completely or the
 * file is cut back to the rows before it, and the failure is thrown as a one-line WriteError.
 */
export class StepsCsvWriter {
  private log: AppendLog | undefined;
  readonly path: string;

  constructor(path: string, options: { fresh?: boolean } & WriteOptions = {}) {
    this.path = path;
    const header = csvLines([[...STEP_COLUMNS]]);
    if (options.fresh || !existsSync(path) || statSync(path).size === 0) {
      writeFileAtomic(path, header, options);
      this.log = AppendLog.open(path, options);
      return;
    }
    const text = readFileSync(path, 'utf8');
    const nl = text.indexOf('\n');
    const first = nl < 0 ? text : text.slice(0, nl);
    if (first !== STEP_COLUMNS.join(',')) {
      throw new CsvFormatError(`${path}: line 1: expected the steps.csv header '${STEP_COLUMNS.join(',')}', got '${first}'`);
    }
    if (!text.endsWith('\n')) {
      throw new CsvFormatError(`${path}: the last line is unterminated; truncate the file (truncateStepsCsv) before appending`);
    }
    this.log = AppendLog.open(path, options);
  }

  /** Append one row (written to the OS immediately: survives a kill of this process). */
  append(record: StepRecord, stable: boolean): void {
    if (!this.log) throw new Error(`${this.path}: writer is closed`);
    this.log.append(csvLines([stepValues(record, stable)]));
  }

  close(): void {
    const log = this.log;
    this.log = undefined;
    log?.close();
  }
}

/**
 * Minimal RFC 4180 parser for the files this module writes: comma-separated, `"`-quoted fields
 * with `""` escapes, `\n` or `\r\n` line ends. Returns the complete records and whether the text
 * ended with an unterminated record (dropped: it is the remnant of an interrupted write).
 */
export function parseCsv(text: string): { records: string[][]; lines: number[]; partial: boolean } {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let dirty = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      dirty = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
      dirty = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      lines.push(recordLine);
      record = [];
      field = '';
      dirty = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      dirty = true;
    }
  }
  return { records, lines, partial: dirty || inQuotes };
}

function parseNumber(path: string, line: number, column: string, text: string): number {
  const v = text === 'NaN' ? NaN : Number(text);
  if (text.trim() === '' || (Number.isNaN(v) && text !== 'NaN')) {
    throw new CsvFormatError(`${path}: line ${line}: column '${column}' is not a number: '${text}'`);
  }
  return v;
}

/**
 * Read steps.csv back (for resume and for summaries). Checks the header and every field;
 * a final unterminated line (an interrupted write) is dropped and reported as `partial`.
 */
export function readStepsCsv(path: string): { rows: StepRow[]; partial: boolean } {
  const text = readFileSync(path, 'utf8');
  const { records, lines, partial } = parseCsv(text);
  if (records.length === 0) throw new CsvFormatError(`${path}: line 1: missing the steps.csv header`);
  const header = records[0];
  if (header.join(',') !== STEP_COLUMNS.join(',')) {
    throw new CsvFormatError(`${path}: line 1: expected the steps.csv header '${STEP_COLUMNS.join(',')}', got '${header.join(',')}'`);
  }
  const rows: StepRow[] = [];
  for (let k = 1; k < records.length; k++) {
    const f = records[k];
    const line = lines[k];
    if (f.length !== STEP_COLUMNS.length) {
      throw new CsvFormatError(`${path}: line ${line}: expected ${STEP_COLUMNS.length} fields, got ${f.length}`);
    }
    const num = (i: number) => parseNumber(path, line, STEP_COLUMNS[i], f[i]);
    if (f[9] !== 'true' && f[9] !== 'false') {
      throw new CsvFormatError(`${path}: line ${line}: column 'stable' must be true or false, got '${f[9]}'`);
    }
    const step = num(0);
    if (!Number.isInteger(step) || step < 0) throw new CsvFormatError(`${path}: line ${line}: column 'step' must be an integer ≥ 0, got '${f[0]}'`);
    rows.push({
      step,
      t: num(1),
      energy: num(2),
      movement: num(3),
      wallMs: num(4),
      iterations: num(5),
      linearIterations: num(6),
      minU: num(7),
      maxU: num(8),
      stable: f[9] === 'true',
      stopReason: f[10],
      ...(f[11] === '' ? {} : { gradientNorm: num(11) }),
    });
  }
  return { rows, partial };
}

/**
 * Keep the header and the rows with step ≤ lastStep (rewritten atomically), dropping rows written
 * after a checkpoint and any cut-short last line. The kept rows must be exactly steps
 * first..lastStep, one each; otherwise the file does not match the checkpoint and this throws.
 */
export function truncateStepsCsv(path: string, lastStep: number): StepRow[] {
  const { rows } = readStepsCsv(path);
  const kept = rows.filter((r) => r.step <= lastStep);
  for (let i = 0; i < kept.length; i++) {
    if (kept[i].step !== i) {
      throw new CsvFormatError(`${path}: expected one row per step 0..${lastStep}, but row ${i + 1} has step ${kept[i].step}`);
    }
  }
  if (kept.length !== lastStep + 1) {
    throw new CsvFormatError(`${path}: expected one row per step 0..${lastStep}, found only ${kept.length} rows`);
  }
  writeFileAtomic(path, formatStepsCsv(kept));
  return kept;
}

/**
 * Write a field as CSV atomically: columns x, u (1D) or x, y, u (2D), one row per point.
 * Layout: points[dim·i + k], values[i].
 */
export function writeFieldCsv(path: string, points: Float64Array, dim: 1 | 2, values: Float64Array): void {
  const n = points.length / dim;
  if (!Number.isInteger(n) || values.length !== n) {
    throw new RangeError(`writeFieldCsv(${path}): ${points.length} coordinates (dim ${dim}) do not match ${values.length} values`);
  }
  const rows: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) rows[i] = dim === 1 ? [points[i], values[i]] : [points[2 * i], points[2 * i + 1], values[i]];
  writeFileAtomic(path, csvLines([dim === 1 ? ['x', 'u'] : ['x', 'y', 'u'], ...rows]));
}

/** Read back the u column (the last) of a field CSV written by writeFieldCsv; null if the file does not exist. */
export function readFieldCsv(path: string): Float64Array | null {
  if (!existsSync(path)) return null;
  const { records } = parseCsv(readFileSync(path, 'utf8'));
  const out = new Float64Array(records.length - 1);
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    out[i - 1] = r[r.length - 1] === 'NaN' ? Number.NaN : Number(r[r.length - 1]);
  }
  return out;
}

/** Write any table atomically through csv-stringify: a header and rows of the same width. */
export function writeCsvAtomic(path: string, header: readonly string[], rows: readonly (readonly (string | number | boolean)[])[]): void {
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== header.length) {
      throw new RangeError(`writeCsvAtomic(${path}): row ${i + 1} has ${rows[i].length} fields, the header ${header.length}`);
    }
  }
  writeFileAtomic(path, csvLines([header, ...rows]));
}
