/**
 * The measure of the phase {u > 0} of a LINEAR function on one simplex, in closed form: the one
 * formula behind every phase area in the project (FEM's phaseArea on P1 cells and Q1 sub-cells,
 * the suite's phase area on its uniform grid).
 *
 * On a triangle with vertex values a, b, c: with p positive vertices, p = 0 → 0, p = 3 → the whole
 * area; one positive vertex s (t, r ≤ 0) → the corner triangle cut off by the zero line, whose
 * edge fractions are s/(s − t) and s/(s − r), so its area is s²/((s − t)(s − r))·area; two
 * positive vertices → the area minus the same corner at the non-positive vertex. Exact for
 * linear u; for a smooth level set sampled at mesh size h the error is O(h²).
 */
export function positiveAreaLinearTriangle(a: number, b: number, c: number, area: number): number {
  const pa = a > 0;
  const pb = b > 0;
  const pc = c > 0;
  const n = (pa ? 1 : 0) + (pb ? 1 : 0) + (pc ? 1 : 0);
  if (n === 0) return 0;
  if (n === 3) return area;
  // the odd vertex out: alone on its side
  let s: number, t: number, r: number;
  if (n === 1) [s, t, r] = pa ? [a, b, c] : pb ? [b, a, c] : [c, a, b];
  else [s, t, r] = !pa ? [a, b, c] : !pb ? [b, a, c] : [c, a, b];
  const corner = ((s * s) / ((s - t) * (s - r))) * area;
  return n === 1 ? corner : area - corner;
}

/** Length of {u > 0} on an interval of length `length` where u is linear with end values a, b. */
export function positiveLengthLinearInterval(a: number, b: number, length: number): number {
  if (a > 0 && b > 0) return length;
  if (a > 0) return (length * a) / (a - b);
  if (b > 0) return (length * b) / (b - a);
  return 0;
}
