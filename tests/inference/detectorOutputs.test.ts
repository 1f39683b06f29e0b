// What a detector returns besides the score: the heatmap of a localisation model (over the
// image region its input covered), the faces of a face model (and "no face" when there is none),
// and the false-positive rate of a calibrated threshold.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { decodeImage } from '../../src/main/ingest/decode';
import { Detector } from '../../src/main/inference/detector';
import { FaceDetector } from '../../src/main/inference/faces';
import { decodeLocalization } from '../../src/main/inference/localization';
import { DEFAULT_ELA_PARAMETERS } from '../../src/main/analysis';
import { DEFAULT_INGEST_OPTIONS } from '../../src/main/ingest';
import { analyzeBatch } from '../../src/main/pipeline/analyzeBatch';
import type { ModelScore } from '../../src/contract/evidence';
import sharp from 'sharp';
import { loadModelRegistry, type RegisteredModel } from '../../src/main/inference/registry';
import { sharedPath, sharedSkipReason } from '../fixtures/shared';
import { writeProbeModels } from './probeModels';

const dir = writeProbeModels(mkdtempSync(join(tmpdir(), 'provenance-probes-')));
let loc: RegisteredModel & { status: 'ok' };
let face: RegisteredModel & { status: 'ok' };

before(async () => {
  const registry = await loadModelRegistry(dir);
  const get = (id: string) => {
    const m = registry.find((r) => r.id === id);
    assert.ok(m && m.status === 'ok', `${id}: ${m?.problem}`);
    return m;
  };
  loc = get('probe-loc');
  face = get('probe-face');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Black image with a white rectangle. */
function picture(width: number, height: number, white: { x: number; y: number; w: number; h: number }): DecodedImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = white.y; y < white.y + white.h; y++) data.fill(255, (y * width + white.x) * 3, (y * width + white.x + white.w) * 3);
  return { data, width, height, channels: 3 };
}

test('a localisation model returns its heatmap over the whole (resized) image, with the calibrated FPR', async () => {
  const detector = await Detector.open(loc, { provider: 'cpu' });
  try {
    const [s] = await detector.score([picture(128, 96, { x: 0, y: 0, w: 64, h: 48 })]);
    const map = s.localization!;
    assert.deepEqual([map.width, map.height, map.output], [4, 4, 'heatmap']);
    assert.deepEqual(map.region, { x: 0, y: 0, width: 128, height: 96 });
    const p = decodeLocalization(map);
    // The white quarter is the top-left 2×2 cells of the 4×4 map.
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) assert.equal(p[y * 4 + x] > 0.5, x < 2 && y < 2, `cell (${x},${y}) = ${p[y * 4 + x]}`);
    assert.equal(map.share, 4 / 16);
    assert.ok(map.max > 0.99);
    assert.equal(s.operatingPoint?.fpr, 0.04);
    assert.equal(s.threshold, 0.6);
    assert.equal(s.faces, undefined);
  } finally {
    await detector.close();
  }
});

test('with a centre crop, the heatmap covers the crop window, not the image', async () => {
  const cropped = { ...loc, manifest: { ...loc.manifest, preprocessing: { ...loc.manifest.preprocessing, mode: 'center-crop' as const } } };
  const detector = await Detector.open(cropped, { provider: 'cpu' });
  try {
    const [s] = await detector.score([picture(100, 60, { x: 0, y: 0, w: 1, h: 1 })]);
    assert.deepEqual(s.localization!.region, { x: 34, y: 14, width: 32, height: 32 });
  } finally {
    await detector.close();
  }
});

test('a face model on a picture without a face: no face, score 0, not flagged', async () => {
  const detector = await Detector.open(face, { provider: 'cpu' });
  try {
    const [s] = await detector.score([picture(320, 240, { x: 100, y: 80, w: 60, h: 40 })]);
    assert.deepEqual(s.faces, []);
    assert.deepEqual(s.cropScores, []);
    assert.equal(s.score, 0);
    assert.equal(s.flagged, false);
    assert.equal(s.task, 'face');
    await assert.rejects(detector.features([picture(64, 64, { x: 0, y: 0, w: 1, h: 1 })]), /no face/);
  } finally {
    await detector.close();
  }
});

const portrait = 'datasets/generated/tpdne-stylegan2-faces/0_real/images_real_100.jpg';
/** The two-face picture of the test below, for the pipeline test after it. */
let twoFaces: DecodedImage | undefined;
test('a face model scores every face and the image by the most suspicious one', { skip: sharedSkipReason(portrait) }, async () => {
  const one = await decodeImage(readFileSync(sharedPath(portrait)), { maxPixels: 1e8 });
  // Two copies of the portrait side by side, the right one brightened: two faces, the brighter scores higher.
  const width = one.width * 2 + 40;
  const data = Buffer.alloc(width * one.height * 3, 128);
  for (let y = 0; y < one.height; y++) {
    one.data.copy(data, (y * width + 10) * 3, y * one.width * 3, (y + 1) * one.width * 3);
    for (let x = 0; x < one.width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + one.width + 30 + x) * 3 + c] = Math.min(255, one.data[(y * one.width + x) * 3 + c] + 60);
    }
  }
  const image: DecodedImage = { data, width, height: one.height, channels: 3 };
  twoFaces = image;
  const detector = await Detector.open(face, { provider: 'cpu' });
  const faces = await FaceDetector.open('ultraface-rfb-320');
  try {
    const [s] = await detector.score([image]);
    assert.equal(s.faces!.length, 2, JSON.stringify(s.faces));
    assert.equal(s.score, Math.max(...s.faces!.map((f) => f.score)));
    const right = s.faces!.find((f) => f.box.x > one.width)!;
    const left = s.faces!.find((f) => f.box.x < one.width)!;
    assert.ok(right.score > left.score, `brightened face ${right.score} vs ${left.score}`);
    // The boxes are the face detector's, with its confidence.
    const found = await faces.detect(image, { minScore: 0.7, nmsIou: 0.3, maxFaces: 8 });
    assert.deepEqual(s.faces!.map((f) => f.box), found.map((f) => f.box));
    assert.deepEqual(s.faces!.map((f) => f.detectorScore), found.map((f) => f.score));
  } finally {
    await detector.close();
    await faces.close();
  }
});

test('the analyse pipeline gives what score() gives: faces found in the prepare workers, heatmaps over the same region', { skip: sharedSkipReason(portrait) }, async () => {
  assert.ok(twoFaces, 'the face test above made the two-face picture');
  const folder = mkdtempSync(join(tmpdir(), 'provenance-pipeline-outputs-'));
  // The localisation model twice: resized (the heatmap covers the image) and centre-cropped (the crop window).
  const centre = { ...loc, id: 'probe-loc-centre', manifest: { ...loc.manifest, id: 'probe-loc-centre', preprocessing: { ...loc.manifest.preprocessing, mode: 'center-crop' as const } } };
  const detectors = [await Detector.open(face, { provider: 'cpu' }), await Detector.open(loc, { provider: 'cpu' }), await Detector.open(centre, { provider: 'cpu' })];
  try {
    // PNG: the pipeline decodes exactly these pixels. A picture without a face too (128×96, a
    // white corner), and one the localisation model's centre crop covers only in part.
    const pictures: Record<string, DecodedImage> = {
      'two-faces.png': twoFaces!,
      'corner.png': picture(128, 96, { x: 0, y: 0, w: 64, h: 48 }),
      'wide.png': picture(100, 60, { x: 0, y: 0, w: 1, h: 1 }),
    };
    for (const [name, img] of Object.entries(pictures)) {
      await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(join(folder, name));
    }
    const byFile = new Map<string, ModelScore[]>();
    const summary = await analyzeBatch([folder], {
      detectors,
      ingest: DEFAULT_INGEST_OPTIONS,
      ela: DEFAULT_ELA_PARAMETERS,
      workers: 2,
      onRecord: (r) => void byFile.set(r.path.slice(folder.length + 1), r.scores ?? []),
    });
    assert.equal(summary.ok, 3, JSON.stringify(summary.errors));
    for (const [name, img] of Object.entries(pictures)) {
      const viaPipeline = byFile.get(name)!;
      for (const d of detectors) {
        const [direct] = await d.score([img]);
        const piped = viaPipeline.find((s) => s.modelId === d.manifest.id);
        assert.ok(piped, `${name}: ${d.manifest.id} scored in the pipeline`);
        assert.ok(Math.abs(piped.score - direct.score) < 1e-5, `${name} ${d.manifest.id}: ${piped.score} vs ${direct.score}`);
        assert.deepEqual(piped.faces, direct.faces, `${name}: the same faces`);
        assert.deepEqual(piped.localization?.region, direct.localization?.region, `${name}: the heatmap covers the same region`);
        assert.equal(piped.localization?.values, direct.localization?.values);
      }
    }
    const faces = (name: string) => byFile.get(name)!.find((s) => s.modelId === face.manifest.id)!;
    assert.equal(faces('two-faces.png').faces!.length, 2);
    assert.deepEqual(faces('corner.png').faces, []);
    assert.equal(faces('corner.png').flagged, false);
    assert.deepEqual(byFile.get('wide.png')!.find((s) => s.modelId === loc.manifest.id)!.localization!.region, { x: 0, y: 0, width: 100, height: 60 });
    assert.deepEqual(byFile.get('wide.png')!.find((s) => s.modelId === 'probe-loc-centre')!.localization!.region, { x: 34, y: 14, width: 32, height: 32 });
  } finally {
    await Promise.all(detectors.map((d) => d.close()));
    rmSync(folder, { recursive: true, force: true });
  }
});
