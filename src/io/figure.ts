import { PNG } from 'pngjs';
import { colorAt, type Panel } from './png.js';

/**
 * Labelled field figures as PNG, readable without a caption: a title, then rows of panels, each
 * with its label above, x and y axes with the domain's end values, and its own colour bar with
 * its range (top, middle, bottom value). Text is drawn with a 5×7 bitmap font of our own
 * (FONT below: lowercase letters, digits and the symbols the figures use; capitals are drawn
 * lowercase, anything else as '?'), so nothing beyond pngjs is needed to rasterise.
 *
 * Panel pixels follow encodePanelGrid (png.ts): point (i, j) of the k×k uniform grid is a
 * scale×scale block, x to the right, y up.
 */

/**
 * 5×7 glyphs: seven rows above the baseline, bit 4 the leftmost column; g, j, p, q and y have
 * two more rows below it (descenders). Drawn for this project.
 */
const FONT = new Map<string, readonly number[]>([
  ['a', [0, 0, 14, 1, 15, 17, 15]],
  ['b', [16, 16, 30, 17, 17, 17, 30]],
  ['c', [0, 0, 15, 16, 16, 16, 15]],
  ['d', [1, 1, 15, 17, 17, 17, 15]],
  ['e', [0, 0, 14, 17, 31, 16, 14]],
  ['f', [6, 8, 30, 8, 8, 8, 8]],
  ['g', [0, 0, 15, 17, 17, 17, 15, 1, 14]],
  ['h', [16, 16, 30, 17, 17, 17, 17]],
  ['i', [4, 0, 12, 4, 4, 4, 14]],
  ['j', [2, 0, 6, 2, 2, 2, 2, 18, 12]],
  ['k', [16, 16, 18, 20, 24, 20, 18]],
  ['l', [12, 4, 4, 4, 4, 4, 14]],
  ['m', [0, 0, 26, 21, 21, 21, 21]],
  ['n', [0, 0, 30, 17, 17, 17, 17]],
  ['o', [0, 0, 14, 17, 17, 17, 14]],
  ['p', [0, 0, 30, 17, 17, 17, 30, 16, 16]],
  ['q', [0, 0, 15, 17, 17, 17, 15, 1, 1]],
  ['r', [0, 0, 22, 25, 16, 16, 16]],
  ['s', [0, 0, 15, 16, 14, 1, 30]],
  ['t', [8, 8, 30, 8, 8, 9, 6]],
  ['u', [0, 0, 17, 17, 17, 19, 13]],
  ['v', [0, 0, 17, 17, 17, 10, 4]],
  ['w', [0, 0, 17, 17, 21, 21, 10]],
  ['x', [0, 0, 17, 10, 4, 10, 17]],
  ['y', [0, 0, 17, 17, 17, 17, 15, 1, 14]],
  ['z', [0, 0, 31, 2, 4, 8, 31]],
  ['0', [14, 17, 19, 21, 25, 17, 14]],
  ['1', [4, 12, 4, 4, 4, 4, 14]],
  ['2', [14, 17, 1, 2, 4, 8, 31]],
  ['3', [30, 1, 1, 14, 1, 1, 30]],
  ['4', [2, 6, 10, 18, 31, 2, 2]],
  ['5', [31, 16, 30, 1, 1, 17, 14]],
  ['6', [6, 8, 16, 30, 17, 17, 14]],
  ['7', [31, 1, 2, 4, 8, 8, 8]],
  ['8', [14, 17, 17, 14, 17, 17, 14]],
  ['9', [14, 17, 17, 15, 1, 2, 12]],
  ['.', [0, 0, 0, 0, 0, 12, 12]],
  [',', [0, 0, 0, 0, 12, 4, 8]],
  ['-', [0, 0, 0, 31, 0, 0, 0]],
  ['−', [0, 0, 0, 31, 0, 0, 0]],
  ['+', [0, 4, 4, 31, 4, 4, 0]],
  ['=', [0, 0, 31, 0, 31, 0, 0]],
  ['(', [2, 4, 8, 8, 8, 4, 2]],
  [')', [8, 4, 2, 2, 2, 4, 8]],
  [':', [0, 12, 12, 0, 12, 12, 0]],
  ['|', [4, 4, 4, 4, 4, 4, 4]],
  ['/', [0, 1, 2, 4, 8, 16, 0]],
  ['_', [0, 0, 0, 0, 0, 0, 31]],
  ['±', [4, 4, 31, 4, 4, 0, 31]],
  ['×', [0, 17, 10, 4, 10, 17, 0]],
  ['ε', [0, 0, 15, 16, 14, 16, 15]],
  ['τ', [0, 0, 31, 4, 4, 4, 3]],
  ['%', [24, 25, 2, 4, 8, 19, 3]],
  ['[', [14, 8, 8, 8, 8, 8, 14]],
  [']', [14, 2, 2, 2, 2, 2, 14]],
  ['²', [12, 2, 4, 14, 0, 0, 0]],
  ['\'', [4, 4, 0, 0, 0, 0, 0]],
  ['?', [14, 17, 1, 2, 4, 0, 4]],
]);

const GLYPH_W = 5;
/** Height above the baseline (capitals, digits); descenders add DESCENT rows below. */
const GLYPH_H = 7;
const DESCENT = 2;
/** Advance per character (glyph plus one column of space) and line height, at text scale 1. */
export const CHAR_W = GLYPH_W + 1;
export const LINE_H = GLYPH_H + DESCENT + 2;

/** Width in pixels of a line of text at a scale. */
export function textWidth(text: string, scale = 1): number {
  return [...text].length * CHAR_W * scale;
}

/** An RGBA canvas: width, height and data[(y·width + x)·4 + channel]. */
export interface Canvas {
  width: number;
  height: number;
  data: Buffer;
}

export function createCanvas(width: number, height: number, rgb: readonly [number, number, number] = [255, 255, 255]): Canvas {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < data.length; p += 4) {
    data[p] = rgb[0];
    data[p + 1] = rgb[1];
    data[p + 2] = rgb[2];
    data[p + 3] = 255;
  }
  return { width, height, data };
}

function setPixel(c: Canvas, x: number, y: number, r: number, g: number, b: number): void {
  if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
  const o = (y * c.width + x) * 4;
  c.data[o] = r;
  c.data[o + 1] = g;
  c.data[o + 2] = b;
  c.data[o + 3] = 255;
}

/** Draw text with its top-left corner at (x, y); returns the x after the last character. */
export function drawText(c: Canvas, text: string, x: number, y: number, scale = 1, rgb: readonly [number, number, number] = [0, 0, 0]): number {
  x = Math.round(x);
  y = Math.round(y);
  for (const raw of text) {
    const ch = FONT.has(raw) ? raw : FONT.has(raw.toLowerCase()) ? raw.toLowerCase() : raw === ' ' ? ' ' : '?';
    const rows = FONT.get(ch);
    if (rows) {
      for (let r = 0; r < rows.length; r++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (!(rows[r] & (1 << (GLYPH_W - 1 - col)))) continue;
          for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) setPixel(c, x + col * scale + dx, y + r * scale + dy, rgb[0], rgb[1], rgb[2]);
        }
      }
    }
    x += CHAR_W * scale;
  }
  return x;
}

function rect(c: Canvas, x: number, y: number, w: number, h: number, rgb: readonly [number, number, number]): void {
  x = Math.round(x);
  y = Math.round(y);
  for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) setPixel(c, xx, yy, rgb[0], rgb[1], rgb[2]);
}

/** A number for a tick label: up to 3 significant digits, exponent form outside [1e-3, 1e4). */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e4 || a < 1e-3 ? v.toExponential(1).replace(/\.0e/, 'e').replace('e+', 'e') : String(Number(v.toPrecision(3)));
  return s.replace(/^-/, '−');
}

/** One panel of a figure: a field Panel (png.ts) plus what is written around it. */
export interface FigurePanel extends Panel {
  /** Above the panel, e.g. 'fem-stabilized-n64', 'reference', 'difference'. */
  label: string;
}

export interface FieldFigure {
  title: string;
  rows: readonly (readonly FigurePanel[])[];
  /** The box the k×k grid spans (axis end labels). */
  domain: { min: readonly number[]; max: readonly number[] };
  /** Pixels per grid point (default 2). */
  scale?: number;
}

const BAR_W = 10;
const PAD = 8;

/** Where everything of a figure goes; exported for tests. */
export function figureLayout(fig: FieldFigure) {
  const scale = fig.scale ?? 2;
  const k = fig.rows[0][0].k;
  const side = k * scale;
  const yTicks = [tickLabel(fig.domain.min[1]), tickLabel(fig.domain.max[1])];
  const axisW = Math.max(...yTicks.map((t) => textWidth(t))) + 4 + CHAR_W + 2;
  const barLabels = fig.rows.flat().flatMap((p) => [tickLabel(p.max), tickLabel((p.min + p.max) / 2), tickLabel(p.min)]);
  const barW = 4 + BAR_W + 3 + Math.max(...barLabels.map((t) => textWidth(t)));
  const labelW = Math.max(...fig.rows.flat().map((p) => textWidth(p.label)));
  const cellW = Math.max(axisW + side + barW, axisW + labelW) + PAD;
  const cellH = LINE_H + side + 2 * LINE_H + PAD;
  const titleH = 2 * LINE_H + 4;
  const cols = Math.max(...fig.rows.map((r) => r.length));
  const width = Math.max(PAD + cols * cellW, PAD * 2 + textWidth(fig.title, 2));
  const height = titleH + fig.rows.length * cellH + PAD;
  /** Top-left pixel of the field of panel (row r, column c). */
  const panelAt = (r: number, c: number) => ({ x: PAD + c * cellW + axisW, y: titleH + r * cellH + LINE_H });
  return { scale, k, side, axisW, barW, cellW, cellH, titleH, width, height, panelAt };
}

/** Render a labelled field figure; returns PNG bytes. */
export function encodeFieldFigure(fig: FieldFigure): Buffer {
  if (fig.rows.length === 0 || fig.rows.some((r) => r.length === 0)) throw new RangeError('encodeFieldFigure: every row needs at least one panel');
  const L = figureLayout(fig);
  const { k, side, scale } = L;
  for (const p of fig.rows.flat()) {
    if (p.k !== k || p.values.length !== k * k) throw new RangeError(`encodeFieldFigure: every panel must be ${k}×${k}, got k = ${p.k} with ${p.values.length} values`);
    if (!(p.max > p.min)) throw new RangeError(`encodeFieldFigure: panel '${p.label}' range must have max > min, got [${p.min}, ${p.max}]`);
  }
  const c = createCanvas(L.width, L.height);
  drawText(c, fig.title, PAD, 4, 2);
  const px = new Uint8Array(4);
  const grey: [number, number, number] = [90, 90, 90];
  fig.rows.forEach((row, r) => {
    row.forEach((panel, col) => {
      const { x: x0, y: y0 } = L.panelAt(r, col);
      drawText(c, panel.label, x0, y0 - LINE_H + 1);
      const inv = 1 / (panel.max - panel.min);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          colorAt(panel.map, (panel.values[i * k + j] - panel.min) * inv, px, 0);
          rect(c, x0 + i * scale, y0 + (k - 1 - j) * scale, scale, scale, [px[0], px[1], px[2]]);
        }
      }
      // frame and axes: y end values left of the panel, x end values below, axis names
      rect(c, x0 - 1, y0 - 1, side + 2, 1, grey);
      rect(c, x0 - 1, y0 + side, side + 2, 1, grey);
      rect(c, x0 - 1, y0 - 1, 1, side + 2, grey);
      rect(c, x0 + side, y0 - 1, 1, side + 2, grey);
      const yMax = tickLabel(fig.domain.max[1]);
      const yMin = tickLabel(fig.domain.min[1]);
      drawText(c, yMax, x0 - 3 - textWidth(yMax), y0);
      drawText(c, yMin, x0 - 3 - textWidth(yMin), y0 + side - GLYPH_H);
      drawText(c, 'y', x0 - L.axisW, y0 + (side - GLYPH_H) / 2);
      drawText(c, tickLabel(fig.domain.min[0]), x0, y0 + side + 3);
      const xMax = tickLabel(fig.domain.max[0]);
      drawText(c, xMax, x0 + side - textWidth(xMax) + 1, y0 + side + 3);
      drawText(c, 'x', x0 + (side - GLYPH_W) / 2, y0 + side + 3);
      // colour bar: max at the top, min at the bottom, labelled at both ends and the middle
      const bx = x0 + side + 4;
      for (let yy = 0; yy < side; yy++) {
        colorAt(panel.map, 1 - yy / (side - 1), px, 0);
        rect(c, bx, y0 + yy, BAR_W, 1, [px[0], px[1], px[2]]);
      }
      rect(c, bx - 1, y0 - 1, BAR_W + 2, 1, grey);
      rect(c, bx - 1, y0 + side, BAR_W + 2, 1, grey);
      const lx = bx + BAR_W + 3;
      drawText(c, tickLabel(panel.max), lx, y0);
      drawText(c, tickLabel((panel.min + panel.max) / 2), lx, y0 + (side - GLYPH_H) / 2);
      drawText(c, tickLabel(panel.min), lx, y0 + side - GLYPH_H);
    });
  });
  const png = new PNG({ width: c.width, height: c.height, colorType: 6 });
  c.data.copy(png.data);
  return PNG.sync.write(png);
}
