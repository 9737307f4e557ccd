import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureDirectory, writeFileAtomic } from '../io/atomic.js';
import { readFieldCsv, readStepsCsv } from '../io/csv.js';
import { encodeFieldFigure, type FigurePanel } from '../io/figure.js';
import { differencePanel, phasePanel, type Panel } from '../io/png.js';
import { describeProblem, stepCount } from '../physics/problems.js';
import { solverKind } from '../registry.js';
import { referenceProblem, solverOptions, type SolverSpec } from './config.js';
import { reportHtml, type HtmlPicture } from './html.js';
import { energyPlotSpec, renderSpecSvg, svgToPng, timeToAccuracySpec, type AccuracyPoint, type Series } from './plot.js';
import type { TopLevelSpec } from 'vega-lite';
import { publishedEnergySection, writePublishedEnergiesCsv } from './published.js';
import { maxEnergyDiff, maxRelL2, type RunResult, type SuiteResults } from './results.js';

/**
 * REPORT.md and its pictures, written from a suite's results:
 *
 * - `<problem>/fem-vs-sdmm.png`: at the final output time, FEM | SDMM | SDMM − FEM (the first FEM
 *   and the first SDMM configuration of the problem);
 * - `<problem>/snapshots-step<N>.png`: one row per configuration, solver | reference |
 *   solver − reference, at every output step;
 * - `<problem>/energy.svg` (and `.png`, the same picture rasterised): E(t) of every configuration and the reference.
 *
 * u is drawn in blue–white–red on [−1, 1]; differences in the same map on [−d, d] with d the
 * largest |difference| in that picture (stated in the report). Every table carries its units.
 */

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || v === ('' as unknown)) return '–';
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(100 * v).toFixed(2)}%`);

function table(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  // Header cells too: an unescaped '|' (as in 'max |u|') adds cells and GFM then renders no table.
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function snapshot(results: SuiteResults, r: RunResult, i: number): Float64Array | null {
  return readFieldCsv(results.layout.run(r).snapshot(r.outputSteps[i]));
}

function nanField(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

function diff(a: Float64Array | null, b: Float64Array | null, n: number): Float64Array {
  const d = new Float64Array(n);
  for (let q = 0; q < n; q++) d[q] = a && b ? a[q] - b[q] : Number.NaN;
  return d;
}

function maxAbsFinite(a: Float64Array): number {
  let m = 0;
  for (let q = 0; q < a.length; q++) if (Number.isFinite(a[q])) m = Math.max(m, Math.abs(a[q]));
  return m;
}

/**
 * Colour range of u in one picture: [−1, 1] once the phases have separated, otherwise (a
 * small-amplitude field such as early coarsening, max |u| < 0.9) ±max |u| rounded up to two
 * digits, so the pattern is visible; the caption states the range.
 */
function phaseLimit(fields: readonly (Float64Array | null)[]): number {
  let m = 0;
  for (const f of fields) if (f) m = Math.max(m, maxAbsFinite(f));
  if (m === 0 || m >= 0.9) return 1;
  const p = 10 ** (Math.floor(Math.log10(m)) - 1);
  return Math.ceil(m / p) * p;
}

function labelled(panel: Panel, label: string): FigurePanel {
  return { ...panel, label };
}

function phase(values: Float64Array | null, n: number, k: number, limit: number): Panel {
  return limit === 1 ? phasePanel(values ?? nanField(n), k) : { ...phasePanel(values ?? nanField(n), k), min: -limit, max: limit };
}

interface Picture {
  file: string;
  caption: string;
  /** The vega-lite spec of a plot (report.html draws it interactively). */
  spec?: TopLevelSpec;
}

/** (E − E_ref(t))/|E_ref(t)| with E_ref linearly interpolated in the reference's (t, E) rows; NaN outside them. */
function relativeToReference(ref: readonly { t: number; energy: number }[], t: number, energy: number): number {
  let lo = 0;
  let hi = ref.length - 1;
  if (t < ref[0].t - 1e-12 || t > ref[hi].t + 1e-12) return Number.NaN;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ref[mid].t <= t) lo = mid;
    else hi = mid;
  }
  const a = ref[hi].t > ref[lo].t ? Math.min(1, Math.max(0, (t - ref[lo].t) / (ref[hi].t - ref[lo].t))) : 0;
  const e = (1 - a) * ref[lo].energy + a * ref[hi].energy;
  return (energy - e) / Math.abs(e);
}

/** The pictures of one problem; returns their paths relative to the suite directory and captions. */
async function problemPictures(results: SuiteResults, problem: string): Promise<Picture[]> {
  const k = results.suite.grid;
  const n = k * k;
  const dir = results.layout.problemDir(problem);
  ensureDirectory(dir);
  const pics: Picture[] = [];
  const runs = results.runs.filter((r) => r.problem === problem);
  const ref = runs.find((r) => r.role === 'reference');
  const main = runs.filter((r) => r.role === 'main');
  const resolved = results.problems.find((p) => p.id === problem);
  if (!resolved || resolved.problem.dim !== 2) return pics;
  const nOut = resolved.outputSteps.length;

  const fem = main.find((r) => r.kind === 'fem' && r.status === 'completed') ?? main.find((r) => r.kind === 'fem');
  const sdmm = main.find((r) => r.kind === 'sdmm' && r.status === 'completed') ?? main.find((r) => r.kind === 'sdmm');
  if (fem && sdmm) {
    const a = snapshot(results, fem, nOut - 1);
    const b = snapshot(results, sdmm, nOut - 1);
    const d = diff(b, a, n);
    const lim = maxAbsFinite(d) || 1;
    const uLim = phaseLimit([a, b]);
    const t = fmt(resolved.outputSteps[nOut - 1] * resolved.problem.tau);
    writeFileAtomic(
      join(dir, 'fem-vs-sdmm.png'),
      encodeFieldFigure({
        title: `${problem}, t = ${t}: u of FEM and SDMM, and their difference`,
        domain: resolved.problem.domain,
        scale: k <= 128 ? 2 : 1,
        rows: [[labelled(phase(a, n, k, uLim), `u: ${fem.label}`), labelled(phase(b, n, k, uLim), `u: ${sdmm.label}`), labelled(differencePanel(d, k, lim), 'difference: sdmm − fem')]],
      }),
    );
    pics.push({
      file: `${problem}/fem-vs-sdmm.png`,
      caption: `${problem}, t = ${fmt(resolved.outputSteps[nOut - 1] * resolved.problem.tau)}: ${fem.label} | ${sdmm.label} | difference (u on ±${fmt(uLim)}; SDMM − FEM on ±${fmt(lim)})`,
    });
  }

  if (ref) {
    for (let i = 0; i < nOut; i++) {
      const refU = snapshot(results, ref, i);
      const rows: FigurePanel[][] = [];
      const diffs: Float64Array[] = [];
      const fields: (Float64Array | null)[] = [];
      for (const r of main) {
        const u = snapshot(results, r, i);
        fields.push(u);
        diffs.push(diff(u, refU, n));
      }
      // Each difference on its own symmetric scale ±max|difference| of its row.
      const lims = diffs.map((d) => maxAbsFinite(d) || 1);
      const uLim = phaseLimit([refU, ...fields]);
      main.forEach((r, j) =>
        rows.push([labelled(phase(fields[j], n, k, uLim), `u: ${r.label}`), labelled(phase(refU, n, k, uLim), 'u: reference'), labelled(differencePanel(diffs[j], k, lims[j]), `${r.label} − reference`)]),
      );
      if (rows.length === 0) continue;
      const step = resolved.outputSteps[i];
      const file = `snapshots-step${String(step).padStart(6, '0')}.png`;
      const t = fmt(step * resolved.problem.tau);
      writeFileAtomic(join(dir, file), encodeFieldFigure({ title: `${problem}, t = ${t}: solver | reference | difference`, domain: resolved.problem.domain, rows, scale: k <= 128 ? 2 : 1 }));
      pics.push({
        file: `${problem}/${file}`,
        caption: `${problem}, t = ${t}: one row per configuration (${main.map((r) => r.label).join(', ')}), columns solver | reference | solver − reference (u on ±${fmt(uLim)}, differences on ±${lims.map((l) => fmt(l)).join(', ±')})`,
      });
    }
  }

  const energies: Series[] = [];
  const relative: Series[] = [];
  let refRows: { t: number; energy: number }[] = [];
  if (ref && existsSync(results.layout.run(ref).steps)) refRows = readStepsCsv(results.layout.run(ref).steps).rows;
  for (const r of runs) {
    const path = results.layout.run(r).steps;
    if (!existsSync(path)) continue;
    const rows = readStepsCsv(path).rows;
    const isRef = r.role === 'reference';
    energies.push({ label: isRef ? 'reference (FEM, fine)' : r.label, x: rows.map((x) => x.t), y: rows.map((x) => x.energy) });
    if (!isRef && r.role === 'main' && refRows.length > 1) {
      relative.push({ label: r.label, x: rows.map((x) => x.t), y: rows.map((x) => relativeToReference(refRows, x.t, x.energy)) });
    }
  }
  if (energies.length > 0) {
    const spec = energyPlotSpec(problem, energies, relative);
    const energySvg = await renderSpecSvg(spec);
    writeFileAtomic(join(dir, 'energy.svg'), energySvg);
    writeFileAtomic(join(dir, 'energy.png'), await svgToPng(energySvg));
    pics.push({ file: `${problem}/energy.svg`, caption: `${problem}: E(t) of every configuration and the reference; below, each configuration's (E − E_ref)/|E_ref|`, spec });
  }
  const accuracy: AccuracyPoint[] = runs
    .filter((r) => r.role !== 'reference' && r.status === 'completed')
    .map((r) => ({ label: r.label, family: r.family, wallSeconds: r.totalWallMs / 1000, relL2: r.relL2.at(-1) ?? Number.NaN }));
  if (accuracy.length > 0) {
    const spec = timeToAccuracySpec(problem, accuracy);
    const accuracySvg = await renderSpecSvg(spec);
    writeFileAtomic(join(dir, 'accuracy.svg'), accuracySvg);
    writeFileAtomic(join(dir, 'accuracy.png'), await svgToPng(accuracySvg));
    pics.push({ file: `${problem}/accuracy.svg`, caption: `${problem}: relative L2 error at the final time against total wall time, one marker per configuration (main runs and sweep), per solver family`, spec });
  }
  return pics;
}

/**
 * The per-output-time table of a pattern-sensitive problem: for every configuration and output
 * time, rel L2, ΔE, the phase fraction and the characteristic length with their errors (the
 * reference's own values on its rows).
 */
function patternTable(runs: readonly RunResult[]): string {
  const rows: string[][] = [];
  for (const r of runs) {
    if (r.role === 'sweep') continue;
    const isRef = r.role === 'reference';
    r.outputTimes.forEach((t, i) => {
      rows.push([
        isRef ? '**reference**' : r.label,
        fmt(t),
        isRef ? '–' : pct(r.relL2[i]),
        isRef ? '–' : pct(r.energyDiff[i]),
        fmt(r.pattern?.phaseFraction[i], 4),
        isRef ? '–' : pct(r.pattern?.phaseFractionError[i]),
        fmt(r.pattern?.length[i], 4),
        isRef ? '–' : pct(r.pattern?.lengthError[i]),
      ]);
    });
  }
  return table(['configuration', 't', 'rel L2 (pattern-sensitive)', 'ΔE', 'phase fraction', 'phase frac err', 'length L', 'length err'], rows);
}

/** A sweep configuration in prose: its run name and the resolution it sets, e.g. 'fem-stabilized n=16'. */
function sweepEntry(s: SolverSpec): string {
  const kind = solverKind(s.kind);
  const res = kind.resolutionOption;
  return `${kind.runName(solverOptions(s))}${res ? ` ${res}=${String(s[res])}` : ''}`;
}

/** Write REPORT.md and the pictures into the suite directory. */
export async function writeReport(results: SuiteResults): Promise<void> {
  const { suite, environment: env } = results;
  const lines: string[] = [];
  lines.push(`# Benchmark report: ${suite.name}`, '');
  if (suite.description) lines.push(suite.description, '');
  lines.push(
    `Generated ${env.date} in ${fmt(results.wallMs / 1000)} s of wall time for this invocation (runs finished earlier were reused).`,
    '',
    '## Machine and versions',
    '',
    table(
      ['item', 'value'],
      [
        ['CPU', `${env.cpu} (${env.cores} logical cores)`],
        ['memory', `${env.memoryGiB} GiB`],
        ['OS', env.os],
        ['Node.js', env.node],
        ...Object.entries(env.packages).map(([k, v]) => [k, v]),
        ['git commit', env.git ? `${env.git.commit}${env.git.dirty ? ' (with uncommitted changes)' : ''}` : 'not a git checkout'],
      ],
    ),
    '',
    (results.jobs ?? 1) > 1
      ? `Wall times come from a shared machine with up to ${results.jobs} runs at a time (\`--jobs ${results.jobs}\`), which compete for cores and memory bandwidth: compare them within this report, not across machines; use \`--jobs 1\` for timing comparisons.`
      : 'Wall times come from a shared machine and one process; compare them within this report, not across machines.',
    '',
    '## Problems and the reference',
    '',
  );
  lines.push(
    table(
      ['problem', 'scale', 'ε', 'm', 'τ', 'T', 'steps', 'n', 'output times', 'reference'],
      results.problems.map((p) => {
        const rp = referenceProblem(p);
        const d = describeProblem(p.problem);
        return [
          p.id === p.problem.name ? p.id : `${p.id} (${p.problem.name})`,
          p.problem.scale,
          fmt(p.problem.epsilon),
          fmt(p.problem.mobility),
          fmt(p.problem.tau),
          fmt(p.problem.tEnd),
          String(d.steps),
          String(p.problem.n),
          p.outputSteps.map((s) => fmt(s * p.problem.tau)).join(', '),
          `FEM ${p.reference.scheme}, n = ${rp.n}${p.reference.cellType ? ` (${p.reference.cellType})` : ''}, τ = ${fmt(rp.tau)} (${stepCount(rp)} steps)`,
        ];
      }),
    ),
    '',
    `Errors are measured on a common ${suite.grid}×${suite.grid} uniform grid: relative L2 ‖u − u_ref‖/‖u_ref‖ (trapezoid rule), ` +
      'phase-area error (|{u>0}| − |{u_ref>0}|)/|{u_ref>0}|, energy difference (E − E_ref)/|E_ref| (each solver\'s own quadrature), ' +
      'and where the problem carries an exact law, its error: the radius error (R − R_law)/R_law with R = √(|{u>0}|/π) (the circle: R_law² = R₀² − 2mt), ' +
      'the energy-law error (E − E_law)/|E_law| (the 1D front: E_law = 2√2/(3ε)).',
    '',
  );

  lines.push('## Summary', '');
  lines.push('All numbers at the final time unless marked; "max" is the largest over the output times. Full precision in `summary.csv`.', '');
  for (const p of results.problems) {
    const runs = results.runs.filter((r) => r.problem === p.id);
    const radiusLaw = p.problem.laws?.radius !== undefined;
    const energyLaw = p.problem.laws?.energy !== undefined;
    const sensitive = p.problem.patternSensitive === true;
    lines.push(`### ${p.id === p.problem.name ? p.id : `${p.id} (${p.problem.name}, ε = ${fmt(p.problem.epsilon)})`}`, '');
    if (sensitive) {
      lines.push(
        'Pattern-sensitive problem: its pointwise error (rel L2) also measures where interfaces sit, which a small change of u₀ can shift; ' +
          'compare the measures a perturbation leaves stable too: ΔE max, the largest |E − E_ref|/|E_ref| over the output times; ' +
          'phase frac err, the phase fraction |{u>0}|/|Ω| minus the reference\'s; length err, (L − L_ref)/L_ref of the characteristic length L = 2π/k₁ ' +
          '(k₁ the first moment of the structure factor |û(k)|²). Per output time in the table after this one.',
        '',
      );
    }
    lines.push(
      table(
        ['configuration', 'status', 'unknowns', 'steps', 'wall [s]', 'ms/step', 'iter/step', 'E final', sensitive ? 'rel L2 (pattern-sensitive)' : 'rel L2', 'rel L2 max', 'area err', 'ΔE', ...(sensitive ? ['ΔE max', 'phase frac err', 'length err'] : []), ...(radiusLaw ? ['radius err'] : []), ...(energyLaw ? ['E law err'] : []), 'max |u|', 'stable', 'backend'],
        runs.map((r) => {
          const isRef = r.role === 'reference';
          return [
            isRef ? '**reference**' : r.label,
            (r.status === 'completed' ? 'ok' : `**${r.status}**: ${r.reason}`) + (r.warnings.length > 0 ? ', under-resolved ⚠' : ''),
            r.unknowns === null ? '–' : String(r.unknowns),
            String(r.steps),
            fmt(r.totalWallMs / 1000),
            fmt(r.msPerStep),
            fmt(r.iterationsPerStep),
            fmt(r.finalEnergy, 5),
            isRef ? '–' : pct(r.relL2.at(-1)),
            isRef ? '–' : pct(maxRelL2(r)),
            isRef ? '–' : pct(r.phaseAreaError.at(-1)),
            isRef ? '–' : pct(r.energyDiff.at(-1)),
            ...(sensitive ? (isRef ? ['–', '–', '–'] : [pct(maxEnergyDiff(r)), pct(r.pattern?.phaseFractionError.at(-1)), pct(r.pattern?.lengthError.at(-1))]) : []),
            ...(radiusLaw ? [pct(r.radiusError.at(-1))] : []),
            ...(energyLaw ? [pct(r.energyLawError?.at(-1))] : []),
            fmt(r.maxAbsU, 4),
            r.stable ? 'yes' : 'NO',
            r.backend,
          ];
        }),
      ),
      '',
    );
    if (p.outputSteps.length > 1) {
      // Every output time, not only the final one: a problem may be compared at several (ac1d).
      const times = p.outputSteps.map((s) => s * p.problem.tau);
      lines.push(`Relative L2 error ‖u − u_ref‖/‖u_ref‖ at each output time (3 significant digits; \`output-times.csv\` has full precision):`, '');
      lines.push(
        table(
          ['configuration', ...times.map((t) => `t = ${fmt(t)}`), 'wall [s]'],
          runs.filter((r) => r.role !== 'reference').map((r) => [r.label, ...p.outputSteps.map((_, i) => fmt(r.relL2[i])), fmt(r.totalWallMs / 1000)]),
        ),
        '',
      );
    }
    const failed = runs.filter((r) => !r.stable && r.status === 'completed');
    for (const r of failed) lines.push(`- ${r.label}: stability check: ${r.stability}`);
    if (failed.length > 0) lines.push('');
    // h > ε (src/physics/resolution.ts): the interface is not resolved, so read these rows as the discretisation's, not the equation's.
    const warned = runs.filter((r) => r.warnings.length > 0);
    for (const r of warned) for (const w of r.warnings) lines.push(`- ⚠ ${r.role === 'reference' ? 'reference' : r.label}: ${w.message}`);
    if (warned.length > 0) lines.push('');
    if (sensitive) lines.push(patternTable(runs), '');
  }

  lines.push(...publishedEnergySection(results));
  writePublishedEnergiesCsv(results.layout.publishedEnergiesCsv, results);

  if (results.timeToAccuracy.length > 0 && suite.sweep) {
    lines.push('## Time to accuracy', '');
    lines.push(
      'The least total wall time (set-up or initial fit included) at which each solver family reached the target relative L2 error at the final time, ' +
        `from the main runs and the resolution sweep (${suite.sweep.solvers.map(sweepEntry).join('; ')}). "not reached" means no configuration tried got there.`,
      '',
    );
    lines.push(
      table(
        ['problem', 'family', 'target', 'wall [s]', 'configuration', 'rel L2'],
        results.timeToAccuracy.map((r) => [r.problem, r.family, pct(r.target), r.wallMs === null ? 'not reached' : fmt(r.wallMs / 1000), r.label ?? '–', r.error === null ? '–' : pct(r.error)]),
      ),
      '',
    );
  }

  lines.push('## Pictures', '');
  const pictures = new Map<string, HtmlPicture>();
  for (const p of results.problems) {
    const pics = await problemPictures(results, p.id);
    for (const pic of pics) {
      lines.push(`**${pic.caption}**`, '', `![${pic.caption}](${pic.file})`, '');
      pictures.set(pic.file, pic.spec ? { file: pic.file, spec: pic.spec } : { file: pic.file, png: readFileSync(join(results.outDir, pic.file)) });
    }
  }

  lines.push('## Configurations', '');
  lines.push('Options passed to each solver (everything else at its documented default; the full resolved options are in each run\'s summary.json).', '');
  const seen = new Set<string>();
  for (const r of results.runs) {
    const key = `${r.problem}/${r.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`- \`${key}\` (${r.kind}): \`${JSON.stringify(solverOptions(r.spec))}\` → \`${relative(results.outDir, results.layout.run(r).dir)}/\``);
  }
  const published = results.problems.some((p) => p.spec.publishedEnergies) ? ', `published-energies.csv`' : '';
  lines.push('', `Suite definition: \`suite.json\`; machine: \`environment.json\`; tables: \`summary.csv\`, \`output-times.csv\`, \`time-to-accuracy.csv\`${published}.`, '');
  writeFileAtomic(results.layout.report, lines.join('\n'));
  writeFileAtomic(results.layout.reportHtml, await reportHtml(lines.join('\n'), pictures));
}
