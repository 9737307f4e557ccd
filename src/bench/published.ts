import { existsSync } from 'node:fs';
import { readStepsCsv, writeCsvAtomic, type StepRow } from '../io/csv.js';
import { referenceProblem, type PublishedEnergies, type ResolvedProblem } from './config.js';
import type { SuiteResults } from './results.js';

/**
 * The comparison of a suite's runs with energies published by others (a problem's
 * `publishedEnergies` block in the suite file, e.g. the SDMM authors' logged run on the paper
 * star, arXiv 2405.06119), at the published times:
 *
 *   E(uⁿ)                                   every run (the reference included);
 *   Jₙ = E(uⁿ) + ‖uⁿ − uⁿ⁻¹‖²/(2mτ)         every run whose step τ is the published run's (the
 *                                           movement term scales with τ, so Jₙ of another τ is
 *                                           another number), when the publication gives Jₙ;
 *   Δ = (value − published)/|published|     against the published value at the same time.
 *
 * Values come from each run's steps.csv (columns energy and movement) at the row whose t is the
 * published time (to 1e-6 of a step); a time that is not a step of the run, or that the run did
 * not reach, is left empty. REPORT.md renders the rows as one table per problem
 * (publishedEnergySection) and published-energies.csv holds them at full precision.
 */

export interface PublishedEnergyRow {
  problem: string;
  /** A run's label, 'reference', or 'published'. */
  configuration: string;
  role: 'published' | 'reference' | 'main';
  quantity: 'E' | 'J';
  /** The run's time step (the published one for the published row; NaN if not stated). */
  tau: number;
  /** One value per published time (NaN where the run has none). */
  values: number[];
  /** (value − published)/|published| per published time. */
  relDiff: number[];
}

/** The steps.csv row at time t (|t_row − t| ≤ 1e-6 τ), or undefined. */
function rowAt(rows: readonly StepRow[], t: number, tau: number): StepRow | undefined {
  const step = Math.round(t / tau);
  const r = rows[step]?.step === step ? rows[step] : rows.find((x) => x.step === step);
  return r && Math.abs(r.t - t) <= 1e-6 * tau ? r : undefined;
}

/** Every row of the comparison for one problem of the results (none without a published block). */
export function publishedEnergyRows(results: Pick<SuiteResults, 'runs' | 'layout'>, p: ResolvedProblem): PublishedEnergyRow[] {
  const pub = p.spec.publishedEnergies;
  if (!pub) return [];
  const name = p.id;
  const rel = (values: number[]) => values.map((v, i) => (v - pub.values[i]) / Math.abs(pub.values[i]));
  const out: PublishedEnergyRow[] = [
    { problem: name, configuration: 'published', role: 'published', quantity: pub.quantity, tau: pub.tau ?? Number.NaN, values: [...pub.values], relDiff: pub.values.map(() => 0) },
  ];
  const runs = results.runs.filter((r) => r.problem === name && (r.role === 'reference' || r.role === 'main'));
  // The reference first, then the main runs in suite order.
  runs.sort((a, b) => (a.role === b.role ? 0 : a.role === 'reference' ? -1 : 1));
  for (const r of runs) {
    const tau = r.role === 'reference' ? referenceProblem(p).tau : p.problem.tau;
    const path = results.layout.run(r).steps;
    const rows = existsSync(path) ? readStepsCsv(path).rows : [];
    const at = pub.times.map((t) => rowAt(rows, t, tau));
    const energy = at.map((x) => x?.energy ?? Number.NaN);
    const role = r.role as 'reference' | 'main';
    out.push({ problem: name, configuration: r.label, role, quantity: 'E', tau, values: energy, relDiff: rel(energy) });
    if (pub.quantity === 'J' && (pub.tau === undefined || Math.abs(tau - pub.tau) <= 1e-9 * pub.tau)) {
      const j = at.map((x) => (x ? x.energy + x.movement : Number.NaN));
      out.push({ problem: name, configuration: r.label, role, quantity: 'J', tau, values: j, relDiff: rel(j) });
    }
  }
  return out;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return v.toFixed(2);
}

function signedPct(v: number): string {
  if (!Number.isFinite(v)) return '';
  return ` (${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}%)`;
}

const quantityName = (q: 'E' | 'J') => (q === 'J' ? 'Jₙ' : 'E');

/** The published block's heading paragraph: source, setup and what the numbers are. */
function sourceLine(pub: PublishedEnergies): string {
  const what =
    pub.quantity === 'J'
      ? `Jₙ = E(uⁿ) + ‖uⁿ − uⁿ⁻¹‖²/(2mτ), the energy plus the movement term of the step${pub.tau !== undefined ? ` (their τ = ${pub.tau})` : ''}`
      : 'the energy E(uⁿ)';
  return `Published: ${pub.source}${pub.setup ? `; ${pub.setup}` : ''}. The published values are ${what}.`;
}

/**
 * REPORT.md's "Published energies" section: for each problem with a published block, one table
 * with a row per (configuration, quantity) and a column per published time, each cell the value
 * and its Δ against the published one. Empty when no problem has a block.
 */
export function publishedEnergySection(results: Pick<SuiteResults, 'runs' | 'layout' | 'problems'>): string[] {
  const lines: string[] = [];
  for (const p of results.problems) {
    const pub = p.spec.publishedEnergies;
    if (!pub) continue;
    const rows = publishedEnergyRows(results, p);
    if (lines.length === 0) {
      lines.push(
        '## Published energies',
        '',
        'Energies of each run at the times a publication gives, beside the published values; Δ = (value − published)/|published|. ' +
          'E is each solver\'s energy in float64 on its own quadrature; Jₙ adds the movement term of the step, shown only for runs with the published time step ' +
          '(the reference\'s smaller step makes its movement term another number). E ≤ Jₙ, so an E row sits below a published Jₙ by that term. Full precision in `published-energies.csv`.',
        '',
      );
    }
    lines.push(`### ${p.id}`, '', sourceLine(pub), '');
    const header = ['configuration', 'quantity', 'τ', ...pub.times.map((t) => `t = ${t}`)];
    const body = rows.map((r) => [
      r.role === 'published' ? '**published**' : r.role === 'reference' ? '**reference**' : r.configuration,
      quantityName(r.quantity),
      Number.isFinite(r.tau) ? String(r.tau) : '–',
      ...r.values.map((v, i) => (r.role === 'published' ? num(v) : `${num(v)}${signedPct(r.relDiff[i])}`)),
    ]);
    const esc = (c: string) => c.replace(/\|/g, '\\|');
    lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.map(esc).join(' | ')} |`), '');
  }
  return lines;
}

export const PUBLISHED_ENERGY_COLUMNS = ['problem', 'configuration', 'role', 'quantity', 'tau', 't', 'value', 'published', 'rel_diff'] as const;

/** published-energies.csv: one row per (problem, configuration, quantity, time), at full precision; nothing written without a published block. */
export function writePublishedEnergiesCsv(path: string, results: Pick<SuiteResults, 'runs' | 'layout' | 'problems'>): boolean {
  const out: (string | number)[][] = [];
  for (const p of results.problems) {
    const pub = p.spec.publishedEnergies;
    if (!pub) continue;
    for (const r of publishedEnergyRows(results, p)) {
      r.values.forEach((v, i) => out.push([r.problem, r.configuration, r.role, r.quantity, Number.isFinite(r.tau) ? r.tau : '', pub.times[i], Number.isFinite(v) ? v : '', pub.values[i], Number.isFinite(r.relDiff[i]) ? r.relDiff[i] : '']));
    }
  }
  if (out.length === 0) return false;
  writeCsvAtomic(path, PUBLISHED_ENERGY_COLUMNS, out);
  return true;
}
