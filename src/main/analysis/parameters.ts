// ELA settings: defaults and the checks that turn a bad setting into a message the user can fix.

import type { ElaParameters } from '../../contract/evidence';

/**
 * Defaults that suit camera JPEGs: re-save at 90 (below typical camera quality, so untouched
 * areas settle quickly), amplify 15× so a 10-level error is clearly visible, count errors above
 * 10 levels as "high", and keep previews light enough for the UI and reports.
 */
export const DEFAULT_ELA_PARAMETERS: Readonly<ElaParameters> = Object.freeze({
  quality: 90,
  scale: 15,
  threshold: 10,
  previewMaxSide: 1024,
});

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value)}`;
}

export function assertElaQuality(quality: unknown): asserts quality is number {
  if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new RangeError(`ELA quality must be a whole number from 1 to 100, got ${describe(quality)}.`);
  }
}

export function assertElaScale(scale: unknown): asserts scale is number {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`ELA scale (amplification) must be a finite number above 0, got ${describe(scale)}.`);
  }
}

export function assertElaThreshold(threshold: unknown): asserts threshold is number {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 255) {
    throw new RangeError(`ELA threshold must be a number from 0 to 255 (unscaled error), got ${describe(threshold)}.`);
  }
}

export function assertPreviewMaxSide(side: unknown): asserts side is number {
  if (typeof side !== 'number' || !Number.isInteger(side) || side < 1) {
    throw new RangeError(`ELA previewMaxSide must be a whole number of pixels of at least 1, got ${describe(side)}.`);
  }
}

/** Checks every field and returns a clean copy (extra keys dropped); throws RangeError naming the bad field. */
export function validateElaParameters(params: ElaParameters): ElaParameters {
  if (typeof params !== 'object' || params === null) {
    throw new TypeError('ELA parameters must be an object with quality, scale, threshold and previewMaxSide.');
  }
  assertElaQuality(params.quality);
  assertElaScale(params.scale);
  assertElaThreshold(params.threshold);
  assertPreviewMaxSide(params.previewMaxSide);
  return {
    quality: params.quality,
    scale: params.scale,
    threshold: params.threshold,
    previewMaxSide: params.previewMaxSide,
  };
}
