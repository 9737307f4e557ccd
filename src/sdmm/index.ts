export { createSdmmSolver, SdmmFitError, type SdmmSolver } from './solver.js';
export { selectBackend } from './backend.js';
export { resolveSdmmOptions, defaultSdmmOptions, SdmmOptionsError, type SdmmOptions } from './options.js';
export { SDMM_OPTIONS, SDMM_ACTIVATIONS, SDMM_OPTIMIZERS, SDMM_BACKENDS } from './options.js';
export { sdmmKind } from './kind.js';
export {
  networkLayout,
  initialParameters,
  encodeAxis,
  mlpNetwork,
  NetworkEvaluator,
  type SeparableNetwork,
  type NetworkLayout,
  type AxisLayout,
  type Activation,
} from './network.js';
export { createEngine, type SdmmEngine, type EngineSetup, type EngineObjective } from './engine/index.js';
export { TfjsEngine, axisFeaturesTf, separableFieldTf, boundedFieldTf, alphaOf } from './engine/tfjs.js';
export { gridEnergy, newGridField, type GridField } from './grid.js';
export { lbfgsMinimize, adamMinimize, createLbfgsState, createAdamState, type Objective, type MinimizeResult } from '../optim/optimizers.js';
