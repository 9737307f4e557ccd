/**
 * The one TensorFlow.js entry point of the SDMM solver: tfjs-core (tensors, ops, gradients)
 * with the plain-JavaScript 'cpu' backend registered and the reverse-mode rules of the kernels
 * the losses use (gradients.ts: tfjs-core's Node build ships none). Every sdmm/ file imports
 * `tf` from here, never from '@tensorflow/tfjs' (the full bundle, 286 MB installed, adds layers,
 * converter, data and WebGL that the solver does not use). The 'wasm' backend
 * (@tensorflow/tfjs-backend-wasm) and the native 'tensorflow' backend (optional peers
 * @tensorflow/tfjs-node[-gpu]) register themselves into this same engine when backend.ts
 * imports them.
 */
import '@tensorflow/tfjs-backend-cpu';
import { registerSdmmGradients } from './gradients.js';

registerSdmmGradients();

export * from '@tensorflow/tfjs-core';
