/** Vector kernels on Float64Array. `out` first, returned; aliasing `out` with an input is allowed. */

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** out = a + α b. */
export function axpy(out: Float64Array, a: Float64Array, alpha: number, b: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + alpha * b[i];
  return out;
}

export function norm2(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
