import { describe, expect, it } from 'vitest';
import { linePlotSpec, renderLinePlotSvg } from '../src/bench/plot.js';
import { BLUE_WHITE_RED, colorAt, decodePng, differencePanel, encodePanelGrid, phasePanel, VIRIDIS } from '../src/io/png.js';

describe('colour maps', () => {
  it('hit the tabulated end and middle points and interpolate linearly between them', () => {
    const px = new Uint8Array(4);
    colorAt(VIRIDIS, 0, px, 0);
    expect([...px]).toEqual([68, 1, 84, 255]);
    colorAt(VIRIDIS, 1, px, 0);
    expect([...px]).toEqual([253, 231, 37, 255]);
    colorAt(BLUE_WHITE_RED, 0.5, px, 0); // u = 0 on [−1, 1] is white
    expect([...px]).toEqual([247, 247, 247, 255]);
    // halfway between control points 0 (33,102,172) and 1 (67,147,195): s = 1/16
    colorAt(BLUE_WHITE_RED, 1 / 16, px, 0);
    expect([...px]).toEqual([50, 125, 184, 255]);
    colorAt(BLUE_WHITE_RED, -3, px, 0); // clamped
    expect([...px]).toEqual([33, 102, 172, 255]);
    colorAt(BLUE_WHITE_RED, Number.NaN, px, 0);
    expect([...px]).toEqual([128, 128, 128, 255]);
  });
});

describe('panel images', () => {
  it('lays panels out with gaps, x to the right and y upwards', () => {
    const k = 4;
    // u(i, j) = +1 where x is large (i ≥ 2), −1 elsewhere; v = +1 where y is large (j ≥ 2)
    const u = new Float64Array(k * k);
    const v = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      u[i * k + j] = i >= 2 ? 1 : -1;
      v[i * k + j] = j >= 2 ? 1 : -1;
    }
    const d = new Float64Array(k * k).map((_, q) => v[q] - u[q]);
    const bytes = encodePanelGrid([[phasePanel(u, k), phasePanel(v, k), differencePanel(d, k)]], { scale: 3, gap: 2 });
    const img = decodePng(bytes);
    expect(img.width).toBe(3 * 12 + 4 * 2);
    expect(img.height).toBe(12 + 2 * 2);
    const at = (x: number, y: number) => [...img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 3)];
    const red = [178, 24, 43];
    const blue = [33, 102, 172];
    expect(at(0, 0)).toEqual([255, 255, 255]); // gap
    expect(at(2, 2)).toEqual(blue); // panel 1 top-left: x small → −1
    expect(at(2 + 11, 2)).toEqual(red); // panel 1 top-right: x large → +1
    const p2 = 2 + 12 + 2;
    expect(at(p2, 2)).toEqual(red); // panel 2 top: y large → +1
    expect(at(p2, 2 + 11)).toEqual(blue); // panel 2 bottom: y small → −1
    const p3 = p2 + 12 + 2;
    expect(at(p3, 2 + 11)).toEqual([247, 247, 247]); // bottom-left: v − u = −1 − (−1) = 0
    expect(at(p3 + 11, 2)).toEqual([247, 247, 247]); // top-right: 1 − 1 = 0
    expect(at(p3, 2)).toEqual(red); // top-left: 1 − (−1) = 2 = max
  });

  it('rejects mismatched panels with a clear message', () => {
    expect(() => encodePanelGrid([[phasePanel(new Float64Array(9), 3), phasePanel(new Float64Array(16), 4)]])).toThrow(
      'encodePanelGrid: all panels must have the same grid size, got 4 and 3',
    );
    expect(() => encodePanelGrid([[phasePanel(new Float64Array(8), 3)]])).toThrow('encodePanelGrid: a 3×3 panel needs 9 values, got 8');
  });
});

describe('line plots', () => {
  it('renders an SVG with one path per series and drops non-finite points', async () => {
    const spec = linePlotSpec(
      [
        { label: 'fem', x: [0, 1, 2], y: [3, 2, Number.NaN] },
        { label: 'sdmm', x: [0, 1], y: [3.1, 2.2] },
      ],
      { title: 'E', xTitle: 't', yTitle: 'E' },
    );
    expect((spec as { data: { values: unknown[] } }).data.values).toHaveLength(4);
    const svg = await renderLinePlotSvg([{ label: 'fem', x: [0, 1, 2], y: [3, 2, 1] }, { label: 'sdmm', x: [0, 1], y: [3.1, 2.2] }], {
      title: 'energy',
      xTitle: 't',
      yTitle: 'E',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('energy');
    expect(svg.match(/aria-roledescription="line mark" d="M/g)).toHaveLength(2);
    expect(svg).toContain('series: sdmm');
  });
});
