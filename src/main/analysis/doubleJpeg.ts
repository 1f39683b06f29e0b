// Aligned double JPEG compression (A-DJPG), read from the file's own DCT coefficients.
//
// Quantising a DCT coefficient with step Q1, then again with a different step Q2, leaves a
// periodic pattern in its histogram: some multiples of Q2 are over-filled, others nearly empty.
// A picture saved as JPEG, edited and saved again carries that pattern; an area pasted into it
// from a source that was not compressed on the same grid does not (Bianchi & Piva 2012).
//
// For each of the first AC frequencies:
//  - the distribution of the coefficient before any quantisation is estimated by calibration:
//    the decoded luma, shifted by 4 pixels off the grid, transformed again (Fridrich's trick:
//    off-grid blocks have lost the quantisation structure but keep the image statistics);
//  - two models of the observed quantised values follow: single compression (quantise with Q2)
//    and double compression (quantise with Q1, round-trip with Gaussian rounding noise, then Q2),
//    for every candidate Q1; the Q1 that explains the histogram best is kept;
//  - the log-likelihood gain per coefficient of the best double model over the single model says
//    how strongly the histogram shows double quantisation, and block by block the same ratio
//    gives a map of where the picture looks doubly (high) or singly (low) compressed.

import type { AnalysisDescription, DoubleJpegSummary } from '../../contract/analyses';
import { forwardDct8x8, ZIGZAG } from './dct';
import { componentPlane, decodeJpegCoefficients, JpegDecodeError, type JpegCoefficients } from './jpegCoefficients';
import { growRegion, type GridMap } from './maps';
import { scaleTable, TABLE_FAMILIES } from './quantTables';

export interface DoubleJpegParameters {
  /** Analysed AC frequencies: the first N in zig-zag order (low frequencies carry the pattern). */
  frequencies: number;
  /** Largest candidate first-quantisation step. */
  maxQ1: number;
  /** Standard deviation of the rounding noise between the two compressions (DCT units). */
  roundingNoise: number;
  /** Mean log-likelihood gain (nats per coefficient) at which the probability reaches 0.5. */
  gainMidpoint: number;
  /** Gain spread of the logistic mapping gain → probability. */
  gainScale: number;
}

export const DEFAULT_DOUBLE_JPEG_PARAMETERS: Readonly<DoubleJpegParameters> = Object.freeze({
  frequencies: 9,
  maxQ1: 100,
  roundingNoise: 1,
  gainMidpoint: 0.01,
  gainScale: 0.0025,
});

export const DOUBLE_JPEG_ANALYSIS: AnalysisDescription = {
  id: 'doubleJpeg',
  title: 'Double JPEG compression',
  version: 'doubleJpeg/1',
  shows:
    'Whether the DCT coefficient histograms carry the periodic gaps of two successive JPEG compressions on the same grid, which quality the first one used, and which blocks lack that trace (an area pasted in after the first compression).',
  doesNotProve:
    'Double compression alone only shows the file was saved twice (any edit, or a plain re-save); a single-compression verdict does not prove an original (a crop off the 8×8 grid or a second save at a lower quality erases the trace).',
  parameters: { ...DEFAULT_DOUBLE_JPEG_PARAMETERS },
  references: [
    'T. Bianchi, A. Piva, "Image forgery localization via block-grained analysis of JPEG artifacts", IEEE TIFS 7(3), 2012',
    'A. C. Popescu, H. Farid, "Statistical tools for digital forensics", Information Hiding 2004 (double quantisation)',
    'J. Fridrich, M. Goljan, R. Du, "Steganalysis based on JPEG compatibility" (calibration by a 4-pixel shift), SPIE 2001',
  ],
  appliesTo: 'JPEG files',
};

export interface FrequencyFinding {
  /** Zig-zag index (1 = first AC) and natural (row-major) index. */
  zigzag: number;
  natural: number;
  q2: number;
  /** Best first step, and its log-likelihood gain per coefficient over single compression. */
  q1: number;
  gain: number;
  /** Observed histogram of quantised values (k = −range..range). */
  histogram: { range: number; counts: number[] };
}

export interface DoubleJpegDetail {
  summary: DoubleJpegSummary;
  frequencies: FrequencyFinding[];
  /** Per 8×8 block: probability (0..1) that it was doubly compressed; NaN where it carries no information. */
  blockMap: GridMap;
}

function validate(p: DoubleJpegParameters): DoubleJpegParameters {
  if (!Number.isInteger(p.frequencies) || p.frequencies < 1 || p.frequencies > 63) throw new RangeError(`doubleJpeg frequencies must be 1..63, got ${p.frequencies}.`);
  if (!Number.isInteger(p.maxQ1) || p.maxQ1 < 2 || p.maxQ1 > 255) throw new RangeError(`doubleJpeg maxQ1 must be 2..255, got ${p.maxQ1}.`);
  if (!(p.roundingNoise > 0)) throw new RangeError(`doubleJpeg roundingNoise must be above 0, got ${p.roundingNoise}.`);
  if (!(p.gainScale > 0)) throw new RangeError(`doubleJpeg gainScale must be above 0, got ${p.gainScale}.`);
  return { ...p };
}

/** Abramowitz–Stegun 7.1.26 erf, accurate to 1.5e−7: enough for bin probabilities. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** Unquantised coefficient range considered (8-bit DCT AC coefficients stay within ±1024). */
const X_RANGE = 1024;
/** Probability floor: no observed value may be impossible under a model. */
const FLOOR = 1e-6;

/** Histogram of rounded calibrated coefficients x ∈ [−X_RANGE, X_RANGE], with add-half smoothing. */
function calibratedHistogram(samples: Float32Array): Float64Array {
  const h = new Float64Array(2 * X_RANGE + 1).fill(0.5 / (2 * X_RANGE + 1));
  for (const v of samples) {
    const x = Math.round(v);
    if (x >= -X_RANGE && x <= X_RANGE) h[x + X_RANGE]! += 1;
  }
  let total = 0;
  for (const v of h) total += v;
  for (let i = 0; i < h.length; i++) h[i]! /= total;
  return h;
}

/**
 * How the mass of an integer value v spreads over the bins k of step q under Gaussian rounding
 * noise σ. It depends only on v mod q, so the weights are tabulated once per (q, σ).
 */
class NoiseSpreader {
  private readonly weights: Float64Array[];
  readonly reach: number;
  constructor(
    private readonly q: number,
    sigma: number,
  ) {
    this.reach = Math.ceil((3 * sigma) / q) + 1;
    this.weights = [];
    for (let r = 0; r < q; r++) {
      // v = c·q + r with c = round(v / q) − (r > q/2 ? −1 : 0); bins relative to c.
      const w = new Float64Array(2 * this.reach + 3);
      const offset = r <= q / 2 ? r : r - q;
      for (let j = -this.reach - 1; j <= this.reach + 1; j++) {
        w[j + this.reach + 1] = phi(((j + 0.5) * q - offset) / sigma) - phi(((j - 0.5) * q - offset) / sigma);
      }
      this.weights.push(w);
    }
  }

  add(p: Float64Array, K: number, v: number, mass: number): void {
    const q = this.q;
    const r = ((v % q) + q) % q;
    const offset = r <= q / 2 ? r : r - q;
    const centre = (v - offset) / q;
    const w = this.weights[r]!;
    const lo = Math.max(-K, centre - this.reach - 1);
    const hi = Math.min(K, centre + this.reach + 1);
    for (let k = lo; k <= hi; k++) p[k + K]! += mass * w[k - centre + this.reach + 1]!;
  }
}

/**
 * P(k) for single compression with step q2, k ∈ [−K, K]. The same rounding noise as in the
 * double model is applied (pixels are rounded before every encode), so the double model can only
 * win by the lattice structure of a first quantisation, not by being a blurrier fit.
 */
function singleModel(h0: Float64Array, K: number, spreader: NoiseSpreader): Float64Array {
  const p = new Float64Array(2 * K + 1);
  for (let i = 0; i < h0.length; i++) if (h0[i]! > 0) spreader.add(p, K, i - X_RANGE, h0[i]!);
  for (let i = 0; i < p.length; i++) p[i] = Math.max(FLOOR, p[i]!);
  return p;
}

/** P(k) for double compression: step q1, rounding noise σ, then step q2. */
function doubleModel(h0: Float64Array, q1: number, K: number, spreader: NoiseSpreader, single: Float64Array): Float64Array {
  const mRange = Math.ceil(X_RANGE / q1) + 1;
  const g = new Float64Array(2 * mRange + 1);
  for (let i = 0; i < h0.length; i++) g[Math.round((i - X_RANGE) / q1) + mRange]! += h0[i]!;
  const p = new Float64Array(2 * K + 1);
  for (let mi = 0; mi < g.length; mi++) if (g[mi]! > 0) spreader.add(p, K, (mi - mRange) * q1, g[mi]!);
  // A little of the single model keeps the likelihood finite where the image mixes both.
  for (let i = 0; i < p.length; i++) p[i] = Math.max(FLOOR, 0.95 * p[i]! + 0.05 * single[i]!);
  return p;
}

/** The IJG quality whose luma table best explains the estimated first steps (at the given natural indices). */
function primaryQuality(findings: FrequencyFinding[]): number | null {
  const usable = findings.filter((f) => f.gain > 0.005);
  if (usable.length < 2) return null;
  const annexK = TABLE_FAMILIES[0]!.luminance;
  let best: { q: number; err: number } | null = null;
  for (let q = 1; q <= 100; q++) {
    const t = scaleTable(annexK, q);
    let err = 0;
    for (const f of usable) err += Math.abs(Math.log(t[f.natural]! / f.q1)) * f.gain;
    if (!best || err < best.err) best = { q, err };
  }
  return best ? best.q : null;
}

/** Double-compression analysis of a JPEG file's bytes. Non-JPEG input: 'not-applicable'. */
export function analyzeDoubleJpeg(bytes: Uint8Array, params: DoubleJpegParameters = DEFAULT_DOUBLE_JPEG_PARAMETERS, decoded?: JpegCoefficients): DoubleJpegDetail {
  const parameters = validate(params);
  const base = { analysis: 'doubleJpeg' as const, version: DOUBLE_JPEG_ANALYSIS.version, parameters: { ...parameters } };
  const empty = (reason: string): DoubleJpegDetail => ({
    summary: { ...base, status: 'not-applicable', flagged: false, reason, probability: 0, primaryQualityEstimate: null, lastQuality: null, singleCompressedShare: 0, region: null },
    frequencies: [],
    blockMap: { kind: 'grid', cell: 8, cols: 0, rows: 0, values: new Float32Array(0), width: 0, height: 0, unit: 'P(double compression)', range: [0, 1] },
  });

  let frame: JpegCoefficients;
  try {
    frame = decoded ?? decodeJpegCoefficients(bytes);
  } catch (err) {
    if (err instanceof JpegDecodeError) return empty(`Not analysed: ${err.message}`);
    throw err;
  }
  const y = frame.components[0]!;
  const q2table = y.quantTable;
  if (!q2table || y.blocksWide < 4 || y.blocksHigh < 4) return empty('The JPEG is too small (or lacks a quantisation table) for a histogram analysis.');
  const lastQuality = lastQualityOf(q2table);

  // Calibration: DCT of the decoded luma on the grid shifted by (4, 4).
  const plane = componentPlane(frame, 0);
  const cw = Math.floor((plane.width - 4) / 8);
  const ch = Math.floor((plane.height - 4) / 8);
  const nf = parameters.frequencies;
  const calibrated: Float32Array[] = Array.from({ length: nf }, () => new Float32Array(cw * ch));
  const coef = new Float64Array(64);
  for (let by = 0; by < ch; by++) {
    for (let bx = 0; bx < cw; bx++) {
      forwardDct8x8(plane.data, plane.width, 4 + bx * 8, 4 + by * 8, coef);
      for (let f = 0; f < nf; f++) calibrated[f]![by * cw + bx] = coef[ZIGZAG[f + 1]!]!;
    }
  }

  const nBlocks = y.blocksWide * y.blocksHigh;
  const frequencies: FrequencyFinding[] = [];
  const blockLlr = new Float64Array(nBlocks);
  const blockInfo = new Float64Array(nBlocks);
  let weightedGain = 0;
  let weights = 0;
  for (let f = 0; f < nf; f++) {
    const natural = ZIGZAG[f + 1]!;
    const q2 = q2table[natural]!;
    const K = Math.ceil(X_RANGE / q2) + 2;
    const observed = new Float64Array(2 * K + 1);
    const values = new Int32Array(nBlocks);
    for (let by = 0; by < y.blocksHigh; by++) {
      for (let bx = 0; bx < y.blocksWide; bx++) {
        const k = y.coefficients[(by * y.blocksPerLine + bx) * 64 + natural]!;
        const b = by * y.blocksWide + bx;
        values[b] = k;
        if (k >= -K && k <= K) observed[k + K]! += 1;
      }
    }
    const h0 = calibratedHistogram(calibrated[f]!);
    const spreader = new NoiseSpreader(q2, parameters.roundingNoise);
    const single = singleModel(h0, K, spreader);
    const logSingle = single.map(Math.log);
    const filled: number[] = [];
    for (let i = 0; i < observed.length; i++) if (observed[i]) filled.push(i);
    let sumSingle = 0;
    for (const i of filled) sumSingle += observed[i]! * logSingle[i]!;
    let best = { q1: q2, ll: sumSingle, model: single };
    // Step 1 is left out: rounding to integers leaves no trace, and the noise model alone would
    // then 'explain' small calibration errors.
    for (let q1 = 2; q1 <= parameters.maxQ1; q1++) {
      if (q1 === q2) continue;
      const model = doubleModel(h0, q1, K, spreader, single);
      let ll = 0;
      for (const i of filled) ll += observed[i]! * Math.log(model[i]!);
      if (ll > best.ll) best = { q1, ll, model };
    }
    const gain = (best.ll - sumSingle) / nBlocks;
    const range = Math.min(K, 30);
    frequencies.push({
      zigzag: f + 1,
      natural,
      q2,
      q1: best.q1,
      gain,
      histogram: { range, counts: Array.from(observed.subarray(K - range, K + range + 1)) },
    });
    weightedGain += gain;
    weights++;
    // Block evidence only from frequencies that show the pattern at all.
    if (gain > 0.002 && best.q1 !== q2) {
      const logDouble = best.model.map(Math.log);
      for (let b = 0; b < nBlocks; b++) {
        const k = values[b]!;
        if (k < -K || k > K) continue;
        const llr = logDouble[k + K]! - logSingle[k + K]!;
        blockLlr[b]! += llr;
        blockInfo[b]! += Math.abs(llr);
      }
    }
  }
  const meanGain = weights > 0 ? weightedGain / weights : 0;
  const probability = 1 / (1 + Math.exp(-(meanGain - parameters.gainMidpoint) / parameters.gainScale));

  // Block map: posterior with equal priors; blocks whose values say nothing either way are NaN.
  const blockMap: GridMap = {
    kind: 'grid',
    cell: 8,
    cols: y.blocksWide,
    rows: y.blocksHigh,
    values: new Float32Array(nBlocks).fill(NaN),
    width: y.width,
    height: y.height,
    unit: 'P(block doubly compressed)',
    range: [0, 1],
  };
  for (let b = 0; b < nBlocks; b++) if (blockInfo[b]! >= 0.5) blockMap.values[b] = 1 / (1 + Math.exp(-blockLlr[b]!));

  // Inside a doubly compressed picture, the largest area of singly compressed blocks (smoothed
  // over 3×3 blocks, since single blocks carry little evidence).
  let singleShare = 0;
  let region: DoubleJpegSummary['region'] = null;
  let regionBlocks = 0;
  if (probability >= 0.5) {
    const smooth = new Float32Array(nBlocks).fill(NaN);
    let informative = 0;
    let singles = 0;
    for (let by = 0; by < y.blocksHigh; by++) {
      for (let bx = 0; bx < y.blocksWide; bx++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = bx + dx, yy = by + dy;
          if (xx < 0 || yy < 0 || xx >= y.blocksWide || yy >= y.blocksHigh) continue;
          const b = yy * y.blocksWide + xx;
          if (blockInfo[b]! < 0.5) continue;
          sum += blockLlr[b]!;
          n++;
        }
        if (n < 3) continue;
        const b = by * y.blocksWide + bx;
        smooth[b] = sum / n;
        informative++;
        if (sum / n < -0.5) singles++;
      }
    }
    singleShare = informative > 0 ? singles / informative : 0;
    const grid = { ...blockMap, values: smooth };
    const seen = new Set<number>();
    for (let b = 0; b < nBlocks; b++) {
      if (seen.has(b) || !(smooth[b]! < -0.5)) continue;
      const grown = growRegion(grid, b, (n) => smooth[n]! < -0.5);
      for (const c of grown.cells) seen.add(c);
      if (grown.cells.length > regionBlocks) {
        regionBlocks = grown.cells.length;
        region = grown.rect;
      }
    }
    if (regionBlocks < 16) region = null; // fewer than 16 blocks (a 32×32 px area) is noise
  }

  const primary = probability >= 0.5 ? primaryQuality(frequencies) : null;
  const doubled = probability >= 0.5;
  const localSingle = doubled && region !== null;
  let reason: string;
  if (!doubled) {
    reason = `The coefficient histograms fit a single compression (double-compression probability ${(probability * 100).toFixed(0)}%, gain ${meanGain.toFixed(4)} nats/coefficient).`;
  } else {
    reason = `The coefficient histograms show aligned double JPEG compression (probability ${(probability * 100).toFixed(0)}%): the picture was saved as JPEG${primary !== null ? ` at about quality ${primary}` : ''} before its last save${lastQuality !== null ? ` at quality ${lastQuality}` : ''}.`;
    if (localSingle && region) {
      reason += ` An area at ${region.x},${region.y} (${region.width}×${region.height} px) lacks that trace: it looks singly compressed, as an area pasted in after the first compression would.`;
    }
  }
  return {
    summary: {
      ...base,
      status: 'ok',
      flagged: doubled,
      reason,
      probability,
      primaryQualityEstimate: primary,
      lastQuality,
      singleCompressedShare: singleShare,
      region,
    },
    frequencies,
    blockMap,
  };
}

/** IJG quality whose luma table is nearest the file's (mean |log ratio|), as the metadata estimate. */
function lastQualityOf(q2: Uint16Array): number | null {
  const annexK = TABLE_FAMILIES[0]!.luminance;
  let best: { q: number; d: number } | null = null;
  for (let q = 100; q >= 1; q--) {
    const t = scaleTable(annexK, q, false);
    let d = 0;
    for (let i = 0; i < 64; i++) d += Math.abs(Math.log(q2[i]! / t[i]!));
    if (!best || d < best.d) best = { q, d };
  }
  return best ? best.q : null;
}
