// Amplification of unscaled errors for display and for detectors fed with ELA images.

/**
 * Lookup table level -> min(255, round(level × scale)). A table keeps the hot loops to one
 * indexed read per byte and makes the rounding identical everywhere it is used.
 */
export function amplificationLut(scale: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let level = 0; level < 256; level++) lut[level] = Math.min(255, Math.round(level * scale));
  return lut;
}
