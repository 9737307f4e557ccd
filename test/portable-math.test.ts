import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/physics/random.js';
import { atan2, atanh, cos, exp, EXP2_FRAC, log, log1p, sin, tanh } from '../src/util/portable-math.js';

/**
 * The portable elementary functions (src/util/portable-math.ts): within a few ulp of Math.* on
 * their ranges, the special values of Math.*, and built from nothing that may differ between
 * JavaScript engines (the browser test, test/web.test.ts, checks the same bits in Chromium).
 */

const rand = mulberry32(11);
/** Uniform in sign and in log10 |x| over [lo, hi]. */
const logUniform = (lo: number, hi: number) => () => (rand() < 0.5 ? -1 : 1) * 10 ** (lo + (hi - lo) * rand());

/** The largest |f(x) − g(x)| / |g(x)| over n draws of x. */
function worstRelative(f: (x: number) => number, g: (x: number) => number, draw: () => number, n = 50_000): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    const a = g(x);
    worst = Math.max(worst, Math.abs(f(x) - a) / Math.abs(a));
  }
  return worst;
}

describe('portable elementary functions against Math.*', () => {
  it('tanh, exp, log, log1p, atanh, sin, cos, atan2 agree with Math within a few ulp (2.2e-16 is one)', () => {
    // Measured maxima (this seed): tanh 4.6e-15 (n = 1 of the table: 2^(1/32) − 1 cancels), exp 2.2e-16,
    // log 4.4e-16, log1p 6.4e-16, atanh 7.1e-16, sin and cos 2.2e-16, atan2 6.6e-16.
    expect(worstRelative(tanh, Math.tanh, logUniform(-8, 1.6))).toBeLessThan(5e-15);
    expect(worstRelative(exp, Math.exp, () => (rand() - 0.5) * 1400)).toBeLessThan(5e-16);
    expect(worstRelative(exp, Math.exp, logUniform(-10, 1))).toBeLessThan(5e-16);
    expect(worstRelative(log, Math.log, () => 10 ** (-300 + 600 * rand()))).toBeLessThan(8e-16);
    expect(worstRelative(log, Math.log, () => 1 + (rand() - 0.5) * 0.5)).toBeLessThan(8e-16);
    expect(worstRelative(log1p, Math.log1p, logUniform(-12, -0.1))).toBeLessThan(1e-15);
    const nearOne = () => (rand() < 0.5 ? -1 : 1) * (rand() < 0.5 ? 10 ** (-12 + 12 * rand()) : 1 - 10 ** (-15 * rand()));
    expect(worstRelative(atanh, Math.atanh, nearOne)).toBeLessThan(1.5e-15);
    expect(worstRelative(sin, Math.sin, () => (rand() - 0.5) * 200)).toBeLessThan(5e-16);
    expect(worstRelative(cos, Math.cos, () => (rand() - 0.5) * 200)).toBeLessThan(5e-16);
    expect(worstRelative(sin, Math.sin, logUniform(-10, 0))).toBeLessThan(5e-16);
    let worst = 0;
    for (let i = 0; i < 50_000; i++) {
      const y = (rand() - 0.5) * 10 ** (6 * rand() - 3);
      const x = (rand() - 0.5) * 10 ** (6 * rand() - 3);
      const a = Math.atan2(y, x);
      worst = Math.max(worst, Math.abs(atan2(y, x) - a) / Math.abs(a));
    }
    expect(worst).toBeLessThan(1.5e-15);
  });

  it('keeps the special values of Math: zeros, infinities, NaN, saturation, the atan2 quadrants', () => {
    expect([tanh(0), tanh(-0), tanh(19.1), tanh(-1e300), tanh(Infinity)]).toEqual([0, 0, 1, -1, 1]); // tanh(−0) is +0 (Math.tanh: −0)
    expect([exp(0), exp(-Infinity), exp(710), exp(-746), exp(1)]).toEqual([1, 0, Infinity, 0, Math.E]);
    expect(exp(-740)).toBeGreaterThan(0); // subnormal, through the second scaling
    expect(Math.abs(exp(-740) - Math.exp(-740)) / Math.exp(-740)).toBeLessThan(1e-12); // 4e-322 has 10 significant bits
    expect([log(1), log(0), log(Infinity), log(2 ** -1074) / Math.log(2 ** -1074)]).toEqual([0, -Infinity, Infinity, 1]);
    expect([log1p(0), log1p(-1), log1p(1e-300)]).toEqual([0, -Infinity, 1e-300]);
    expect([atanh(0), atanh(-0), atanh(1), atanh(-1)]).toEqual([0, -0, Infinity, -Infinity]);
    expect([sin(0), sin(-0), cos(0)]).toEqual([0, -0, 1]);
    for (const f of [tanh, exp, log, log1p, atanh, sin, cos]) expect(f(NaN)).toBeNaN();
    expect([log(-1), atanh(1.5)]).toEqual([NaN, NaN]);
    // atan2 on the axes and at the signed zeros and infinities, as Math.atan2 (exactly).
    const cases: [number, number][] = [
      [0, 1], [-0, 1], [0, -1], [-0, -1], [0, 0], [-0, 0], [0, -0], [-0, -0], [1, 0], [-1, 0], [1, -0],
      [Infinity, Infinity], [Infinity, -Infinity], [-Infinity, -Infinity], [1, Infinity], [1, -Infinity], [-1, -Infinity], [Infinity, 1],
    ];
    for (const [y, x] of cases) expect(atan2(y, x), `atan2(${y}, ${x})`).toBe(Math.atan2(y, x));
    expect(atan2(NaN, 1)).toBeNaN();
    expect(atan2(1, 1)).toBeCloseTo(Math.PI / 4, 15);
    expect(atan2(-1, -1)).toBeCloseTo((-3 * Math.PI) / 4, 15);
  });

  it("tables 2^(j/32) correctly rounded (exact check in integers), so tanh and exp do not depend on the engine's Math.pow", () => {
    // v = m·2⁻⁵² with m ∈ [2⁵², 2⁵³) is the float64 nearest 2^(j/32) iff
    // ((2m − 1)·2⁻⁵³)³² < 2^j < ((2m + 1)·2⁻⁵³)³², i.e. (2m − 1)³² < 2^(j + 53·32) < (2m + 1)³².
    // (Node 20's 2 ** (15/32) fails the second inequality.)
    expect(EXP2_FRAC).toHaveLength(32);
    for (let j = 0; j < 32; j++) {
      const m = BigInt(EXP2_FRAC[j] * 2 ** 52);
      expect(Number(m) / 2 ** 52).toBe(EXP2_FRAC[j]);
      const target = 2n ** BigInt(j + 53 * 32);
      expect((2n * m - 1n) ** 32n < target, `2^(${j}/32) rounded up too far`).toBe(true);
      expect(target < (2n * m + 1n) ** 32n, `2^(${j}/32) rounded down too far`).toBe(true);
    }
  });

  it('calls no Math function an engine may implement differently (only abs, floor, sqrt and the constants; sin, cos beyond 2¹⁹π)', () => {
    const source = readFileSync(new URL('../src/util/portable-math.ts', import.meta.url), 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const used = new Set([...source.matchAll(/Math\.(\w+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(['LN2', 'PI', 'SQRT2', 'abs', 'cos', 'floor', 'sin', 'sqrt']);
    expect(source.match(/Math\.(sin|cos)\(/g)).toHaveLength(2); // the two fallbacks beyond the reduction limit
    expect(source).not.toMatch(/\*\*\s*\(?[^)\s]*\//); // no fractional power (Math.pow)
    expect(sin(1e7)).toBe(Math.sin(1e7));
  });
});
