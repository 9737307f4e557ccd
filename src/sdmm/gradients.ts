import {
  backend_util,
  broadcast_util,
  cos,
  getGradient,
  matMul,
  mul,
  neg,
  ones,
  pad,
  registerGradient,
  reshape,
  scalar,
  sin,
  slice_util,
  square,
  sub,
  sum,
  util,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs-core';

/**
 * Reverse-mode derivatives of the kernels the SDMM losses use, for a process that loads
 * tfjs-core alone. The full @tensorflow/tfjs bundle registers all of tfjs-core's gradients;
 * tfjs-core's Node build (tf-core.node.js) ships none, and its per-op ESM sources cannot be
 * imported by Node (extensionless specifiers). A kernel that already has a gradient (because
 * the full bundle or tfjs-node was loaded too) keeps it.
 *
 * Each rule is the adjoint of its kernel (dy: the upstream gradient, shaped like the output):
 *
 *   z = a ± b, a·b, with broadcasting   ∂a = Σ_broadcast dy·(1 | b),  ∂b = Σ_broadcast dy·(±1 | a)
 *   z = x², tanh x, sin x, cos x        ∂x = dy·2x, dy·(1 − z²), dy·cos x, −dy·sin x
 *   z = Σ_axes x, mean_axes x           ∂x = dy broadcast back over axes (÷ the count for mean)
 *   z = x[begin : begin + size]         ∂x = dy zero-padded back to x's shape
 *   z = reshape(x)                      ∂x = reshape(dy, shape of x)
 *   z = A B (optionally transposed)     ∂A = dy Bᵀ, ∂B = Aᵀ dy (transposes arranged per flag)
 *
 * "Σ_broadcast" sums dy over the axes along which the input was broadcast
 * (broadcast_util.getReductionAxes), then reshapes to the input's shape.
 * test/sdmm-gradients.test.ts checks every rule against central differences.
 */

/** Sum dy over the axes along which an input of `shape` was broadcast to dy's shape. */
function unbroadcast(dy: Tensor, shape: number[]): Tensor {
  const axes = broadcast_util.getReductionAxes(shape, dy.shape);
  return reshape(axes.length > 0 ? sum(dy, axes) : dy, shape);
}

/** dy of a reduction over `axis` spread back to x's shape (each x entry gets its output's dy). */
function spreadBack(dy: Tensor, x: Tensor, axis: number | number[] | undefined): { grad: Tensor; count: number } {
  const axes = util.parseAxisParam(axis ?? null as unknown as number[], x.shape);
  // keepDims: dy already has x's rank (size 1 along the axes); otherwise put those axes back.
  const kept = dy.rank === x.rank ? dy.shape : backend_util.expandShapeToKeepDim(dy.shape, axes);
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  return { grad: mul(reshape(dy, kept), ones(x.shape, 'float32')), count };
}

function reductionAxis(attrs: NamedAttrMap): number | number[] | undefined {
  return attrs.axis as number | number[] | undefined;
}

const RULES: GradConfig[] = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(dy as Tensor, a.shape), b: () => unbroadcast(dy as Tensor, b.shape) }),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(dy as Tensor, a.shape), b: () => neg(unbroadcast(dy as Tensor, b.shape)) }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(mul(dy as Tensor, b), a.shape), b: () => unbroadcast(mul(dy as Tensor, a), b.shape) }),
  },
  {
    kernelName: 'Square',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => mul(dy as Tensor, mul(x, scalar(2))) }),
  },
  {
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => mul(dy as Tensor, sub(scalar(1), square(y))) }),
  },
  {
    kernelName: 'Sin',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => mul(dy as Tensor, cos(x)) }),
  },
  {
    kernelName: 'Cos',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => neg(mul(dy as Tensor, sin(x))) }),
  },
  {
    kernelName: 'Neg',
    gradFunc: (dy) => ({ x: () => neg(dy as Tensor) }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => spreadBack(dy as Tensor, x, reductionAxis(attrs)).grad }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const { grad, count } = spreadBack(dy as Tensor, x, reductionAxis(attrs));
        return mul(grad, scalar(1 / count));
      },
    }),
  },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => reshape(dy as Tensor, x.shape) }),
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const [begin, size] = slice_util.parseSliceParams(x, attrs.begin as number | number[], attrs.size as number | number[]);
        return pad(dy as Tensor, x.shape.map((n, i) => [begin[i], n - begin[i] - size[i]] as [number, number]));
      },
    }),
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const d = dy as Tensor;
      const tA = attrs.transposeA === true;
      const tB = attrs.transposeB === true;
      if (!tA && !tB) return { a: () => matMul(d, b, false, true), b: () => matMul(a, d, true, false) };
      if (!tA && tB) return { a: () => matMul(d, b, false, false), b: () => matMul(d, a, true, false) };
      if (tA && !tB) return { a: () => matMul(b, d, false, true), b: () => matMul(a, d, false, false) };
      return { a: () => matMul(b, d, true, true), b: () => matMul(d, a, true, true) };
    },
  },
];

/** The kernels this module differentiates (for tests and for the error message of a missing one). */
export const DIFFERENTIATED_KERNELS: readonly string[] = RULES.map((r) => r.kernelName);

/** Register every rule whose kernel has no gradient yet; idempotent. */
export function registerSdmmGradients(): void {
  for (const rule of RULES) if (!getGradient(rule.kernelName)) registerGradient(rule);
}
