/**
 * SPINN, the space-time separable physics-informed network baseline (Cho et al., NeurIPS 2023),
 * as a gradient-flow solver kind: `spinnKind` is the registry entry (name, options schema with
 * defaults and one-line docs, async factory).
 */
import { spinnOptionsSchema } from './options.js';
import { createSpinnSolver } from './solver.js';

export { spinnOptionsSchema, resolveSpinnOptions, SpinnOptionsError, SPINN_ACTIVATIONS, SPINN_OPTIMIZERS, type SpinnOptions, type SpinnOptionsInput, type ResolvedSpinnOptions } from './options.js';
export { spinnLayout, spinnInitialParameters, activationDerivatives, AxisNet, type SpinnLayout, type SpinnAxis, type SpinnLayer, type SpinnActivation } from './network.js';
export { SpinnLoss, type LossParts, type LossWeights } from './loss.js';
export { SpinnField } from './field.js';
export { trainSpinn, type TrainingReport, type TrainingPhase } from './train.js';
export { createSpinnSolver, type SpinnSolver } from './solver.js';

/** The solver kind as the registry lists it: name, options schema, factory (async: it returns a Promise). */
export const spinnKind = { name: 'spinn', options: spinnOptionsSchema, create: createSpinnSolver } as const;
