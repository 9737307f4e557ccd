import { cos, sin } from '../util/portable-math.js';

/**
 * The coordinate encoding of the separable network's axes (network.ts, module comment), on [a, b]
 * with L = b − a:
 *   non-periodic: ξ = 2(x − a)/L − 1 ∈ [−1, 1],         dξ/dx = 2/L
 *   periodic:     ξ = (cos φ, sin φ), φ = 2π(x − a)/L,  dξ/dx = (−sin φ, cos φ) 2π/L
 * Kept free of TensorFlow.js so that the float64 engine (and its worker threads) can use it; cos and
 * sin are the portable ones (src/util/portable-math.ts), so the encoding has the same bits in every
 * JavaScript engine.
 */

/** What the encoding needs of an axis (network.ts's AxisLayout has these fields). */
export interface EncodedAxis {
  readonly min: number;
  readonly max: number;
  readonly periodic: boolean;
  /** 1 (ξ) or 2 (cos φ, sin φ). */
  readonly inputs: 1 | 2;
}

/** The encoding of one coordinate x (see the module comment) into enc[o..o+inputs) and its x-derivative into dEnc. */
export function encodePoint(axis: EncodedAxis, x: number, enc: Float64Array, dEnc: Float64Array, o: number): void {
  const L = axis.max - axis.min;
  if (axis.periodic) {
    const phi = (2 * Math.PI * (x - axis.min)) / L;
    const c = cos(phi);
    const s = sin(phi);
    enc[o] = c;
    enc[o + 1] = s;
    dEnc[o] = (-s * 2 * Math.PI) / L;
    dEnc[o + 1] = (c * 2 * Math.PI) / L;
  } else {
    enc[o] = (2 * (x - axis.min)) / L - 1;
    dEnc[o] = 2 / L;
  }
}

/**
 * Encoded coordinates and their x-derivatives for points x_i of one axis.
 * Layout: enc[i·inputs + c], dEnc[i·inputs + c] (row-major n × inputs).
 */
export function encodeAxis(axis: EncodedAxis, xs: ArrayLike<number>): { enc: Float64Array; dEnc: Float64Array } {
  const n = xs.length;
  const enc = new Float64Array(n * axis.inputs);
  const dEnc = new Float64Array(n * axis.inputs);
  for (let i = 0; i < n; i++) encodePoint(axis, xs[i], enc, dEnc, i * axis.inputs);
  return { enc, dEnc };
}

