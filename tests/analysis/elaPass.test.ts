// The single ELA pass must give exactly what the straightforward implementation gives: the
// difference buffer, computeElaStats over it, a per-cell maximum for the preview, the amplified
// difference and its per-cell mean. Compared here on real images: JPEGs written by sharp at odd
// and large sizes, a splice, and (when ../shared is present) camera originals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  DEFAULT_ELA_PARAMETERS,
  ElaScratch,
  amplificationLut,
  computeElaStats,
  elaDifference,
  elaDifferenceImage,
  elaPass,
  elaPreviewSize,
  infernoColour,
  jpegRecompression,
  runEla,
  runElaWith,
  withElaScratch,
  writeElaHeatmap,
} from '../../src/main/analysis';
import { decodeImage } from '../../src/main/ingest';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { makeJpeg } from '../fixtures/images';
import { decodeFile, jpegRoundTrip, pasteRect, texturedImage } from './synthetic';

const SHARED_CAMERAS = path.resolve(import.meta.dirname, '../../../shared/datasets/cameras');

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-elapass-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Pixels x of a row of `size` cells over `n` pixels that fall into cell c: [ceil(c*n/size), ceil((c+1)*n/size)). */
function cellRange(c: number, size: number, n: number): [number, number] {
  return [Math.ceil((c * n) / size), Math.ceil(((c + 1) * n) / size)];
}

/** Straightforward preview: for every cell, the maximum of the per-pixel max-channel error inside it. */
function referencePreview(diff: Buffer, width: number, height: number, maxSide: number) {
  const size = elaPreviewSize(width, height, maxSide);
  const levels = new Uint8Array(size.width * size.height);
  for (let cy = 0; cy < size.height; cy++) {
    const [y0, y1] = cellRange(cy, size.height, height);
    for (let cx = 0; cx < size.width; cx++) {
      const [x0, x1] = cellRange(cx, size.width, width);
      let max = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let k = 0; k < 3; k++) max = Math.max(max, diff[(y * width + x) * 3 + k]!);
      levels[cy * size.width + cx] = max;
    }
  }
  return { levels, ...size };
}

/** Straightforward area average of the amplified difference over a gw×gh grid. */
function referenceMean(amplified: Buffer, width: number, height: number, gw: number, gh: number): Uint8Array {
  const out = new Uint8Array(gw * gh * 3);
  for (let cy = 0; cy < gh; cy++) {
    const [y0, y1] = cellRange(cy, gh, height);
    for (let cx = 0; cx < gw; cx++) {
      const [x0, x1] = cellRange(cx, gw, width);
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += amplified[(y * width + x) * 3 + k]!;
        out[(cy * gw + cx) * 3 + k] = Math.round(sum / ((x1 - x0) * (y1 - y0)));
      }
    }
  }
  return out;
}

async function compareWithReference(name: string, image: DecodedImage): Promise<void> {
  const { width, height } = image;
  const params = { ...DEFAULT_ELA_PARAMETERS, previewMaxSide: 200 };
  const diff = await elaDifference(image, params.quality);
  const recompressed = await jpegRecompression(image, params.quality);
  const scratch = new ElaScratch();

  const plain = elaPass(image.data, recompressed, width, height, { threshold: params.threshold, previewMaxSide: params.previewMaxSide }, scratch);
  assert.deepEqual(plain.stats, computeElaStats(diff, width, height, params), `${name}: statistics`);
  const preview = referencePreview(diff, width, height, params.previewMaxSide);
  assert.deepEqual([plain.preview.width, plain.preview.height], [preview.width, preview.height], `${name}: preview size`);
  assert.ok(Buffer.from(plain.preview.levels).equals(Buffer.from(preview.levels)), `${name}: preview cells`);

  const scale = 10;
  const amplifiedRef = (await elaDifferenceImage(image, params.quality, scale)).data;
  const full = elaPass(image.data, recompressed, width, height, { ...params, modelImage: { kind: 'full', amplify: amplificationLut(scale) } }, scratch);
  assert.deepEqual(full.stats, plain.stats, `${name}: statistics with the full model image`);
  assert.ok(Buffer.from(full.modelImage!.data).equals(amplifiedRef), `${name}: amplified difference`);

  const gw = Math.min(width, 37);
  const gh = Math.min(height, 23);
  const mean = elaPass(image.data, recompressed, width, height, { ...params, modelImage: { kind: 'mean', amplify: amplificationLut(scale), width: gw, height: gh } }, scratch);
  assert.deepEqual(mean.stats, plain.stats, `${name}: statistics with the mean grid`);
  assert.deepEqual([mean.modelImage!.width, mean.modelImage!.height], [gw, gh]);
  assert.ok(Buffer.from(mean.modelImage!.data).equals(Buffer.from(referenceMean(amplifiedRef, width, height, gw, gh))), `${name}: mean grid`);
}

describe('single ELA pass against the straightforward implementation', () => {
  it('agrees on JPEGs of odd, portrait and multi-block sizes', { timeout: 300_000 }, async () => {
    const sizes: Array<[number, number, number]> = [
      [1, 1, 90],
      [7, 5, 75],
      [257, 129, 85],
      [130, 611, 95],
      [1603, 1201, 88],
    ];
    for (const [width, height, quality] of sizes) {
      const file = path.join(dir, `photo-${width}x${height}.jpg`);
      await makeJpeg(file, { width, height, quality, seed: width });
      await compareWithReference(file, await decodeImage(fs.readFileSync(file), { maxPixels: 1e9 }));
    }
  });

  it('agrees on a spliced image, where a region stands out', async () => {
    const photo = await jpegRoundTrip(texturedImage(640, 480, 1), 70);
    pasteRect(photo, texturedImage(640, 480, 2), { x: 300, y: 200, width: 150, height: 120 });
    const png = path.join(dir, 'spliced.png');
    await sharp(photo.data, { raw: { width: 640, height: 480, channels: 3 } }).png().toFile(png);
    const image = await decodeFile(png);
    await compareWithReference('splice', image);
    assert.ok((await runEla(image, DEFAULT_ELA_PARAMETERS)).stats.topRegion, 'the splice is found');
  });

  const cameraFiles = fs.existsSync(SHARED_CAMERAS)
    ? fs.readdirSync(SHARED_CAMERAS, { withFileTypes: true }).filter((d) => d.isDirectory()).slice(0, 3)
        .flatMap((d) => fs.readdirSync(path.join(SHARED_CAMERAS, d.name)).filter((f) => /\.jpe?g$/i.test(f)).slice(0, 1).map((f) => path.join(SHARED_CAMERAS, d.name, f)))
    : [];
  it('agrees on camera originals', { skip: cameraFiles.length ? undefined : `no camera originals at ${SHARED_CAMERAS} (../shared absent)`, timeout: 600_000 }, async () => {
    for (const file of cameraFiles) await compareWithReference(path.basename(file), await decodeImage(fs.readFileSync(file), { maxPixels: 1e9 }));
  });

  it('reuses its scratch buffers from one image to the next', async () => {
    const a = texturedImage(300, 200, 4);
    const first = await withElaScratch((s) => s);
    await runEla(a, DEFAULT_ELA_PARAMETERS);
    const again = await withElaScratch((s) => s);
    assert.equal(again, first, 'the same scratch set comes back');
  });
});

describe('runElaWith and the heatmap files', () => {
  it('writes one PNG when the image is no larger than the preview, and calls it both', async () => {
    const image = texturedImage(120, 90, 6);
    const previewPath = path.join(dir, 'small', 'p.png');
    const result = await runEla(image, DEFAULT_ELA_PARAMETERS, { previewPath, heatmapPath: path.join(dir, 'small', 'h.png') });
    assert.equal(result.previewPath, previewPath);
    assert.equal(result.heatmapPath, previewPath);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'small')), ['p.png']);
    const meta = await sharp(previewPath).metadata();
    assert.deepEqual([meta.width, meta.height], [120, 90]);
  });

  it('writes no full-resolution heatmap for a large image unless asked, and the preview holds the block maxima', async () => {
    const image = texturedImage(900, 500, 8);
    const previewPath = path.join(dir, 'large', 'p.png');
    const params = { ...DEFAULT_ELA_PARAMETERS, previewMaxSide: 300 };
    const result = await runEla(image, params, { previewPath });
    assert.equal(result.heatmapPath, undefined);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'large')), ['p.png']);
    const { data, info } = await sharp(previewPath).raw().toBuffer({ resolveWithObject: true });
    const expected = referencePreview(await elaDifference(image, params.quality), 900, 500, 300);
    assert.deepEqual([info.width, info.height], [expected.width, expected.height]);
    const amplify = amplificationLut(params.scale);
    for (let p = 0; p < expected.levels.length; p += 97) {
      assert.deepEqual([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]], infernoColour(amplify[expected.levels[p]!]!), `preview pixel ${p}`);
    }
  });

  it('writes the full-resolution heatmap on demand, pixel for pixel the coloured error', async () => {
    const image = texturedImage(400, 300, 9);
    const target = path.join(dir, 'demand', 'full.png');
    assert.equal(await writeElaHeatmap(image, DEFAULT_ELA_PARAMETERS, target), target);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'demand')), ['full.png'], 'no temporary file left behind');
    const { data, info } = await sharp(target).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [400, 300, 3]);
    const diff = await elaDifference(image, DEFAULT_ELA_PARAMETERS.quality);
    const amplify = amplificationLut(DEFAULT_ELA_PARAMETERS.scale);
    for (let p = 0; p < 400 * 300; p += 113) {
      const level = Math.max(diff[p * 3]!, diff[p * 3 + 1]!, diff[p * 3 + 2]!);
      assert.deepEqual([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]], infernoColour(amplify[level]!), `pixel ${p}`);
    }
  });

  it('hands a detector its ELA input from the same pass, and the buffer is reused afterwards', async () => {
    const image = texturedImage(256, 192, 10);
    const seen: Buffer[] = [];
    const { ela, model } = await runElaWith(image, DEFAULT_ELA_PARAMETERS, undefined, {
      scale: 10,
      grid: { kind: 'full' },
      build: ({ modelImage }) => {
        seen.push(Buffer.from(modelImage!.data));
        return modelImage!.width * modelImage!.height;
      },
    });
    assert.equal(model, 256 * 192);
    assert.ok(seen[0]!.equals((await elaDifferenceImage(image, DEFAULT_ELA_PARAMETERS.quality, 10)).data));
    assert.deepEqual(ela.stats, computeElaStats(await elaDifference(image, DEFAULT_ELA_PARAMETERS.quality), 256, 192, DEFAULT_ELA_PARAMETERS));
  });
});
