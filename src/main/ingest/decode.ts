import sharp from 'sharp';
import { EvidenceError } from '../errors';
import type { DecodedImage } from './decoded';
import { evidenceErrorFromSharp, tooManyPixelsError } from './imageErrors';
import { sniffFormat } from './sniff';

export interface DecodeOptions {
  /** Refuse images with more pixels (width × height of the first frame) than this. */
  maxPixels: number;
  /** Used in error messages only. */
  fileName?: string;
}

/**
 * Decodes the first frame of an image into the one pixel layout every analysis shares:
 * 8-bit sRGB, 3 channels, EXIF orientation applied, transparency flattened onto white.
 *
 * `failOn: 'error'` makes libvips stop on a truncated stream ("premature end of JPEG image")
 * instead of padding the missing rows with grey, which would hand the detectors a picture that
 * is not in the file. It still accepts the harmless warnings many camera files trigger.
 */
export async function decodeImage(bytes: Buffer, opts: DecodeOptions): Promise<DecodedImage> {
  const fileName = opts.fileName ?? 'The image';
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: opts.maxPixels,
      failOn: 'error',
      pages: 1,
      page: 0,
    })
      .autoOrient()
      // CMYK (through its ICC profile, or libvips' built-in one), 16-bit, grey: all become 8-bit sRGB.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new EvidenceError(
        'INTERNAL',
        `${fileName} decoded to ${info.channels} channels of ${info.width} × ${info.height}, expected 3-channel RGB.`,
      );
    }
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    if (err instanceof EvidenceError) throw err;
    if (err instanceof Error && /exceeds pixel limit/i.test(err.message)) {
      const header = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => null);
      if (header) throw tooManyPixelsError(fileName, header.width, header.height, opts.maxPixels);
    }
    throw evidenceErrorFromSharp(err, bytes, sniffFormat(bytes), fileName);
  }
}
