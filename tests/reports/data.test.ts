// What the report is built from, checked without printing: which items get sections, the
// embedded pictures, the models and counts, integrity at report time, and how the data is
// embedded into (and served with) the built report page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { EvidenceItem } from '../../src/contract/case';
import { isFlagged } from '../../src/contract/flagged';
import { buildReportData, EMBED_MAX_SIDE, ReportError, reportDocument, serveReportRequest } from '../../src/main/reports';
import { openCaseDatabase } from '../../src/main/store';
import { makeJpeg } from '../fixtures/images';
import { makeAnalysedCase, reportSettings, tempDir, type TestCase } from './helpers';

async function decodeDataUrl(url: string) {
  assert.match(url, /^data:image\/jpeg;base64,/);
  return sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')).metadata();
}

describe('report data', () => {
  let root: string;
  let kase: TestCase;
  let items: EvidenceItem[];
  let large: EvidenceItem;

  before(async () => {
    root = tempDir('pl-report-data-');
    kase = await makeAnalysedCase(root, 5, {
      0: [{ verdict: 'authentic' }],
      1: [{ flagged: true }],
      2: [{ notes: 'Shadow directions disagree; ask for the original.' }],
    });
    // One large photograph, to see it downscaled for embedding.
    const bigFile = await makeJpeg(path.join(kase.evidenceDir, 'large.jpg'), { width: 1800, height: 1200, seed: 7 });
    const { importIntoCase } = await import('../../src/main/pipeline/importIntoCase');
    const { catalogue, maxPixels } = reportSettings();
    await importIntoCase(kase.store, { paths: [bigFile], catalogue, ingest: { maxPixels, maxFileBytes: 512 * 1024 * 1024 } });
    items = kase.store.listEvidence({ sort: 'time' });
    large = items.find((i) => i.fileName === 'large.jpg')!;
  });

  after(() => {
    kase?.store.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('flagged: items flagged as contract/flagged.ts defines it; reviewed: a verdict or notes', async () => {
    const flagged = await buildReportData(kase.store, { ...reportSettings(), items: 'flagged' });
    // Reviewer flags and the Photoshop-tagged files' analysis flags; the fixture models' scores never flag.
    const expectFlagged = items.filter((i) => i.review?.flagged || i.metadata?.exif.software === 'Adobe Photoshop 25.0').map((i) => i.id);
    assert.ok(expectFlagged.includes(items[1].id));
    assert.deepEqual(items.filter(isFlagged).map((i) => i.id), expectFlagged);
    assert.deepEqual(flagged.items.map((i) => i.id), expectFlagged);
    assert.equal(flagged.itemsMode, 'flagged');

    const reviewed = await buildReportData(kase.store, { ...reportSettings(),  items: 'reviewed' });
    assert.deepEqual(reviewed.items.map((i) => i.id), [items[0].id, items[2].id], 'a verdict, or notes without a verdict; a flag alone is not a review');

    for (const data of [flagged, reviewed]) {
      assert.equal(data.evidence.length, items.length, 'the evidence table always lists every item');
      assert.deepEqual(data.evidence.filter((e) => e.hasSection).map((e) => e.id), data.items.map((i) => i.id));
    }
  });

  test('a selection by ids, in evidence order; an unknown id is refused by name', async () => {
    const data = await buildReportData(kase.store, { ...reportSettings(),  ids: [items[3].id, items[1].id] });
    assert.equal(data.itemsMode, 'selected');
    assert.deepEqual(data.items.map((i) => i.id), [items[1].id, items[3].id]);
    await assert.rejects(buildReportData(kase.store, { ...reportSettings(),  ids: [items[0].id, 999] }), (err: unknown) => err instanceof ReportError && err.code === 'UNKNOWN_ITEMS' && /999/.test(err.message));
  });

  test('pictures are embedded as JPEG data URLs no longer than the cap, from the original and the heatmap', async () => {
    const data = await buildReportData(kase.store, { ...reportSettings(),  ids: [large.id, items[0].id] });
    const big = data.items.find((i) => i.id === large.id)!;
    const small = data.items.find((i) => i.id === items[0].id)!;
    const photo = await decodeDataUrl(big.photo!.dataUrl);
    assert.deepEqual([photo.width, photo.height], [EMBED_MAX_SIDE, 600], 'the 1800×1200 original is embedded at 900×600');
    assert.equal(big.photo!.caveat, undefined);
    const heat = await decodeDataUrl(big.heatmap!.dataUrl);
    assert.ok(Math.max(heat.width!, heat.height!) <= EMBED_MAX_SIDE && Math.abs(heat.width! / heat.height! - 1.5) < 0.02, 'the heatmap keeps the aspect ratio');
    const smallPhoto = await decodeDataUrl(small.photo!.dataUrl);
    assert.equal(Math.max(smallPhoto.width!, smallPhoto.height!), Math.max(items[0].width!, items[0].height!), 'small originals are not enlarged');
  });

  test('models, providers, thresholds and counts come from the runs and the stored scores', async () => {
    const data = await buildReportData(kase.store, { ...reportSettings(),  items: 'flagged' });
    assert.deepEqual(data.models.map((m) => m.id).sort(), ['fixture-ela-cnn', 'fixture-texture-cnn']);
    for (const m of data.models) {
      assert.match(m.onnxSha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(m.providers, ['cpu']);
      assert.deepEqual(m.thresholds, [0.5]);
      assert.equal(m.fixture, true);
      assert.ok(m.task === 'generated' || m.task === 'manipulated');
      assert.deepEqual(m.runIds, kase.store.listRuns().map((r) => r.id));
    }
    assert.equal(data.summary.items, items.length);
    assert.deepEqual(data.summary.verdicts, { authentic: 1, manipulated: 0, generated: 0, inconclusive: 0, unreviewed: items.length - 1 });
    assert.equal(data.summary.reviewerFlagged, 1);
    assert.equal(data.summary.fixtureModelsUsed, true);
    for (const d of data.summary.detectors) assert.equal(d.flagged + d.notFlagged + d.unscored, items.length);
    assert.equal(data.elaParameters.length, 1);
    assert.equal(data.runs.length, 2, 'the second import was a second run');
    assert.ok(data.dates.firstAnalysed! <= data.dates.lastAnalysed!);
  });

  test('a changed or missing file is reported, and shown by its import-time thumbnail, never its new bytes', async () => {
    const dir = tempDir('pl-report-integrity-');
    try {
      const c = await makeAnalysedCase(dir, 3);
      const [changed, gone] = c.store.listEvidence({ sort: 'time' });
      fs.writeFileSync(changed.path, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).jpeg().toBuffer());
      fs.rmSync(gone.path);
      const data = await buildReportData(c.store, { ...reportSettings(),  items: 'all' });
      assert.equal(data.verification.ok, false);
      const byId = new Map(data.items.map((i) => [i.id, i]));
      assert.equal(byId.get(changed.id)!.integrity, 'modified');
      assert.equal(byId.get(gone.id)!.integrity, 'missing');
      for (const item of [byId.get(changed.id)!, byId.get(gone.id)!]) {
        assert.match(item.photo!.caveat!, /thumbnail made from the original bytes at import/);
        const thumb = await decodeDataUrl(item.photo!.dataUrl);
        assert.ok(Math.max(thumb.width!, thumb.height!) <= 256);
      }
      const red = await sharp(Buffer.from(byId.get(changed.id)!.photo!.dataUrl.split(',')[1], 'base64')).stats();
      assert.ok(red.channels[1].mean > 40, 'the picture is the original scene, not the red square written over it');
      assert.deepEqual(data.evidence.find((e) => e.id === changed.id)!.flags.slice(0, 1), ['MODIFIED']);
      assert.deepEqual(data.evidence.find((e) => e.id === gone.id)!.flags.slice(0, 1), ['MISSING']);
      c.store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the data is embedded so the page reads it back exactly, even text that closes a script tag', async () => {
    kase.store.setReview(items[4].id, { notes: 'Quote from the chat: </script><script>alert(1)</script> $& $1', reviewer: 'A. Examiner' });
    const data = await buildReportData(kase.store, { ...reportSettings(),  ids: [items[4].id] });
    const pageDir = tempDir('pl-report-page-');
    try {
      fs.writeFileSync(path.join(pageDir, 'report.html'), '<html><head><script type="module" src="./assets/report.js"></script></head><body><script id="report-data" type="application/json">null</script></body></html>');
      fs.mkdirSync(path.join(pageDir, 'assets'));
      fs.writeFileSync(path.join(pageDir, 'assets', 'report.js'), 'export {};');
      const doc = reportDocument(data, pageDir);
      const scripts = doc.html.match(/<\/script>/g)!;
      assert.equal(scripts.length, 2, 'the notes cannot close the data element');
      const json = doc.html.match(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/)![1];
      assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(data)));
      assert.ok(json.includes('\\u003c/script>'), 'the closing tag in the notes is escaped');

      assert.equal(serveReportRequest(doc, '/report.html')!.body.toString(), doc.html);
      assert.equal(serveReportRequest(doc, '/assets/report.js')!.contentType, 'text/javascript; charset=utf-8');
      assert.equal(serveReportRequest(doc, '/../package.json'), null);
      assert.equal(serveReportRequest(doc, '/assets/%2e%2e/%2e%2e/etc/passwd'), null);
      assert.equal(serveReportRequest(doc, '/assets/missing.js'), null);
      assert.throws(() => reportDocument(data, path.join(pageDir, 'nowhere')), (err: unknown) => err instanceof ReportError && err.code === 'TEMPLATE_MISSING' && /npm run build/.test(err.message));
    } finally {
      fs.rmSync(pageDir, { recursive: true, force: true });
    }
  });

  test('a folder without a case is refused with a sentence the user can act on', async () => {
    const dir = tempDir('pl-report-empty-');
    const store = openCaseDatabase(dir);
    try {
      await assert.rejects(buildReportData(store, reportSettings()), (err: unknown) => err instanceof ReportError && err.code === 'NO_CASE' && /create it/.test(err.message));
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
