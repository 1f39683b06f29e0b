import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { elaDifferenceImage } from '../../src/main/analysis/ela';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import type { ModelManifest } from '../../src/main/inference/manifest';
import { cropWindows, paddedCanvas, preprocess } from '../../src/main/inference/preprocess';
import { testPictures } from './images';

const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const texture: ModelManifest = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-texture-cnn', 'manifest.json'), 'utf8'));
const ela: ModelManifest = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-ela-cnn', 'manifest.json'), 'utf8'));
const pictures = testPictures();
after(() => pictures.cleanup());

function withPre(base: ModelManifest, pre: Partial<ModelManifest['preprocessing']>): ModelManifest {
  return { ...base, preprocessing: { ...base.preprocessing, ...pre } };
}

/** Expected CHW tensor, computed pixel by pixel: crop origin (left, top) in image coordinates, black outside. */
function expectedCrop(img: DecodedImage, left: number, top: number, size: number, m: ModelManifest, mirror = false): Float32Array {
  const { mean, std } = m.preprocessing.normalization;
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = mirror ? left + size - 1 - x : left + x;
        const sy = top + y;
        const inside = sx >= 0 && sx < img.width && sy >= 0 && sy < img.height;
        const v = inside ? img.data[(sy * img.width + sx) * 3 + c] : 0;
        out[(c * size + y) * size + x] = (v / 255 - mean[c]) / std[c];
      }
    }
  }
  return out;
}

test('center-crop takes the 64×64 centre without resizing, offsets rounded like torchvision (half to even)', async () => {
  // 67 wide: (67-64)/2 = 1.5 → 2; 70 high: (70-64)/2 = 3.
  const img = await pictures.make('odd', 67, 70, 1, 30, 'png');
  const [tensor, ...rest] = await preprocess(img, texture);
  assert.equal(rest.length, 0);
  assert.deepEqual(tensor, expectedCrop(img, 2, 3, 64, texture));
  // 65 wide: 0.5 → 0 (Python rounds halves to even).
  const img65 = await pictures.make('odd65', 65, 64, 2, 30, 'png');
  assert.deepEqual((await preprocess(img65, texture))[0], expectedCrop(img65, 0, 0, 64, texture));
});

test('an image smaller than the crop is padded with black, split floor-left like torchvision', async () => {
  const img = await pictures.make('small', 50, 40, 3, 30, 'jpeg');
  const canvas = paddedCanvas(50, 40, 64, 64);
  assert.deepEqual(canvas, { width: 64, height: 64, padLeft: 7, padTop: 12 });
  const [tensor] = await preprocess(img, texture);
  assert.deepEqual(tensor, expectedCrop(img, -7, -12, 64, texture));
  // Padding is black in pixel space, i.e. (0 - mean) / std after normalization.
  assert.equal(tensor[0], Math.fround((0 - 0.485) / 0.229));
  // Mixed: wider than the crop but shorter.
  const wide = await pictures.make('wide', 101, 20, 4, 30, 'png');
  assert.deepEqual((await preprocess(wide, texture))[0], expectedCrop(wide, 18, -22, 64, texture));
});

test('resize mode feeds the whole image resized by sharp (fill = stretched)', async () => {
  const img = await pictures.make('resize', 300, 120, 5, 20, 'jpeg');
  const m = withPre(texture, { mode: 'resize', resizeFit: 'fill', resizeKernel: 'linear' });
  const [tensor] = await preprocess(img, m);
  const { data } = await sharp(img.data, { raw: { width: 300, height: 120, channels: 3 } })
    .resize(64, 64, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual(tensor, expectedCrop({ data, width: 64, height: 64, channels: 3 }, 0, 0, 64, m));
  // cover keeps the aspect ratio, so it must differ from a stretched image.
  const [cover] = await preprocess(img, withPre(m, { resizeFit: 'cover' }));
  assert.notDeepEqual(cover, tensor);
});

test('multi-crop windows: five (corners + centre), ten (plus mirrored), k×k grid', () => {
  const five = cropWindows({ ...texture.preprocessing, mode: 'multi-crop', cropCount: 5 }, 100, 80, 64, 64);
  assert.deepEqual(five.map((w) => [w.x, w.y]), [[0, 0], [36, 0], [0, 16], [36, 16], [18, 8]]);
  const ten = cropWindows({ ...texture.preprocessing, mode: 'multi-crop', cropCount: 10 }, 100, 80, 64, 64);
  assert.equal(ten.length, 10);
  assert.deepEqual(ten.map((w) => w.mirror), [false, false, false, false, false, true, true, true, true, true]);
  const grid = cropWindows({ ...texture.preprocessing, mode: 'multi-crop', cropCount: 9 }, 100, 80, 64, 64);
  assert.deepEqual(grid.map((w) => [w.x, w.y]), [[0, 0], [18, 0], [36, 0], [0, 8], [18, 8], [36, 8], [0, 16], [18, 16], [36, 16]]);
  assert.deepEqual(cropWindows(texture.preprocessing, 100, 80, 64, 64), [{ x: 18, y: 8, mirror: false }]);
});

test('ten-crop: the mirrored top-left crop is the top-right crop flipped, like TenCrop', async () => {
  const img = await pictures.make('ten', 90, 75, 6, 40, 'png');
  const crops = await preprocess(img, withPre(texture, { mode: 'multi-crop', cropCount: 10 }));
  assert.equal(crops.length, 10);
  assert.deepEqual(crops[0], expectedCrop(img, 0, 0, 64, texture));
  assert.deepEqual(crops[1], expectedCrop(img, 26, 0, 64, texture));
  assert.deepEqual(crops[5], expectedCrop(img, 26, 0, 64, texture, true));
});

test('the ela input transform feeds the ELA difference image (from analysis/ela) through the same geometry', async () => {
  const img = await pictures.make('ela', 200, 150, 7, 15, 'jpeg', 75);
  const [tensor] = await preprocess(img, ela);
  const pre = ela.preprocessing;
  const diff = await elaDifferenceImage(img, pre.elaQuality!, pre.elaScale!);
  const [same] = await preprocess(diff, withPre(ela, { inputTransform: 'none' }));
  assert.deepEqual(tensor, same);
  // And it is really the ELA image, not the pixels.
  const [plain] = await preprocess(img, withPre(ela, { inputTransform: 'none' }));
  assert.notDeepEqual(tensor, plain);
});

test('pixels that do not match the stated size are refused', async () => {
  await assert.rejects(preprocess({ data: Buffer.alloc(10), width: 4, height: 4, channels: 3 }, texture), /Expected 8-bit RGB pixels for 4x4 \(48 bytes\), got 10 bytes/);
});

test('ELA inputs from the single ELA pass equal preprocess: crops exactly, resize exactly up to 4× the input, closely beyond', async () => {
  const { elaInputPlan, preprocessFromElaPass } = await import('../../src/main/inference/preprocess');
  const { runElaWith, DEFAULT_ELA_PARAMETERS } = await import('../../src/main/analysis');
  const quality = ela.preprocessing.elaQuality!;
  const viaPass = async (img: DecodedImage, m: ModelManifest): Promise<Float32Array[]> => {
    const plan = elaInputPlan(m, img.width, img.height);
    const { model } = await runElaWith(img, { ...DEFAULT_ELA_PARAMETERS, quality }, undefined, {
      scale: m.preprocessing.elaScale!,
      grid: plan.kind === 'crops' ? { kind: 'none' } : plan,
      build: ({ modelImage, recompressed }) => preprocessFromElaPass(img, m, recompressed, plan.kind === 'crops' ? undefined : modelImage),
    });
    return model!;
  };
  const cropModels = [withPre(ela, { mode: 'center-crop' }), withPre(ela, { mode: 'multi-crop', cropCount: 10, aggregate: 'mean' })];
  const coverModel = withPre(ela, { resizeFit: 'cover' });
  for (const [w, h] of [[50, 40], [200, 150], [256, 256], [251, 217]]) {
    const img = await pictures.make(`ela-${w}x${h}`, w, h, w + h, 25, 'jpeg', 85);
    for (const m of [...cropModels, coverModel, ela]) {
      assert.deepEqual(await viaPass(img, m), await preprocess(img, m), `${m.preprocessing.mode}/${m.preprocessing.resizeFit ?? 'fill'} on ${w}x${h}`);
    }
  }
  // 4000×3000 → 64×64: the pass averages onto a 256×256 grid first (as libvips shrinks before its
  // kernel), so the input is close to, not bit-equal with, the full-resolution resize.
  const big = await pictures.make('ela-big', 1600, 1200, 7, 25, 'jpeg', 85);
  assert.deepEqual(elaInputPlan(ela, 1600, 1200), { kind: 'mean', width: 256, height: 256 });
  const [fast] = await viaPass(big, ela);
  const [slow] = await preprocess(big, ela);
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < fast.length; i++) {
    worst = Math.max(worst, Math.abs(fast[i] - slow[i]));
    sum += Math.abs(fast[i] - slow[i]);
  }
  // Inputs are in 0..1 (mean 0, std 1 normalization of 0..255/255): within 4 levels everywhere, under 1 level on average.
  assert.ok(worst <= 4 / 255 + 1e-6, `largest difference ${worst * 255} levels`);
  assert.ok(sum / fast.length < 1 / 255, `mean difference ${(sum / fast.length) * 255} levels`);
});

test('rgb+noise: six channels, the resized pixels then the resized full-resolution SRM residuals', async () => {
  const { srmResidualImage } = await import('../../src/main/analysis/srmResidual');
  const img = await pictures.make('noise', 90, 70, 4, 25, 'jpeg', 85);
  const resize: Partial<ModelManifest['preprocessing']> = { mode: 'resize', resizeFit: 'fill', resizeKernel: 'linear', inputTransform: 'none', normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } };
  const rgbOnly = withPre(ela, resize);
  const both: ModelManifest = { ...withPre(ela, { ...resize, inputTransform: 'rgb+noise', noiseScale: 8 }), input: { ...ela.input, channels: 6 } };
  const [six] = await preprocess(img, both);
  const [rgb] = await preprocess(img, rgbOnly);
  const [noise] = await preprocess(srmResidualImage(img, 8), rgbOnly);
  assert.equal(six.length, 6 * ela.input.width * ela.input.height);
  assert.deepEqual(six.subarray(0, rgb.length), rgb);
  assert.deepEqual(six.subarray(rgb.length), noise);
  assert.ok(noise.some((v) => v > -1), 'the residual channels are not all zero');
});

test('face-crop models are preprocessed face by face by the detector, never here', async () => {
  const img = await pictures.make('face', 64, 64, 5, 10, 'png');
  const faceModel: ModelManifest = { ...withPre(texture, { mode: 'face-crop', aggregate: 'max', face: { detector: 'ultraface-rfb-320', minScore: 0.7, nmsIou: 0.3, margin: 1.3, maxFaces: 8 } }), task: 'face' };
  await assert.rejects(preprocess(img, faceModel), /face-crop models are preprocessed face by face/);
});
