import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  DEFAULT_ELA_PARAMETERS,
  computeElaStats,
  elaDifference,
  elaDifferenceImage,
  runEla,
  validateElaParameters,
} from '../../src/main/analysis';
import type { ElaResult } from '../../src/contract/evidence';
import { EvidenceError } from '../../src/main/errors';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { decodeFile, jpegRoundTrip, pasteRect, texturedImage } from './synthetic';

type Rect = { x: number; y: number; width: number; height: number };

function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = w > 0 && h > 0 ? w * h : 0;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Mean per-pixel max-channel error inside and outside a rectangle. */
function meanMaxInsideOutside(diff: Buffer, width: number, height: number, rect: Rect): { inside: number; outside: number } {
  let inSum = 0;
  let inCount = 0;
  let outSum = 0;
  let outCount = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const m = Math.max(diff[i]!, diff[i + 1]!, diff[i + 2]!);
      if (x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height) {
        inSum += m;
        inCount++;
      } else {
        outSum += m;
        outCount++;
      }
    }
  }
  return { inside: inSum / inCount, outside: outSum / outCount };
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-ela-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ELA on a spliced image', () => {
  const width = 384;
  const height = 288;
  const pasted: Rect = { x: 190, y: 90, width: 120, height: 100 };
  let spliced: DecodedImage;
  let result: ElaResult;
  let diff: Buffer;

  before(async () => {
    // A photo saved as JPEG q70, opened and saved again at q70 ...
    const photo = await jpegRoundTrip(await jpegRoundTrip(texturedImage(width, height, 1), 70), 70);
    // ... gets a never-compressed patch from another picture, and is saved losslessly.
    pasteRect(photo, texturedImage(width, height, 2), pasted);
    const pngPath = path.join(dir, 'spliced.png');
    await sharp(photo.data, { raw: { width, height, channels: 3 } }).png().toFile(pngPath);
    spliced = await decodeFile(pngPath);
    result = await runEla(spliced, DEFAULT_ELA_PARAMETERS);
    diff = await elaDifference(spliced, DEFAULT_ELA_PARAMETERS.quality);
  });

  it('shows more error inside the pasted rectangle than outside', () => {
    const { inside, outside } = meanMaxInsideOutside(diff, width, height, pasted);
    assert.ok(inside > 2 * outside, `inside ${inside.toFixed(2)} vs outside ${outside.toFixed(2)}`);
  });

  it('puts topRegion on the pasted rectangle', () => {
    const region = result.stats.topRegion;
    assert.ok(region, 'expected a top region');
    const overlap = iou(region, pasted);
    assert.ok(overlap > 0.3, `IoU ${overlap.toFixed(2)} with region ${JSON.stringify(region)}`);
    const { outside } = meanMaxInsideOutside(diff, width, height, region);
    assert.ok(region.meanError > outside, `region ${region.meanError.toFixed(2)} vs rest ${outside.toFixed(2)}`);
    // meanError is the mean max-channel error over exactly the reported box.
    const { inside } = meanMaxInsideOutside(diff, width, height, region);
    assert.ok(Math.abs(region.meanError - inside) < 1e-9);
  });

  it('reports the statistics of the same difference', () => {
    assert.deepEqual(result.stats, computeElaStats(diff, width, height, DEFAULT_ELA_PARAMETERS));
    assert.deepEqual(result.parameters, DEFAULT_ELA_PARAMETERS);
    assert.deepEqual(Object.keys(result).sort(), ['parameters', 'stats'], 'no heatmap paths unless asked');
  });
});

describe('elaDifference', () => {
  const original = texturedImage(320, 240, 7);

  it('is much lower for an image already saved at the ELA quality than for a never-compressed one', async () => {
    const neverCompressed = computeElaStats(await elaDifference(original, 90), 320, 240, { threshold: 10 });
    const savedAt90 = await jpegRoundTrip(original, 90);
    const resaved = computeElaStats(await elaDifference(savedAt90, 90), 320, 240, { threshold: 10 });
    assert.ok(neverCompressed.mean > 1, `never-compressed mean ${neverCompressed.mean}`);
    assert.ok(resaved.mean < 0.3 * neverCompressed.mean, `q90 mean ${resaved.mean} vs ${neverCompressed.mean}`);
    assert.ok(resaved.highShare < neverCompressed.highShare);
  });

  it('returns one byte per input sample, non-zero for a never-compressed image', async () => {
    const diff = await elaDifference(original, 75);
    assert.equal(diff.length, original.data.length);
    assert.ok(diff.some((v) => v > 0));
  });

  it('is deterministic', async () => {
    const a = await elaDifference(original, 90);
    const b = await elaDifference(original, 90);
    assert.ok(a.equals(b));
    const imgA = await elaDifferenceImage(original, 90, 15);
    const imgB = await elaDifferenceImage(original, 90, 15);
    assert.ok(imgA.data.equals(imgB.data));
  });

  it('does not modify the input pixels', async () => {
    const copy = Buffer.from(original.data);
    await runEla(original, DEFAULT_ELA_PARAMETERS);
    assert.ok(original.data.equals(copy));
  });

  it('gives a higher error at lower re-save quality', async () => {
    const q95 = computeElaStats(await elaDifference(original, 95), 320, 240, { threshold: 10 });
    const q50 = computeElaStats(await elaDifference(original, 50), 320, 240, { threshold: 10 });
    assert.ok(q50.mean > q95.mean);
  });
});

describe('elaDifferenceImage', () => {
  it('is the difference times scale, rounded and clamped to 255', async () => {
    const image = texturedImage(160, 120, 3, { noise: 10 });
    const diff = await elaDifference(image, 80);
    for (const scale of [15, 2.5]) {
      const ela = await elaDifferenceImage(image, 80, scale);
      assert.equal(ela.width, 160);
      assert.equal(ela.height, 120);
      assert.equal(ela.channels, 3);
      const expected = Buffer.from(diff.map((d) => Math.min(255, Math.round(d * scale))));
      assert.ok(ela.data.equals(expected), `scale ${scale}`);
    }
    const saturated = await elaDifferenceImage(image, 80, 15);
    assert.ok(saturated.data.includes(255), 'strong errors clamp at 255');
  });
});

describe('ELA heatmap files from runEla', () => {
  it('writes both PNGs into folders it creates and returns their paths', async () => {
    const image = texturedImage(200, 100, 11);
    const heatmapPath = path.join(dir, 'nested', 'a', 'heatmap.png');
    const previewPath = path.join(dir, 'nested', 'b', 'preview.png');
    const result = await runEla(image, { ...DEFAULT_ELA_PARAMETERS, previewMaxSide: 50 }, { heatmapPath, previewPath });
    assert.equal(result.heatmapPath, heatmapPath);
    assert.equal(result.previewPath, previewPath);
    const full = await sharp(heatmapPath).metadata();
    const preview = await sharp(previewPath).metadata();
    assert.deepEqual([full.format, full.width, full.height], ['png', 200, 100]);
    assert.deepEqual([preview.format, preview.width, preview.height], ['png', 50, 25]);
  });
});

describe('ELA parameter and input validation', () => {
  const image = texturedImage(64, 64, 5);
  const bad: Array<[Partial<Record<keyof typeof DEFAULT_ELA_PARAMETERS, unknown>>, RegExp]> = [
    [{ quality: 0 }, /quality must be a whole number from 1 to 100, got 0/],
    [{ quality: 101 }, /quality/],
    [{ quality: 90.5 }, /quality/],
    [{ quality: Number.NaN }, /quality/],
    [{ quality: '90' }, /quality.*string "90"/],
    [{ scale: 0 }, /scale \(amplification\) must be a finite number above 0/],
    [{ scale: -3 }, /scale/],
    [{ scale: Number.POSITIVE_INFINITY }, /scale/],
    [{ threshold: -1 }, /threshold must be a number from 0 to 255/],
    [{ threshold: 256 }, /threshold/],
    [{ previewMaxSide: 0 }, /previewMaxSide/],
    [{ previewMaxSide: 10.5 }, /previewMaxSide/],
  ];
  for (const [override, message] of bad) {
    it(`rejects ${JSON.stringify(override, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, async () => {
      const params = { ...DEFAULT_ELA_PARAMETERS, ...override } as typeof DEFAULT_ELA_PARAMETERS;
      await assert.rejects(runEla(image, params), (err: unknown) => err instanceof RangeError && message.test(err.message));
    });
  }

  it('accepts the defaults and the extremes, dropping unknown keys', () => {
    assert.deepEqual(validateElaParameters({ ...DEFAULT_ELA_PARAMETERS }), DEFAULT_ELA_PARAMETERS);
    const extremes = { quality: 1, scale: 0.01, threshold: 0, previewMaxSide: 1 };
    assert.deepEqual(validateElaParameters({ ...extremes, extra: true } as typeof extremes), extremes);
    assert.deepEqual(validateElaParameters({ quality: 100, scale: 1, threshold: 255, previewMaxSide: 8000 }).threshold, 255);
  });

  it('rejects a bad quality in elaDifference and a bad scale in elaDifferenceImage', async () => {
    await assert.rejects(elaDifference(image, 0), /quality/);
    await assert.rejects(elaDifferenceImage(image, 90, 0), /scale/);
  });

  it('rejects pixels that do not match the stated size', async () => {
    const broken: DecodedImage = { data: Buffer.alloc(10), width: 64, height: 64, channels: 3 };
    await assert.rejects(elaDifference(broken, 90), /12288 bytes for 64x64\), got 10 bytes/);
  });

  it('reports images too wide for JPEG as TOO_LARGE', async () => {
    const wide: DecodedImage = { data: Buffer.alloc(65501 * 3), width: 65501, height: 1, channels: 3 };
    await assert.rejects(elaDifference(wide, 90), (err: unknown) => err instanceof EvidenceError && err.code === 'TOO_LARGE');
  });
});
