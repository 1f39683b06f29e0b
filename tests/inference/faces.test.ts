// Face finding for face models: the geometry helpers on exact numbers, and the shipped UltraFace
// detector on real faces from the shared datasets (skipped without them) and on pictures with
// no face.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../src/main/ingest/decode';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { containment, cropFace, decodeDetections, defaultFaceDetectorsDir, faceCropWindow, FaceDetector, iou, nonMaximumSuppression } from '../../src/main/inference/faces';
import { makeNaturalPixels } from '../fixtures/images';
import { sharedPath, sharedSkipReason } from '../fixtures/shared';

const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
let detector: FaceDetector;
const tmp = mkdtempSync(join(tmpdir(), 'provenance-faces-'));

before(async () => {
  detector = await FaceDetector.open('ultraface-rfb-320');
});
after(async () => {
  await detector?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function load(path: string): Promise<DecodedImage> {
  return decodeImage(readFileSync(path), { maxPixels: 50_000_000 });
}

test('IoU, containment and non-maximum suppression', () => {
  assert.equal(iou(box(0, 0, 10, 10), box(0, 0, 10, 10)), 1);
  assert.equal(iou(box(0, 0, 10, 10), box(20, 20, 5, 5)), 0);
  assert.ok(Math.abs(iou(box(0, 0, 10, 10), box(5, 0, 10, 10)) - 50 / 150) < 1e-12);
  assert.equal(containment(box(0, 0, 100, 100), box(10, 10, 20, 20)), 1);

  const faces = [
    { box: box(10, 10, 50, 50), score: 0.9 },
    { box: box(12, 12, 50, 50), score: 0.95 }, // same face, stronger: kept first
    { box: box(200, 10, 40, 40), score: 0.8 }, // another face
    { box: box(5, 5, 80, 80), score: 0.7 }, // the first face framed loosely: low IoU, but it contains it
  ];
  const kept = nonMaximumSuppression(faces, 0.3);
  assert.deepEqual(kept.map((f) => f.score), [0.95, 0.8]);
  assert.deepEqual(nonMaximumSuppression(faces, 0.3, 1).map((f) => f.score), [0.95]);
});

test('raw detector outputs become boxes in image pixels above the score threshold', () => {
  const scores = new Float32Array([0.9, 0.1, 0.2, 0.8, 0.5, 0.5]);
  const boxes = new Float32Array([0, 0, 1, 1, 0.1, 0.2, 0.3, 0.6, -0.1, 0.5, 0.2, 1.2]);
  const out = decodeDetections(scores, boxes, 200, 100, 0.5);
  assert.equal(out.length, 2);
  const near = (actual: object, expected: Record<string, number>) =>
    Object.entries(expected).forEach(([k, v]) => assert.ok(Math.abs((actual as Record<string, number>)[k] - v) < 1e-4, `${k}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`));
  near(out[0].box, { x: 20, y: 20, width: 40, height: 40 });
  assert.ok(Math.abs(out[0].score - 0.8) < 1e-6);
  // Clipped to the image.
  near(out[1].box, { x: 0, y: 50, width: 40, height: 50 });
});

test('the face crop is square, margin × the longer side, centred, edges repeated outside the image', async () => {
  assert.deepEqual(faceCropWindow(box(40, 20, 20, 40), 1.5), { left: 20, top: 10, size: 60 });
  // A 4×4 image with distinct corner colours; a crop reaching past the top-left corner repeats it.
  const data = Buffer.alloc(4 * 4 * 3, 128);
  data.set([255, 0, 0], 0); // (0,0) red
  data.set([0, 0, 255], (3 * 4 + 3) * 3); // (3,3) blue
  const image: DecodedImage = { data, width: 4, height: 4, channels: 3 };
  const crop = await cropFace(image, box(0, 0, 4, 4), 2, 8);
  assert.equal(crop.width, 8);
  assert.deepEqual([...crop.data.subarray(0, 3)], [255, 0, 0], 'top-left is the repeated corner pixel');
  assert.deepEqual([...crop.data.subarray((7 * 8 + 7) * 3, (7 * 8 + 7) * 3 + 3)], [0, 0, 255]);
  // Resized to the model's size.
  assert.equal((await cropFace(image, box(0, 0, 4, 4), 1, 16)).data.length, 16 * 16 * 3);
});

test('a face detector whose file changed is refused', async () => {
  const dir = join(tmp, 'detectors');
  cpSync(defaultFaceDetectorsDir(), dir, { recursive: true });
  const file = join(dir, 'ultraface-rfb-320', 'model.onnx');
  const bytes = readFileSync(file);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(file, bytes);
  await assert.rejects(FaceDetector.open('ultraface-rfb-320', { dir }), /has SHA-256 [0-9a-f]{64}, expected 34cd7e60/);
  await assert.rejects(FaceDetector.open('../etc'), /not a folder name/);
});

test('no face in pictures without one', async () => {
  const noise = { data: makeNaturalPixels(640, 480, 5), width: 640, height: 480, channels: 3 as const };
  assert.deepEqual(await detector.detect(noise), []);
  const flat: DecodedImage = { data: Buffer.alloc(320 * 240 * 3, 90), width: 320, height: 240, channels: 3 };
  assert.deepEqual(await detector.detect(flat), []);
});

const landscapes = 'datasets/photos/sun_hays80';
test('no face in a real landscape photo', { skip: sharedSkipReason(landscapes) }, async () => {
  const image = await load(sharedPath(landscapes, 'badlands_sun_bvwwfrhtvupdxldb.jpg'));
  assert.deepEqual(await detector.detect(image), []);
});

const portrait = 'datasets/generated/tpdne-stylegan2-faces/0_real/images_real_100.jpg';
test('one face in a real portrait, boxed around the face', { skip: sharedSkipReason(portrait) }, async () => {
  const image = await load(sharedPath(portrait));
  const faces = await detector.detect(image);
  assert.equal(faces.length, 1, JSON.stringify(faces));
  const [f] = faces;
  assert.ok(f.score > 0.9, `score ${f.score}`);
  // The face is in the middle of this 300×300 portrait and fills much of it.
  const cx = f.box.x + f.box.width / 2;
  const cy = f.box.y + f.box.height / 2;
  assert.ok(cx > 100 && cx < 200 && cy > 80 && cy < 220, JSON.stringify(f.box));
  assert.ok(f.box.width > 80 && f.box.height > 100, JSON.stringify(f.box));
});

const dfdc = 'datasets/faces/dfdc_faces224';
test('faces that fill the picture are found (DFDC face crops, real and fake)', { skip: sharedSkipReason(dfdc) }, async () => {
  // Tight 224-px crops: the grey-frame pass finds these; scores of the best face.
  for (const file of ['real/aabqyygbaa.jpg', 'fake/hdafnsbdrm.jpg', 'real/aahncigwte.jpg']) {
    const faces = await detector.detect(await load(sharedPath(dfdc, file)));
    assert.ok(faces.length >= 1 && faces[0].score >= 0.7, `${file}: ${JSON.stringify(faces)}`);
    assert.ok(faces[0].box.width > 90, `${file}: the face box spans the crop, got ${JSON.stringify(faces[0].box)}`);
  }
});

const group = 'datasets/generated/tpdne-stylegan2-faces/0_real';
test('two faces side by side give two boxes', { skip: sharedSkipReason(group) }, async () => {
  const a = await load(sharedPath(portrait));
  const b = await load(sharedPath(group, 'images_real_101.jpg'));
  const width = a.width + b.width + 60;
  const height = Math.max(a.height, b.height) + 40;
  const data = Buffer.alloc(width * height * 3, 200);
  for (const [img, ox] of [[a, 20], [b, a.width + 40]] as const) {
    for (let y = 0; y < img.height; y++) img.data.copy(data, ((y + 20) * width + ox) * 3, y * img.width * 3, (y + 1) * img.width * 3);
  }
  const faces = await detector.detect({ data, width, height, channels: 3 });
  assert.equal(faces.length, 2, JSON.stringify(faces));
  const centres = faces.map((f) => f.box.x + f.box.width / 2).sort((p, q) => p - q);
  assert.ok(centres[0] < a.width + 20 && centres[1] > a.width + 40, `one face in each half: ${centres.join(', ')}`);
});
