// Heatmaps of localisation models: stored as bytes with the score, resampled onto the image,
// rendered as a transparent overlay, and measured against ground-truth masks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { LocalizationMap } from '../../src/contract/evidence';
import { localizationMetrics, readMask } from '../../src/main/evaluation/localization';
import { decodeLocalization, renderLocalizationOverlay, resampleLocalization } from '../../src/main/inference/localization';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-localization-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A w×h map, 1 inside the cell rectangle [x0, x1) × [y0, y1), 0 elsewhere, covering the whole image. */
function map(w: number, h: number, imageW: number, imageH: number, x0: number, y0: number, x1: number, y1: number): LocalizationMap {
  const bytes = Buffer.alloc(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) bytes[y * w + x] = 255;
  return { output: 'heatmap', width: w, height: h, values: bytes.toString('base64'), region: { x: 0, y: 0, width: imageW, height: imageH }, max: 1, share: ((x1 - x0) * (y1 - y0)) / (w * h) };
}

async function maskFile(name: string, width: number, height: number, x0: number, y0: number, x1: number, y1: number): Promise<string> {
  const data = Buffer.alloc(width * height);
  for (let y = y0; y < y1; y++) data.fill(255, y * width + x0, y * width + x1);
  const path = join(tmp, name);
  await sharp(data, { raw: { width, height, channels: 1 } }).png().toFile(path);
  return path;
}

test('a map decodes to probabilities and resamples onto the image', () => {
  const m = map(4, 4, 80, 40, 2, 0, 4, 4); // right half tampered
  assert.deepEqual([...decodeLocalization(m)].slice(0, 4), [0, 0, 1, 1]);
  const p = resampleLocalization(m, 80, 40, 80, 40);
  assert.equal(p[10 * 80 + 5], 0, 'far left');
  assert.equal(p[10 * 80 + 75], 1, 'far right');
  const mid = p[10 * 80 + 39];
  assert.ok(mid > 0 && mid < 1, `bilinear across the boundary, got ${mid}`);
  // A map covering only a crop of the image is 0 outside it.
  const crop = { ...map(2, 2, 20, 20, 0, 0, 2, 2), region: { x: 10, y: 0, width: 20, height: 20 } };
  const q = resampleLocalization(crop, 40, 20, 40, 20);
  assert.equal(q[5], 0);
  assert.equal(q[20], 1);
});

test('the overlay is a transparent PNG of the image aspect, coloured only where the model sees an edit', async () => {
  const png = await renderLocalizationOverlay(map(8, 8, 2000, 1000, 0, 0, 4, 8), 2000, 1000, 512);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [512, 256, 4]);
  assert.equal(data[(128 * 512 + 500) * 4 + 3], 0, 'untouched half is transparent');
  assert.ok(data[(128 * 512 + 20) * 4 + 3] > 150, 'flagged half is opaque');
});

test('pixel F1 and IoU against masks; false heat on authentic images', async () => {
  const mask = await maskFile('mask.png', 64, 64, 0, 0, 32, 64); // left half tampered
  const perfect = map(8, 8, 64, 64, 0, 0, 4, 8);
  const inverted = map(8, 8, 64, 64, 4, 0, 8, 8);
  const half = map(8, 8, 64, 64, 0, 0, 2, 8); // a quarter of the image, all inside the truth
  const m = await localizationMetrics([
    { path: 'a', label: 1, maskPath: mask, width: 64, height: 64, map: perfect },
    { path: 'b', label: 1, maskPath: mask, width: 64, height: 64, map: inverted },
    { path: 'c', label: 1, maskPath: mask, width: 64, height: 64, map: half },
    { path: 'd', label: 0, width: 64, height: 64, map: inverted },
    { path: 'e', label: 0, width: 64, height: 64, map: map(8, 8, 64, 64, 0, 0, 0, 0) },
    { path: 'f', label: 1, width: 64, height: 64, map: perfect }, // no mask: not in the pixel metrics
  ]);
  assert.equal(m.images, 3);
  const [a, b, c] = m.perImage;
  assert.ok(a.f1 > 0.95 && a.iou > 0.9, JSON.stringify(a));
  assert.equal(b.f1, 0);
  // Predicted 16 of 32 columns, all correct: precision 1, recall ~0.5 → F1 ~ 2/3, IoU ~ 1/2.
  assert.ok(Math.abs(c.f1 - 2 / 3) < 0.06 && Math.abs(c.iou - 0.5) < 0.06, JSON.stringify(c));
  assert.ok(Math.abs(m.f1! - (a.f1 + b.f1 + c.f1) / 3) < 1e-12);
  assert.equal(m.authenticImages, 2);
  assert.ok(Math.abs(m.authenticFlaggedShare! - 0.25) < 0.03, `half of one authentic image flagged, none of the other: ${m.authenticFlaggedShare}`);
  assert.ok(m.bestF1! >= m.f1!);
  const read = await readMask(mask);
  assert.equal(read.data.filter((v) => v === 1).length, 32 * 64);
});

test('no masks, no pixel metrics, and a note saying so', async () => {
  const m = await localizationMetrics([{ path: 'x', label: 1, width: 10, height: 10, map: map(2, 2, 10, 10, 0, 0, 1, 1) }]);
  assert.equal(m.images, 0);
  assert.equal(m.f1, null);
  assert.match(m.notes.join(' '), /no tampered image with a mask/);
});
