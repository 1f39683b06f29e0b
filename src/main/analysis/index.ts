// Public API of the ELA analysis.
export {
  DEFAULT_ELA_PARAMETERS,
  validateElaParameters,
  elaDifference,
  elaDifferenceImage,
  runEla,
  type ElaOutputPaths,
} from './ela';
export { computeElaStats, elaBlockSide } from './stats';
export { renderHeatmap, type HeatmapOptions, type HeatmapFiles } from './heatmap';
export { INFERNO_LUT, infernoColour } from './colormap';
export { amplificationLut } from './amplify';
