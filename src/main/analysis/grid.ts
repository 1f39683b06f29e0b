// JPEG block grid from the pixels (block artifact grid). A JPEG is coded in 8×8 blocks, and
// compression leaves small steps in brightness at every block border. Where those borders sit
// tells whether the picture was cropped after its last JPEG save (the grid no longer starts at
// the top-left pixel), and a region whose borders sit elsewhere was pasted in from another JPEG
// (Li, Yuan, Yu 2009; Ye, Sun, Chang 2007). Works on decoded pixels, so on PNG or TIFF files
// made from a JPEG too.

import type { AnalysisDescription, GridSummary } from '../../contract/analyses';
import { lumaPlane } from '../../shared/pixels';
import type { DecodedImage } from '../ingest/decoded';
import { growRegion, type GridMap } from './maps';

export interface GridParameters {
  /** Side of the windows of the local grid map, in pixels (a multiple of 8, ≥ 32). */
  window: number;
  /** A grid counts as visible when its phase stands this many robust SDs above the others. */
  minStrength: number;
}

export const DEFAULT_GRID_PARAMETERS: Readonly<GridParameters> = Object.freeze({ window: 64, minStrength: 4 });

export const GRID_ANALYSIS: AnalysisDescription = {
  id: 'grid',
  title: 'JPEG block grid',
  version: 'grid/1',
  shows:
    'Where the 8×8 JPEG block borders sit: a grid not starting at the top-left corner means the picture was cropped after being saved as JPEG; an area whose grid sits elsewhere was probably pasted from another JPEG.',
  doesNotProve:
    'A grid at (0,0) does not prove the picture is uncropped (a crop by multiples of 8 keeps it), and no visible grid proves nothing: high-quality JPEGs, resizing and never-compressed images show none.',
  parameters: { ...DEFAULT_GRID_PARAMETERS },
  references: [
    'W. Li, Y. Yuan, N. Yu, "Passive detection of doctored JPEG image via block artifact grid extraction", Signal Processing 89(9), 2009',
    'S. Ye, Q. Sun, E.-C. Chang, "Detecting digital image forgeries by measuring inconsistencies of blocking artifact", ICME 2007',
  ],
  appliesTo: 'any image',
};

export interface GridDetail {
  summary: GridSummary;
  /** Blockiness of each of the 8 column and row phases (boundary before column/row ≡ phase mod 8). */
  columnPhases: number[];
  rowPhases: number[];
  /**
   * Local grid per window: the crop offset index (y × 8 + x, 0..63) of the window's own grid, NaN
   * where no grid is visible. Windows that disagree with the global grid are the splice cue.
   */
  local: GridMap;
  /** 1 where a window's visible grid differs from the global one, 0 where it agrees, NaN elsewhere. */
  mismatch: GridMap;
}

function validate(p: GridParameters): GridParameters {
  if (!Number.isInteger(p.window) || p.window < 32 || p.window % 8 !== 0) {
    throw new RangeError(`Grid window must be a multiple of 8 pixels, at least 32, got ${p.window}.`);
  }
  if (!(p.minStrength > 0)) throw new RangeError(`Grid minStrength must be above 0, got ${p.minStrength}.`);
  return { window: p.window, minStrength: p.minStrength };
}

/** Steps larger than this are scene edges, not blocking: clipped so they cannot dominate. */
const EDGE_CLIP = 12;

/**
 * Per-column (or per-row) blockiness profile: E[i] = mean clipped |step| between positions i−1
 * and i, minus the mean of the steps on either side, so smooth gradients and texture (similar
 * steps everywhere) cancel and only steps that stand out from their neighbours remain.
 */
function stepProfiles(luma: Float32Array, width: number, height: number, x0: number, y0: number, w: number, h: number) {
  const colSteps = new Float64Array(w);
  const rowSteps = new Float64Array(h);
  for (let y = y0; y < y0 + h; y++) {
    const row = y * width;
    for (let x = Math.max(1, x0); x < x0 + w; x++) {
      const d = Math.abs(luma[row + x]! - luma[row + x - 1]!);
      colSteps[x - x0] += d < EDGE_CLIP ? d : EDGE_CLIP;
    }
  }
  for (let y = Math.max(1, y0); y < y0 + h; y++) {
    const row = y * width;
    const up = row - width;
    let sum = 0;
    for (let x = x0; x < x0 + w; x++) {
      const d = Math.abs(luma[row + x]! - luma[up + x]!);
      sum += d < EDGE_CLIP ? d : EDGE_CLIP;
    }
    rowSteps[y - y0] = sum;
  }
  return { colSteps, rowSteps };
}

/** Folds a step profile into 8 phases: phase p collects boundaries before positions ≡ p (mod 8). */
function phaseScores(steps: Float64Array, origin: number): number[] {
  const sums = new Array<number>(8).fill(0);
  const counts = new Array<number>(8).fill(0);
  for (let i = 1; i < steps.length - 1; i++) {
    const excess = steps[i]! - (steps[i - 1]! + steps[i + 1]!) / 2;
    const phase = (((origin + i) % 8) + 8) % 8;
    sums[phase]! += excess;
    counts[phase]!++;
  }
  return sums.map((s, p) => (counts[p]! > 0 ? s / counts[p]! : 0));
}

/**
 * Best phase, how far it stands above the other seven (robust standard deviations), and how
 * unique it is: (best − second) / (best − median). A JPEG grid gives one peak; interlacing,
 * upsampling or repetitive texture give several similar ones (uniqueness near 0).
 */
function bestPhase(scores: number[]): { phase: number; strength: number; uniqueness: number; median: number } {
  let phase = 0;
  for (let p = 1; p < 8; p++) if (scores[p]! > scores[phase]!) phase = p;
  const others = scores.filter((_, p) => p !== phase).sort((a, b) => a - b);
  const med = (others[3]! + others[2]!) / 2;
  const dev = others.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
  const spread = Math.max(1.4826 * ((dev[3]! + dev[2]!) / 2), 1e-3, 0.02 * Math.abs(med));
  const best = scores[phase]!;
  const second = others[others.length - 1]!;
  return { phase, strength: (best - med) / spread, uniqueness: best > med ? (best - second) / (best - med) : 0, median: med };
}

/** Phases must stand out this much and this uniquely to count as a JPEG grid. */
const MIN_UNIQUENESS = 0.4;

/** The crop offset that puts a block border before position `phase`: (8 − phase) mod 8. */
const cropOffset = (phase: number) => (8 - phase) % 8;

/** Global and local JPEG grid of decoded pixels. */
export function analyzeGrid(image: DecodedImage, params: GridParameters = DEFAULT_GRID_PARAMETERS): GridDetail {
  const parameters = validate(params);
  const { width, height } = image;
  const luma = lumaPlane(image);
  const base = { analysis: 'grid' as const, version: GRID_ANALYSIS.version, parameters: { ...parameters } };

  const { colSteps, rowSteps } = stepProfiles(luma, width, height, 0, 0, width, height);
  const columnPhases = phaseScores(colSteps, 0);
  const rowPhases = phaseScores(rowSteps, 0);
  const gx = bestPhase(columnPhases);
  const gy = bestPhase(rowPhases);
  const strength = Math.min(gx.strength, gy.strength);
  const unique = Math.min(gx.uniqueness, gy.uniqueness) >= MIN_UNIQUENESS;
  const visible = width >= 32 && height >= 32 && strength >= parameters.minStrength && unique;
  const offset = visible ? { x: cropOffset(gx.phase), y: cropOffset(gy.phase) } : null;

  // Local grids, window by window.
  const win = parameters.window;
  const cols = Math.ceil(width / win);
  const rows = Math.ceil(height / win);
  const local: GridMap = { kind: 'grid', cell: win, cols, rows, values: new Float32Array(cols * rows).fill(NaN), width, height, unit: 'local crop offset (y × 8 + x)', range: [0, 63] };
  const mismatch: GridMap = { kind: 'grid', cell: win, cols, rows, values: new Float32Array(cols * rows).fill(NaN), width, height, unit: 'grid differs from the image grid (1) or agrees (0)', range: [0, 1] };
  let withGrid = 0;
  let differing = 0;
  for (let wy = 0; wy < rows; wy++) {
    for (let wx = 0; wx < cols; wx++) {
      const x0 = wx * win;
      const y0 = wy * win;
      const w = Math.min(win, width - x0);
      const h = Math.min(win, height - y0);
      if (w < 24 || h < 24) continue;
      const p = stepProfiles(luma, width, height, x0, y0, w, h);
      const colScores = phaseScores(p.colSteps, x0);
      const rowScores = phaseScores(p.rowSteps, y0);
      const lx = bestPhase(colScores);
      const ly = bestPhase(rowScores);
      if (Math.min(lx.strength, ly.strength) < parameters.minStrength || Math.min(lx.uniqueness, ly.uniqueness) < MIN_UNIQUENESS) continue;
      const k = wy * cols + wx;
      local.values[k] = cropOffset(ly.phase) * 8 + cropOffset(lx.phase);
      withGrid++;
      if (offset) {
        // A window disagrees only when the image's grid leaves no trace in it (its score at the
        // global phase is no better than its typical phase), not merely when noise moved the peak.
        const differs =
          (lx.phase !== gx.phase && colScores[gx.phase]! <= lx.median) || (ly.phase !== gy.phase && rowScores[gy.phase]! <= ly.median);
        mismatch.values[k] = differs ? 1 : 0;
        if (differs) differing++;
      }
    }
  }

  // The largest connected group of disagreeing windows.
  let region: GridSummary['region'] = null;
  let regionWindows = 0;
  if (offset && differing > 0) {
    const seen = new Set<number>();
    for (let k = 0; k < mismatch.values.length; k++) {
      if (mismatch.values[k] !== 1 || seen.has(k)) continue;
      const grown = growRegion(mismatch, k, (n) => mismatch.values[n] === 1);
      for (const c of grown.cells) seen.add(c);
      if (grown.cells.length > regionWindows) {
        regionWindows = grown.cells.length;
        region = grown.rect;
      }
    }
  }
  const mismatchedShare = withGrid > 0 ? differing / withGrid : 0;

  let flagged = false;
  let reason: string;
  if (!offset) {
    reason = unique
      ? `No JPEG block grid is visible (strength ${strength.toFixed(1)} < ${parameters.minStrength}): the image was never JPEG-compressed, was saved at high quality, or was resized since.`
      : `No single JPEG block grid stands out: several positions show similar steps (interlacing, resampling or repetitive texture), so no grid offset can be read.`;
  } else {
    const cropped = offset.x !== 0 || offset.y !== 0;
    // Two windows that agree with each other and not with the image make a region worth a look.
    const spliced = regionWindows >= 2 && mismatchedShare < 0.5;
    flagged = cropped || spliced;
    const parts: string[] = [];
    parts.push(
      cropped
        ? `The 8×8 JPEG grid is offset by (${offset.x}, ${offset.y}): the picture was cropped by ${offset.x} column(s) and ${offset.y} row(s) (modulo 8) after its last JPEG save.`
        : 'The 8×8 JPEG grid starts at the top-left corner, as in an uncropped JPEG (or one cropped by multiples of 8).',
    );
    if (spliced && region) {
      parts.push(`An area at ${region.x},${region.y} (${region.width}×${region.height} px, ${regionWindows} windows) has its own grid: it may have been pasted from another JPEG.`);
    } else if (differing > 0) {
      parts.push(`${differing} of ${withGrid} windows with a visible grid disagree, scattered rather than grouped.`);
    }
    reason = parts.join(' ');
  }
  return {
    summary: { ...base, status: 'ok', flagged, reason, offset, strength, mismatchedShare, region },
    columnPhases,
    rowPhases,
    local,
    mismatch,
  };
}
