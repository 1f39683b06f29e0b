import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { INFERNO_LUT, infernoColour, renderHeatmap } from '../../src/main/analysis';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-heatmap-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function readRgb(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { data, width: info.width, height: info.height };
}

function pixel(img: { data: Buffer; width: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

const luminance = (rgb: readonly number[]): number => 0.2126 * rgb[0]! + 0.7152 * rgb[1]! + 0.0722 * rgb[2]!;

/** A diff whose max-channel error rises smoothly left to right (0..17), with a few sharp spots. */
function rampDiff(width: number, height: number): Buffer {
  const diff = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      diff[i + ((x + y) % 3)] = Math.floor((x / width) * 18);
    }
  }
  return diff;
}

describe('inferno colour map', () => {
  it('runs from dark to bright with strictly rising luminance', () => {
    assert.equal(INFERNO_LUT.length, 768);
    assert.ok(luminance(infernoColour(0)) < 10, `LUT[0] = ${infernoColour(0)}`);
    assert.ok(luminance(infernoColour(255)) > 230, `LUT[255] = ${infernoColour(255)}`);
    for (let level = 1; level < 256; level++) {
      assert.ok(luminance(infernoColour(level)) > luminance(infernoColour(level - 1)), `level ${level}`);
    }
  });

  it('clamps and rounds out-of-range levels', () => {
    assert.deepEqual(infernoColour(-5), infernoColour(0));
    assert.deepEqual(infernoColour(300), infernoColour(255));
    assert.deepEqual(infernoColour(127.6), infernoColour(128));
  });
});

describe('renderHeatmap', () => {
  it('colours amplified max-channel error through the LUT at full resolution', async () => {
    const width = 64;
    const height = 48;
    const diff = Buffer.alloc(width * height * 3);
    const set = (x: number, y: number, rgb: [number, number, number]): void => diff.set(rgb, (y * width + x) * 3);
    set(1, 1, [0, 3, 1]); // max 3 -> 45
    set(2, 1, [20, 0, 0]); // 300 -> clamped 255
    set(3, 1, [1, 1, 1]); // 15
    const file = path.join(dir, 'exact.png');
    const files = await renderHeatmap(diff, width, height, 15, { path: file, previewMaxSide: 1024 });
    assert.deepEqual(files, { heatmapPath: file });
    const img = await readRgb(file);
    assert.deepEqual([img.width, img.height], [width, height]);
    assert.deepEqual(pixel(img, 0, 0), infernoColour(0));
    assert.deepEqual(pixel(img, 1, 1), infernoColour(45));
    assert.deepEqual(pixel(img, 2, 1), infernoColour(255));
    assert.deepEqual(pixel(img, 3, 1), infernoColour(15));
  });

  it('writes a preview capped on its long side with the aspect ratio kept, every pixel on the colour map', async () => {
    const width = 300;
    const height = 200;
    const heatmap = path.join(dir, 'ramp.png');
    const preview = path.join(dir, 'ramp-preview.png');
    const files = await renderHeatmap(rampDiff(width, height), width, height, 15, {
      path: heatmap,
      previewPath: preview,
      previewMaxSide: 128,
    });
    assert.deepEqual(files, { heatmapPath: heatmap, previewPath: preview });
    const full = await readRgb(heatmap);
    assert.deepEqual([full.width, full.height], [width, height]);
    const small = await readRgb(preview);
    assert.equal(Math.max(small.width, small.height), 128);
    assert.ok(Math.abs(small.width / small.height - width / height) < 0.02, `${small.width}x${small.height}`);
    const onMap = new Set<string>();
    for (let level = 0; level < 256; level++) onMap.add(infernoColour(level).join());
    for (let p = 0; p < small.width * small.height; p++) {
      const rgb = [small.data[p * 3]!, small.data[p * 3 + 1]!, small.data[p * 3 + 2]!];
      assert.ok(onMap.has(rgb.join()), `preview pixel ${p} = ${rgb} is not a colour-map entry`);
    }
    // The ramp still reads dark on the left and bright on the right after downscaling.
    assert.ok(luminance(pixel(small, small.width - 2, 50)) > luminance(pixel(small, 1, 50)) + 100);
  });

  it('never upscales the preview', async () => {
    const preview = path.join(dir, 'small-preview.png');
    await renderHeatmap(rampDiff(90, 40), 90, 40, 15, { previewPath: preview, previewMaxSide: 1024 });
    const meta = await sharp(preview).metadata();
    assert.deepEqual([meta.width, meta.height], [90, 40]);
  });

  it('handles a portrait image', async () => {
    const preview = path.join(dir, 'portrait-preview.png');
    await renderHeatmap(rampDiff(60, 240), 60, 240, 15, { previewPath: preview, previewMaxSide: 120 });
    const meta = await sharp(preview).metadata();
    assert.deepEqual([meta.width, meta.height], [30, 120]);
  });

  it('writes nothing when no path is given', async () => {
    assert.deepEqual(await renderHeatmap(rampDiff(10, 10), 10, 10, 15, { previewMaxSide: 64 }), {});
  });

  it('rejects bad scale, preview size and buffer size', async () => {
    const diff = rampDiff(10, 10);
    const opts = { path: path.join(dir, 'never.png'), previewMaxSide: 64 };
    await assert.rejects(renderHeatmap(diff, 10, 10, 0, opts), /scale/);
    await assert.rejects(renderHeatmap(diff, 10, 10, 15, { ...opts, previewMaxSide: 0 }), /previewMaxSide/);
    await assert.rejects(renderHeatmap(diff, 10, 11, 15, opts), /expected 330/);
    assert.ok(!fs.existsSync(opts.path));
  });

  it('names the file it could not write', async () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    const target = path.join(blocker, 'heatmap.png');
    await assert.rejects(
      renderHeatmap(rampDiff(10, 10), 10, 10, 15, { path: target, previewMaxSide: 64 }),
      (err: unknown) => err instanceof Error && err.message.includes(target),
    );
  });
});
