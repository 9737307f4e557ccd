/**
 * A minimal WebAssembly assembler: enough to write float64 and f64x2 (SIMD) kernels over one
 * imported memory as TypeScript code that emits the instruction stream, so that the repository
 * needs no compiler and no build step for its WebAssembly (used by src/sdmm/engine/wasm.ts and
 * src/optim). Binary format: WebAssembly Core Specification 2.0, chapter 5 (sections 1 type,
 * 2 import, 3 function, 7 export, 10 code; unsigned and signed LEB128 integers), with the
 * fixed-width SIMD instructions of §5.4.8 (prefix 0xFD: v128.load 0x00, v128.load64_splat 0x0A,
 * v128.store 0x0B, v128.const 0x0C, f64x2.splat 0x14, f64x2.extract_lane 0x21, f64x2.add 0xF0,
 * f64x2.mul 0xF2). Modules are checked with WebAssembly.validate by their users.
 */

/** Value type i32 (§5.3.1). */
export const I32 = 0x7f;
/** Value type f64. */
export const F64 = 0x7c;
/** Value type v128 (SIMD). */
export const V128 = 0x7b;

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const name = (s: string): number[] => {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** One function's code, written as a stack-machine instruction stream (a tiny assembler). */
export class Fn {
  readonly code: number[] = [];
  private readonly locals: number[] = [];
  constructor(
    readonly name: string,
    readonly params: number[],
    readonly results: number[] = [],
  ) {}
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }
  get(i: number): this {
    this.code.push(0x20, ...uleb(i));
    return this;
  }
  set(i: number): this {
    this.code.push(0x21, ...uleb(i));
    return this;
  }
  tee(i: number): this {
    this.code.push(0x22, ...uleb(i));
    return this;
  }
  i32(v: number): this {
    this.code.push(0x41, ...sleb(v));
    return this;
  }
  add(): this {
    this.code.push(0x6a);
    return this;
  }
  mul(): this {
    this.code.push(0x6c);
    return this;
  }
  shl(): this {
    this.code.push(0x74);
    return this;
  }
  ltu(): this {
    this.code.push(0x49);
    return this;
  }
  fadd(): this {
    this.code.push(0xa0);
    return this;
  }
  fmul(): this {
    this.code.push(0xa2);
    return this;
  }
  fload(): this {
    this.code.push(0x2b, 3, 0);
    return this;
  }
  fstore(): this {
    this.code.push(0x39, 3, 0);
    return this;
  }
  fzero(): this {
    this.code.push(0x44, 0, 0, 0, 0, 0, 0, 0, 0);
    return this;
  }
  /** A fixed-width SIMD instruction by its opcode (§5.4.8), e.g. 0xf1 f64x2.sub. */
  simd(op: number): this {
    this.code.push(0xfd, ...uleb(op));
    return this;
  }
  /** v128.const of two f64 lanes. */
  vconst(a: number, b = a): this {
    this.code.push(0xfd, 0x0c, ...new Uint8Array(new Float64Array([a, b]).buffer));
    return this;
  }
  /** v128.const of two i64 lanes (exact for |v| < 2⁵³). */
  vconstI64(v: number): this {
    this.code.push(0xfd, 0x0c, ...new Uint8Array(new BigInt64Array([BigInt(v), BigInt(v)]).buffer));
    return this;
  }
  /** v128.load / v128.store at address + offset (alignment hint 8 bytes: the views are 8-byte aligned). */
  vload(offset = 0): this {
    this.code.push(0xfd, 0x00, 3, ...uleb(offset));
    return this;
  }
  vstore(offset = 0): this {
    this.code.push(0xfd, 0x0b, 3, ...uleb(offset));
    return this;
  }
  /** v128.load64_splat: one float64 from memory into both lanes. */
  vsplat(): this {
    this.code.push(0xfd, 0x0a, 3, 0);
    return this;
  }
  vadd(): this {
    this.code.push(0xfd, ...uleb(0xf0));
    return this;
  }
  /** f64x2.splat of the f64 on the stack. */
  splat(): this {
    this.code.push(0xfd, 0x14);
    return this;
  }
  vmul(): this {
    this.code.push(0xfd, ...uleb(0xf2));
    return this;
  }
  lane(l: number): this {
    this.code.push(0xfd, 0x21, l);
    return this;
  }
  vzero(): this {
    this.code.push(0xfd, 0x0c, ...new Array<number>(16).fill(0));
    return this;
  }
  /** if (the i32 on the stack ≠ 0) { body } (no result). */
  ifThen(body: () => void): this {
    this.code.push(0x04, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }
  /** A loop whose body runs once, then again while `cond` leaves a non-zero i32. */
  doWhile(body: () => void, cond: () => void): this {
    this.code.push(0x03, 0x40);
    body();
    cond();
    this.code.push(0x0d, 0, 0x0b);
    return this;
  }
  encode(): number[] {
    const body = [...vec(this.locals.map((t) => [1, t])), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A module of the given functions (each exported under its name) importing one memory as
 * env.memory, shared or not (a shared memory must declare a maximum: 65536 pages, 4 GiB, admits any).
 */
export function assembleModule(fns: Fn[], shared: boolean): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((p) => [p]))]);
  // The memory import: shared memories must declare a maximum (65536 pages = 4 GiB admits any).
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const code = vec(fns.map((f) => f.encode()));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec(types)), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, code)]);
}
