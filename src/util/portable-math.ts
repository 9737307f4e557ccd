/**
 * Elementary functions that give the same bits on every JavaScript engine: built only from +, −,
 * ×, ÷, √ (which IEEE 754 rounds correctly, so every engine agrees on them), exact bit
 * manipulation and correctly rounded table constants.
 *
 * Why: Math.tanh, exp, log, cos, atan2, … are only required to be "implementation-approximated",
 * and their last bit differs between V8 versions — measured on 200,000 random arguments, Node 20
 * (V8 11.3) and Chromium 156 disagree on 0.1 % (tanh) to 18 % (atan2) of them, and
 * `2 ** (j / 32)` (Math.pow) on 4 of the 32 entries of the tanh table. SDMM's initial fit and its
 * converged L-BFGS steps amplify such a 1-ulp difference in u₀ or in the network's tanh to 1e-6 –
 * 1e-4 in the energy, so the browser page and the Node run of the same settings agree bit for bit
 * only if everything on the path from u₀ to the energies is computed here.
 *
 * Accuracy (measured against Math.* in test/portable-math.test.ts): a few ulp, not correctly
 * rounded; the algorithms are the classical table-driven / argument-reduction ones, cited per
 * function. Cost: tanh ≈ 5 ns (Math.tanh ≈ 12 ns); the others are used once per grid point when
 * a problem is set up.
 */

const K_INV_LN2 = 32 / Math.LN2;
/** ln 2 / 32 split in a high part with trailing zero bits and a low part (Cody–Waite), so n·LN2_32_HI is exact for |n| < 2²¹. */
const LN2_32_HI = 6.93147180369123816490e-1 / 32;
const LN2_32_LO = 1.90821492927058770002e-10 / 32;
/** ln 2 split the same way, for k·ln 2 in log. */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/**
 * 2^(j/32), j < 32, correctly rounded to float64 (computed to 60 digits and rounded once).
 * Written out rather than computed as `2 ** (j / 32)`: that is Math.pow, whose last bit differs
 * between V8 versions (Node 20's V8 11.3 and Chromium 156 disagree on j = 15, 20, 23, 24).
 */
export const EXP2_FRAC = Float64Array.of(
  1.0, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237, 1.0905077326652577, 1.1143867425958924, 1.1387886347566916, 1.1637248587775775,
  1.189207115002721, 1.215247359980469, 1.241857812073484, 1.2690509571917332, 1.2968395546510096, 1.3252366431597413, 1.3542555469368927, 1.383909881963832,
  1.4142135623730951, 1.4451808069770467, 1.4768261459394993, 1.5091644275934228, 1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965,
  1.681792830507429, 1.718619298122478, 1.7562521603732995, 1.7947090750031072, 1.8340080864093424, 1.8741676341103, 1.9152065613971474, 1.9571441241754002,
);
/** 2^m, m < 64 (exact). */
const EXP2_INT = Float64Array.from({ length: 64 }, (_, m) => 2 ** m);

/** Scratch for reading and writing the bits of a float64 (little- or big-endian alike through DataView). */
const bits = new DataView(new ArrayBuffer(8));

/** 2^m for an integer m in [−1022, 1023], built from its exponent bits (exact). */
function pow2(m: number): number {
  bits.setUint32(0, (m + 1023) << 20);
  bits.setUint32(4, 0);
  return bits.getFloat64(0);
}

/**
 * tanh(x): with y = 2|x| = (32m + j) ln2/32 + ρ, |ρ| ≤ ln2/64,
 *   e^y − 1 = (2^m 2^{j/32} − 1) + 2^m 2^{j/32} (e^ρ − 1),  e^ρ − 1 = ρ(1 + ρ/2 + … + ρ⁵/720)
 * (Taylor, truncation ≤ ρ⁷/5040 < 4e-18) and tanh|x| = (e^y − 1)/((e^y − 1) + 2) — the
 * table-driven exponential of Tang (ACM TOMS 15, 1989) with no cancellation near 0. Against
 * Math.tanh: ≤ 2.3e-16 absolute, ≤ 5e-15 relative. Saturates to ±1 for |x| ≥ 19.1, as tanh does
 * in float64; NaN stays NaN; tanh(−0) is +0 (one branch fewer in the engine's hot loop).
 */
export function tanh(x: number): number {
  const ax = Math.abs(x);
  if (!(ax < 19.1)) return ax >= 19.1 ? (x < 0 ? -1 : 1) : NaN;
  const y = 2 * ax;
  const n = (y * K_INV_LN2 + 0.5) | 0;
  const rho = y - n * LN2_32_HI - n * LN2_32_LO;
  const em1 = rho * (1 + rho * (0.5 + rho * (1 / 6 + rho * (1 / 24 + rho * (1 / 120 + rho * (1 / 720))))));
  const scale = EXP2_INT[n >> 5] * EXP2_FRAC[n & 31];
  const em = scale - 1 + scale * em1;
  const t = em / (em + 2);
  return x < 0 ? -t : t;
}

/**
 * e^x by the same reduction as tanh (Tang 1989): x = (32m + j) ln2/32 + ρ, |ρ| ≤ ln2/64,
 * e^x = 2^m · 2^{j/32} · (1 + (e^ρ − 1)). Overflows to Infinity above 709.78, underflows to 0
 * below −745.2 (subnormal results through a second exact scaling). NaN stays NaN.
 */
export function exp(x: number): number {
  if (!(x < 709.782712893384)) return x > 0 ? Infinity : NaN;
  if (x < -745.2) return 0;
  const n = Math.floor(x * K_INV_LN2 + 0.5);
  const rho = x - n * LN2_32_HI - n * LN2_32_LO;
  const em1 = rho * (1 + rho * (0.5 + rho * (1 / 6 + rho * (1 / 24 + rho * (1 / 120 + rho * (1 / 720))))));
  const m = n >> 5; // floor(n / 32), also for negative n
  const f = EXP2_FRAC[n & 31];
  const v = f + f * em1;
  if (m >= -1022) return m > 1023 ? v * 2 * pow2(m - 1) : v * pow2(m);
  return v * pow2(m + 54) * pow2(-54);
}

/**
 * ln x: x = 2^k m with m ∈ [√½, √2) (exponent read from the bits), f = m − 1 (exact),
 * s = f/(2 + f) and ln m = 2 artanh s = 2s (1 + s²/3 + s⁴/5 + …), |s| ≤ 0.1716, summed to s²²/23
 * (truncation < 1e-18); ln x = k·ln2_hi + (k·ln2_lo + ln m) (Cody–Waite split, k·ln2_hi exact).
 * ln 0 = −Infinity, ln of a negative number or NaN is NaN, ln Infinity = Infinity.
 */
export function log(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2⁵⁴: a subnormal becomes normal, exactly
    k = -54;
  }
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  k += (hi >>> 20) - 1023;
  bits.setUint32(0, (hi & 0x000fffff) | 0x3ff00000); // m ∈ [1, 2), same mantissa
  let m = bits.getFloat64(0);
  if (m > Math.SQRT2) {
    m *= 0.5;
    k += 1;
  }
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  const series =
    1 + z * (1 / 3 + z * (1 / 5 + z * (1 / 7 + z * (1 / 9 + z * (1 / 11 + z * (1 / 13 + z * (1 / 15 + z * (1 / 17 + z * (1 / 19 + z * (1 / 21 + z / 23))))))))));
  return k * LN2_HI + (k * LN2_LO + 2 * s * series);
}

/**
 * ln(1 + x) without losing digits for small x (Kahan's device, as in Goldberg, "What every
 * computer scientist should know about floating-point arithmetic", 1991, Theorem 4):
 * u = 1 ⊕ x; x itself if u = 1, else ln(u) · x/(u − 1).
 */
export function log1p(x: number): number {
  const u = 1 + x;
  if (u === 1) return x;
  if (u === Infinity) return Infinity;
  return (log(u) * x) / (u - 1);
}

/** artanh x = ½ sign(x) ln(1 + 2|x|/(1 − |x|)) (log1p above); ±Infinity at ±1, NaN beyond. */
export function atanh(x: number): number {
  const ax = Math.abs(x);
  if (!(ax <= 1)) return NaN;
  const v = 0.5 * log1p((2 * ax) / (1 - ax));
  return x < 0 ? -v : x === 0 ? x : v;
}

/** π/2 split in three parts of 33, 33 and 53 bits (Cody–Waite): n·P1, n·P2 exact for |n| < 2²⁰. */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
const TWO_OVER_PI = 0.6366197723675814;
/** Beyond this |x| the three-part reduction loses digits; sin and cos then use Math (not portable). */
const TRIG_REDUCTION_LIMIT = 2 ** 19 * Math.PI;

/** sin r on |r| ≤ π/4 (Taylor to r¹⁷/17!, truncation < 1e-19). */
function sinKernel(r: number): number {
  const z = r * r;
  return (
    r +
    r *
      z *
      (-1 / 6 +
        z * (1 / 120 + z * (-1 / 5040 + z * (1 / 362880 + z * (-1 / 39916800 + z * (1 / 6227020800 + z * (-1 / 1307674368000 + z * (1 / 355687428096000))))))))
  );
}

/** cos r on |r| ≤ π/4 (Taylor to r¹⁸/18!, truncation < 1e-20). */
function cosKernel(r: number): number {
  const z = r * r;
  return (
    1 +
    z *
      (-0.5 +
        z *
          (1 / 24 +
            z * (-1 / 720 + z * (1 / 40320 + z * (-1 / 3628800 + z * (1 / 479001600 + z * (-1 / 87178291200 + z * (1 / 20922789888000 + z * (-1 / 6402373705728000)))))))))
  );
}

/** x = n π/2 + r, |r| ≤ π/4 (about): returns r and writes n mod 4 into QUADRANT[0]. */
const QUADRANT = new Int32Array(1);
function reduce(x: number): number {
  const n = Math.floor(x * TWO_OVER_PI + 0.5);
  QUADRANT[0] = n & 3;
  return x - n * PIO2_1 - n * PIO2_2 - n * PIO2_3;
}

/**
 * sin x: Cody–Waite reduction x = n π/2 + r with π/2 in three parts, then the Taylor kernels
 * by the quadrant n mod 4. Portable for |x| ≤ 2¹⁹π (beyond: Math.sin).
 */
export function sin(x: number): number {
  if (!(Math.abs(x) <= TRIG_REDUCTION_LIMIT)) return Math.sin(x);
  if (Math.abs(x) <= Math.PI / 4) return x === 0 ? x : sinKernel(x);
  const r = reduce(x);
  switch (QUADRANT[0]) {
    case 0:
      return sinKernel(r);
    case 1:
      return cosKernel(r);
    case 2:
      return -sinKernel(r);
    default:
      return -cosKernel(r);
  }
}

/** cos x: as sin. Portable for |x| ≤ 2¹⁹π (beyond: Math.cos). */
export function cos(x: number): number {
  if (!(Math.abs(x) <= TRIG_REDUCTION_LIMIT)) return Math.cos(x);
  if (Math.abs(x) <= Math.PI / 4) return cosKernel(x);
  const r = reduce(x);
  switch (QUADRANT[0]) {
    case 0:
      return cosKernel(r);
    case 1:
      return -sinKernel(r);
    case 2:
      return -cosKernel(r);
    default:
      return sinKernel(r);
  }
}

/**
 * arctan t for 0 ≤ t ≤ 1: two half-angle steps atan t = 2 atan(t/(1 + √(1 + t²))) bring t below
 * tan(π/16) ≈ 0.199, then atan t = t (1 − t²/3 + t⁴/5 − …) to t²⁰/21 (truncation < 1e-17 relative).
 */
function atanUnit(t: number): number {
  const t1 = t / (1 + Math.sqrt(1 + t * t));
  const t2 = t1 / (1 + Math.sqrt(1 + t1 * t1));
  const z = t2 * t2;
  const series = 1 + z * (-1 / 3 + z * (1 / 5 + z * (-1 / 7 + z * (1 / 9 + z * (-1 / 11 + z * (1 / 13 + z * (-1 / 15 + z * (1 / 17 + z * (-1 / 19 + z / 21)))))))));
  return 4 * (t2 * series);
}

/**
 * atan2(y, x) ∈ [−π, π], the angle of the point (x, y): a = atan(min/max) of |x|, |y| (atanUnit),
 * π/2 − a when |y| > |x|, π − a when x < 0, the sign of y. Signed zeros, infinities and NaN as Math.atan2.
 */
export function atan2(y: number, x: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  let a: number;
  if (ay === 0) a = x < 0 || Object.is(x, -0) ? Math.PI : 0;
  else if (ax === Infinity) a = ay === Infinity ? (x < 0 ? (3 * Math.PI) / 4 : Math.PI / 4) : x < 0 ? Math.PI : 0;
  else if (ay === Infinity) a = Math.PI / 2;
  else {
    a = ay <= ax ? atanUnit(ay / ax) : Math.PI / 2 - atanUnit(ax / ay);
    if (x < 0) a = Math.PI - a;
  }
  return y < 0 || Object.is(y, -0) ? -a : a;
}
