import { BLUE_WHITE_RED, colorAt } from '../../src/io/png.js';

/**
 * Colour maps of fields on the page, with the same blue–white–red map (ColorBrewer RdBu) as the
 * benchmark report's PNGs (src/io/png.ts), so a picture here reads like one there.
 *
 * Field layout: k×k values in the uniformGrid layout of src/solver.ts, point (i, j) at index
 * i·k + j, x increasing with i, y with j. On the canvas x runs left to right and y bottom to
 * top (pixel row r shows j = k − 1 − r), so the picture looks like the domain.
 */

/** Draw values mapped from [min, max] onto a k×k canvas (one pixel per grid point; CSS scales it). */
export function drawField(canvas: HTMLCanvasElement, values: Float64Array, k: number, min: number, max: number): void {
  if (canvas.width !== k || canvas.height !== k) {
    canvas.width = k;
    canvas.height = k;
  }
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(k, k);
  const data = image.data as unknown as Uint8Array;
  const scale = 1 / (max - min);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      colorAt(BLUE_WHITE_RED, (values[i * k + j] - min) * scale, data, 4 * ((k - 1 - j) * k + i));
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** A vertical colour bar: max at the top, min at the bottom. */
export function drawColorBar(canvas: HTMLCanvasElement): void {
  const h = canvas.height;
  const w = canvas.width;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(w, h);
  const data = image.data as unknown as Uint8Array;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) colorAt(BLUE_WHITE_RED, 1 - r / (h - 1), data, 4 * (r * w + c));
  }
  ctx.putImageData(image, 0, 0);
}

/** d = max |a − b| rounded up to 1, 2 or 5 × 10^k (a zero difference gives 1e-12), and a − b into out. */
export function difference(a: Float64Array, b: Float64Array, out: Float64Array): number {
  let d = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = a[i] - b[i];
    d = Math.max(d, Math.abs(out[i]) || 0);
  }
  if (d === 0) return 1e-12;
  const p = 10 ** Math.floor(Math.log10(d));
  const m = d / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
