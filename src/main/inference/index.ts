// Public API of the inference layer: the model catalogue, execution providers, detectors.
export { Detector, DEFAULT_MAX_BATCH, type DetectorOptions } from './detector';
export {
  checkManifest,
  isSupportedCropCount,
  type ModelManifest,
  type ManifestCheck,
  type ModelTask,
  type Preprocessing,
  type PreprocessingMode,
  type ScoreMeaning,
  type InputTransform,
  type Aggregate,
  type ResizeFit,
  type ResizeKernel,
} from './manifest';
export { loadModelRegistry, MODEL_FILE, MANIFEST_FILE, type RegisteredModel } from './registry';
export { ModelCatalogue, ModelUnavailableError, type CatalogueEntry, type CatalogueOptions, type ModelSelection } from './catalogue';
export {
  availableProviders,
  providerOrder,
  isProviderRequest,
  PROVIDER_NAMES,
  type ProviderRequest,
} from './providers';
export { createSession, defaultIntraOpThreads, SessionOpenError, type OpenedSession, type ProviderAttempt, type SessionOptions } from './session';
export { preprocess, preprocessFromElaPass, elaInputPlan, cropWindows, paddedCanvas, type CropWindow, type ElaInputPlan, type RgbSource } from './preprocess';
