export { createSdmmSolver, SdmmFitError, type SdmmSolver } from './solver.js';
export { selectBackend } from './backend.js';
export { resolveSdmmOptions, defaultSdmmOptions, SdmmOptionsError, type SdmmOptions } from './options.js';
export { SDMM_OPTIONS, SDMM_ACTIVATIONS, SDMM_OPTIMIZERS, SDMM_BACKENDS } from './options.js';
export { sdmmKind } from './kind.js';
export {
  networkLayout,
  initialParameters,
  encodeAxis,
  axisFeaturesTf,
  separableFieldTf,
  boundedFieldTf,
  alphaOf,
  NetworkEvaluator,
  type NetworkLayout,
  type AxisLayout,
  type Activation,
} from './network.js';
export { lbfgsMinimize, adamMinimize, createLbfgsState, createAdamState, type Objective, type MinimizeResult } from './optimizers.js';
