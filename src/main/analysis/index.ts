// Public API of the ELA analysis.
export {
  DEFAULT_ELA_PARAMETERS,
  validateElaParameters,
  elaDifference,
  elaDifferenceImage,
  jpegRecompression,
  runEla,
  runElaWith,
  writeElaHeatmap,
  type ElaModelRequest,
  type ElaOutputPaths,
} from './ela';
export { elaPass, elaPreviewSize, withElaScratch, ElaScratch, type ElaPassOptions, type ElaPassResult, type ElaPreviewGrid, type RgbPixels } from './elaPass';
export { computeElaStats, elaBlockSide, summarizeElaStats } from './stats';
export { blockMaxPreview, maxChannelLevels, renderHeatmap, writeHeatmapPng, type HeatmapOptions, type HeatmapFiles } from './heatmap';
export { INFERNO_LUT, infernoColour } from './colormap';
export { amplificationLut } from './amplify';

// The toolbox beyond ELA (issue 14): one module per technique; `ANALYSES` lists them with versions.
export { ANALYSES, describeAnalysis, analysisVersions } from './catalogue';
export { analyzeNoise, noiseResidualMap, DEFAULT_NOISE_PARAMETERS, type NoiseDetail, type NoiseParameters } from './noise';
export { analyzeGhosts, ghostMapAt, DEFAULT_GHOST_PARAMETERS, type GhostDetail, type GhostParameters, type GhostOptions } from './ghosts';
export { analyzeDoubleJpeg, DEFAULT_DOUBLE_JPEG_PARAMETERS, type DoubleJpegDetail, type DoubleJpegParameters } from './doubleJpeg';
export { analyzeGrid, DEFAULT_GRID_PARAMETERS, type GridDetail, type GridParameters } from './grid';
export { analyzeCopyMove, copyMoveMask, DEFAULT_COPY_MOVE_PARAMETERS, type CopyMoveDetail, type CopyMoveParameters } from './copyMove';
export { analyzeQuantTables, jpegDigest, loadDigestDatabase, type QuantTablesDetail } from './quantTables';
export { analyzeThumbnail, DEFAULT_THUMBNAIL_PARAMETERS, type ThumbnailDetail } from './thumbnail';
export { analyzeMetadataConsistency, type MetadataConsistencyDetail, type MetadataConsistencyOptions } from './metadataConsistency';
export { analyzeC2pa, type C2paDetail, type C2paOptions } from './c2pa';
export { analyzeGeneratorTraces } from './generatorTraces';
export { ExifToolReader, type ExifToolDump } from './exiftool';
export { decodeJpegCoefficients, componentPlane, JpegDecodeError, type JpegCoefficients } from './jpegCoefficients';
export { writeMapPng, type AnalysisMap, type GridMap, type ImageMap } from './maps';
