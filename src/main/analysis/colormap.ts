// The colour map lives in src/shared so the renderer's instant filters colour exactly as the
// engine's heatmap files do; the engine keeps importing it from here.
export { INFERNO_LUT, infernoColour } from '../../shared/colormap';
