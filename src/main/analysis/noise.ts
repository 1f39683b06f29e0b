// Noise residual analysis. Every camera image carries sensor noise of a fairly even level across
// the frame; a region pasted from another photo (or retouched, or generated) brings its own.
// Two outputs: the residual itself (luma minus a 3×3 median, amplified) for the eye, and a noise
// level per block, estimated robustly from the finest diagonal wavelet band (Donoho's MAD
// estimator on Haar HH), whose outlier region is the classic splice cue (Mahdian & Saic 2009).

import type { AnalysisDescription, NoiseSummary } from '../../contract/analyses';
import { lumaPlane } from '../../shared/pixels';
import type { DecodedImage } from '../ingest/decoded';
import { growRegion, mad, median, type GridMap, type ImageMap } from './maps';

export interface NoiseParameters {
  /** Side of the square blocks whose noise level is estimated, in pixels (a multiple of 8, ≥ 16). */
  blockSize: number;
  /** Gain on |residual| for the residual map. */
  residualGain: number;
  /** Flag when a region's noise σ is at least this multiple of the median block σ. */
  ratioThreshold: number;
  /** ...and stands this many robust standard deviations (of log σ) above the other blocks. */
  zThreshold: number;
}

export const DEFAULT_NOISE_PARAMETERS: Readonly<NoiseParameters> = Object.freeze({
  blockSize: 32,
  residualGain: 8,
  ratioThreshold: 2.5,
  zThreshold: 5,
});

export const NOISE_ANALYSIS: AnalysisDescription = {
  id: 'noise',
  title: 'Noise residual',
  version: 'noise/1',
  shows:
    'Where the fine-grain noise of the picture is stronger or weaker than elsewhere: a region pasted from another photo, retouched or generated often carries a different noise level.',
  doesNotProve:
    'Noise also varies with brightness, texture (foliage, fabric), focus and JPEG compression of flat areas, so an outlier region is a lead to examine, not proof of editing; even noise does not prove the picture is untouched.',
  parameters: { ...DEFAULT_NOISE_PARAMETERS },
  references: [
    'B. Mahdian, S. Saic, "Using noise inconsistencies for blind image forensics", Image and Vision Computing 27(10), 2009',
    'J. Immerkær, "Fast noise variance estimation", Computer Vision and Image Understanding 64(2), 1996',
  ],
  appliesTo: 'any image',
};

export interface NoiseDetail {
  summary: NoiseSummary;
  /** Noise σ (0..255 levels) per block; NaN for blocks too clipped to measure. */
  sigma: GridMap;
}

function validate(params: NoiseParameters): NoiseParameters {
  const { blockSize, residualGain, ratioThreshold, zThreshold } = params;
  if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize % 8 !== 0) {
    throw new RangeError(`Noise blockSize must be a multiple of 8 pixels, at least 16, got ${blockSize}.`);
  }
  if (!(residualGain > 0)) throw new RangeError(`Noise residualGain must be above 0, got ${residualGain}.`);
  if (!(ratioThreshold > 1)) throw new RangeError(`Noise ratioThreshold must be above 1, got ${ratioThreshold}.`);
  if (!(zThreshold > 0)) throw new RangeError(`Noise zThreshold must be above 0, got ${zThreshold}.`);
  return { blockSize, residualGain, ratioThreshold, zThreshold };
}

/** √(π/2) / 6: turns the mean |Immerkær Laplacian response| of white noise into its σ. */
const IMMERKAER_TO_SIGMA = Math.sqrt(Math.PI / 2) / 6;
/** Side of the sub-patches whose lowest noise estimates stand for a block. */
const SUB_PATCH = 8;

/** Separable 5-tap binomial blur ([1 4 6 4 1] / 16 per axis, replicated edges). */
function binomialBlur(plane: Float32Array, width: number, height: number): Float32Array {
  const tmp = new Float32Array(plane.length);
  const out = new Float32Array(plane.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const a = plane[row + Math.max(0, x - 2)]!, b = plane[row + Math.max(0, x - 1)]!, c = plane[row + x]!;
      const d = plane[row + Math.min(width - 1, x + 1)]!, e = plane[row + Math.min(width - 1, x + 2)]!;
      tmp[row + x] = (a + 4 * b + 6 * c + 4 * d + e) / 16;
    }
  }
  for (let y = 0; y < height; y++) {
    const r0 = Math.max(0, y - 2) * width, r1 = Math.max(0, y - 1) * width, r2 = y * width;
    const r3 = Math.min(height - 1, y + 1) * width, r4 = Math.min(height - 1, y + 2) * width;
    for (let x = 0; x < width; x++) out[r2 + x] = (tmp[r0 + x]! + 4 * tmp[r1 + x]! + 6 * tmp[r2 + x]! + 4 * tmp[r3 + x]! + tmp[r4 + x]!) / 16;
  }
  return out;
}

/** Sub-patch measurements: Immerkær noise σ and texture (mean gradient of the blurred luma). */
export interface SubPatchNoise {
  cols: number;
  rows: number;
  sigma: Float32Array;
  texture: Float32Array;
}

/**
 * Noise σ and texture of every 8×8 sub-patch. Each pixel's response to Immerkær's mask
 * [1 −2 1; −2 4 −2; 1 −2 1] (blind to flat areas and linear gradients; white noise of σ gives a
 * mean |response| of 6σ/√(π/2)) is averaged over the sub-patch. Texture is measured on a blurred
 * copy, where noise is mostly gone but edges and texture stay, so a noisy plain area does not
 * count as textured. Sub-patches with a clipped pixel (≤ 2 or ≥ 253) are NaN: clipping erases noise.
 */
export function subPatchNoise(luma: Float32Array, width: number, height: number): SubPatchNoise {
  const cols = Math.max(0, Math.floor((width - 2) / SUB_PATCH));
  const rows = Math.max(0, Math.floor((height - 2) / SUB_PATCH));
  const sigma = new Float32Array(cols * rows).fill(NaN);
  const texture = new Float32Array(cols * rows).fill(NaN);
  const blurred = binomialBlur(luma, width, height);
  for (let py = 0; py < rows; py++) {
    for (let px = 0; px < cols; px++) {
      let sum = 0;
      let grad = 0;
      let clipped = false;
      for (let y = 1 + py * SUB_PATCH; y < 1 + (py + 1) * SUB_PATCH && !clipped; y++) {
        const up = (y - 1) * width, mid = y * width, dn = (y + 1) * width;
        for (let x = 1 + px * SUB_PATCH; x < 1 + (px + 1) * SUB_PATCH; x++) {
          const c = luma[mid + x]!;
          if (c <= 2 || c >= 253) {
            clipped = true;
            break;
          }
          const r =
            luma[up + x - 1]! - 2 * luma[up + x]! + luma[up + x + 1]! -
            2 * luma[mid + x - 1]! + 4 * c - 2 * luma[mid + x + 1]! +
            luma[dn + x - 1]! - 2 * luma[dn + x]! + luma[dn + x + 1]!;
          sum += r < 0 ? -r : r;
          const gx = blurred[mid + x + 1]! - blurred[mid + x - 1]!;
          const gy = blurred[dn + x]! - blurred[up + x]!;
          grad += Math.sqrt(gx * gx + gy * gy) / 2;
        }
      }
      if (clipped) continue;
      const k = py * cols + px;
      sigma[k] = (sum / (SUB_PATCH * SUB_PATCH)) * IMMERKAER_TO_SIGMA;
      texture[k] = grad / (SUB_PATCH * SUB_PATCH);
    }
  }
  return { cols, rows, sigma, texture };
}

/**
 * Noise σ per block: the lower quartile of the σ of its plain sub-patches (texture below the
 * image's median texture, or below 1.5 levels/pixel, whichever is higher), so edges and texture
 * (which only raise estimates) are left out. Blocks with fewer than two plain sub-patches are NaN.
 */
export function blockNoiseSigma(luma: Float32Array, width: number, height: number, blockSize: number): GridMap {
  const cols = Math.ceil(width / blockSize);
  const rows = Math.ceil(height / blockSize);
  const values = new Float32Array(cols * rows).fill(NaN);
  const patches = subPatchNoise(luma, width, height);
  const { cols: pw, rows: ph, sigma: patchSigma, texture } = patches;
  const plainLimit = Math.max(1.5, median(texture));
  const per = blockSize / SUB_PATCH;
  const bucket: number[] = [];
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      bucket.length = 0;
      for (let sy = by * per; sy < Math.min(ph, (by + 1) * per); sy++) {
        for (let sx = bx * per; sx < Math.min(pw, (bx + 1) * per); sx++) {
          const k = sy * pw + sx;
          const v = patchSigma[k]!;
          if (Number.isFinite(v) && texture[k]! <= plainLimit) bucket.push(v);
        }
      }
      if (bucket.length < 2) continue;
      bucket.sort((a, b) => a - b);
      values[by * cols + bx] = bucket[Math.floor((bucket.length - 1) / 4)]!;
    }
  }
  return { kind: 'grid', cell: blockSize, cols, rows, values, width, height, unit: 'noise σ (levels)', range: [0, 0] };
}

/** Noise level per block, the region that departs most, and the summary for the gallery. */
export function analyzeNoise(image: DecodedImage, params: NoiseParameters = DEFAULT_NOISE_PARAMETERS): NoiseDetail {
  const parameters = validate(params);
  const { width, height } = image;
  const luma = lumaPlane(image);
  const sigma = blockNoiseSigma(luma, width, height, parameters.blockSize);
  const finite = Array.from(sigma.values).filter(Number.isFinite);
  const base = { analysis: 'noise' as const, version: NOISE_ANALYSIS.version, parameters: { ...parameters } };

  if (finite.length < 4) {
    sigma.range = [0, 1];
    return {
      summary: {
        ...base,
        status: 'not-applicable',
        flagged: false,
        reason: `The image has too few measurable ${parameters.blockSize}-pixel blocks (${finite.length}) to compare noise levels.`,
        medianSigma: finite.length ? median(finite) : 0,
        inconsistency: 1,
        region: null,
      },
      sigma,
    };
  }

  // Compare on a log scale: noise levels multiply (a region twice as noisy is as far from the rest
  // as one half as noisy). A floor keeps noiseless synthetic or fully quantised blocks finite.
  const floor = 0.25;
  const logs = new Float32Array(sigma.values.length).fill(NaN);
  for (let k = 0; k < logs.length; k++) if (Number.isFinite(sigma.values[k]!)) logs[k] = Math.log(Math.max(floor, sigma.values[k]!));
  const centre = median(logs);
  const spread = Math.max(0.05, 1.4826 * mad(logs, centre));
  const z = (k: number) => (logs[k]! - centre) / spread;
  const medianSigma = Math.exp(centre);
  sigma.range = [0, Math.max(medianSigma * 3, Math.max(...finite) * 0.8)];

  // The most deviant block in each direction seeds a region of neighbours that deviate the same
  // way by at least half as much (and by 2 robust σ).
  let best: NoiseSummary['region'] = null;
  let bestRatio = 1;
  let bestZ = 0;
  for (const direction of ['noisier', 'smoother'] as const) {
    const sign = direction === 'noisier' ? 1 : -1;
    let seed = -1;
    for (let k = 0; k < logs.length; k++) if (Number.isFinite(logs[k]!) && (seed < 0 || sign * z(k) > sign * z(seed))) seed = k;
    if (seed < 0 || sign * z(seed) <= 0) continue;
    const level = Math.max(2, (sign * z(seed)) / 2);
    const { cells, rect } = growRegion(sigma, seed, (k) => Number.isFinite(logs[k]!) && sign * z(k) >= level);
    let sum = 0;
    for (const k of cells) sum += logs[k]!;
    const regionLog = sum / cells.length;
    const ratio = Math.exp(sign * (regionLog - centre));
    const zRegion = (sign * (regionLog - centre)) / spread;
    if (ratio > bestRatio) {
      bestRatio = ratio;
      bestZ = zRegion;
      best = { ...rect, sigma: Math.exp(regionLog), direction };
    }
  }

  // Only a noisier region is flagged: quantisation flattens plain areas of every JPEG, so a
  // smoother region is common in untouched files; it is still reported, with its ratio.
  const flagged =
    best !== null &&
    best.direction === 'noisier' &&
    bestRatio >= parameters.ratioThreshold &&
    bestZ >= parameters.zThreshold &&
    best.width * best.height <= 0.5 * width * height &&
    // One block alone is as likely a patch of fine texture as a paste.
    best.width * best.height > parameters.blockSize * parameters.blockSize;
  let reason: string;
  if (!best || bestRatio < 1.15) {
    reason = `Noise is even across the image (median σ ${medianSigma.toFixed(2)} levels); no region departs from it.`;
  } else {
    const where = `at ${best.x},${best.y} (${best.width}×${best.height} px)`;
    const what = `A region ${where} is ${bestRatio.toFixed(1)}× ${best.direction === 'noisier' ? 'noisier' : 'smoother'} than the median block (σ ${best.sigma.toFixed(2)} vs ${medianSigma.toFixed(2)} levels, ${bestZ.toFixed(1)} robust SD)`;
    reason = flagged
      ? `${what}: inconsistent noise, the classic cue of a pasted region; check it against texture and focus.`
      : best.direction === 'smoother'
        ? `${what}; smoother areas are common where JPEG compression flattened plain surfaces, so this is not flagged.`
        : `${what}, below the flag threshold (${parameters.ratioThreshold}× and ${parameters.zThreshold} SD, more than one block, at most half the image).`;
  }
  return {
    summary: { ...base, status: 'ok', flagged, reason, medianSigma, inconsistency: bestRatio, region: best },
    sigma,
  };
}

/** 3×3 median of a plane (edges replicated). */
function median3x3(plane: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(plane.length);
  const v = new Float32Array(9);
  for (let y = 0; y < height; y++) {
    const ys = [Math.max(0, y - 1), y, Math.min(height - 1, y + 1)];
    for (let x = 0; x < width; x++) {
      const xs = [Math.max(0, x - 1), x, Math.min(width - 1, x + 1)];
      let n = 0;
      for (const yy of ys) for (const xx of xs) v[n++] = plane[yy * width + xx]!;
      // Insertion sort of 9 values: cheaper than a general sort at this size.
      for (let i = 1; i < 9; i++) {
        const t = v[i]!;
        let j = i - 1;
        while (j >= 0 && v[j]! > t) {
          v[j + 1] = v[j]!;
          j--;
        }
        v[j + 1] = t;
      }
      out[y * width + x] = v[4]!;
    }
  }
  return out;
}

/**
 * The noise residual for the inspector: |luma − 3×3 median(luma)| × gain, grey, full size.
 * Computed on demand (it is the expensive half; the summary needs only the block σ).
 */
export function noiseResidualMap(image: DecodedImage, gain = DEFAULT_NOISE_PARAMETERS.residualGain): ImageMap {
  if (!(gain > 0)) throw new RangeError(`Noise residual gain must be above 0, got ${gain}.`);
  const { width, height } = image;
  const luma = lumaPlane(image);
  const smooth = median3x3(luma, width, height);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.round(Math.abs(luma[i]! - smooth[i]!) * gain));
  return { kind: 'image', width, height, channels: 1, data, unit: `|residual| × ${gain}` };
}
