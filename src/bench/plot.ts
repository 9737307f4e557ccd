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
