// Shared by engine and renderer (no Node imports): the engine writes heatmap files with it, the
// renderer colours its instant filters with it, so both show the same colours for the same level.
// Colour map for ELA heatmaps. Inferno is perceptually ordered: lightness rises monotonically
// from black to pale yellow, so "brighter" always means "more error", also in greyscale print
// and for colour-blind readers (unlike jet/turbo, whose lightness goes up and down).

/**
 * Matt Zucker's degree-6 polynomial fit of matplotlib's inferno (CC0), coefficients per power
 * of t for R, G, B. Evaluating it in code avoids shipping a 256-row table.
 */
const INFERNO_COEFFICIENTS: ReadonlyArray<readonly [number, number, number]> = [
  [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
  [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
  [11.60249308247187, -3.972853965665698, -15.9423941062914],
  [-41.70399613139459, 17.43639888205313, 44.35414519872813],
  [77.162935699427, -33.40235894210092, -81.80730925738993],
  [-71.31942824499214, 32.62606426397723, 73.20951985803202],
  [25.13112622477341, -12.24266895238567, -23.07032500287172],
];

function infernoChannel(t: number, channel: 0 | 1 | 2): number {
  // Horner's scheme, highest power first.
  let v = 0;
  for (let k = INFERNO_COEFFICIENTS.length - 1; k >= 0; k--) v = v * t + INFERNO_COEFFICIENTS[k]![channel];
  return Math.min(255, Math.max(0, Math.round(v * 255)));
}

function buildInfernoLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let level = 0; level < 256; level++) {
    const t = level / 255;
    lut[level * 3] = infernoChannel(t, 0);
    lut[level * 3 + 1] = infernoChannel(t, 1);
    lut[level * 3 + 2] = infernoChannel(t, 2);
  }
  return lut;
}

/** 256 RGB entries (768 bytes, RGBRGB...): entry `level` colours an amplified error of `level`. */
export const INFERNO_LUT: Readonly<Uint8Array> = buildInfernoLut();

/** The colour of one level 0..255 (rounded and clamped), e.g. for a legend. */
export function infernoColour(level: number): [number, number, number] {
  const i = Math.min(255, Math.max(0, Math.round(level))) * 3;
  return [INFERNO_LUT[i]!, INFERNO_LUT[i + 1]!, INFERNO_LUT[i + 2]!];
}
