import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { makeJpegBuffer, makeNaturalPixels, pngWithClaimedSize } from '../fixtures/images';

test('the synthetic scene is deterministic by seed', async () => {
  assert.ok(makeNaturalPixels(64, 48, 9).equals(makeNaturalPixels(64, 48, 9)));
  assert.ok(!makeNaturalPixels(64, 48, 9).equals(makeNaturalPixels(64, 48, 10)));
  const a = await makeJpegBuffer({ width: 64, height: 48, seed: 9, quality: 80 });
  const b = await makeJpegBuffer({ width: 64, height: 48, seed: 9, quality: 80 });
  assert.ok(a.equals(b), 'same spec, same JPEG bytes');
});

test('the scene has texture, not flat colour', async () => {
  const px = makeNaturalPixels(320, 240, 3);
  const stats = await sharp(px, { raw: { width: 320, height: 240, channels: 3 } }).stats();
  for (const channel of stats.channels) assert.ok(channel.stdev > 15, `channel stdev ${channel.stdev}`);
  assert.ok(stats.entropy > 5, `entropy ${stats.entropy}`);
  // Neighbouring samples differ (noise and fine texture): a flat or purely smooth image gives ~0.
  let diff = 0;
  for (let i = 3; i < px.length; i++) diff += Math.abs(px[i] - px[i - 3]);
  assert.ok(diff / px.length > 2, `mean neighbour difference ${diff / px.length}`);
});

test('the decompression-bomb PNG is tiny and claims its size in a valid header', async () => {
  const png = pngWithClaimedSize(50000, 50000);
  assert.equal(png.length, 68);
  const header = await sharp(png, { limitInputPixels: false }).metadata();
  assert.deepEqual([header.format, header.width, header.height], ['png', 50000, 50000]);
});
