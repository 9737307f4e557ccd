/**
 * Eigen-decomposition of a dense real symmetric matrix, A = Q Λ Qᵀ, on flat row-major arrays:
 *  1. Householder reduction to tridiagonal form T = Z A Zᵀ (Golub & Van Loan, Matrix Computations,
 *     4th ed., §8.3.1): for k = 0 … n − 3 the reflector H_k = I − v vᵀ/h (v zero above row k + 1)
 *     zeroes column k below the subdiagonal, A ← H_k A H_k, updated on the trailing block as
 *     p = A v/h, w = p − (pᵀv/2h) v, A ← A − v wᵀ − w vᵀ;  ≈ 4n³/3 multiply-adds.
 *  2. Z = H_{n−3} ⋯ H_0 = Qᵀ accumulated (row k of Z is the k-th basis vector); ≈ n³.
 *  3. The implicit symmetric QR step with the Wilkinson shift on the unreduced blocks of T (Golub &
 *     Van Loan Alg. 8.3.2 and §8.3.5), each Givens rotation applied to the two rows of Z it mixes;
 *     an off-diagonal |e_i| ≤ ε (|d_i| + |d_{i+1}|) is set to 0 (deflation). About two steps per
 *     eigenvalue, each rotation 4n multiply-adds on Z.
 * Only +, −, ×, ÷ and √ (correctly rounded everywhere; no Math.hypot, whose accuracy the standard
 * leaves open), so the result has the same bits in every JavaScript engine (the web page's fit must
 * equal Node's). Backward stable: the computed Q, Λ are exact for A + E with ‖E‖ ≈ ε‖A‖, so an
 * eigenvector's error is ≈ ε‖A‖ / (its gap to the other eigenvalues).
 *
 * Why here and not ml-matrix's EigenvalueDecomposition: the initial fit needs one 128 × 128
 * decomposition per run, where ml-matrix's (Matrix get/set calls) took 106 ms in a fresh process
 * and its SVD 320 ms (measured on the loaded shared machine), against a target of 1 s for the
 * whole fit; this one 30–70 ms cold, 7–10 ms warm.
 */

/**
 * Eigenvalues (descending) and orthonormal eigenvectors of the symmetric n × n matrix A (row-major;
 * only symmetric input is meaningful, the lower triangle is read). Returns `values` (n) and
 * `vectors` (n × n row-major, row k the unit eigenvector of values[k]; each normalised so that its
 * entry of largest magnitude is positive, which makes the result deterministic). A is not modified.
 * Throws if the QR iteration does not converge within 30 n sweeps (NaN input).
 */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (A.length < n * n) throw new Error(`symmetricEigen: A has ${A.length} entries, need n² = ${n * n}`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = A[i * n + j];
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const h = new Float64Array(n);
  const p = new Float64Array(n);
  // 1. Tridiagonalisation; v_k is kept in row k of `a` (entries k + 1 … n − 1), h_k in h[k].
  for (let k = 0; k + 2 < n; k++) {
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k] * a[i * n + k];
    const x0 = a[(k + 1) * n + k];
    if (norm2 === 0) {
      d[k] = a[k * n + k];
      e[k] = 0;
      h[k] = 0;
      continue;
    }
    // Hx = α e₁ with α = −sign(x₀)‖x‖, so v₀ = x₀ − α has no cancellation; h = vᵀv/2 = α² − x₀α.
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const hk = norm2 - x0 * alpha;
    const row = k * n;
    for (let i = k + 1; i < n; i++) a[row + i] = a[i * n + k];
    a[row + k + 1] = x0 - alpha;
    // p = A v / h on the trailing block, then K = pᵀv / 2h, w = p − K v (into p).
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let j = k + 1; j < n; j++) s += a[ri + j] * a[row + j];
      p[i] = s / hk;
      K += p[i] * a[row + i];
    }
    K /= 2 * hk;
    for (let i = k + 1; i < n; i++) p[i] -= K * a[row + i];
    for (let i = k + 1; i < n; i++) {
      const vi = a[row + i];
      const wi = p[i];
      const ri = i * n;
      for (let j = k + 1; j < n; j++) a[ri + j] -= vi * p[j] + wi * a[row + j];
    }
    d[k] = a[row + k];
    e[k] = alpha;
    h[k] = hk;
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1];
  // 2. Z = H_{n−3} ⋯ H_0: Z ← H_k Z for k = 0, 1, …, each touching rows k + 1 … n − 1.
  const Z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Z[i * n + i] = 1;
  for (let k = 0; k + 2 < n; k++) {
    if (h[k] === 0) continue;
    const row = k * n;
    p.fill(0);
    for (let i = k + 1; i < n; i++) {
      const vi = a[row + i];
      const ri = i * n;
      for (let j = 0; j < n; j++) p[j] += vi * Z[ri + j];
    }
    for (let j = 0; j < n; j++) p[j] /= h[k];
    for (let i = k + 1; i < n; i++) {
      const vi = a[row + i];
      const ri = i * n;
      for (let j = 0; j < n; j++) Z[ri + j] -= vi * p[j];
    }
  }
  // 3. Implicit QR with Wilkinson shifts on the unreduced blocks [l, m].
  const eps = Number.EPSILON;
  let sweeps = 0;
  let m = n - 1;
  while (m > 0) {
    if (Math.abs(e[m - 1]) <= eps * (Math.abs(d[m - 1]) + Math.abs(d[m]))) {
      e[m - 1] = 0;
      m--;
      continue;
    }
    let l = m - 1;
    while (l > 0 && Math.abs(e[l - 1]) > eps * (Math.abs(d[l - 1]) + Math.abs(d[l]))) l--;
    if (l > 0) e[l - 1] = 0;
    if (++sweeps > 30 * n) throw new Error('symmetricEigen: the QR iteration did not converge (NaN or infinite input?)');
    // Wilkinson shift: the eigenvalue of the trailing 2 × 2 block closer to d[m].
    const delta = 0.5 * (d[m - 1] - d[m]);
    const b = e[m - 1];
    const mu = d[m] - (b * b) / (delta + (delta >= 0 ? 1 : -1) * Math.sqrt(delta * delta + b * b));
    let x = d[l] - mu;
    let z = e[l];
    for (let k = l; k < m; k++) {
      // Rotation [c s; −s c] in the plane (k, k + 1) with c x + s z = r, −s x + c z = 0.
      const r = Math.sqrt(x * x + z * z);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : z / r;
      if (k > l) e[k - 1] = r;
      const dk = d[k];
      const dk1 = d[k + 1];
      const ek = e[k];
      d[k] = c * c * dk + 2 * c * s * ek + s * s * dk1;
      d[k + 1] = s * s * dk - 2 * c * s * ek + c * c * dk1;
      e[k] = c * s * (dk1 - dk) + (c * c - s * s) * ek;
      if (k + 1 < m) {
        x = e[k];
        z = s * e[k + 1];
        e[k + 1] *= c;
      }
      const rk = k * n;
      const rk1 = rk + n;
      for (let j = 0; j < n; j++) {
        const zk = Z[rk + j];
        const zk1 = Z[rk1 + j];
        Z[rk + j] = c * zk + s * zk1;
        Z[rk1 + j] = c * zk1 - s * zk;
      }
    }
  }
  // Descending order, sign-normalised rows.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const src = order[k];
    values[k] = d[src];
    let big = 0;
    for (let j = 0; j < n; j++) if (Math.abs(Z[src * n + j]) > Math.abs(big)) big = Z[src * n + j];
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < n; j++) vectors[k * n + j] = sign * Z[src * n + j];
  }
  return { values, vectors };
}
