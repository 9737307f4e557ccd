import { PNG } from 'pngjs';

/**
 * Colour-mapped PNG images of scalar fields on a k×k uniform grid, several panels in a grid
 * (e.g. FEM | SDMM | difference) with a small gap, encoded with pngjs.
 *
 * Field layout: the `uniformGrid` layout of src/solver.ts, value of point (i, j) at index
 * i·k + j with x increasing in i and y increasing in j. In the image x runs left to right and y
 * bottom to top (row 0 of the image is j = k − 1), so the picture looks like the domain.
 *
 * Colour maps are tabulated control points (RGB in 0..255, equally spaced on [0, 1]) linearly
 * interpolated: viridis (matplotlib's perceptually uniform map, van der Walt & Smith 2015,
 * sampled at 9 points) and a diverging blue–white–red (ColorBrewer RdBu, 9 classes, reversed) for
 * phase fields in [−1, 1] and for signed differences. NaN is drawn mid grey.
 */

/** Control points: flat RGB triples, equally spaced on [0, 1]. */
export interface ColorMap {
  readonly name: string;
  readonly rgb: Uint8Array;
}

export const VIRIDIS: ColorMap = {
  name: 'viridis',
  rgb: Uint8Array.from([
    68, 1, 84, 72, 40, 120, 62, 73, 137, 49, 104, 142, 38, 130, 142, 31, 158, 137, 53, 183, 121, 110, 206, 88, 253, 231, 37,
  ]),
};

export const BLUE_WHITE_RED: ColorMap = {
  name: 'blue-white-red',
  rgb: Uint8Array.from([
    33, 102, 172, 67, 147, 195, 146, 197, 222, 209, 229, 240, 247, 247, 247, 253, 219, 199, 244, 165, 130, 214, 96, 77, 178, 24, 43,
  ]),
};

/**
 * Write the colour of s ∈ [0, 1] (clamped; NaN → grey) as RGBA into out[offset..offset+3].
 * Linear interpolation between the two neighbouring control points.
 */
export function colorAt(map: ColorMap, s: number, out: Uint8Array | Buffer, offset: number): void {
  if (Number.isNaN(s)) {
    out[offset] = out[offset + 1] = out[offset + 2] = 128;
    out[offset + 3] = 255;
    return;
  }
  const n = map.rgb.length / 3 - 1;
  const x = (s <= 0 ? 0 : s >= 1 ? 1 : s) * n;
  const k = x >= n ? n - 1 : Math.floor(x);
  const a = x - k;
  const c = map.rgb;
  for (let ch = 0; ch < 3; ch++) {
    out[offset + ch] = Math.round((1 - a) * c[3 * k + ch] + a * c[3 * (k + 1) + ch]);
  }
  out[offset + 3] = 255;
}

/** One panel: a k×k field (uniformGrid layout), the value range mapped to [0, 1], the colour map. */
export interface Panel {
  values: Float64Array;
  k: number;
  min: number;
  max: number;
  map: ColorMap;
}

export interface PanelGridOptions {
  /** Pixels per grid point along each axis (default 2). */
  scale?: number;
  /** Gap between panels in pixels (default 6). */
  gap?: number;
  /** Background (gap) colour, RGB (default white). */
  background?: readonly [number, number, number];
}

/** A panel of u ∈ [−1, 1] in blue–white–red. */
export function phasePanel(values: Float64Array, k: number): Panel {
  return { values, k, min: -1, max: 1, map: BLUE_WHITE_RED };
}

/**
 * A panel of a signed difference in blue–white–red, symmetric range [−d, d] with
 * d = max |values| (or `limit` if given; a zero field uses d = 1).
 */
export function differencePanel(values: Float64Array, k: number, limit?: number): Panel {
  let d = limit ?? 0;
  if (limit === undefined) for (let i = 0; i < values.length; i++) d = Math.max(d, Math.abs(values[i]) || 0);
  if (d === 0) d = 1;
  return { values, k, min: -d, max: d, map: BLUE_WHITE_RED };
}

/**
 * Encode rows of panels as one PNG (rows top to bottom, panels left to right). Every panel in the
 * image must have the same k. Returns the PNG file bytes.
 */
export function encodePanelGrid(rows: readonly (readonly Panel[])[], options: PanelGridOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  const gap = options.gap ?? 6;
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  if (rows.length === 0 || rows.some((r) => r.length === 0)) throw new RangeError('encodePanelGrid: every row needs at least one panel');
  const k = rows[0][0].k;
  for (const row of rows) {
    for (const p of row) {
      if (p.k !== k) throw new RangeError(`encodePanelGrid: all panels must have the same grid size, got ${p.k} and ${k}`);
      if (p.values.length !== k * k) throw new RangeError(`encodePanelGrid: a ${k}×${k} panel needs ${k * k} values, got ${p.values.length}`);
      if (!(p.max > p.min)) throw new RangeError(`encodePanelGrid: panel range must have max > min, got [${p.min}, ${p.max}]`);
    }
  }
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`encodePanelGrid: scale must be a positive integer, got ${scale}`);
  const side = k * scale;
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * side + (cols + 1) * gap;
  const height = rows.length * side + (rows.length + 1) * gap;
  const png = new PNG({ width, height, colorType: 6 });
  const data = png.data;
  for (let p = 0; p < data.length; p += 4) {
    data[p] = br;
    data[p + 1] = bg;
    data[p + 2] = bb;
    data[p + 3] = 255;
  }
  const px = new Uint8Array(4);
  rows.forEach((row, r) => {
    const y0 = gap + r * (side + gap);
    row.forEach((panel, c) => {
      const x0 = gap + c * (side + gap);
      const inv = 1 / (panel.max - panel.min);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          colorAt(panel.map, (panel.values[i * k + j] - panel.min) * inv, px, 0);
          const top = y0 + (k - 1 - j) * scale;
          const left = x0 + i * scale;
          for (let dy = 0; dy < scale; dy++) {
            let o = ((top + dy) * width + left) * 4;
            for (let dx = 0; dx < scale; dx++, o += 4) {
              data[o] = px[0];
              data[o + 1] = px[1];
              data[o + 2] = px[2];
              data[o + 3] = 255;
            }
          }
        }
      }
    });
  });
  return PNG.sync.write(png);
}

/** Decode PNG bytes (for tests and tools): width, height and RGBA data. */
export function decodePng(bytes: Buffer): { width: number; height: number; data: Buffer } {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: png.data };
}
