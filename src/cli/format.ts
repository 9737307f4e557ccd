/** A number for a terminal line: `digits` significant digits, '—' for none, 'NaN'/'Infinity' as such. */
export function g(x: number | null | undefined, digits = 6): string {
  return x === null || x === undefined ? '—' : Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}
