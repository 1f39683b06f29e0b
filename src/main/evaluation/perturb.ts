// Perturbations for the robustness sweep, applied in memory to pixels already decoded (never to
// the files): re-compression as JPEG, Gaussian blur, downscaling — the degradations images meet
// on their way through social media, and the ones Wang et al. 2020 test against.
import sharp, { type Sharp } from 'sharp';
import type { Perturbation, PerturbationKind, RobustnessLevels } from '../../contract/evaluation';
import type { DecodedImage } from '../ingest/decoded';

/** The levels used when none are given (Wang et al. 2020 sweep JPEG and blur over similar ranges). */
export const DEFAULT_ROBUSTNESS_LEVELS: Readonly<RobustnessLevels> = Object.freeze({
  jpeg: [100, 90, 75, 50, 30],
  blur: [0, 0.5, 1, 2, 3],
  downscale: [1, 0.75, 0.5],
});

export const PERTURBATION_PARAMETER: Readonly<Record<PerturbationKind, 'quality' | 'sigma' | 'factor'>> = {
  jpeg: 'quality',
  blur: 'sigma',
  downscale: 'factor',
};

/** libvips' Gaussian blur needs σ ≥ 0.3; below that the kernel is a single pixel anyway. */
const MIN_BLUR_SIGMA = 0.3;

/** Throws a RangeError naming the bad level; returns the levels otherwise. */
export function checkLevels(levels: RobustnessLevels): RobustnessLevels {
  for (const q of levels.jpeg) if (!(Number.isInteger(q) && q >= 1 && q <= 100)) throw new RangeError(`JPEG quality levels must be whole numbers 1..100, got ${q}`);
  for (const s of levels.blur) if (!(s === 0 || (s >= MIN_BLUR_SIGMA && s <= 100))) throw new RangeError(`blur σ must be 0 (none) or between ${MIN_BLUR_SIGMA} and 100, got ${s}`);
  for (const f of levels.downscale) if (!(f > 0 && f <= 1)) throw new RangeError(`downscale factors must be in (0, 1], got ${f}`);
  return levels;
}

/** True when the level leaves the pixels as they are (σ 0, factor 1): its scores are the clean ones. */
export function isIdentity(p: Perturbation): boolean {
  return (p.kind === 'blur' && p.value === 0) || (p.kind === 'downscale' && p.value === 1);
}

function raw(image: DecodedImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, limitInputPixels: false });
}

async function toDecoded(pipeline: Sharp): Promise<DecodedImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`perturbation produced ${info.channels} channels, expected 3`);
  return { data, width: info.width, height: info.height, channels: 3 };
}

/**
 * The image after one perturbation:
 *   jpeg q      encode at quality q (libjpeg tables, 4:2:0 chroma subsampling as PIL's default), decode;
 *   blur σ      Gaussian blur with standard deviation σ pixels;
 *   downscale f resize to round(f × size) with a Lanczos-3 kernel.
 */
export async function perturb(image: DecodedImage, p: Perturbation): Promise<DecodedImage> {
  if (isIdentity(p)) return image;
  switch (p.kind) {
    case 'jpeg': {
      const jpeg = await raw(image).jpeg({ quality: p.value, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
      return toDecoded(sharp(jpeg));
    }
    case 'blur':
      return toDecoded(raw(image).blur(p.value));
    case 'downscale': {
      const width = Math.max(1, Math.round(image.width * p.value));
      const height = Math.max(1, Math.round(image.height * p.value));
      return toDecoded(raw(image).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }));
    }
  }
}

/** Every level as a perturbation, axis by axis, in the order given. */
export function perturbationsOf(levels: RobustnessLevels): Perturbation[] {
  return (['jpeg', 'blur', 'downscale'] as const).flatMap((kind) => levels[kind].map((value) => ({ kind, value })));
}
