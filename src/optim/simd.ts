import { F64, Fn, I32, V128, assembleModule } from '../util/wasm.js';

/**
 * f64x2 (WebAssembly SIMD) vector kernels for the L-BFGS two-loop recursion, on one memory that
 * holds the history S, Y and the direction (byte offsets into it; n even):
 *   dot(a, b, n)        = (Σ_{i even} a_i b_i) + (Σ_{i odd} a_i b_i)   (two lanes, added at the end),
 *   axpy(y, x, α, n):     y_i += α x_i.
 * Why: at the SDMM default (history 20, 3296 parameters) the two loops stream 2 MB per L-BFGS
 * iteration, ≈ 0.19 ms in TypeScript (measured in isolation on the shared machine) against
 * ≈ 0.35–0.5 ms for an SDMM evaluation at 64² once the engine's kernels were SIMD; these kernels do
 * them 2.4× faster (same-process A/B, scratch harness, benchmarks/README.md), with results that
 * differ from the sequential sums by rounding. (The SDMM default history is 100 pairs: src/sdmm/options.ts.)
 */
export interface VectorKernels {
  dot(a: number, b: number, n: number): number;
  axpy(y: number, x: number, alpha: number, n: number): void;
}

function dotKernel(): Fn {
  const f = new Fn('dot', [I32, I32, I32], [F64]);
  const [a, b, n] = [0, 1, 2];
  const i = f.local(I32);
  const end = f.local(I32);
  const s = f.local(V128);
  f.get(n).i32(3).shl().set(end);
  f.i32(0).set(i);
  f.vzero().set(s);
  f.doWhile(
    () => {
      f.get(s).get(a).get(i).add().vload().get(b).get(i).add().vload().vmul().vadd().set(s);
      f.get(i).i32(16).add().tee(i).get(end).ltu();
    },
    () => undefined,
  );
  f.get(s).lane(0).get(s).lane(1).fadd();
  return f;
}

function axpyKernel(): Fn {
  const f = new Fn('axpy', [I32, I32, F64, I32]);
  const [y, x, alpha, n] = [0, 1, 2, 3];
  const i = f.local(I32);
  const end = f.local(I32);
  const q = f.local(I32);
  const av = f.local(V128);
  f.get(n).i32(3).shl().set(end);
  f.i32(0).set(i);
  f.get(alpha).splat().set(av);
  f.doWhile(
    () => {
      f.get(y).get(i).add().tee(q).get(q).vload().get(av).get(x).get(i).add().vload().vmul().vadd().vstore();
      f.get(i).i32(16).add().tee(i).get(end).ltu();
    },
    () => undefined,
  );
  return f;
}

let module: WebAssembly.Module | null | undefined;

/**
 * A memory of `doubles` float64 values with the kernels bound to it, or null where WebAssembly SIMD
 * is not available (the caller keeps its TypeScript loops).
 */
export function vectorMemory(doubles: number): { memory: WebAssembly.Memory; kernels: VectorKernels } | null {
  if (module === undefined) {
    module = null;
    try {
      if (typeof WebAssembly === 'object') {
        const bytes = assembleModule([dotKernel(), axpyKernel()], false);
        if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
      }
    } catch {
      module = null;
    }
  }
  if (!module) return null;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((8 * doubles) / 65536)) });
  const { dot, axpy } = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as VectorKernels;
  return { memory, kernels: { dot, axpy } };
}
