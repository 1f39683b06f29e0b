import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  channelHistograms,
  elaDisplay,
  INFERNO_LUT,
  levelSweep,
  levelSweepLut,
  luminanceGradient,
  magnify,
  pcaBasis,
  pcaProjection,
  symmetricEigen3,
  type PixelImage,
} from '../../src/shared';
import { decode, encodeJpeg, naturalImage } from '../fixtures/forgeries';

const rgbaAt = (img: { width: number; data: Uint8ClampedArray }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

describe('instant filters shared with the renderer', () => {
  it('histograms count every pixel and reveal the gaps a levels stretch leaves (combing)', async () => {
    const photo = await decode(await encodeJpeg(naturalImage(160, 120, 3), 92));
    const plain = channelHistograms(photo);
    assert.equal(plain.red.reduce((a, b) => a + b, 0), 160 * 120);
    // Stretch levels 64..191 to 0..255: every other level stays empty.
    const stretched = { ...photo, data: Buffer.from(photo.data.map((v) => Math.max(0, Math.min(255, Math.round((v - 64) * 2))))) };
    const combed = channelHistograms(stretched);
    assert.ok(combed.stats.green.emptyInRange > 0.4, `combing ${combed.stats.green.emptyInRange}`);
    assert.ok(plain.stats.green.emptyInRange < 0.1, `a photo has no combing (${plain.stats.green.emptyInRange})`);
    assert.ok(combed.stats.red.clippedHigh > plain.stats.red.clippedHigh);
  });

  it('luminance gradient encodes direction: a left-to-right ramp is red, not green', () => {
    const w = 32, h = 16;
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 8, x * 8, x * 8, 255], (y * w + x) * 4);
    const g = luminanceGradient({ width: w, height: h, channels: 4, data }, { intensity: 4, mode: 'direction' });
    const [r, gg, b] = rgbaAt(g, 16, 8);
    assert.ok(r! > 180 && Math.abs(gg! - 128) <= 1 && b! > 50, `${r} ${gg} ${b}`);
  });

  it('level sweep stretches only the chosen band', () => {
    const lut = levelSweepLut(100, 20);
    assert.equal(lut[89], 0);
    assert.equal(lut[90], 0);
    assert.equal(lut[100], 128);
    assert.equal(lut[110], 255);
    const img: PixelImage = { width: 2, height: 1, channels: 3, data: [95, 100, 105, 200, 0, 101] };
    const out = levelSweep(img, { position: 100, width: 20, mode: 'colour' });
    assert.deepEqual(rgbaAt(out, 0, 0), [64, 128, 191, 255]);
    assert.deepEqual(rgbaAt(out, 1, 0), [255, 0, 140, 255]);
  });

  it('PCA finds the colour axis of a two-colour picture and separates a differently tinted patch', () => {
    const w = 64, h = 64;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      const t = (i % w) / w; // brightness ramp along a grey axis
      const v = 60 + 140 * t;
      data.set([v, v, v], i * 3);
    }
    // A patch of the same brightness but a slight blue cast.
    for (let y = 20; y < 30; y++) for (let x = 20; x < 30; x++) { const i = (y * w + x) * 3; data[i + 2] = Math.min(255, data[i + 2]! + 12); }
    const image = { width: w, height: h, channels: 3 as const, data };
    const basis = pcaBasis(image);
    const axis = basis.components[0];
    assert.ok(Math.abs(Math.abs(axis[0]) - 1 / Math.sqrt(3)) < 0.05, 'first component ≈ grey axis');
    const second = pcaProjection(image, basis, { component: 2, mode: 'projection', contrast: 1, invert: false });
    assert.ok(Math.abs(rgbaAt(second, 25, 25)[0]! - 127.5) > 100, 'the tinted patch stands out on the second component');
    assert.ok(Math.abs(rgbaAt(second, 50, 50)[0]! - 127.5) < 10, 'the rest sits at mid-grey');
    const offAxis = pcaProjection(image, basis, { component: 1, mode: 'distance', contrast: 1, invert: false });
    assert.ok(rgbaAt(offAxis, 25, 25)[0]! > rgbaAt(offAxis, 50, 50)[0]! + 100, 'and far from the main axis');
    const { values } = symmetricEigen3([[2, 0, 0], [0, 3, 0], [0, 0, 1]]);
    assert.deepEqual(values.map((v) => Math.round(v)), [3, 2, 1]);
  });

  it('ELA display matches the engine heatmap colours at contrast 1 and lifts faint errors above 1', () => {
    const diff = Uint8Array.from([2, 1, 0, 10, 0, 0]);
    const out = elaDisplay(diff, 2, 1, { scale: 15, contrast: 1, mode: 'heatmap' });
    const level = Math.round(2 * 15);
    assert.deepEqual(rgbaAt(out, 0, 0).slice(0, 3), [INFERNO_LUT[level * 3], INFERNO_LUT[level * 3 + 1], INFERNO_LUT[level * 3 + 2]]);
    const lifted = elaDisplay(diff, 2, 1, { scale: 15, contrast: 2, mode: 'colour' });
    assert.ok(rgbaAt(lifted, 0, 0)[0]! > 30);
  });

  it('the magnifier enlarges pixels without smoothing and marks outside as transparent', async () => {
    const img = await decode(await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toBuffer());
    const lens = magnify(img, { x: 0, y: 0, side: 3, zoom: 4 });
    assert.equal(lens.width, 12);
    assert.deepEqual(rgbaAt(lens, 0, 0), [0, 0, 0, 0], 'outside the picture');
    assert.deepEqual(rgbaAt(lens, 11, 11), [10, 20, 30, 255]);
    assert.throws(() => magnify(img, { x: 0, y: 0, side: 3, zoom: 1.5 }), RangeError);
  });
});
