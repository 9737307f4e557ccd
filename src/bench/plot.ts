import type { TopLevelSpec } from 'vega-lite';

/**
 * Line plots rendered to SVG in Node with vega-lite (spec → vega) and vega's headless view
 * (`renderer: 'none'`, `view.toSVG()`), which needs no canvas. Used for the energy-against-time
 * plot of all solvers and the cost-growth plots of the scaling benchmark.
 */

/** One line: a label and its (x, y) points. Non-finite y values are dropped. */
export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LinePlotOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  width?: number;
  height?: number;
  /** Draw a point at every datum (for short sweeps). */
  points?: boolean;
}

/** The vega-lite spec of a multi-series line plot (exported for tests and for users' own rendering). */
export function linePlotSpec(series: readonly Series[], o: LinePlotOptions): TopLevelSpec {
  const values: { x: number; y: number; series: string }[] = [];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) values.push({ x: s.x[i], y: s.y[i], series: s.label });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 520,
    height: o.height ?? 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: o.points ?? false, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: o.xScale === 'log' ? { type: 'log' } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.yScale === 'log' ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Render a multi-series line plot to an SVG string. */
export async function renderLinePlotSvg(series: readonly Series[], o: LinePlotOptions): Promise<string> {
  return renderSpecSvg(linePlotSpec(series, o));
}

/**
 * Render any vega-lite spec to an SVG string. vega and vega-lite (23 MB, ~1.5 s to load) are
 * imported here, on the first picture, so commands that write no report never load them.
 */
export async function renderSpecSvg(lite: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = compile(lite).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The same picture as a PNG: the SVG of `renderSpecSvg` rasterised by resvg (@resvg/resvg-js, a
 * prebuilt native package from npm, loaded only here) at `scale`× its size with the system's fonts,
 * so the PNG and the SVG show one picture.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const image = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return image.render().asPng();
}

/** A curve's points as vega-lite rows (non-finite values dropped). */
function rows(series: readonly Series[], extra: (s: Series, i: number) => Record<string, number | string> = () => ({})): Record<string, number | string>[] {
  const out: Record<string, number | string>[] = [];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) out.push({ x: s.x[i], y: s.y[i], series: s.label, ...extra(s, i) });
  }
  return out;
}

/**
 * The energy figure of a problem: E(t) of every configuration and the reference (top), and the
 * relative difference (E − E_ref)/|E_ref| of each configuration against the reference at the
 * same times (bottom), where 1–3 % differences that overlap in the top panel separate. Legend
 * labels are never truncated; every point carries a tooltip (report.html).
 */
export function energyPlotSpec(problem: string, energies: readonly Series[], relative: readonly Series[]): TopLevelSpec {
  const color = { field: 'series', type: 'nominal' as const, title: 'configuration', legend: { labelLimit: 0, orient: 'right' as const } };
  // Dashes as well as colours (six curves): one legend shows both (same field, same title).
  const dash = { field: 'series', type: 'nominal' as const, title: 'configuration', legend: { labelLimit: 0, orient: 'right' as const } };
  const tooltip = [
    { field: 'series', type: 'nominal' as const, title: 'configuration' },
    { field: 'x', type: 'quantitative' as const, title: 't', format: '.4~g' },
    { field: 'y', type: 'quantitative' as const, title: 'value', format: '.6~g' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${problem}: energy against time`,
    background: 'white',
    vconcat: [
      {
        width: 520,
        height: 240,
        data: { values: rows(energies) },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 't', scale: { zero: false } },
          y: { field: 'y', type: 'quantitative', title: 'E(u)', scale: { zero: false } },
          color,
          strokeDash: dash,
          tooltip,
        },
      },
      {
        width: 520,
        height: 200,
        data: { values: rows(relative) },
        layer: [
          { mark: { type: 'rule', color: '#888' }, encoding: { y: { datum: 0 } } },
          {
            mark: { type: 'line', strokeWidth: 1.5, point: { size: 12 } },
            encoding: {
              x: { field: 'x', type: 'quantitative', title: 't', scale: { zero: false } },
              y: { field: 'y', type: 'quantitative', title: '(E − E_ref) / |E_ref|', axis: { format: '.1%' } },
              color,
              strokeDash: dash,
              tooltip,
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

/** One configuration's cost and accuracy: total wall time and relative L2 error at the final time. */
export interface AccuracyPoint {
  label: string;
  family: string;
  wallSeconds: number;
  relL2: number;
}

/**
 * Time to accuracy: relative L2 error at the final time against total wall time, one marker per
 * configuration (main runs and the resolution sweep), colour and shape per solver family, a
 * line through each family's points in order of cost; log–log.
 */
export function timeToAccuracySpec(problem: string, points: readonly AccuracyPoint[]): TopLevelSpec {
  const values = points.filter((p) => p.wallSeconds > 0 && p.relL2 > 0 && Number.isFinite(p.relL2));
  const x = { field: 'wallSeconds', type: 'quantitative' as const, title: 'total wall time [s]', scale: { type: 'log' as const } };
  const y = { field: 'relL2', type: 'quantitative' as const, title: 'relative L2 error at the final time', scale: { type: 'log' as const }, axis: { format: '.1~%' } };
  const family = { field: 'family', type: 'nominal' as const, title: 'solver family', legend: { labelLimit: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${problem}: accuracy against cost`,
    background: 'white',
    width: 480,
    height: 300,
    data: { values: values.map((p) => ({ ...p })) },
    layer: [
      { mark: { type: 'line', strokeWidth: 1, opacity: 0.5 }, encoding: { x, y, color: family, order: { field: 'wallSeconds', type: 'quantitative' } } },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x,
          y,
          color: family,
          shape: family,
          tooltip: [
            { field: 'label', type: 'nominal', title: 'configuration' },
            { field: 'family', type: 'nominal' },
            { field: 'wallSeconds', type: 'quantitative', title: 'wall [s]', format: '.3~g' },
            { field: 'relL2', type: 'quantitative', title: 'rel L2', format: '.3~%' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
