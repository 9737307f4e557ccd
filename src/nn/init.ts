import { mulberry32 } from '../physics/random.js';

/** Where a dense layer's weights W (inputs × outputs, row-major) sit in a flat parameter vector θ. */
export interface DenseLayerSlot {
  readonly inputs: number;
  readonly outputs: number;
  readonly weightOffset: number;
}

/**
 * Seeded Glorot (Xavier) uniform initialisation (Glorot & Bengio, AISTATS 2010): every W of
 * `layers`, in order, drawn from U(−a, a) with a = √(6/(inputs + outputs)) by mulberry32(seed);
 * everything else in θ (biases, α) is left as it is. The per-axis MLPs of SDMM and SPINN both
 * start from it. Returns θ.
 */
export function glorotUniform(theta: Float64Array, layers: Iterable<DenseLayerSlot>, seed: number): Float64Array {
  const rand = mulberry32(seed);
  for (const L of layers) {
    const limit = Math.sqrt(6 / (L.inputs + L.outputs));
    for (let i = 0; i < L.inputs * L.outputs; i++) theta[L.weightOffset + i] = limit * (2 * rand() - 1);
  }
  return theta;
}
