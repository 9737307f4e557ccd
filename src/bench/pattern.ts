/**
 * Measures of a coarsening pattern that are stable under small perturbations of u₀, for problems
 * whose pointwise error is pattern-sensitive (after the PFHub spinodal-decomposition benchmarks,
 * Jokisaari et al., Comput. Mater. Sci. 126 (2017) 139–151): the phase fraction and the
 * characteristic domain length from the structure factor.
 *
 * Both take u on a periodic n_x × n_y grid of the box [a_x, a_x + L_x) × [a_y, a_y + L_y) without
 * the duplicated end points: point (i, j) at index i·n_y + j, x = a_x + i L_x/n_x,
 * y = a_y + j L_y/n_y.
 */

/** Fraction of grid points with u > 0 (the phase fraction of the + phase). */
export function phaseFraction(u: ArrayLike<number>): number {
  let c = 0;
  for (let q = 0; q < u.length; q++) if (u[q] > 0) c++;
  return c / u.length;
}

/**
 * |û(k)|² of the fluctuation u − ū on the periodic grid, by separable direct DFTs (O(n_x n_y (n_x + n_y)),
 * any grid size; 100² takes about 2 million complex multiply–adds).
 * Layout of the result as the input: S[p·n_y + q] for wave numbers (p, q) with p, q taken in
 * (−n/2, n/2] (index p ↔ p for p ≤ n/2, p − n otherwise).
 */
export function powerSpectrum(u: ArrayLike<number>, nx: number, ny: number): Float64Array {
  if (!(Number.isInteger(nx) && Number.isInteger(ny) && nx >= 2 && ny >= 2) || u.length !== nx * ny) {
    throw new RangeError(`powerSpectrum: expected an nx × ny grid with nx, ny ≥ 2 and ${nx}·${ny} values, got ${u.length}`);
  }
  let mean = 0;
  for (let q = 0; q < u.length; q++) mean += u[q];
  mean /= u.length;
  // Along y: R[i, q] = Σ_j (u[i, j] − ū) e^{−2πi q j / n_y}.
  const re = new Float64Array(nx * ny);
  const im = new Float64Array(nx * ny);
  const cy = new Float64Array(ny);
  const sy = new Float64Array(ny);
  for (let j = 0; j < ny; j++) {
    cy[j] = Math.cos((2 * Math.PI * j) / ny);
    sy[j] = Math.sin((2 * Math.PI * j) / ny);
  }
  for (let i = 0; i < nx; i++) {
    for (let q = 0; q < ny; q++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < ny; j++) {
        const v = u[i * ny + j] - mean;
        const m = (q * j) % ny;
        a += v * cy[m];
        b -= v * sy[m];
      }
      re[i * ny + q] = a;
      im[i * ny + q] = b;
    }
  }
  // Along x: Û[p, q] = Σ_i R[i, q] e^{−2πi p i / n_x}.
  const cx = new Float64Array(nx);
  const sx = new Float64Array(nx);
  for (let i = 0; i < nx; i++) {
    cx[i] = Math.cos((2 * Math.PI * i) / nx);
    sx[i] = Math.sin((2 * Math.PI * i) / nx);
  }
  const S = new Float64Array(nx * ny);
  for (let p = 0; p < nx; p++) {
    for (let q = 0; q < ny; q++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < nx; i++) {
        const m = (p * i) % nx;
        const r = re[i * ny + q];
        const s = im[i * ny + q];
        // (r + i s)(cos − i sin)
        a += r * cx[m] + s * sx[m];
        b += s * cx[m] - r * sx[m];
      }
      S[p * ny + q] = a * a + b * b;
    }
  }
  return S;
}

/**
 * Characteristic domain length L = 2π / k₁ with k₁ the first moment of the structure factor,
 *   k₁ = Σ_k |k| S(k) / Σ_k S(k),   k = 2π (p/L_x, q/L_y),  S(k) = |û(k)|²  (k ≠ 0),
 * which is the first moment of the radially averaged S weighted by shell population (PFHub's
 * definition up to binning). For u = cos(2π m x/L) on a square box L = L_x/m exactly.
 * Returns NaN for a constant field (no fluctuation, no length).
 */
export function characteristicLength(u: ArrayLike<number>, nx: number, ny: number, lengthX: number, lengthY: number): number {
  const S = powerSpectrum(u, nx, ny);
  let num = 0;
  let den = 0;
  for (let p = 0; p < nx; p++) {
    const kp = (2 * Math.PI * (p <= nx / 2 ? p : p - nx)) / lengthX;
    for (let q = 0; q < ny; q++) {
      if (p === 0 && q === 0) continue;
      const kq = (2 * Math.PI * (q <= ny / 2 ? q : q - ny)) / lengthY;
      const s = S[p * ny + q];
      num += Math.hypot(kp, kq) * s;
      den += s;
    }
  }
  // A fluctuation below rounding level (relative to the field) has no pattern to measure.
  let norm = 0;
  for (let q = 0; q < u.length; q++) norm += u[q] * u[q];
  if (!(den > 1e-24 * norm * u.length) || den === 0) return NaN;
  return (2 * Math.PI) / (num / den);
}

/**
 * The periodic grid of a field sampled on the suite's closed k×k grid of a box (uniformGrid: both
 * end points, index i·k + j): the last row and column repeat the first on a periodic box, so they
 * are dropped, giving the (k−1)×(k−1) grid the functions above take (layout i·(k−1) + j).
 */
export function periodicInterior(u: ArrayLike<number>, k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 3) || u.length !== k * k) throw new RangeError(`periodicInterior: expected a k×k grid with k ≥ 3 and ${k}·${k} values, got ${u.length}`);
  const m = k - 1;
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) out[i * m + j] = u[i * k + j];
  return out;
}

/** Phase fraction and characteristic length of a periodic 2D field on the suite's closed k×k grid of a box of sides lengthX × lengthY. */
export function patternMeasures(u: ArrayLike<number>, k: number, lengthX: number, lengthY: number): { phaseFraction: number; length: number } {
  const v = periodicInterior(u, k);
  return { phaseFraction: phaseFraction(v), length: characteristicLength(v, k - 1, k - 1, lengthX, lengthY) };
}
