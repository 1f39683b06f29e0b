// The shipped manipulation and face-swap detectors in the inspector: the tamper heatmap laid
// over a spliced photo (toggle and `m`), the face boxes with their scores on a portrait, and
// "no face found" on a landscape. Real models, real photos from ../shared (skipped without
// them), a real case database behind the test server, screenshots in tests/artifacts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { sharedPath, sharedSkipReason } from '../fixtures/shared';
import { createCaseThroughUi, e2eSkipReason, importThroughUi, invokeFromPage, ROOT, screenshot, startApp, type AppUnderTest } from './harness';

const MANIPULATION_MODEL = 'manipulation-ela-mnv2';
const FACE_MODEL = 'faceswap-mnv2';
const PORTRAIT = 'datasets/generated/tpdne-stylegan2-faces/0_real/images_real_100.jpg';
const BASE = 'datasets/photos/cbsd68/101085.png';
const DONOR = 'datasets/photos/sun_hays80/abbey_sun_asztnlqhlrvirneh.jpg';
const LANDSCAPE = 'datasets/photos/sun_hays80/aqueduct_sun_ancegghzusmmvzjn.jpg';
/** A real CASIA v2 splice (in the model card's evaluation set, never in training) and its ground truth. */
const CASIA = 'datasets/manipulated/casia2_samples/Tp/Tp_D_CRN_M_N_pla00010_pla00020_10001.tif';
const CASIA_MASK = 'datasets/manipulated/casia2_samples/masks/Tp_D_CRN_M_N_pla00010_pla00020_10001_gt.png';
const MODELS_DIR = path.join(ROOT, 'resources', 'models');

const skip =
  e2eSkipReason() ??
  sharedSkipReason(PORTRAIT, BASE, DONOR, LANDSCAPE, CASIA, CASIA_MASK) ??
  ([MANIPULATION_MODEL, FACE_MODEL].every((id) => fs.existsSync(path.join(MODELS_DIR, id, 'model.onnx'))) ? undefined : 'the shipped detectors are not in resources/models');

let app: AppUnderTest;
let evidenceDir: string;
let models: string | undefined;
/** Where the pasted region lies in spliced.png. */
const PASTE = { left: 250, top: 90, width: 150, height: 110 };

/** A photo compressed at quality 75 with a never-compressed region of another photo pasted in, saved as PNG. */
async function makeSplice(file: string): Promise<void> {
  const base = await sharp(await sharp(sharedPath(BASE)).jpeg({ quality: 75 }).toBuffer()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const donor = await sharp(sharedPath(DONOR)).extract({ left: 300, top: 200, width: PASTE.width, height: PASTE.height }).removeAlpha().raw().toBuffer();
  const { width } = base.info;
  for (let y = 0; y < PASTE.height; y++) donor.copy(base.data, ((PASTE.top + y) * width + PASTE.left) * 3, y * PASTE.width * 3, (y + 1) * PASTE.width * 3);
  await sharp(base.data, { raw: { width, height: base.info.height, channels: 3 } }).png().toFile(file);
}

before(async () => {
  if (skip) return;
  // Only the two detectors under test: their scores and overlays are what the screenshots show.
  // (The catalogue opens the models when the import runs: the folder lives until the end.)
  models = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'provenance-shipped-'));
  for (const id of [MANIPULATION_MODEL, FACE_MODEL]) fs.cpSync(path.join(MODELS_DIR, id), path.join(models, id), { recursive: true });
  app = await startApp({ config: { modelsDir: models } });
  evidenceDir = path.join(app.tmp, 'evidence');
  fs.mkdirSync(evidenceDir);
  await makeSplice(path.join(evidenceDir, 'spliced.png'));
  fs.copyFileSync(sharedPath(PORTRAIT), path.join(evidenceDir, 'portrait.jpg'));
  fs.copyFileSync(sharedPath(LANDSCAPE), path.join(evidenceDir, 'landscape.jpg'));
  fs.copyFileSync(sharedPath(CASIA), path.join(evidenceDir, 'casia-splice.tif'));
});

after(async () => {
  await app?.close();
  if (models) fs.rmSync(models, { recursive: true, force: true });
});

async function openItem(fileName: string): Promise<number> {
  const { page } = app;
  const list = await invokeFromPage(page, 'evidence.list', {});
  const item = list.items.find((i) => i.fileName === fileName);
  assert.ok(item, `${fileName} was imported`);
  await page.getByTestId('gallery').locator(`[data-testid="tile"][data-id="${item.id}"]`).click();
  await page.getByTestId('inspector').and(page.locator(`[data-id="${item.id}"]`)).waitFor();
  await page.getByTestId('photo').evaluate((img) => img.decode());
  return item.id;
}

test('the inspector overlays the tamper heatmap and draws the scored faces', { skip, timeout: 300_000 }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Detector overlays' });
  await importThroughUi(app, evidenceDir, 240_000);
  assert.equal(await page.getByTestId('import-progress').getByTestId('job-ok').innerText(), '4');

  // The splice: the manipulation detector's heatmap, by checkbox and by the `m` key.
  const spliceId = await openItem('spliced.png');
  const rows = page.getByTestId('score-row');
  assert.equal(await rows.count(), 2);
  // The score table's FPR column gives the rate the manifest records at the model's threshold.
  assert.match(await page.getByTestId('score-table').innerText(), new RegExp(`${MANIPULATION_MODEL}[\\s\\S]*\\t\\d+\\.\\d %\\t`));
  const toggle = page.getByTestId('heatmap-toggle');
  assert.equal(await toggle.isChecked(), false);
  await page.keyboard.press('m');
  const overlay = page.getByTestId('heatmap-overlay');
  await overlay.waitFor({ state: 'visible' });
  assert.ok(await toggle.isChecked());
  assert.match((await overlay.getAttribute('src')) ?? '', new RegExp(`/media/evidence/${spliceId}/localization/${MANIPULATION_MODEL}(@|%40)[0-9a-f]{12}`));
  const natural = await overlay.evaluate((img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
  assert.deepEqual(natural, [321, 481], 'the overlay has the photo geometry (CBSD68 101085 is 321×481)');
  await screenshot(page, 'inspector-heatmap.png');

  // The overlay is what the stored score says: opaque where the map is high, clear where it is low.
  const detail = await invokeFromPage(page, 'evidence.get', { id: spliceId });
  const score = detail.item.latestResult!.scores.find((s) => s.modelId === MANIPULATION_MODEL)!;
  assert.ok(score.localization && score.localization.width === 32 && score.localization.height === 32);
  const png = Buffer.from(await page.evaluate(async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer())), (await overlay.getAttribute('src'))!));
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const alpha = (x: number, y: number) => data[(Math.round(y) * info.width + Math.round(x)) * 4 + 3];
  const cells = Buffer.from(score.localization.values, 'base64');
  let checked = 0;
  for (let cy = 1; cy < 31; cy++) {
    for (let cx = 1; cx < 31; cx++) {
      const v = cells[cy * 32 + cx] / 255;
      // Only cells whose 3×3 neighbourhood agrees (no edge blending in the resampled overlay).
      const around = [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => cells[(cy + dy) * 32 + cx + dx] / 255));
      const [x, y] = [((cx + 0.5) * info.width) / 32, ((cy + 0.5) * info.height) / 32];
      if (around.every((a) => a < 0.15)) {
        assert.equal(alpha(x, y), 0, `cell (${cx},${cy}) = ${v} is transparent`);
        checked++;
      } else if (around.every((a) => a > 0.85)) {
        assert.ok(alpha(x, y) > 150, `cell (${cx},${cy}) = ${v} is opaque`);
        checked++;
      }
    }
  }
  assert.ok(checked > 50, `compared ${checked} cells`);

  // A real CASIA v2 splice: the overlay is strongest where the ground-truth mask says the edit is.
  await page.keyboard.press('Escape');
  const casiaId = await openItem('casia-splice.tif');
  if (!(await toggle.isChecked())) await page.keyboard.press('m');
  await overlay.waitFor({ state: 'visible' });
  const casiaSrc = (await overlay.getAttribute('src')) ?? '';
  assert.match(casiaSrc, new RegExp(`/media/evidence/${casiaId}/localization/`));
  const casiaSize = await overlay.evaluate((img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
  assert.deepEqual(casiaSize, [384, 256]);
  const casiaPng = Buffer.from(await page.evaluate(async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer())), casiaSrc));
  const heat = await sharp(casiaPng).extractChannel(3).raw().toBuffer();
  const truth = await sharp(sharedPath(CASIA_MASK)).greyscale().resize(384, 256, { kernel: 'nearest' }).raw().toBuffer();
  const mean = (inside: boolean) => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < truth.length; i++) if (truth[i] > 127 === inside) (sum += heat[i]), n++;
    return sum / Math.max(1, n);
  };
  const [onEdit, elsewhere] = [mean(true), mean(false)];
  assert.ok(onEdit > 2 * elsewhere + 10, `overlay opacity ${onEdit.toFixed(1)} on the spliced region vs ${elsewhere.toFixed(1)} elsewhere`);
  await screenshot(page, 'inspector-heatmap-casia.png');

  // The portrait: one face, boxed, with its score; the face model's row says so.
  await page.keyboard.press('Escape');
  await openItem('portrait.jpg');
  const faceBoxes = page.getByTestId('face-box');
  await faceBoxes.first().waitFor();
  assert.equal(await faceBoxes.count(), 1);
  assert.match(await faceBoxes.first().innerText(), new RegExp(`${FACE_MODEL} \\d\\.\\d{3}`));
  assert.match(await page.getByTestId('faces-summary').innerText(), /1 face scored/);
  assert.match(await page.getByTestId('score-table').innerText(), /most suspicious of 1 face/);
  const box = await faceBoxes.first().boundingBox();
  const photo = await page.getByTestId('photo').boundingBox();
  assert.ok(box && photo && box.x > photo.x && box.x + box.width < photo.x + photo.width, 'the box lies on the photo');
  assert.ok(box.width > photo.width * 0.3, 'the face fills much of this portrait');
  await screenshot(page, 'inspector-faces.png');
  await page.getByTestId('faces-toggle').uncheck();
  assert.equal(await faceBoxes.count(), 0);

  // The landscape: no face, said in words instead of a score of 0.
  await page.keyboard.press('Escape');
  await openItem('landscape.jpg');
  assert.match(await page.getByTestId('faces-summary').innerText(), /no face found/);
  assert.equal(await page.getByTestId('no-face').count(), 1);
  assert.equal(await page.getByTestId('face-box').count(), 0);
  await screenshot(page, 'inspector-no-face.png');

  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});
