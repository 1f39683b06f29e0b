import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SRM_KERNELS, srmResidualImage } from '../../src/main/analysis/srmResidual';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { makeNaturalPixels } from '../fixtures/images';

function image(width: number, height: number, at: (x: number, y: number) => number): DecodedImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(at(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height, channels: 3 };
}

test('every SRM kernel is a high-pass filter: flat and linear images leave no residual', () => {
  for (const k of SRM_KERNELS) assert.ok(Math.abs(k.reduce((a, b) => a + b, 0)) < 1e-12, 'kernel sums to 0');
  const flat = srmResidualImage(image(16, 12, () => 130), 8);
  assert.ok(flat.data.every((v) => v === 0));
  // A horizontal ramp: every kernel is symmetric second-order, so a linear ramp cancels too (away from borders).
  const ramp = srmResidualImage(image(16, 12, (x) => 10 * x), 1);
  for (let y = 2; y < 10; y++) for (let x = 2; x < 14; x++) for (let c = 0; c < 3; c++) assert.equal(ramp.data[(y * 16 + x) * 3 + c], 0, `(${x},${y},${c})`);
});

test('a single bright pixel gives the kernels\' centre weights, scaled and clamped', () => {
  const dot = srmResidualImage(image(9, 9, (x, y) => (x === 4 && y === 4 ? 100 : 0)), 2);
  const at = (x: number, y: number, c: number) => dot.data[(y * 9 + x) * 3 + c];
  // Luma of (100,100,100) is 100 (0.299 + 0.587 + 0.114 = 1).
  assert.equal(at(4, 4, 0), Math.round((4 / 4) * 100 * 2)); // |−4/4 · 100| · 2 = 200
  assert.equal(at(4, 4, 1), 200); // |−12/12 · 100| · 2
  assert.equal(at(4, 4, 2), 200); // |−2/2 · 100| · 2
  assert.equal(at(5, 4, 2), 100); // horizontal neighbour: |1/2 · 100| · 2
  assert.equal(at(4, 5, 2), 0); // the third kernel is horizontal only
  const clamped = srmResidualImage(image(9, 9, (x, y) => (x === 4 && y === 4 ? 255 : 0)), 8);
  assert.equal(clamped.data[(4 * 9 + 4) * 3], 255);
});

test('noise lights the residual up, smooth content does not', () => {
  const w = 64;
  const smooth = srmResidualImage(image(w, w, (x, y) => Math.round(100 + 50 * Math.sin(x / 10) * Math.cos(y / 12))), 8);
  const noisy = srmResidualImage({ data: makeNaturalPixels(w, w, 3), width: w, height: w, channels: 3 }, 8);
  const mean = (img: DecodedImage) => img.data.reduce((a, b) => a + b, 0) / img.data.length;
  assert.ok(mean(noisy) > 4 * mean(smooth) + 1, `noisy ${mean(noisy)} vs smooth ${mean(smooth)}`);
  assert.throws(() => srmResidualImage(noisy, 0), /scale must be > 0/);
});
