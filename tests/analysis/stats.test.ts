import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeElaStats, elaBlockSide } from '../../src/main/analysis';

/** Diff buffer for a width×height image where every pixel is `fill`, then overrides applied. */
function diffBuffer(
  width: number,
  height: number,
  fill: [number, number, number],
  overrides: Array<{ x: number; y: number; rgb: [number, number, number] }> = [],
): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) buf.set(fill, p * 3);
  for (const { x, y, rgb } of overrides) buf.set(rgb, (y * width + x) * 3);
  return buf;
}

/** Fills a rectangle of a diff buffer with one grey level. */
function fillRect(buf: Buffer, width: number, rect: { x: number; y: number; w: number; h: number }, level: number): void {
  for (let y = rect.y; y < rect.y + rect.h; y++) buf.fill(level, (y * width + rect.x) * 3, (y * width + rect.x + rect.w) * 3);
}

describe('computeElaStats', () => {
  it('matches hand-computed mean, p99, max and highShare', () => {
    // 20x10 = 200 pixels: 197 at (2,1,0), one each with max-channel 40, 50, 60 in different channels.
    const diff = diffBuffer(20, 10, [2, 1, 0], [
      { x: 3, y: 1, rgb: [40, 0, 0] },
      { x: 7, y: 4, rgb: [0, 50, 0] },
      { x: 19, y: 9, rgb: [0, 0, 60] },
    ]);
    const stats = computeElaStats(diff, 20, 10, { threshold: 10 });
    // Channel sum: 197*3 + 40 + 50 + 60 = 741 over 600 samples.
    assert.equal(stats.mean, 741 / 600);
    // Nearest rank ceil(0.99*200) = 198: sorted max-channel errors are 197 x 2, then 40, 50, 60.
    assert.equal(stats.p99, 40);
    assert.equal(stats.max, 60);
    assert.equal(stats.highShare, 3 / 200);
    // One 32-px block covers everything: nothing can stand out from itself.
    assert.equal(stats.topRegion, null);
  });

  it('counts only pixels strictly above the threshold as high, using the max channel', () => {
    // 4x2: max-channel errors 0, 3, 10, 11, 5, 255, 20, 9.
    const pixels: Array<[number, number, number]> = [
      [0, 0, 0], [1, 2, 3], [10, 0, 0], [0, 11, 0],
      [5, 5, 5], [0, 0, 255], [20, 1, 1], [3, 3, 9],
    ];
    const diff = Buffer.from(pixels.flat());
    const stats = computeElaStats(diff, 4, 2, { threshold: 10 });
    assert.equal(stats.highShare, 3 / 8); // 11, 255, 20; 10 itself is not above 10
    assert.equal(stats.mean, 334 / 24);
    assert.equal(stats.max, 255);
    assert.equal(stats.p99, 255); // rank ceil(7.92) = 8 of 8
    assert.equal(computeElaStats(diff, 4, 2, { threshold: 0 }).highShare, 7 / 8);
  });

  it('p99 equals the nearest-rank percentile of a sorted copy on random data', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
    const width = 123;
    const height = 77;
    const diff = Buffer.alloc(width * height * 3);
    for (let i = 0; i < diff.length; i++) diff[i] = Math.floor(rand() ** 4 * 256);
    const maxima: number[] = [];
    let sum = 0;
    for (let p = 0; p < width * height; p++) {
      maxima.push(Math.max(diff[p * 3]!, diff[p * 3 + 1]!, diff[p * 3 + 2]!));
      sum += diff[p * 3]! + diff[p * 3 + 1]! + diff[p * 3 + 2]!;
    }
    maxima.sort((a, b) => a - b);
    const stats = computeElaStats(diff, width, height, { threshold: 30 });
    assert.equal(stats.p99, maxima[Math.ceil(0.99 * maxima.length) - 1]);
    assert.equal(stats.max, maxima[maxima.length - 1]);
    assert.ok(Math.abs(stats.mean - sum / diff.length) < 1e-12);
    assert.equal(stats.highShare, maxima.filter((m) => m > 30).length / maxima.length);
  });

  it('finds a block-aligned hot square exactly', () => {
    const diff = Buffer.alloc(128 * 128 * 3);
    fillRect(diff, 128, { x: 64, y: 32, w: 64, h: 64 }, 40);
    const stats = computeElaStats(diff, 128, 128, { threshold: 10 });
    assert.deepEqual(stats.topRegion, { x: 64, y: 32, width: 64, height: 64, meanError: 40 });
  });

  it('reports the mean over the bounding box when the region is not rectangular', () => {
    // L-shaped region of three 32-px blocks at 40: its box also takes in one quiet block.
    const diff = Buffer.alloc(128 * 128 * 3);
    fillRect(diff, 128, { x: 0, y: 0, w: 64, h: 32 }, 40);
    fillRect(diff, 128, { x: 0, y: 32, w: 32, h: 32 }, 40);
    const stats = computeElaStats(diff, 128, 128, { threshold: 10 });
    assert.deepEqual(stats.topRegion, { x: 0, y: 0, width: 64, height: 64, meanError: 30 });
  });

  it('clips the region to the image at ragged right/bottom edges', () => {
    // 100x70: blocks of 32 leave a 4-px column and a 6-px row at the edges.
    const diff = diffBuffer(100, 70, [1, 1, 1]);
    fillRect(diff, 100, { x: 96, y: 64, w: 4, h: 6 }, 30);
    const stats = computeElaStats(diff, 100, 70, { threshold: 10 });
    assert.deepEqual(stats.topRegion, { x: 96, y: 64, width: 4, height: 6, meanError: 30 });
  });

  it('returns no region when nothing stands out', () => {
    assert.equal(computeElaStats(Buffer.alloc(256 * 192 * 3), 256, 192, { threshold: 10 }).topRegion, null);
    assert.equal(computeElaStats(diffBuffer(256, 192, [6, 6, 6]), 256, 192, { threshold: 10 }).topRegion, null);
  });

  it('keeps two separate hot spots apart and reports the stronger', () => {
    const diff = Buffer.alloc(256 * 256 * 3);
    fillRect(diff, 256, { x: 0, y: 0, w: 32, h: 32 }, 20);
    fillRect(diff, 256, { x: 160, y: 160, w: 64, h: 32 }, 30);
    const stats = computeElaStats(diff, 256, 256, { threshold: 10 });
    assert.deepEqual(stats.topRegion, { x: 160, y: 160, width: 64, height: 32, meanError: 30 });
  });

  it('grows blocks so the grid stays coarse on large images', () => {
    assert.equal(elaBlockSide(640, 480), 32);
    assert.equal(elaBlockSide(4000, 3000), 63);
    assert.ok(Math.ceil(12000 / elaBlockSide(12000, 9000)) <= 64);
  });

  it('rejects a buffer that does not match the size, and a bad threshold', () => {
    assert.throws(() => computeElaStats(Buffer.alloc(10), 2, 2, { threshold: 10 }), /expected 12/);
    assert.throws(() => computeElaStats(Buffer.alloc(12), 2, 2, { threshold: Number.NaN }), /threshold/);
    assert.throws(() => computeElaStats(Buffer.alloc(0), 0, 0, { threshold: 10 }), /positive/);
  });
});
