import { describe, expect, it } from 'vitest';
import { CHAR_W, createCanvas, drawText, encodeFieldFigure, figureLayout, tickLabel } from '../src/io/figure.js';
import { BLUE_WHITE_RED, colorAt, decodePng, differencePanel, phasePanel } from '../src/io/png.js';

/** The labelled field figures (src/io/figure.ts): exact pixels of text, panels and colour bars. */
const k = 8;
// u(i, j) = (i − j)/7 ∈ [−1, 1]: i = 7, j = 0 (bottom right) is +1, i = 0, j = 7 (top left) −1.
const u = new Float64Array(k * k).map((_, q) => (Math.floor(q / k) - (q % k)) / (k - 1));

function pixel(png: { width: number; data: Buffer }, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return [png.data[o], png.data[o + 1], png.data[o + 2]];
}

function expected(s: number): number[] {
  const out = new Uint8Array(4);
  colorAt(BLUE_WHITE_RED, s, out, 0);
  return [out[0], out[1], out[2]];
}

describe('bitmap text', () => {
  it("draws '1' as its 5×7 glyph and advances one character", () => {
    const c = createCanvas(12, 9);
    expect(drawText(c, '1', 1, 1)).toBe(1 + CHAR_W);
    const rows = Array.from({ length: 7 }, (_, r) => Array.from({ length: 5 }, (_, col) => (c.data[((r + 1) * 12 + col + 1) * 4] === 0 ? '#' : '.')).join(''));
    expect(rows).toEqual(['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
  });
  it('capitals are drawn as lowercase, unknown characters as ?', () => {
    const a = createCanvas(8, 8);
    const b = createCanvas(8, 8);
    drawText(a, 'A', 0, 0);
    drawText(b, 'a', 0, 0);
    expect(a.data.equals(b.data)).toBe(true);
    const q = createCanvas(8, 8);
    const unknown = createCanvas(8, 8);
    drawText(q, '?', 0, 0);
    drawText(unknown, '€', 0, 0);
    expect(unknown.data.equals(q.data)).toBe(true);
  });
  it('tick labels: three significant digits, exponents outside [1e-3, 1e4), a real minus sign', () => {
    expect([0, 1, -1, 0.0169, 0.05952, 1.5e-4, -2.5e5].map(tickLabel)).toEqual(['0', '1', '−1', '0.0169', '0.0595', '1.5e-4', '−2.5e5']);
  });
});

describe('a field figure', () => {
  const fig = {
    title: 'test, t = 0.5',
    domain: { min: [0, 0], max: [1, 2] },
    scale: 3,
    rows: [[{ ...phasePanel(u, k), label: 'u: solver' }, { ...differencePanel(u.map((v) => v / 100), k), label: 'difference' }]],
  };
  const png = decodePng(encodeFieldFigure(fig));
  const L = figureLayout(fig);

  it('has the size of its layout and draws each field point as a scale × scale block, y up', () => {
    expect([png.width, png.height]).toEqual([L.width, L.height]);
    const { x, y } = L.panelAt(0, 0);
    // top-left block is (i = 0, j = 7): u = −1, the bottom-right block (i = 7, j = 0): u = +1
    expect(pixel(png, x + 1, y + 1)).toEqual(expected(0));
    expect(pixel(png, x + L.side - 2, y + L.side - 2)).toEqual(expected(1));
    // the diagonal i = j is u = 0: white-ish middle of the map
    expect(pixel(png, x + 3 * 3 + 1, y + (k - 1 - 3) * 3 + 1)).toEqual(expected(0.5));
  });

  it('gives every panel its own colour bar: top is the panel max, bottom its min', () => {
    for (const col of [0, 1]) {
      const { x, y } = L.panelAt(0, col);
      const bx = x + L.side + 4 + 5;
      expect(pixel(png, bx, y)).toEqual(expected(1));
      expect(pixel(png, bx, y + L.side - 1)).toEqual(expected(0));
    }
    // the difference panel has range ±0.01: its bar is labelled 0.01 at the top
    const { x, y } = L.panelAt(0, 1);
    const label = createCanvas(40, 8);
    drawText(label, '0.01', 0, 0);
    const lx = x + L.side + 4 + 10 + 3;
    for (let r = 0; r < 7; r++) for (let c = 0; c < 4 * CHAR_W - 1; c++) expect(pixel(png, lx + c, y + r)[0] === 0).toBe(label.data[(r * 40 + c) * 4] === 0);
  });
});
