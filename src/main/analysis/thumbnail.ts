// EXIF thumbnail against the main image. Cameras write a small preview of the picture into the
// EXIF block; many editors rewrite the main image but copy the EXIF block unchanged, so the old
// preview survives. A thumbnail that no longer looks like the downscaled picture shows the
// picture was changed after the thumbnail was written (Kee & Farid 2010; JPEGsnoop, Forensically).

import sharp from 'sharp';
import type { AnalysisDescription, PixelRect, ThumbnailSummary } from '../../contract/analyses';
import type { ImageMap } from './maps';
import { readTiff, tiffFromExif, tiffJpegThumbnail } from './tiff';

export interface ThumbnailParameters {
  /** Below this correlation the thumbnail shows another picture (or framing). */
  minCorrelation: number;
  /** A cell differs when its mean |difference| exceeds this many levels... */
  cellThreshold: number;
  /** ...and this multiple of the median cell difference. */
  cellFactor: number;
}

export const DEFAULT_THUMBNAIL_PARAMETERS: Readonly<ThumbnailParameters> = Object.freeze({ minCorrelation: 0.85, cellThreshold: 20, cellFactor: 4 });

export const THUMBNAIL_ANALYSIS: AnalysisDescription = {
  id: 'thumbnail',
  title: 'EXIF thumbnail',
  version: 'thumbnail/1',
  shows:
    'Whether the small preview stored in the EXIF block still shows the same picture: a thumbnail that differs (an object missing, another framing) was written before the picture was changed.',
  doesNotProve:
    'A matching thumbnail does not prove the picture is original (careful editors regenerate it); a missing thumbnail proves nothing (many programs drop it), and a tonal difference alone can come from the camera.',
  parameters: { ...DEFAULT_THUMBNAIL_PARAMETERS },
  references: ['E. Kee, H. Farid, "Digital image authentication from thumbnails", SPIE Electronic Imaging 2010'],
  appliesTo: 'files with metadata',
};

export interface ThumbnailDetail {
  summary: ThumbnailSummary;
  /** The thumbnail (RGB) as stored, the main image reduced to its size, and |difference| × 4 (grey). */
  maps: { thumbnail: ImageMap; reduced: ImageMap; difference: ImageMap } | null;
}

function validate(p: ThumbnailParameters): ThumbnailParameters {
  if (!(p.minCorrelation > -1 && p.minCorrelation < 1)) throw new RangeError(`Thumbnail minCorrelation must be between −1 and 1, got ${p.minCorrelation}.`);
  if (!(p.cellThreshold > 0)) throw new RangeError(`Thumbnail cellThreshold must be above 0, got ${p.cellThreshold}.`);
  if (!(p.cellFactor >= 1)) throw new RangeError(`Thumbnail cellFactor must be at least 1, got ${p.cellFactor}.`);
  return { ...p };
}

interface Rgb {
  data: Buffer;
  width: number;
  height: number;
}

async function rgb(input: Sharp | Buffer | Uint8Array): Promise<Rgb> {
  const image = input instanceof Uint8Array ? sharp(input, { failOn: 'none' }) : input;
  const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}
type Sharp = ReturnType<typeof sharp>;

function luma(img: Rgb): Float32Array {
  const out = new Float32Array(img.width * img.height);
  for (let p = 0, i = 0; p < out.length; p++, i += 3) out[p] = 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
  return out;
}

/**
 * The part of the thumbnail that holds picture: cameras letterbox thumbnails of another aspect
 * ratio with uniform (usually black) bars, which are trimmed here.
 */
function contentBox(l: Float32Array, w: number, h: number): { x: number; y: number; width: number; height: number } {
  const uniformRow = (y: number) => {
    let min = 255, max = 0;
    for (let x = 0; x < w; x++) { const v = l[y * w + x]!; min = Math.min(min, v); max = Math.max(max, v); }
    return max - min < 12 && (max < 40 || min > 215);
  };
  const uniformCol = (x: number, y0: number, y1: number) => {
    let min = 255, max = 0;
    for (let y = y0; y < y1; y++) { const v = l[y * w + x]!; min = Math.min(min, v); max = Math.max(max, v); }
    return max - min < 12 && (max < 40 || min > 215);
  };
  let top = 0, bottom = h;
  while (top < h / 3 && uniformRow(top)) top++;
  while (bottom > (2 * h) / 3 && uniformRow(bottom - 1)) bottom--;
  let left = 0, right = w;
  while (left < w / 3 && uniformCol(left, top, bottom)) left++;
  while (right > (2 * w) / 3 && uniformCol(right - 1, top, bottom)) right--;
  // Bars of one or two pixels are more likely dark picture edges than letterboxing.
  if (top <= 2) top = 0;
  if (h - bottom <= 2) bottom = h;
  if (left <= 2) left = 0;
  if (w - right <= 2) right = w;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Maps a rectangle of the stored (unrotated) image into the displayed orientation. */
export function orientRect(r: PixelRect, storedWidth: number, storedHeight: number, orientation: number): PixelRect {
  const { x, y, width: w, height: h } = r;
  const W = storedWidth, H = storedHeight;
  switch (orientation) {
    case 2: return { x: W - x - w, y, width: w, height: h };
    case 3: return { x: W - x - w, y: H - y - h, width: w, height: h };
    case 4: return { x, y: H - y - h, width: w, height: h };
    case 5: return { x: y, y: x, width: h, height: w };
    case 6: return { x: H - y - h, y: x, width: h, height: w };
    case 7: return { x: H - y - h, y: W - x - w, width: h, height: w };
    case 8: return { x: y, y: W - x - w, width: h, height: w };
    default: return { ...r };
  }
}

/** 5-tap binomial smoothing (σ ≈ 1 px), replicated edges. */
function smooth(v: Float32Array, w: number, h: number): Float32Array {
  const tmp = new Float32Array(v.length);
  const out = new Float32Array(v.length);
  const k = [1, 4, 6, 4, 1];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0;
    for (let t = -2; t <= 2; t++) s += k[t + 2]! * v[y * w + Math.min(w - 1, Math.max(0, x + t))]!;
    tmp[y * w + x] = s / 16;
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0;
    for (let t = -2; t <= 2; t++) s += k[t + 2]! * tmp[Math.min(h - 1, Math.max(0, y + t)) * w + x]!;
    out[y * w + x] = s / 16;
  }
  return out;
}

/**
 * The reduced picture resampled under the shift (±2 px, half-pixel steps) and scale (±3%) about
 * the centre that correlates best with the thumbnail; pixels that fall outside are invalid.
 */
function bestAlignment(thumb: Float32Array, reduced: Float32Array, w: number, h: number): { values: Float32Array; valid: Uint8Array; correlation: number } {
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  const sample = (t: { s: number; dx: number; dy: number }, out: Float32Array, valid: Uint8Array) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sx = cx + t.s * (x - cx) + t.dx, sy = cy + t.s * (y - cy) + t.dy;
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const i = y * w + x;
        if (x0 < 0 || y0 < 0 || x0 >= w - 1 || y0 >= h - 1) { valid[i] = 0; continue; }
        const fx = sx - x0, fy = sy - y0, j = y0 * w + x0;
        out[i] = (reduced[j]! * (1 - fx) + reduced[j + 1]! * fx) * (1 - fy) + (reduced[j + w]! * (1 - fx) + reduced[j + w + 1]! * fx) * fy;
        valid[i] = 1;
      }
    }
  };
  const corr = (a: Float32Array, valid: Uint8Array) => {
    let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (let i = 0; i < a.length; i++) {
      if (!valid[i]) continue;
      const x = a[i]!, y = thumb[i]!;
      n++; sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
    }
    const va = saa - (sa * sa) / n, vb = sbb - (sb * sb) / n;
    return n > 0.8 * a.length && va > 0 && vb > 0 ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : -2;
  };
  const values = new Float32Array(w * h);
  const valid = new Uint8Array(w * h);
  let best = { s: 1, dx: 0, dy: 0, c: -3 };
  for (const s of [0.97, 0.985, 1, 1.015, 1.03]) {
    for (let dy = -2; dy <= 2; dy += 0.5) {
      for (let dx = -2; dx <= 2; dx += 0.5) {
        sample({ s, dx, dy }, values, valid);
        const c = corr(values, valid);
        if (c > best.c) best = { s, dx, dy, c };
      }
    }
  }
  sample(best, values, valid);
  return { values, valid, correlation: best.c };
}

/** Compares the EXIF thumbnail of an image file with its main picture. */
export async function analyzeThumbnail(bytes: Uint8Array, params: ThumbnailParameters = DEFAULT_THUMBNAIL_PARAMETERS): Promise<ThumbnailDetail> {
  const parameters = validate(params);
  const base = { analysis: 'thumbnail' as const, version: THUMBNAIL_ANALYSIS.version, parameters: { ...parameters } };
  const none = (status: 'ok' | 'not-applicable', reason: string, present = false): ThumbnailDetail => ({
    summary: { ...base, status, flagged: false, reason, present, thumbnailSize: null, meanDifference: null, maxCellDifference: null, correlation: null, region: null },
    maps: null,
  });

  const header = await sharp(bytes, { limitInputPixels: false }).metadata();
  const tiff = header.exif ? tiffFromExif(header.exif) : null;
  const ifds = tiff ? readTiff(tiff) : null;
  if (!tiff || !ifds) return none('not-applicable', 'The file has no EXIF block, so no EXIF thumbnail to compare.');
  const thumbBytes = tiffJpegThumbnail(tiff, ifds);
  if (!thumbBytes) {
    const compression = ifds.ifd1.get(0x0103);
    return none(
      'not-applicable',
      ifds.ifd1.size > 0 && compression === 1
        ? 'The EXIF thumbnail is stored uncompressed (TIFF strips), which this check does not read.'
        : 'The EXIF block holds no thumbnail (many programs drop it when saving).',
    );
  }

  let thumb: Rgb;
  try {
    thumb = await rgb(thumbBytes);
  } catch (err) {
    return {
      summary: {
        ...base,
        status: 'ok',
        flagged: false,
        reason: `The EXIF thumbnail is present but cannot be decoded (${err instanceof Error ? err.message : String(err)}); nothing to compare.`,
        present: true,
        thumbnailSize: null,
        meanDifference: null,
        maxCellDifference: null,
        correlation: null,
        region: null,
      },
      maps: null,
    };
  }
  const tl = luma(thumb);
  const storedWidth = header.width, storedHeight = header.height;
  const mainAspectRatio = storedWidth / storedHeight;
  const trimmed = contentBox(tl, thumb.width, thumb.height);
  // Trim bars only when that brings the thumbnail closer to the picture's shape: a dark picture
  // (night sky) has uniform borders that are picture, not letterboxing.
  const misfit = (b: { width: number; height: number }) => Math.abs(Math.log(b.width / b.height / mainAspectRatio));
  const full = { x: 0, y: 0, width: thumb.width, height: thumb.height };
  const box = misfit(trimmed) < misfit(full) - 0.02 ? trimmed : full;
  if (box.width < 8 || box.height < 8) return none('ok', 'The EXIF thumbnail holds no picture (uniform), nothing to compare.', true);

  // The thumbnail is stored in the same orientation as the main image: compare unrotated pixels.
  // A picture rotated losslessly by software after capture keeps the camera's unrotated
  // thumbnail: when the shapes only fit crosswise, compare against the picture turned back.
  const thumbAspect = box.width / box.height;
  const crosswise =
    Math.abs(Math.log(thumbAspect / mainAspectRatio)) > Math.log(1.08) && Math.abs(Math.log(thumbAspect * mainAspectRatio)) < Math.log(1.08);
  const reduceTo = (angle: number) =>
    rgb(
      sharp(bytes, { limitInputPixels: false, failOn: 'none', pages: 1, page: 0 })
        .flatten({ background: '#ffffff' })
        .rotate(angle)
        .resize(box.width, box.height, { fit: 'fill', kernel: 'cubic' }),
    );
  const crop = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) crop.set(tl.subarray((box.y + y) * thumb.width + box.x, (box.y + y) * thumb.width + box.x + box.width), y * box.width);
  const w = box.width, h = box.height;
  const ts = smooth(crop, w, h);
  let rotation = 0;
  let reduced = await reduceTo(0);
  let aligned = bestAlignment(ts, smooth(luma(reduced), w, h), w, h);
  if (crosswise) {
    for (const angle of [90, 270]) {
      const candidate = await reduceTo(angle);
      const a = bestAlignment(ts, smooth(luma(candidate), w, h), w, h);
      if (a.correlation > aligned.correlation) {
        aligned = a;
        reduced = candidate;
        rotation = angle;
      }
    }
  }

  // Cameras make thumbnails with their own resampling, sharpening and a slightly different
  // framing: both images are smoothed and aligned over small shifts and scales (above) before
  // they are compared.
  const n = w * h;
  const valid = aligned.valid;
  // Tone-normalise: a linear fit of the thumbnail on the reduced image absorbs the thumbnail's
  // own brightness and contrast.
  let mr = 0, mt = 0, count = 0;
  for (let i = 0; i < n; i++) if (valid[i]) { mr += aligned.values[i]!; mt += ts[i]!; count++; }
  mr /= count; mt /= count;
  let srr = 0, srt = 0, stt = 0;
  for (let i = 0; i < n; i++) if (valid[i]) { const a = aligned.values[i]! - mr, b = ts[i]! - mt; srr += a * a; srt += a * b; stt += b * b; }
  const correlation = srr > 0 && stt > 0 ? srt / Math.sqrt(srr * stt) : 0;
  const gain = srr > 0 ? srt / srr : 1;
  const diff = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    diff[i] = Math.abs(ts[i]! - (mt + gain * (aligned.values[i]! - mr)));
    sum += diff[i]!;
  }
  const meanDifference = sum / count;

  // 8×8 grid of cells over the picture part of the thumbnail.
  const cells = 8;
  const cellMeans: number[] = [];
  for (let cy = 0; cy < cells; cy++) {
    for (let cx = 0; cx < cells; cx++) {
      const x0 = Math.floor((cx * box.width) / cells), x1 = Math.floor(((cx + 1) * box.width) / cells);
      const y0 = Math.floor((cy * box.height) / cells), y1 = Math.floor(((cy + 1) * box.height) / cells);
      let s = 0, c = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (valid[y * w + x]) { s += diff[y * w + x]!; c++; }
      cellMeans.push(c ? s / c : 0);
    }
  }
  const sorted = [...cellMeans].sort((a, b) => a - b);
  const medianCell = sorted[sorted.length >> 1]!;
  const maxCell = sorted[sorted.length - 1]!;
  const level = Math.max(parameters.cellThreshold, parameters.cellFactor * medianCell);
  const differing = cellMeans.map((v, i) => (v > level ? i : -1)).filter((i) => i >= 0);

  let region: PixelRect | null = null;
  if (differing.length > 0 && differing.length < cells * cells && rotation === 0) {
    let x0 = cells, y0 = cells, x1 = -1, y1 = -1;
    for (const i of differing) { const cx = i % cells, cy = (i - cx) / cells; x0 = Math.min(x0, cx); x1 = Math.max(x1, cx); y0 = Math.min(y0, cy); y1 = Math.max(y1, cy); }
    const sx = storedWidth / box.width, sy = storedHeight / box.height;
    const stored: PixelRect = {
      x: Math.floor(((x0 * box.width) / cells) * sx),
      y: Math.floor(((y0 * box.height) / cells) * sy),
      width: Math.ceil((((x1 + 1) * box.width) / cells - (x0 * box.width) / cells) * sx),
      height: Math.ceil((((y1 + 1) * box.height) / cells - (y0 * box.height) / cells) * sy),
    };
    region = orientRect(stored, storedWidth, storedHeight, header.orientation ?? 1);
  }

  const aspectOff = Math.abs(Math.log(thumbAspect / mainAspectRatio)) > Math.log(1.08) && rotation === 0 && box.width > 16 && box.height > 16;
  const different = correlation < parameters.minCorrelation;
  const local = differing.length > 0 && differing.length <= (cells * cells) / 2;
  const flagged = different || local || aspectOff;
  let reason: string;
  if (aspectOff) {
    reason = `The EXIF thumbnail has another aspect ratio (${thumbAspect.toFixed(2)}) than the picture (${mainAspectRatio.toFixed(2)}): the picture was cropped or replaced after the thumbnail was written.`;
  } else if (different) {
    reason = `The EXIF thumbnail does not show the same picture (correlation ${correlation.toFixed(2)} with the reduced image): the picture was replaced or heavily edited after the thumbnail was written.`;
  } else if (local && region) {
    reason = `The EXIF thumbnail differs from the picture in an area at ${region.x},${region.y} (${region.width}×${region.height} px; up to ${maxCell.toFixed(0)} levels against a typical ${medianCell.toFixed(1)}): that area was changed after the thumbnail was written.`;
  } else {
    reason = `The EXIF thumbnail (${thumb.width}×${thumb.height}) matches the reduced picture (correlation ${correlation.toFixed(3)}, mean difference ${meanDifference.toFixed(1)} levels).`;
    if (rotation) reason += ` It matches the picture turned by ${rotation}°: the pixels were rotated by software after the thumbnail was written (a lossless rotation changes no content).`;
  }

  const toGrey = (v: Float32Array, scale: number) => Uint8Array.from(v, (x) => Math.min(255, Math.round(x * scale)));
  const thumbCrop = Buffer.alloc(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) thumb.data.copy(thumbCrop, y * box.width * 3, ((box.y + y) * thumb.width + box.x) * 3, ((box.y + y) * thumb.width + box.x + box.width) * 3);
  return {
    summary: {
      ...base,
      status: 'ok',
      flagged,
      reason,
      present: true,
      thumbnailSize: { width: thumb.width, height: thumb.height },
      meanDifference,
      maxCellDifference: maxCell,
      correlation,
      region,
    },
    maps: {
      thumbnail: { kind: 'image', width: box.width, height: box.height, channels: 3, data: new Uint8Array(thumbCrop), unit: 'EXIF thumbnail' },
      reduced: { kind: 'image', width: box.width, height: box.height, channels: 3, data: new Uint8Array(reduced.data), unit: 'main image reduced to the thumbnail size' },
      difference: { kind: 'image', width: box.width, height: box.height, channels: 1, data: toGrey(diff, 4), unit: '|difference| × 4' },
    },
  };
}
