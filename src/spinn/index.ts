/**
 * SPINN, the space-time separable physics-informed network baseline (Cho et al., NeurIPS 2023),
 * as a gradient-flow solver kind: `spinnKind` (kind.ts) is the registry entry.
 */

export { spinnOptionsSchema, resolveSpinnOptions, SpinnOptionsError, SPINN_ACTIVATIONS, SPINN_OPTIMIZERS, type SpinnOptions, type SpinnOptionsInput, type ResolvedSpinnOptions } from './options.js';
export { spinnLayout, spinnInitialParameters, activationDerivatives, AxisNet, type SpinnLayout, type SpinnAxis, type SpinnLayer, type SpinnActivation } from './network.js';
export { SpinnLoss, type LossParts, type LossWeights } from './loss.js';
export { SpinnField } from './field.js';
export { trainSpinn, type TrainingReport, type TrainingPhase } from './train.js';
export { createSpinnSolver, type SpinnSolver } from './solver.js';
export { spinnKind } from './kind.js';
