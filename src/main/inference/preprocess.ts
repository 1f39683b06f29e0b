// Decoded pixels → the float32 CHW tensors a model's manifest asks for. Geometry follows
// the protocols the detectors were trained and published with, because a detector fed a
// resized image when it was evaluated on native-resolution crops (Wang et al. 2020) loses
// exactly the high-frequency traces it looks for.
import sharp from 'sharp';
import { amplificationLut } from '../analysis/amplify';
import { elaDifferenceImage } from '../analysis/ela';
import { srmResidualImage } from '../analysis/srmResidual';
import type { DecodedImage } from '../ingest/decoded';
import type { ModelManifest, Preprocessing } from './manifest';

/** One crop window on the padded canvas (see `paddedCanvas`); mirror = flipped left↔right. */
export interface CropWindow {
  x: number;
  y: number;
  mirror: boolean;
}

/**
 * An image smaller than the crop is padded with black to the crop size first, split as
 * torchvision does (left/top get the floor half, right/bottom the rest), so a 50-pixel-wide
 * image in a 64 crop has 7 black columns left and 7 right. torchvision's CenterCrop pads the
 * same way; FiveCrop would refuse such images, we pad them too.
 */
export function paddedCanvas(width: number, height: number, cropW: number, cropH: number) {
  return {
    width: Math.max(width, cropW),
    height: Math.max(height, cropH),
    padLeft: width < cropW ? Math.floor((cropW - width) / 2) : 0,
    padTop: height < cropH ? Math.floor((cropH - height) / 2) : 0,
  };
}

/** Python's round(): halves go to the even neighbour. torchvision's centre offset uses it. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Crop windows for a mode on a canvas of canvasW×canvasH, in torchvision's order. */
export function cropWindows(pre: Preprocessing, canvasW: number, canvasH: number, cropW: number, cropH: number): CropWindow[] {
  const maxX = canvasW - cropW;
  const maxY = canvasH - cropH;
  const centre: CropWindow = { x: roundHalfEven(maxX / 2), y: roundHalfEven(maxY / 2), mirror: false };
  if (pre.mode !== 'multi-crop') return [centre];
  const count = pre.cropCount ?? 1;
  if (count === 1) return [centre];
  if (count === 5 || count === 10) {
    // FiveCrop order: top-left, top-right, bottom-left, bottom-right, centre.
    const five: CropWindow[] = [
      { x: 0, y: 0, mirror: false },
      { x: maxX, y: 0, mirror: false },
      { x: 0, y: maxY, mirror: false },
      { x: maxX, y: maxY, mirror: false },
      centre,
    ];
    // TenCrop: the same five windows taken on the mirrored image.
    return count === 5 ? five : [...five, ...five.map((w) => ({ ...w, mirror: true }))];
  }
  const k = Math.round(Math.sqrt(count));
  if (k * k !== count) throw new Error(`cropCount ${count} is not 1, 5, 10 or a square`);
  const steps = (max: number) => Array.from({ length: k }, (_, i) => Math.round((i * max) / (k - 1)));
  return steps(maxY).flatMap((y) => steps(maxX).map((x) => ({ x, y, mirror: false })));
}

/** Per-channel lookup: byte value → normalized float, (v/255 − mean) / std. */
function normalizationLuts(pre: Preprocessing): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const lut = new Float32Array(256);
    const { mean, std } = pre.normalization;
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - mean[c]) / std[c];
    return lut;
  });
}

/** 8-bit RGB pixels, interleaved: a decoded image, or an ELA image made from one. */
export interface RgbSource {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Reads a crop window (with black padding and optional mirroring) into a CHW tensor. `sample`
 * gives the byte at an index of the source's interleaved layout (default: the byte itself); the
 * ELA crops compute the amplified error there instead of reading a whole ELA image.
 */
function cropToTensor(
  image: RgbSource,
  window: CropWindow,
  cropW: number,
  cropH: number,
  luts: Float32Array[],
  sample: (i: number) => number = (i) => image.data[i]!,
): Float32Array {
  const canvas = paddedCanvas(image.width, image.height, cropW, cropH);
  const plane = cropW * cropH;
  const out = new Float32Array(3 * plane);
  const { width, height } = image;
  for (let y = 0; y < cropH; y++) {
    const srcY = window.y + y - canvas.padTop;
    for (let x = 0; x < cropW; x++) {
      const canvasX = window.mirror ? canvas.width - 1 - (window.x + x) : window.x + x;
      const srcX = canvasX - canvas.padLeft;
      const o = y * cropW + x;
      if (srcY < 0 || srcY >= height || srcX < 0 || srcX >= width) {
        out[o] = luts[0][0];
        out[plane + o] = luts[1][0];
        out[2 * plane + o] = luts[2][0];
      } else {
        const i = (srcY * width + srcX) * 3;
        out[o] = luts[0][sample(i)];
        out[plane + o] = luts[1][sample(i + 1)];
        out[2 * plane + o] = luts[2][sample(i + 2)];
      }
    }
  }
  return out;
}

async function resized(image: RgbSource, pre: Preprocessing, width: number, height: number): Promise<RgbSource> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { fit: pre.resizeFit ?? 'fill', position: 'centre', kernel: pre.resizeKernel ?? 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`Resize produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return { data, width, height };
}

function assertDecoded(image: DecodedImage): void {
  const { width, height, data } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new RangeError(`Expected 8-bit RGB pixels for ${width}x${height} (${width * height * 3} bytes), got ${data.length} bytes`);
  }
}

/** One normalized CHW float32 tensor (channels×height×width of the model input) per crop. */
export async function preprocess(image: DecodedImage, manifest: ModelManifest): Promise<Float32Array[]> {
  assertDecoded(image);
  const pre = manifest.preprocessing;
  if (pre.mode === 'face-crop') throw new Error(`${manifest.id}: face-crop models are preprocessed face by face (see Detector), not by preprocess()`);

  // ELA runs on the full-resolution pixels: its JPEG 8×8 grid must line up with the
  // original's, which any crop offset or resize would break.
  let source = image;
  if (pre.inputTransform === 'ela') {
    if (pre.elaQuality === undefined || pre.elaScale === undefined) throw new Error(`${manifest.id}: the "ela" input transform needs elaQuality and elaScale`);
    source = await elaDifferenceImage(image, pre.elaQuality, pre.elaScale);
  }
  const tensors = await geometry(source, manifest);
  if (pre.inputTransform !== 'rgb+noise') return tensors;

  // rgb+noise: the pixels' crops, then the same crops of the full-resolution noise residuals.
  if (pre.noiseScale === undefined) throw new Error(`${manifest.id}: the "rgb+noise" input transform needs noiseScale`);
  const noise = await geometry(srmResidualImage(image, pre.noiseScale), manifest);
  return tensors.map((rgb, i) => {
    const both = new Float32Array(rgb.length * 2);
    both.set(rgb, 0);
    both.set(noise[i], rgb.length);
    return both;
  });
}

/** Crops (or the resize) of a 3-channel image, normalised: 3×height×width each. */
async function geometry(source: DecodedImage, manifest: ModelManifest): Promise<Float32Array[]> {
  const pre = manifest.preprocessing;
  const { width: cropW, height: cropH } = manifest.input;
  const luts = normalizationLuts(pre);
  if (pre.mode === 'resize') {
    const small = await resized(source, pre, cropW, cropH);
    return [cropToTensor(small, { x: 0, y: 0, mirror: false }, cropW, cropH, luts)];
  }
  const canvas = paddedCanvas(source.width, source.height, cropW, cropH);
  return cropWindows(pre, canvas.width, canvas.height, cropW, cropH).map((w) => cropToTensor(source, w, cropW, cropH, luts));
}

/**
 * How the single ELA pass (analysis/elaPass.ts) serves a model with the "ela" input transform:
 * - crops (centre or multi-crop): nothing from the pass; each crop computes the amplified
 *   error of its own pixels from the original and its re-compression;
 * - resize, fit "fill", a smoothing kernel, on an image more than 4× the input size: the pass
 *   averages the amplified error onto a grid 4× the input size, which the manifest's kernel
 *   then reduces. This is libvips' own strategy for large reductions (box shrink, then the
 *   kernel over the last factor ≤ 4) and avoids a full-resolution ELA image;
 * - otherwise (nearest kernel, fit "cover", or a small image): the full-resolution ELA image,
 *   resized exactly as `preprocess` does. On images up to 4× the input the grid IS the image,
 *   so these inputs are identical to `preprocess`'s.
 */
export type ElaInputPlan = { kind: 'crops' } | { kind: 'full' } | { kind: 'mean'; width: number; height: number };

/** Largest reduction left to the resize kernel after the pass's area average. */
const MEAN_GRID_FACTOR = 4;

export function elaInputPlan(manifest: ModelManifest, width: number, height: number): ElaInputPlan {
  const pre = manifest.preprocessing;
  if (pre.mode !== 'resize') return { kind: 'crops' };
  const smooth = (pre.resizeKernel ?? 'linear') !== 'nearest';
  if ((pre.resizeFit ?? 'fill') !== 'fill' || !smooth) return { kind: 'full' };
  return {
    kind: 'mean',
    width: Math.min(width, manifest.input.width * MEAN_GRID_FACTOR),
    height: Math.min(height, manifest.input.height * MEAN_GRID_FACTOR),
  };
}

/**
 * A model's input tensors from the products of the ELA pass at the model's elaQuality:
 * `recompressed` is the image re-saved at that quality and decoded, `planned` what the pass
 * built for `elaInputPlan(manifest, ...)` ('full' or 'mean'; ignored for crops).
 */
export async function preprocessFromElaPass(
  image: RgbSource,
  manifest: ModelManifest,
  recompressed: Uint8Array,
  planned: RgbSource | undefined,
): Promise<Float32Array[]> {
  const pre = manifest.preprocessing;
  if (pre.inputTransform !== 'ela' || pre.elaScale === undefined) throw new Error(`${manifest.id} does not take the ELA image as input`);
  const { width: cropW, height: cropH } = manifest.input;
  const luts = normalizationLuts(pre);
  if (pre.mode === 'resize') {
    if (!planned) throw new Error(`${manifest.id}: the ELA pass did not build the image this model resizes`);
    const small = await resized(planned, pre, cropW, cropH);
    return [cropToTensor(small, { x: 0, y: 0, mirror: false }, cropW, cropH, luts)];
  }
  const amplify = amplificationLut(pre.elaScale);
  const original = image.data;
  const ela = (i: number): number => {
    const d = original[i]! - recompressed[i]!;
    return amplify[d < 0 ? -d : d]!;
  };
  const canvas = paddedCanvas(image.width, image.height, cropW, cropH);
  return cropWindows(pre, canvas.width, canvas.height, cropW, cropH).map((w) => cropToTensor(image, w, cropW, cropH, luts, ela));
}

/** A face crop (already at the model's input size, see faces.ts) as a normalised tensor. */
export function faceTensor(crop: DecodedImage, manifest: ModelManifest): Float32Array {
  assertDecoded(crop);
  const { width, height } = manifest.input;
  if (crop.width !== width || crop.height !== height) throw new RangeError(`face crop is ${crop.width}x${crop.height}, the model expects ${width}x${height}`);
  return cropToTensor(crop, { x: 0, y: 0, mirror: false }, width, height, normalizationLuts(manifest.preprocessing));
}
