import { F64, Fn, I32, V128, assembleModule } from '../../util/wasm.js';

/**
 * WebAssembly SIMD kernels of the CPU engine, assembled from this file at run time (no compiler,
 * no build step, no download): the 2D step pass's forward and reverse contractions (fwd2, rev2,
 * replacing grid.ts forwardTangents2Pair and reverseTangents2Pair) and its density (dens2), and the
 * axis MLPs' dense products (rows8, cross8) and tanh activation (actTanh). V8 emits scalar float64
 * code for TypeScript loops, and every typed-array access carries an index computation and a bounds
 * check, so the TypeScript kernels top out at ≈ 3 GFMA/s here; the same loops in WebAssembly SIMD
 * (f64x2, two points j per instruction, no bounds checks) run at ≈ 8 GFMA/s, and the table-free
 * f64x2 tanh at twice the rate of the portable tanh (src/util/portable-math.ts) (scratch A/B, benchmarks/README.md, "SDMM engine kernels").
 * A scalar WebAssembly copy of the density (the portable tanh with its tables) was only 1.14× faster than
 * TypeScript and was dropped: the gain is in the two lanes, not in the missing bounds checks.
 *
 * The kernels work on one WebAssembly.Memory that holds every grid buffer (gridBuffers maps its
 * views onto memory.buffer; shared when workers take part) and take byte offsets into it.
 *
 * Layouts (as in grid.ts, n points per line, rank r, two lines per call):
 *   P   = [A, A⁰ | B, B⁰]                   (4r)   the two lines' prefix factors,
 *   YTt = [Yᵀ; TYᵀ]                         (2r × n) the last axis's features and tangents, transposed,
 *   SD  = [s, ∂₀s, ∂₁s | line 1]            (6n),
 *   G   = [Gs, Gd⁰, Gd¹ | line 1]           (6n)   ∂J/∂s, ∂J/∂(∂_a s) from the density,
 *   gYTt = [∂J/∂Yᵀ; ∂J/∂TYᵀ]                (2r × n), accumulated,
 *   gP  = [∂J/∂A, ∂J/∂A⁰ | line 1]          (4r), written.
 * n must be even (pairs of j per f64x2); the engine uses the TypeScript kernels otherwise.
 *
 * Forward (fwd2), per j and both lines, k ascending:
 *   s_j = Σ_k A_k Y_jk,  ∂₀s_j = Σ_k A⁰_k Y_jk,  ∂₁s_j = Σ_k A_k TY_jk,
 * lane j of an f64x2 accumulates exactly the sequence of the scalar loop (multiply, then add, k
 * ascending), so the results are bit-identical to the TypeScript kernels.
 * Reverse (rev2), per k:
 *   ∂J/∂A_k  = Σ_j Gs_j Y_jk + Gd¹_j TY_jk,   ∂J/∂A⁰_k = Σ_j Gd⁰_j Y_jk   (and line 1's),
 *   ∂J/∂Yᵀ_kj += Gs_j A_k + Gd⁰_j A⁰_k + (line 1's),   ∂J/∂TYᵀ_kj += Gd¹_j A_k + (line 1's);
 * the gradient updates are lane-wise, bit-identical to the scalar kernel; the sums over j run in
 * two lanes (even and odd j) added at the end, which differs from the scalar j order by rounding
 * only (≈ 1e-16 relative). Results do not depend on the thread count beyond what grid.ts says.
 *
 * The assembler (binary format, opcodes) is src/util/wasm.ts.
 */

/** fwd2(n, r, P, YTt, SD): the forward of the module comment (byte offsets). */
function forwardKernel(): Fn {
  const f = new Fn('fwd2', [I32, I32, I32, I32, I32]);
  const [n, r, P, YTt, SD] = [0, 1, 2, 3, 4];
  const n8 = f.local(I32);
  const off = f.local(I32);
  const r8 = f.local(I32);
  const jb = f.local(I32);
  const py = f.local(I32);
  const pp = f.local(I32);
  const pEnd = f.local(I32);
  const [y, ty, a, c, v, v0, v1, u, u0, u1] = Array.from({ length: 10 }, () => f.local(V128));
  f.get(n).i32(3).shl().set(n8);
  f.get(r).get(n8).mul().set(off);
  f.get(r).i32(3).shl().set(r8);
  f.i32(0).set(jb);
  f.doWhile(
    () => {
      for (const acc of [v, v0, v1, u, u0, u1]) f.vzero().set(acc);
      f.get(YTt).get(jb).add().set(py);
      f.get(P).tee(pp).get(r8).add().set(pEnd);
      f.doWhile(
        () => {
          f.get(py).vload().set(y);
          f.get(py).get(off).add().vload().set(ty);
          f.get(pp).vsplat().set(a);
          f.get(pp).get(r8).add().get(r8).add().vsplat().set(c);
          // v += a y; v0 += A⁰ y; v1 += a ty; u += c y; u0 += B⁰ y; u1 += c ty
          f.get(v).get(a).get(y).vmul().vadd().set(v);
          f.get(v0).get(pp).get(r8).add().vsplat().get(y).vmul().vadd().set(v0);
          f.get(v1).get(a).get(ty).vmul().vadd().set(v1);
          f.get(u).get(c).get(y).vmul().vadd().set(u);
          f.get(u0).get(pp).get(r8).add().get(r8).add().get(r8).add().vsplat().get(y).vmul().vadd().set(u0);
          f.get(u1).get(c).get(ty).vmul().vadd().set(u1);
          f.get(py).get(n8).add().set(py);
          f.get(pp).i32(8).add().set(pp);
        },
        () => f.get(pp).get(pEnd).ltu(),
      );
      [v, v0, v1, u, u0, u1].forEach((acc, i) => {
        f.get(SD).get(jb).add();
        if (i > 0) f.get(n8).i32(i).mul().add();
        f.get(acc).vstore();
      });
      f.get(jb).i32(16).add().tee(jb).get(n8).ltu();
      // (the condition is left on the stack for doWhile)
    },
    () => undefined,
  );
  return f;
}

/** rev2(n, r, P, YTt, G, gYTt, gP): the reverse of the module comment (byte offsets). */
function reverseKernel(): Fn {
  const f = new Fn('rev2', [I32, I32, I32, I32, I32, I32, I32]);
  const [n, r, P, YTt, G, gYTt, gP] = [0, 1, 2, 3, 4, 5, 6];
  const k = f.local(I32);
  const jb = f.local(I32);
  const n8 = f.local(I32);
  const r8 = f.local(I32);
  const off = f.local(I32);
  const pY = f.local(I32);
  const pT = f.local(I32);
  const pGY = f.local(I32);
  const pGT = f.local(I32);
  const q = f.local(I32);
  const gBase = [0, 1, 2, 3, 4, 5].map(() => f.local(I32));
  const [a, a0, c, c0, accA, accA0, accC, accC0, y, ty, gs, g0, g1, hs, h0, h1] = Array.from({ length: 16 }, () => f.local(V128));
  f.get(n).i32(3).shl().set(n8);
  f.get(r).i32(3).shl().set(r8);
  f.get(r).get(n8).mul().set(off);
  gBase.forEach((g, i) => f.get(G).get(n8).i32(i).mul().add().set(g));
  /** The address of P[i·r + k] (or gP's), i = 0 … 3. */
  const at = (base: number, i: number) => {
    f.get(base).get(k).i32(3).shl().add();
    if (i > 0) f.get(r8).i32(i).mul().add();
    return f;
  };
  f.i32(0).set(k);
  f.doWhile(
    () => {
      at(P, 0).vsplat().set(a);
      at(P, 1).vsplat().set(a0);
      at(P, 2).vsplat().set(c);
      at(P, 3).vsplat().set(c0);
      f.get(YTt).get(k).get(n8).mul().add().tee(pY).get(off).add().set(pT);
      f.get(gYTt).get(k).get(n8).mul().add().tee(pGY).get(off).add().set(pGT);
      for (const acc of [accA, accA0, accC, accC0]) f.vzero().set(acc);
      f.i32(0).set(jb);
      f.doWhile(
        () => {
          f.get(pY).get(jb).add().vload().set(y);
          f.get(pT).get(jb).add().vload().set(ty);
          [gs, g0, g1, hs, h0, h1].forEach((v, i) => f.get(gBase[i]).get(jb).add().vload().set(v));
          // accA += gs y + g1 ty; accA0 += g0 y; accC += hs y + h1 ty; accC0 += h0 y
          f.get(accA).get(gs).get(y).vmul().get(g1).get(ty).vmul().vadd().vadd().set(accA);
          f.get(accA0).get(g0).get(y).vmul().vadd().set(accA0);
          f.get(accC).get(hs).get(y).vmul().get(h1).get(ty).vmul().vadd().vadd().set(accC);
          f.get(accC0).get(h0).get(y).vmul().vadd().set(accC0);
          // gYᵀ += gs a + g0 a0 + (hs c + h0 c0)
          f.get(pGY).get(jb).add().tee(q).get(q).vload();
          f.get(gs).get(a).vmul().get(g0).get(a0).vmul().vadd().get(hs).get(c).vmul().get(h0).get(c0).vmul().vadd().vadd().vadd().vstore();
          // gTYᵀ += g1 a + h1 c
          f.get(pGT).get(jb).add().tee(q).get(q).vload();
          f.get(g1).get(a).vmul().get(h1).get(c).vmul().vadd().vadd().vstore();
          f.get(jb).i32(16).add().set(jb);
        },
        () => f.get(jb).get(n8).ltu(),
      );
      // gP[i·r + k] = lane 0 + lane 1 (gP is written, not accumulated).
      [accA, accA0, accC, accC0].forEach((acc, i) => {
        at(gP, i).get(acc).lane(0).get(acc).lane(1).fadd().fstore();
      });
      f.get(k).i32(1).add().tee(k).get(r).ltu();
    },
    () => undefined,
  );
  return f;
}

/**
 * rows8(rows, cols, inner, A, W, bias, out) and, with `pair`, rows8pair(…, A, B, W, bias, out, outB):
 *   out[i, c] = bias[c] + Σ_q A[i, q] W[q, c],   outB[i, c] = Σ_q B[i, q] W[q, c]
 * (row-major; W is inner × cols; cols a multiple of 8). Per row i and block of 8 columns the eight
 * (with `pair`) f64x2 accumulators stay in registers while q runs: each load of W's four vectors
 * serves A's and B's rows. The dense layers of the axis MLPs (axis-mlp.ts: Z = H W + b with its
 * tangent TW, and ∂L/∂H = gZ Wᵀ).
 */
function rowsKernel(pair: boolean): Fn {
  const f = new Fn(pair ? 'rows8pair' : 'rows8', pair ? [I32, I32, I32, I32, I32, I32, I32, I32, I32] : [I32, I32, I32, I32, I32, I32, I32]);
  const [rows, cols, inner, A] = [0, 1, 2, 3];
  const B = pair ? 4 : -1;
  const W = pair ? 5 : 4;
  const bias = pair ? 6 : 5;
  const out = pair ? 7 : 6;
  const outB = pair ? 8 : -1;
  const i = f.local(I32);
  const cb = f.local(I32);
  const q8 = f.local(I32);
  const pw = f.local(I32);
  const cols8 = f.local(I32);
  const inner8 = f.local(I32);
  const pa = f.local(I32);
  const pb = f.local(I32);
  const po = f.local(I32);
  const pob = f.local(I32);
  const acc = [0, 1, 2, 3].map(() => f.local(V128));
  const accB = pair ? [0, 1, 2, 3].map(() => f.local(V128)) : [];
  const w = [0, 1, 2, 3].map(() => f.local(V128));
  const sa = f.local(V128);
  const sb = f.local(V128);
  f.get(cols).i32(3).shl().set(cols8);
  f.get(inner).i32(3).shl().set(inner8);
  f.i32(0).set(i);
  f.doWhile(
    () => {
      f.get(A).get(i).get(inner8).mul().add().set(pa);
      if (pair) f.get(B).get(i).get(inner8).mul().add().set(pb);
      f.get(out).get(i).get(cols8).mul().add().set(po);
      if (pair) f.get(outB).get(i).get(cols8).mul().add().set(pob);
      f.i32(0).set(cb);
      f.doWhile(
        () => {
          acc.forEach((a, k) => f.get(bias).get(cb).add().vload(16 * k).set(a));
          accB.forEach((a) => f.vzero().set(a));
          f.get(W).get(cb).add().set(pw);
          f.i32(0).set(q8);
          f.doWhile(
            () => {
              f.get(pa).get(q8).add().vsplat().set(sa);
              if (pair) f.get(pb).get(q8).add().vsplat().set(sb);
              w.forEach((v, k) => f.get(pw).vload(16 * k).set(v));
              acc.forEach((a, k) => f.get(a).get(sa).get(w[k]).vmul().vadd().set(a));
              accB.forEach((a, k) => f.get(a).get(sb).get(w[k]).vmul().vadd().set(a));
              f.get(pw).get(cols8).add().set(pw);
              f.get(q8).i32(8).add().tee(q8).get(inner8).ltu();
            },
            () => undefined,
          );
          acc.forEach((a, k) => f.get(po).get(cb).add().get(a).vstore(16 * k));
          accB.forEach((a, k) => f.get(pob).get(cb).add().get(a).vstore(16 * k));
          f.get(cb).i32(64).add().tee(cb).get(cols8).ltu();
        },
        () => undefined,
      );
      f.get(i).i32(1).add().tee(i).get(rows).ltu();
    },
    () => undefined,
  );
  return f;
}

/**
 * cross8(P, Q, K, A, B, out) and, with `pair`, cross8pair(P, Q, K, A, B, C, D, out):
 *   out[p, q] = Σ_i A[i, p] B[i, q] (+ Σ_i C[i, p] D[i, q])
 * (A, C: K × P; B, D: K × Q, row-major; P even, Q a multiple of 8): out = Aᵀ B (+ Cᵀ D), two rows
 * p and eight columns q per block (eight f64x2 accumulators), i innermost. The weight gradients
 * of the axis MLPs, ∂L/∂W = Hᵀ gZ + Tᵀ gTW, without the transposes the TypeScript path needs.
 */
function crossKernel(pair: boolean): Fn {
  const f = new Fn(pair ? 'cross8pair' : 'cross8', pair ? [I32, I32, I32, I32, I32, I32, I32, I32] : [I32, I32, I32, I32, I32, I32]);
  const [P, Q, K, A, B] = [0, 1, 2, 3, 4];
  const C = pair ? 5 : -1;
  const D = pair ? 6 : -1;
  const out = pair ? 7 : 5;
  const p8 = f.local(I32);
  const qb = f.local(I32);
  const i = f.local(I32);
  const P8 = f.local(I32);
  const Q8 = f.local(I32);
  const pa = f.local(I32);
  const pb = f.local(I32);
  const pc = f.local(I32);
  const pd = f.local(I32);
  const po = f.local(I32);
  const acc0 = [0, 1, 2, 3].map(() => f.local(V128));
  const acc1 = [0, 1, 2, 3].map(() => f.local(V128));
  const b = [0, 1, 2, 3].map(() => f.local(V128));
  const a0 = f.local(V128);
  const a1 = f.local(V128);
  f.get(P).i32(3).shl().set(P8);
  f.get(Q).i32(3).shl().set(Q8);
  f.i32(0).set(p8);
  f.doWhile(
    () => {
      f.i32(0).set(qb);
      f.doWhile(
        () => {
          for (const a of [...acc0, ...acc1]) f.vzero().set(a);
          f.get(A).get(p8).add().set(pa);
          f.get(B).get(qb).add().set(pb);
          if (pair) {
            f.get(C).get(p8).add().set(pc);
            f.get(D).get(qb).add().set(pd);
          }
          f.i32(0).set(i);
          const step = (src: number, ptrA: number) => {
            b.forEach((v, k) => f.get(src).vload(16 * k).set(v));
            f.get(ptrA).vsplat().set(a0);
            f.get(ptrA).i32(8).add().vsplat().set(a1);
            acc0.forEach((a, k) => f.get(a).get(a0).get(b[k]).vmul().vadd().set(a));
            acc1.forEach((a, k) => f.get(a).get(a1).get(b[k]).vmul().vadd().set(a));
          };
          f.doWhile(
            () => {
              step(pb, pa);
              if (pair) step(pd, pc);
              f.get(pa).get(P8).add().set(pa);
              f.get(pb).get(Q8).add().set(pb);
              if (pair) {
                f.get(pc).get(P8).add().set(pc);
                f.get(pd).get(Q8).add().set(pd);
              }
              f.get(i).i32(1).add().tee(i).get(K).ltu();
            },
            () => undefined,
          );
          // out row p at out + p·Q8, row p + 1 one Q8 further.
          f.get(out).get(p8).get(Q).mul().add().get(qb).add().set(po);
          acc0.forEach((a, k) => f.get(po).get(a).vstore(16 * k));
          acc1.forEach((a, k) => f.get(po).get(Q8).add().get(a).vstore(16 * k));
          f.get(qb).i32(64).add().tee(qb).get(Q8).ltu();
        },
        () => undefined,
      );
      f.get(p8).i32(16).add().tee(p8).get(P8).ltu();
    },
    () => undefined,
  );
  return f;
}

/** f64x2 and i64x2 opcodes used below (WebAssembly Core Specification 2.0, §5.4.8). */
const OP = { abs: 0xec, neg: 0xed, sub: 0xf1, div: 0xf3, min: 0xf4, nearest: 0x94, lt: 0x49, ge: 0x4c, bitselect: 0x52, i64shl: 0xcb, i64add: 0xce } as const;

/** Scratch locals of emitTanh2. */
interface TanhLocals {
  x: number;
  ax: number;
  y: number;
  k: number;
  rho: number;
  p2: number;
  em: number;
}

function tanhLocals(f: Fn): TanhLocals {
  const v = () => f.local(V128);
  return { x: v(), ax: v(), y: v(), k: v(), rho: v(), p2: v(), em: v() };
}

/**
 * tanh of the two lanes on top of the stack (f64x2, in place), without tables (no gathers in
 * WebAssembly SIMD): with y = 2 min(|x|, 19.1) = k ln 2 + ρ, k = round(y / ln 2), |ρ| ≤ ln2/2
 * (Cody–Waite: ln 2 = HI + LO, k·HI exact),
 *   e^y − 1 = (2^k − 1) + 2^k (e^ρ − 1),  e^ρ − 1 = ρ Σ_{i=0}^{12} ρ^i/(i+1)!  (Horner; the Taylor
 *   remainder ρ¹⁴/14! < 5e-18),  tanh|x| = (e^y − 1) / ((e^y − 1) + 2),
 * 2^k built in the exponent bits (the bits of 2⁵² + k shifted left by 52, plus those of 1.0); then
 * ±1 where |x| ≥ 19.1 (as the portable tanh), the sign of x, NaN for NaN. Within a few ulp of Math.tanh
 * (test/sdmm-engine-simd.test.ts); not the same bits as the portable tanh of src/util/portable-math.ts.
 */
function emitTanh2(f: Fn, t: TanhLocals): void {
  const HI = 6.93147180369123816490e-1;
  const LO = 1.90821492927058770002e-10;
  f.tee(t.x).simd(OP.abs).tee(t.ax);
  f.vconst(19.1).simd(OP.min).vconst(2).vmul().tee(t.y);
  f.vconst(1 / Math.LN2).vmul().simd(OP.nearest).set(t.k);
  f.get(t.y).get(t.k).vconst(HI).vmul().simd(OP.sub).get(t.k).vconst(LO).vmul().simd(OP.sub).set(t.rho);
  f.get(t.k).vconst(2 ** 52).vadd().i32(52).simd(OP.i64shl).vconstI64(1023 * 2 ** 52).simd(OP.i64add).set(t.p2);
  // e^ρ − 1 by Horner on 1/(i+1)!, i = 12 … 0, times ρ.
  let fact = 1;
  const coef: number[] = [];
  for (let i = 1; i <= 13; i++) {
    fact *= i;
    coef.push(1 / fact);
  }
  f.vconst(coef[12]);
  for (let i = 11; i >= 0; i--) f.get(t.rho).vmul().vconst(coef[i]).vadd();
  f.get(t.rho).vmul().set(t.em);
  // em = (2^k − 1) + 2^k (e^ρ − 1); tanh|x| = em / (em + 2)
  f.get(t.p2).vconst(1).simd(OP.sub).get(t.p2).get(t.em).vmul().vadd().tee(t.em);
  f.get(t.em).vconst(2).vadd().simd(OP.div).set(t.em);
  f.vconst(1).get(t.em).get(t.ax).vconst(19.1).simd(OP.ge).simd(OP.bitselect).tee(t.em);
  f.simd(OP.neg).get(t.em).get(t.x).vconst(0).simd(OP.lt).simd(OP.bitselect);
}

/** tanh2(count, X, out): out = tanh(X) elementwise (count even), for the accuracy test. */
function tanhKernel(): Fn {
  const f = new Fn('tanh2', [I32, I32, I32]);
  const [count, X, out] = [0, 1, 2];
  const i = f.local(I32);
  const end = f.local(I32);
  const t = tanhLocals(f);
  f.get(count).i32(3).shl().set(end);
  f.i32(0).set(i);
  f.doWhile(
    () => {
      f.get(out).get(i).add();
      f.get(X).get(i).add().vload();
      emitTanh2(f, t);
      f.vstore();
      f.get(i).i32(16).add().tee(i).get(end).ltu();
    },
    () => undefined,
  );
  return f;
}

/**
 * actTanh(count, Z, d1, d2, tw, t, hasTw): axis-mlp.ts's activateLayer for σ = tanh on a
 * contiguous block (count even): h = tanh(z) into Z, d1 = σ' = 1 − h², d2 = σ'' = −2h(1 − h²),
 * and with tangents (hasTw ≠ 0) t = σ' tw.
 */
function activationKernel(): Fn {
  const f = new Fn('actTanh', [I32, I32, I32, I32, I32, I32, I32]);
  const [count, Z, d1, d2, tw, tt, hasTw] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32);
  const end = f.local(I32);
  const h = f.local(V128);
  const s1 = f.local(V128);
  const t = tanhLocals(f);
  f.get(count).i32(3).shl().set(end);
  f.i32(0).set(i);
  f.doWhile(
    () => {
      f.get(Z).get(i).add().vload();
      emitTanh2(f, t);
      f.set(h);
      f.get(Z).get(i).add().get(h).vstore();
      f.vconst(1).get(h).get(h).vmul().simd(OP.sub).set(s1);
      f.get(d1).get(i).add().get(s1).vstore();
      f.get(d2).get(i).add().vconst(-2).get(h).vmul().get(s1).vmul().vstore();
      // t = s1 tw where tangents are carried (hasTw: the loads then stay in the arrays' range)
      f.get(hasTw).ifThen(() => f.get(tt).get(i).add().get(s1).get(tw).get(i).add().vload().vmul().vstore());
      f.get(i).i32(16).add().tee(i).get(end).ltu();
    },
    () => undefined,
  );
  return f;
}

/**
 * dens2(n, q0, wLine, w, s, ds, uPrev, sigma, hasSigma, alpha, invEps2, invMovement, Gs, Gd, acc):
 * density.ts's stepDensityLine for d = 2 with the bounding, two points per f64x2 (n even):
 *   u = tanh(α s), g = α(1 − u²), φ = ½ g² |∇s|² + ε⁻² ¼(u² − 1)² + (u − uⁿ)²/(2mτ) − σu,
 *   Gs = w g (∂φ/∂u − 2αu g|∇s|²), Gd_a = w g² ∂_a s, ∂φ/∂u = ε⁻² u(u² − 1) + (u − uⁿ)/(mτ) − σ,
 *   acc += [Σ w φ, Σ w (1 − u²)(∂φ/∂u s + g|∇s|²(1 − 2αus))]  (the sums in two lanes).
 * Byte offsets: w, s, Gs (n), ds, Gd (2n), uPrev, sigma (grid arrays, points q0 + j), acc (2).
 */
function densityKernel(): Fn {
  const f = new Fn('dens2', [I32, I32, F64, I32, I32, I32, I32, I32, I32, F64, F64, F64, I32, I32, I32]);
  const [n, q0, wLine, w, s, ds, uPrev, sigma, hasSigma, alpha, invEps2, invMovement, Gs, Gd, acc] = Array.from({ length: 15 }, (_, i) => i);
  const jb = f.local(I32);
  const n8 = f.local(I32);
  const qb = f.local(I32);
  const v = () => f.local(V128);
  const [value, gAlpha, vAlpha, vTwoAlpha, vEps, vMov, vTwoMov, vWLine, wq, sj, u, one, g, dx, dy, c, du, src, sq, phiU, wg, wgg] = Array.from({ length: 22 }, v);
  const t = tanhLocals(f);
  f.get(n).i32(3).shl().set(n8);
  f.get(q0).i32(3).shl().set(qb);
  f.get(alpha).splat().tee(vAlpha).vconst(2).vmul().set(vTwoAlpha);
  f.get(invEps2).splat().set(vEps);
  f.get(invMovement).splat().tee(vMov).vconst(2).vmul().set(vTwoMov);
  f.get(wLine).splat().set(vWLine);
  f.vzero().set(value);
  f.vzero().set(gAlpha);
  f.vzero().set(src);
  f.i32(0).set(jb);
  f.doWhile(
    () => {
      f.get(vWLine).get(w).get(jb).add().vload().vmul().set(wq);
      f.get(s).get(jb).add().vload().tee(sj).get(vAlpha).vmul();
      emitTanh2(f, t);
      f.set(u);
      f.vconst(1).get(u).get(u).vmul().simd(OP.sub).set(one);
      f.get(vAlpha).get(one).vmul().set(g);
      f.get(ds).get(jb).add().vload().set(dx);
      f.get(ds).get(n8).add().get(jb).add().vload().set(dy);
      // c = g |∇s|²
      f.get(g).get(dx).get(dx).vmul().get(dy).get(dy).vmul().vadd().vmul().set(c);
      f.get(u).get(uPrev).get(qb).add().get(jb).add().vload().simd(OP.sub).set(du);
      f.get(hasSigma).ifThen(() => f.get(sigma).get(qb).add().get(jb).add().vload().set(src));
      f.get(u).get(u).vmul().vconst(1).simd(OP.sub).set(sq);
      // value += wq (½ g c + ε⁻² ¼ sq² + m⁻¹ du² − src u)
      f.get(value).get(wq);
      f.vconst(0.5).get(g).vmul().get(c).vmul();
      f.get(vEps).vconst(0.25).get(sq).vmul().get(sq).vmul().vmul().vadd();
      f.get(vMov).get(du).vmul().get(du).vmul().vadd();
      f.get(src).get(u).vmul().simd(OP.sub);
      f.vmul().vadd().set(value);
      // ∂φ/∂u = ε⁻² u sq + 2m⁻¹ du − src
      f.get(vEps).get(u).get(sq).vmul().vmul().get(vTwoMov).get(du).vmul().vadd().get(src).simd(OP.sub).set(phiU);
      f.get(wq).get(g).vmul().set(wg);
      f.get(Gs).get(jb).add();
      f.get(wg).get(phiU).get(vTwoAlpha).get(u).vmul().get(c).vmul().simd(OP.sub).vmul().vstore();
      f.get(gAlpha).get(wq).get(one).vmul();
      f.get(phiU).get(sj).vmul().get(c).vconst(1).get(vTwoAlpha).get(u).vmul().get(sj).vmul().simd(OP.sub).vmul().vadd();
      f.vmul().vadd().set(gAlpha);
      f.get(wg).get(g).vmul().set(wgg);
      f.get(Gd).get(jb).add().get(wgg).get(dx).vmul().vstore();
      f.get(Gd).get(n8).add().get(jb).add().get(wgg).get(dy).vmul().vstore();
      f.get(jb).i32(16).add().tee(jb).get(n8).ltu();
    },
    () => undefined,
  );
  f.get(acc).get(acc).fload().get(value).lane(0).get(value).lane(1).fadd().fadd().fstore();
  f.get(acc).i32(8).add().get(acc).i32(8).add().fload().get(gAlpha).lane(0).get(gAlpha).lane(1).fadd().fadd().fstore();
  return f;
}

/** The kernels bound to one memory (byte offsets into it). */
export interface SimdKernels {
  fwd2(n: number, r: number, P: number, YTt: number, SD: number): void;
  rev2(n: number, r: number, P: number, YTt: number, G: number, gYTt: number, gP: number): void;
  rows8(rows: number, cols: number, inner: number, A: number, W: number, bias: number, out: number): void;
  rows8pair(rows: number, cols: number, inner: number, A: number, B: number, W: number, bias: number, out: number, outB: number): void;
  cross8(P: number, Q: number, K: number, A: number, B: number, out: number): void;
  cross8pair(P: number, Q: number, K: number, A: number, B: number, C: number, D: number, out: number): void;
  tanh2(count: number, X: number, out: number): void;
  actTanh(count: number, Z: number, d1: number, d2: number, tw: number, t: number, hasTw: number): void;
  dens2(n: number, q0: number, wLine: number, w: number, s: number, ds: number, uPrev: number, sigma: number, hasSigma: number, alpha: number, invEps2: number, invMovement: number, Gs: number, Gd: number, acc: number): void;
}

const modules = new Map<boolean, WebAssembly.Module | null>();

/** The compiled module for a shared or unshared memory, or null where WebAssembly SIMD is missing. */
function simdModule(shared: boolean): WebAssembly.Module | null {
  if (modules.has(shared)) return modules.get(shared) ?? null;
  let mod: WebAssembly.Module | null = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = assembleModule([forwardKernel(), reverseKernel(), rowsKernel(false), rowsKernel(true), crossKernel(false), crossKernel(true), tanhKernel(), activationKernel(), densityKernel()], shared);
      if (WebAssembly.validate(bytes)) mod = new WebAssembly.Module(bytes);
    }
  } catch {
    mod = null;
  }
  modules.set(shared, mod);
  return mod;
}

/** Whether the SIMD kernels can run here (WebAssembly with fixed-width SIMD; shared memory for workers). */
export function simdAvailable(shared: boolean): boolean {
  if (shared && typeof SharedArrayBuffer === 'undefined') return false;
  return simdModule(shared) !== null;
}

/** A memory of at least `bytes` bytes for gridBuffers (shared: for worker threads). */
export function simdMemory(bytes: number, shared: boolean): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages, maximum: pages });
}

/** The kernels on `memory`; null where unavailable (the caller falls back to TypeScript). */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const mod = simdModule(shared);
  if (!mod) return null;
  const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SimdKernels;
  const { fwd2, rev2, rows8, rows8pair, cross8, cross8pair, tanh2, actTanh, dens2 } = exports;
  return { fwd2, rev2, rows8, rows8pair, cross8, cross8pair, tanh2, actTanh, dens2 };
}
