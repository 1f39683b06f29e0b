// JPEG ghosts (Farid 2009). Re-saving a JPEG at the quality it was saved with changes it very
// little; re-saving at another quality changes it more. A region pasted from a JPEG saved at a
// lower quality keeps that history: its re-save difference dips at its old quality, while the rest
// of the picture dips only at the last quality. Plotting the difference against quality (50..100)
// per region shows the "ghost".
//
// The re-save is computed in the DCT domain on the luma plane: the decoded pixels are transformed
// block by block once (on the JPEG grid), and for every quality the coefficients are quantised
// with the libjpeg table of that quality. JPEG's DCT is orthonormal, so by Parseval the squared
// error of a block equals the sum of its coefficients' quantisation errors: the same number a
// pixel-domain re-save gives, without rounding and clipping, and 51 qualities cost one transform.
// Chroma is left out (subsampled and coarsely quantised, it adds little to the cue), and so is
// each block's DC term: in plain areas it is the only non-zero coefficient, and whether the mean
// brightness happens to be a multiple of a quality's DC step would make dips out of nothing.

import type { AnalysisDescription, GhostSummary } from '../../contract/analyses';
import { lumaPlane } from '../../shared/pixels';
import type { DecodedImage } from '../ingest/decoded';
import { forwardDct8x8 } from './dct';
import { growRegion, type GridMap } from './maps';
import { scaleTable, TABLE_FAMILIES } from './quantTables';

export interface GhostParameters {
  minQuality: number;
  maxQuality: number;
  /** Side of the averaging windows, in 8×8 blocks (Farid averages over 16 px: 2 blocks). */
  windowBlocks: number;
  /** A dip counts when at least this share (0..1) of the difference vanishes at the ghost quality. */
  minDepth: number;
  /** Windows whose largest mean squared difference is below this (levels²) are too flat to tell. */
  minEnergy: number;
}

export const DEFAULT_GHOST_PARAMETERS: Readonly<GhostParameters> = Object.freeze({
  minQuality: 50,
  maxQuality: 100,
  windowBlocks: 2,
  minDepth: 0.45,
  minEnergy: 1,
});

export const GHOSTS_ANALYSIS: AnalysisDescription = {
  id: 'ghosts',
  title: 'JPEG ghosts',
  version: 'ghosts/1',
  shows:
    'A region whose re-save difference dips at a lower quality than the rest of the picture was JPEG-compressed at that quality before being pasted in: its earlier compression left a "ghost".',
  doesNotProve:
    'No ghost does not prove the picture is untouched: the cue is lost when the paste was saved at a higher quality than the final file, was resized or shifted off the 8×8 grid; flat areas show no ghost at all.',
  parameters: { ...DEFAULT_GHOST_PARAMETERS },
  references: ['H. Farid, "Exposing digital forgeries from JPEG ghosts", IEEE Transactions on Information Forensics and Security 4(1), 2009'],
  appliesTo: 'any image',
};

export interface GhostOptions {
  /** Quality of the last save when known (from the file's tables); dips at or above it are expected. */
  lastQuality?: number | null;
  /** Where the JPEG grid starts (crop offset from the grid analysis); default (0, 0). */
  gridOffset?: { x: number; y: number } | null;
}

export interface GhostDetail {
  summary: GhostSummary;
  qualities: number[];
  /** Mean squared luma difference (levels²) per quality over the whole image: the chart. */
  curve: number[];
  /** The same for the ghost region, when there is one. */
  regionCurve: number[] | null;
  /** Windows: (cols × rows) × qualities mean squared differences, window-major. */
  windows: { cols: number; rows: number; cell: number; originX: number; originY: number; differences: Float32Array };
  /** Per-window ghost quality (NaN where none), for the inspector. */
  ghostQualities: GridMap;
}

function validate(p: GhostParameters): GhostParameters {
  const { minQuality, maxQuality, windowBlocks, minDepth, minEnergy } = p;
  if (!Number.isInteger(minQuality) || !Number.isInteger(maxQuality) || minQuality < 1 || maxQuality > 100 || maxQuality - minQuality < 10) {
    throw new RangeError(`Ghost qualities must be whole numbers with 1 ≤ min, max ≤ 100 and at least 10 apart, got ${minQuality}..${maxQuality}.`);
  }
  if (!Number.isInteger(windowBlocks) || windowBlocks < 1 || windowBlocks > 16) throw new RangeError(`Ghost windowBlocks must be 1..16, got ${windowBlocks}.`);
  if (!(minDepth > 0 && minDepth < 1)) throw new RangeError(`Ghost minDepth must be between 0 and 1, got ${minDepth}.`);
  if (!(minEnergy >= 0)) throw new RangeError(`Ghost minEnergy must be at least 0, got ${minEnergy}.`);
  return { minQuality, maxQuality, windowBlocks, minDepth, minEnergy };
}

/** Luma quantisation tables of libjpeg for each quality (reciprocals kept for speed). */
function lumaTables(qualities: number[]): Float64Array[] {
  const annexK = TABLE_FAMILIES[0]!.luminance;
  return qualities.map((q) => Float64Array.from(scaleTable(annexK, q)));
}

/**
 * Finds the ghost of one window's curve: the quality below `ceiling` where the difference has a
 * local minimum that is deepest relative to the highest difference at the qualities just above it
 * (up to 15 steps). A curve that only falls towards the last quality has no such dip.
 */
export function findDip(curve: ArrayLike<number>, qualities: number[], ceiling: number): { quality: number; depth: number } | null {
  let best: { quality: number; depth: number } | null = null;
  for (let i = 1; i < curve.length - 1; i++) {
    if (qualities[i]! >= ceiling) break;
    const v = curve[i]!;
    if (v > curve[i - 1]! || v > curve[i + 1]!) continue;
    let peak = 0;
    for (let j = i + 1; j < Math.min(curve.length, i + 16) && qualities[j]! < ceiling; j++) peak = Math.max(peak, curve[j]!);
    if (peak <= 0) continue;
    const depth = 1 - v / peak;
    if (!best || depth > best.depth) best = { quality: qualities[i]!, depth };
  }
  return best;
}

/** Re-save differences at every quality, per window, and the ghost they show. */
export function analyzeGhosts(image: DecodedImage, options: GhostOptions = {}, params: GhostParameters = DEFAULT_GHOST_PARAMETERS): GhostDetail {
  const parameters = validate(params);
  const { width, height } = image;
  const ox = ((options.gridOffset ? (8 - options.gridOffset.x) % 8 : 0) + 8) % 8;
  const oy = ((options.gridOffset ? (8 - options.gridOffset.y) % 8 : 0) + 8) % 8;
  const lastQuality = options.lastQuality ?? null;
  const qualities: number[] = [];
  for (let q = parameters.minQuality; q <= parameters.maxQuality; q++) qualities.push(q);
  const nq = qualities.length;
  const tables = lumaTables(qualities);
  const base = { analysis: 'ghosts' as const, version: GHOSTS_ANALYSIS.version, parameters: { ...parameters, gridX: ox, gridY: oy } };

  const bw = Math.floor((width - ox) / 8);
  const bh = Math.floor((height - oy) / 8);
  const wb = parameters.windowBlocks;
  const cols = Math.floor(bw / wb);
  const rows = Math.floor(bh / wb);
  const cell = wb * 8;
  const differences = new Float32Array(Math.max(0, cols * rows * nq));
  const curve = new Array<number>(nq).fill(0);
  const ghostQualities: GridMap = {
    kind: 'grid',
    cell,
    cols: Math.max(cols, 0),
    rows: Math.max(rows, 0),
    values: new Float32Array(Math.max(0, cols * rows)).fill(NaN),
    width,
    height,
    unit: 'ghost quality',
    range: [parameters.minQuality, parameters.maxQuality],
  };
  const windows = { cols, rows, cell, originX: ox, originY: oy, differences };

  if (cols < 2 || rows < 2) {
    return {
      summary: { ...base, status: 'not-applicable', flagged: false, reason: `The image is too small for JPEG ghosts (${width}×${height} px).`, lastQuality, ghostQuality: null, depth: 0, share: 0, region: null },
      qualities,
      curve,
      regionCurve: null,
      windows,
      ghostQualities,
    };
  }

  // One DCT per block; each quality's squared quantisation error summed into the block's window.
  const luma = lumaPlane(image);
  const coef = new Float64Array(64);
  for (let by = 0; by < rows * wb; by++) {
    for (let bx = 0; bx < cols * wb; bx++) {
      forwardDct8x8(luma, width, ox + bx * 8, oy + by * 8, coef);
      const w = (Math.floor(by / wb) * cols + Math.floor(bx / wb)) * nq;
      for (let qi = 0; qi < nq; qi++) {
        const t = tables[qi]!;
        let e = 0;
        for (let k = 1; k < 64; k++) {
          const step = t[k]!;
          const c = coef[k]!;
          const d = c - step * Math.round(c / step);
          e += d * d;
        }
        differences[w + qi] += e;
      }
    }
  }
  const perWindow = 64 * wb * wb; // pixels per window: mean squared difference per pixel
  for (let i = 0; i < differences.length; i++) differences[i] /= perWindow;
  for (let w = 0; w < cols * rows; w++) for (let qi = 0; qi < nq; qi++) curve[qi]! += differences[w * nq + qi]!;
  for (let qi = 0; qi < nq; qi++) curve[qi]! /= cols * rows;

  // Ghosts are expected at and above the last quality; look below it (minus a margin).
  const ceiling = lastQuality !== null ? lastQuality - 2 : parameters.maxQuality - 2;
  const dips: ({ quality: number; depth: number } | null)[] = [];
  let informative = 0;
  for (let w = 0; w < cols * rows; w++) {
    const c = differences.subarray(w * nq, (w + 1) * nq);
    let max = 0;
    for (let qi = 0; qi < nq; qi++) max = Math.max(max, c[qi]!);
    if (max < parameters.minEnergy) {
      dips.push(null);
      continue;
    }
    informative++;
    const dip = findDip(c, qualities, ceiling);
    const ghost = dip && dip.depth >= parameters.minDepth ? dip : null;
    dips.push(ghost);
    if (ghost) ghostQualities.values[w] = ghost.quality;
  }

  // The ghost quality most windows agree on (±3), weighted by depth; then its largest region.
  const votes = new Float64Array(101);
  for (const d of dips) if (d) for (let q = d.quality - 3; q <= d.quality + 3; q++) if (q >= 0 && q <= 100) votes[q]! += d.depth;
  let ghostQuality: number | null = null;
  for (let q = 0; q <= 100; q++) if (votes[q]! > 0 && (ghostQuality === null || votes[q]! > votes[ghostQuality]!)) ghostQuality = q;

  let region: GhostSummary['region'] = null;
  let regionCells: number[] = [];
  let share = 0;
  let depth = 0;
  let regionCurve: number[] | null = null;
  if (ghostQuality !== null) {
    const near = (w: number) => dips[w] !== null && Math.abs(dips[w]!.quality - ghostQuality!) <= 4;
    let agreeing = 0;
    for (let w = 0; w < dips.length; w++) if (near(w)) agreeing++;
    share = informative > 0 ? agreeing / informative : 0;
    const seen = new Set<number>();
    for (let w = 0; w < dips.length; w++) {
      if (!near(w) || seen.has(w)) continue;
      const grown = growRegion(ghostQualities, w, near);
      for (const c of grown.cells) seen.add(c);
      if (grown.cells.length > regionCells.length) {
        regionCells = grown.cells;
        region = { x: grown.rect.x + ox, y: grown.rect.y + oy, width: grown.rect.width, height: grown.rect.height };
      }
    }
    regionCurve = new Array<number>(nq).fill(0);
    for (const w of regionCells) for (let qi = 0; qi < nq; qi++) regionCurve[qi]! += differences[w * nq + qi]! / regionCells.length;
    depth = findDip(regionCurve, qualities, ceiling)?.depth ?? 0;
  }

  // A ghost is a finding when a compact area (≥ 4 windows, ≤ half the informative ones) shows it.
  const regional = ghostQuality !== null && regionCells.length >= 4 && share <= 0.5;
  const whole = ghostQuality !== null && share > 0.5;
  const last = lastQuality !== null ? `the last save (quality ${lastQuality})` : 'the last save';
  let reason: string;
  if (regional && region) {
    reason = `A region at ${region.x},${region.y} (${region.width}×${region.height} px) shows a JPEG ghost at quality ${ghostQuality}: it was compressed at about that quality before ${last}, unlike the rest of the picture (dip depth ${(depth * 100).toFixed(0)}%).`;
  } else if (whole) {
    reason = `Most of the picture (${(share * 100).toFixed(0)}% of textured windows) shows a ghost at quality ${ghostQuality}: the whole image was saved at about that quality before ${last}. That is a re-save, not by itself a local edit.`;
  } else if (ghostQuality !== null) {
    reason = `Scattered windows dip near quality ${ghostQuality}, but they form no region of at least 4 windows: no JPEG ghost.`;
  } else {
    reason = `No region dips below ${last}: no JPEG ghost.`;
  }
  return {
    summary: { ...base, status: 'ok', flagged: regional, reason, lastQuality, ghostQuality, depth, share, region },
    qualities,
    curve,
    regionCurve,
    windows,
    ghostQualities,
  };
}

/**
 * Farid's ghost map at one quality: each window's difference normalised to 0..1 over the image
 * (dark = the window re-saves almost unchanged at that quality), as a grid for the inspector.
 */
export function ghostMapAt(detail: GhostDetail, quality: number): GridMap {
  const qi = detail.qualities.indexOf(quality);
  if (qi < 0) throw new RangeError(`Quality ${quality} was not analysed (${detail.qualities[0]}..${detail.qualities.at(-1)}).`);
  const { cols, rows, cell, differences } = detail.windows;
  const nq = detail.qualities.length;
  const values = new Float32Array(cols * rows);
  let min = Infinity;
  let max = -Infinity;
  for (let w = 0; w < cols * rows; w++) {
    const v = differences[w * nq + qi]!;
    values[w] = v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const span = max - min || 1;
  for (let w = 0; w < values.length; w++) values[w] = (values[w]! - min) / span;
  return {
    kind: 'grid',
    cell,
    cols,
    rows,
    values,
    width: detail.ghostQualities.width,
    height: detail.ghostQualities.height,
    unit: `normalised re-save difference at quality ${quality}`,
    range: [0, 1],
  };
}
