/**
 * Pixels decoded once per evidence file and shared by every analysis and model:
 * 8-bit sRGB, 3 channels interleaved (RGBRGB...), EXIF orientation applied, alpha flattened
 * onto white, first frame only.
 */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}
