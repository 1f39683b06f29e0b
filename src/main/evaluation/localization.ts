// Pixel-level evaluation of tamper heatmaps (ModelScore.localization) against ground-truth masks:
// per-image F1 and IoU of the tampered class at a probability threshold, pooled F1, the
// per-image best F1 over thresholds (optimistic, reported by many localisation papers), and how
// much of authentic images is flagged.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Label, LocalizationMetrics } from '../../contract/evaluation';
import type { LocalizationMap } from '../../contract/evidence';
import { resampleLocalization } from '../inference/localization';

export const PIXEL_THRESHOLD = 0.5;
const SWEEP = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1));

export interface LocalizedItem {
  path: string;
  label: Label;
  maskPath?: string;
  /** The analysed image's size, which the map's region refers to. */
  width: number;
  height: number;
  map: LocalizationMap | null;
}

/** A ground-truth mask as booleans (white = tampered), at its own size. */
export async function readMask(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(await readFile(path)).greyscale().raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels] >= 128 ? 1 : 0;
  return { data: out, width: info.width, height: info.height };
}

function counts(p: Float32Array, truth: Uint8Array, t: number): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < p.length; i++) {
    const pred = p[i] >= t;
    if (pred && truth[i]) tp++;
    else if (pred) fp++;
    else if (truth[i]) fn++;
  }
  return { tp, fp, fn };
}

const f1Of = (c: { tp: number; fp: number; fn: number }) => (2 * c.tp + c.fp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : 0);
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);

export async function localizationMetrics(items: readonly LocalizedItem[], threshold = PIXEL_THRESHOLD): Promise<LocalizationMetrics> {
  const notes: string[] = [];
  const perImage: LocalizationMetrics['perImage'] = [];
  const pooled = { tp: 0, fp: 0, fn: 0 };
  const falseShares: number[] = [];
  let unreadable = 0;
  let emptyMasks = 0;
  for (const item of items) {
    if (!item.map) continue;
    if (item.label === 0) {
      const p = resampleLocalization(item.map, item.width, item.height, Math.min(item.width, 512), Math.min(item.height, 512));
      falseShares.push(p.reduce((n, v) => n + (v >= threshold ? 1 : 0), 0) / p.length);
      continue;
    }
    if (!item.maskPath) continue;
    let mask;
    try {
      mask = await readMask(item.maskPath);
    } catch {
      unreadable++;
      continue;
    }
    if (!mask.data.some((v) => v === 1)) {
      emptyMasks++;
      continue;
    }
    // The mask may be stored at another size than the image (rare): the map is resampled onto the mask.
    const p = resampleLocalization(item.map, item.width, item.height, mask.width, mask.height);
    const c = counts(p, mask.data, threshold);
    pooled.tp += c.tp;
    pooled.fp += c.fp;
    pooled.fn += c.fn;
    const iou = c.tp + c.fp + c.fn > 0 ? c.tp / (c.tp + c.fp + c.fn) : 0;
    const bestF1 = Math.max(...SWEEP.map((t) => f1Of(counts(p, mask.data, t))));
    perImage.push({ path: item.path, f1: f1Of(c), iou, bestF1 });
  }
  if (unreadable > 0) notes.push(`${unreadable} mask(s) could not be read and were left out`);
  if (emptyMasks > 0) notes.push(`${emptyMasks} mask(s) mark nothing as tampered and were left out`);
  if (perImage.length === 0) notes.push('no tampered image with a mask and a heatmap: no pixel-level metric');
  return {
    threshold,
    images: perImage.length,
    f1: mean(perImage.map((x) => x.f1)),
    iou: mean(perImage.map((x) => x.iou)),
    pooledF1: perImage.length ? f1Of(pooled) : null,
    bestF1: mean(perImage.map((x) => x.bestF1)),
    authenticImages: falseShares.length,
    authenticFlaggedShare: mean(falseShares),
    perImage,
    notes,
  };
}
