// Noise residuals with the three SRM high-pass filters used by RGB-N (Zhou et al., "Learning
// Rich Features for Image Manipulation Detection", CVPR 2018; the kernels come from Fridrich
// and Kodovský's spatial rich models). A pasted or retouched region usually carries a noise
// level or texture of its own, which these residuals expose while suppressing the content.
// Computed on the luminance at full resolution, before any resize, like ELA.
import type { DecodedImage } from '../ingest/decoded';

/** 5×5 kernels, row-major: a second-order 3×3 in a 5×5 frame (÷4), the "KV" kernel (÷12),
 *  and a horizontal second-order difference (÷2). */
export const SRM_KERNELS: readonly (readonly number[])[] = [
  [0, 0, 0, 0, 0, 0, -1, 2, -1, 0, 0, 2, -4, 2, 0, 0, -1, 2, -1, 0, 0, 0, 0, 0, 0].map((v) => v / 4),
  [-1, 2, -2, 2, -1, 2, -6, 8, -6, 2, -2, 8, -12, 8, -2, 2, -6, 8, -6, 2, -1, 2, -2, 2, -1].map((v) => v / 12),
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].map((v) => v / 2),
];

/**
 * A 3-channel 8-bit image: channel k = min(255, round(|SRM_k * Y| × scale)), Y the BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B), borders replicated.
 */
export function srmResidualImage(image: DecodedImage, scale: number): DecodedImage {
  const { width, height, data } = image;
  if (!(scale > 0)) throw new RangeError(`SRM residual scale must be > 0, got ${scale}`);
  // Luma with a 2-pixel replicated border, so the 5×5 loop needs no bounds checks.
  const pw = width + 4;
  const luma = new Float32Array(pw * (height + 4));
  for (let y = 0; y < height + 4; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - 2));
    for (let x = 0; x < pw; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - 2));
      const i = (sy * width + sx) * 3;
      luma[y * pw + x] = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    }
  }
  const [k1, k2, k3] = SRM_KERNELS;
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r1 = 0;
      let r2 = 0;
      let r3 = 0;
      for (let ky = 0; ky < 5; ky++) {
        const row = (y + ky) * pw + x;
        for (let kx = 0; kx < 5; kx++) {
          const v = luma[row + kx];
          const k = ky * 5 + kx;
          r1 += k1[k] * v;
          r2 += k2[k] * v;
          r3 += k3[k] * v;
        }
      }
      const o = (y * width + x) * 3;
      out[o] = Math.min(255, Math.round(Math.abs(r1) * scale));
      out[o + 1] = Math.min(255, Math.round(Math.abs(r2) * scale));
      out[o + 2] = Math.min(255, Math.round(Math.abs(r3) * scale));
    }
  }
  return { data: out, width, height, channels: 3 };
}
