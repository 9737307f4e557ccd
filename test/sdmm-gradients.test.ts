import { describe, expect, it } from 'vitest';
import { DIFFERENTIATED_KERNELS } from '../src/sdmm/gradients.js';
import * as tf from '../src/sdmm/tf.js';

/**
 * The reverse-mode rules of src/sdmm/gradients.ts against central differences
 * (f(x + h eᵢ) − f(x − h eᵢ)) / 2h of a scalar function built from each kernel, broadcasting
 * and transposes included. float32 on the cpu backend: h = 1e-2 and smooth test functions keep
 * the truncation error O(h²) ≈ 1e-4 and the rounding error ≈ 1e-7/h = 1e-5.
 */
await tf.setBackend('cpu');

function values(n: number, shift: number): number[] {
  return Array.from({ length: n }, (_, i) => 0.3 * Math.sin(1.7 * i + shift) + 0.1 * i / n);
}

function checkGradient(shape: number[], f: (x: tf.Tensor) => tf.Scalar, shift = 0): void {
  const n = shape.reduce((p, s) => p * s, 1);
  const x0 = values(n, shift);
  const analytic = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor(x0, shape)).dataSync()));
  const h = 1e-2;
  for (let i = 0; i < n; i++) {
    const at = (d: number) => tf.tidy(() => f(tf.tensor(x0.map((v, j) => (j === i ? v + d : v)), shape)).dataSync()[0]);
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(analytic[i]).toBeCloseTo(numeric, 3);
  }
}

describe('tfjs-core gradient rules (no full @tensorflow/tfjs bundle loaded)', () => {
  it('every rule is registered', () => {
    for (const k of DIFFERENTIATED_KERNELS) expect(tf.getGradient(k), k).toBeDefined();
    // A kernel outside the list has none: the rules tested below are these, not the full bundle's.
    expect(tf.getGradient('Exp')).toBeUndefined();
    expect([...DIFFERENTIATED_KERNELS].sort()).toEqual(['Add', 'BatchMatMul', 'Cos', 'Mean', 'Multiply', 'Neg', 'Reshape', 'Sin', 'Slice', 'Square', 'Sub', 'Sum', 'Tanh']);
  });
  const w = tf.tensor(values(12, 2), [3, 4]);
  const col = tf.tensor(values(3, 5), [3, 1]);
  it('elementwise: add, sub, mul with broadcasting on either side, neg', () => {
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.add(x, col), w)));
    checkGradient([3, 1], (x) => tf.sum(tf.mul(tf.sub(w, x), tf.add(w, x))));
    checkGradient([4], (x) => tf.sum(tf.square(tf.mul(w, x))));
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.neg(x), w)));
  });
  it('square, tanh, sin, cos', () => {
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.tanh(tf.square(x)), w)));
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.sin(x), tf.cos(tf.mul(x, w)))));
  });
  it('sum and mean over all, one or several axes', () => {
    checkGradient([3, 4], (x) => tf.sum(tf.square(tf.sum(x, 1))));
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.mean(x, 0, true), tf.tensor(values(4, 1), [1, 4]))));
    checkGradient([3, 4], (x) => tf.mean(tf.square(x)));
    checkGradient([3, 4], (x) => tf.sum(tf.square(tf.sum(x, [0, 1], true))));
  });
  it('slice and reshape', () => {
    checkGradient([3, 4], (x) => tf.sum(tf.square(tf.slice(x, [1, 1], [2, -1]))));
    checkGradient([3, 4], (x) => tf.sum(tf.mul(tf.reshape(x, [4, 3]), tf.reverse(tf.reshape(w, [4, 3]), 0))));
  });
  it('matMul in all four transpose combinations, both operands', () => {
    const b = tf.tensor(values(8, 3), [4, 2]);
    const bt = tf.tensor(values(8, 3), [2, 4]);
    for (const [tA, tB, other, shape] of [
      [false, false, b, [3, 4]],
      [false, true, bt, [3, 4]],
      [true, false, b, [4, 3]],
      [true, true, bt, [4, 3]],
    ] as const) {
      checkGradient([...shape], (x) => tf.sum(tf.square(tf.matMul(x, other, tA, tB))));
      checkGradient([...other.shape], (y) => tf.sum(tf.square(tf.matMul(tf.tensor(values(12, 4), [...shape]), y, tA, tB))));
    }
  });
});

describe('one TensorFlow.js entry point', () => {
  it("no source file imports the full '@tensorflow/tfjs' bundle; tfjs-core only through src/sdmm/tf.ts and gradients.ts", async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = join(import.meta.dirname, '..', 'src');
    const offenders: string[] = [];
    for (const file of readdirSync(root, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(root, file), 'utf8');
      // import statements and dynamic imports (not comments or version look-ups by name)
      const imports = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'|\bimport\('([^']+)'\)/gm)].map((m) => m[1] ?? m[2]);
      if (imports.includes('@tensorflow/tfjs')) offenders.push(`${file}: @tensorflow/tfjs`);
      if (imports.includes('@tensorflow/tfjs-core') && !['sdmm/tf.ts', 'sdmm/gradients.ts'].includes(file.replace(/\\/g, '/'))) offenders.push(`${file}: @tensorflow/tfjs-core`);
    }
    expect(offenders).toEqual([]);
  });
});
