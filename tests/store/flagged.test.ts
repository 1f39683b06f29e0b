// One definition of "flagged" (contract/flagged.ts) and its SQL mirror in the gallery query must
// agree item for item: reviewer flag, a real detector at or above its threshold, an analysis flag
// (structured or in an older item's warnings) flag; a test fixture's score alone never does.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FLAGGED_DEFINITION, flagReasons, isFlagged } from '../../src/contract/flagged';
import { openCaseDatabase } from '../../src/main/store';
import { CASE_INPUT, fakeMetadata, okRecord, removeDir, RUN_PARAMETERS, score, sha256Of, tempDir } from './helpers';

describe('flagged: one definition, in TypeScript and in SQL', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  test('the gallery filter finds exactly the items isFlagged() says, for each reason', () => {
    const store = openCaseDatabase(dir, { actor: 'tester' });
    try {
      store.createCase(CASE_INPUT);
      const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: 'test' });
      const add = (name: string, edit: (m: ReturnType<typeof fakeMetadata>) => void = () => {}) => {
        const meta = fakeMetadata(`/ev/${name}.jpg`, sha256Of(name));
        meta.warnings = [];
        edit(meta);
        return { meta, item: store.addEvidence(meta) };
      };
      const real = (value: number) => ({ ...score('gen-a', value), fixture: false });
      const fixture = (value: number) => ({ ...score('gen-b', value), fixture: true });

      const plain = add('plain');
      store.recordResult(run.id, plain.item.id, okRecord(plain.meta, [real(0.1), fixture(0.2)]));
      const byReviewer = add('reviewer');
      store.recordResult(run.id, byReviewer.item.id, okRecord(byReviewer.meta, [real(0.1)]));
      store.setReview(byReviewer.item.id, { flagged: true, reviewer: 'A. Examiner' });
      const byDetector = add('detector');
      store.recordResult(run.id, byDetector.item.id, okRecord(byDetector.meta, [real(0.9)]));
      const fixtureOnly = add('fixture-only');
      store.recordResult(run.id, fixtureOnly.item.id, okRecord(fixtureOnly.meta, [real(0.2), fixture(0.99)]));
      const structured = add('photoshop', (m) => {
        m.analysisFlags = [{ code: 'editing-software', detail: 'EXIF Software tag: Adobe Photoshop 25.0' }];
        m.warnings = ['The EXIF Software tag names editing software ("Adobe Photoshop 25.0"): the file was saved by that program after capture.'];
      });
      store.recordResult(run.id, structured.item.id, okRecord(structured.meta, [real(0.1)]));
      const legacy = add('legacy-gimp', (m) => {
        m.warnings = ['The XMP CreatorTool names editing software ("GIMP 2.10"): the file was saved by that program after capture.'];
      });
      const unanalysed = add('never-analysed');

      const items = store.listEvidence({ sort: 'time' });
      const expected = items.filter(isFlagged).map((i) => i.fileName);
      assert.deepEqual(expected, ['reviewer.jpg', 'detector.jpg', 'photoshop.jpg', 'legacy-gimp.jpg']);
      assert.deepEqual(store.listEvidence({ flagged: true, sort: 'time' }).map((i) => i.fileName), expected);
      assert.deepEqual(store.listEvidence({ flagged: false, sort: 'time' }).map((i) => i.fileName), ['plain.jpg', 'fixture-only.jpg', 'never-analysed.jpg']);
      assert.equal(store.countEvidence({ flagged: true }), 4);
      // Gallery tiles (evidence_state, schema v5) carry the same answer, and the reviewer's own flag apart.
      const tiles = store.listGallery({ sort: 'time' }).items;
      assert.deepEqual(tiles.filter((t) => t.flagged).map((t) => t.fileName), expected);
      assert.deepEqual(tiles.filter((t) => t.reviewerFlag).map((t) => t.fileName), ['reviewer.jpg']);
      assert.deepEqual(store.listGallery({ flagged: true, sort: 'time' }).items.map((t) => t.fileName), expected);
      // A refused file is a tile too, never flagged by what it does not have.
      const refused = store.addRefusedFile({ path: '/ev/empty.jpg', sizeBytes: 0, reason: { code: 'EMPTY_FILE', message: 'empty' } });
      store.recordResult(run.id, refused.id, { path: '/ev/empty.jpg', status: 'error', error: { code: 'EMPTY_FILE', message: 'empty' }, analysedAt: new Date().toISOString(), elapsedMs: 0 });
      const tile = store.listGallery({ hasError: true, sort: 'time' }).items.find((t) => t.id === refused.id)!;
      assert.deepEqual([tile.refused, tile.sha256, tile.format, tile.error?.code, tile.flagged], [true, null, null, 'EMPTY_FILE', false]);
      assert.equal(store.countEvidence({ flagged: true }), 4);

      const reasons = Object.fromEntries(items.map((i) => [i.fileName, flagReasons(i)]));
      assert.deepEqual(reasons['reviewer.jpg'], ['reviewer']);
      assert.deepEqual(reasons['detector.jpg'], ['detector']);
      assert.deepEqual(reasons['fixture-only.jpg'], [], 'a test fixture at 0.99 flags nothing');
      assert.deepEqual(reasons['photoshop.jpg'], ['analysis']);
      assert.deepEqual(reasons['legacy-gimp.jpg'], ['analysis'], 'an item imported before analysisFlags existed');
      void unanalysed;
      assert.match(FLAGGED_DEFINITION, /reviewer flagged it.*threshold.*test-fixture models never flag.*editing software or an AI image generator/s);
    } finally {
      store.close();
    }
  });
});
