// Issue 11.5: what the viewer shows is checked. An original is served only while it still has
// its imported SHA-256; derived files are found by SHA-256 under the case's derived folder, so
// paths stored in the database (a crafted case) are never served; a file that cannot be
// decoded, or no longer matches, is answered with a status and a reason and logged in the
// app's log file, not a silent 404.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { MediaRef } from '../../src/contract/media';
import { displayPath, elaHeatmaps, heatmapPaths, thumbnailPath } from '../../src/main/store/derived';
import { createLogger } from '../../src/main/logger';
import { createAppServices, type AppServices, type MediaResponse } from '../../src/main/services';
import { testConfigStore } from '../config';
import { makeJpeg, makePng } from '../fixtures/images';
import { caller, finishedJob } from './call';

describe('media serving checks what it shows', () => {
  let services: AppServices;
  let root: string;
  let caseDir: string;
  let logFile: string;
  const call = caller(() => services);
  const status = (r: MediaResponse) => (r.ok ? 200 : r.status);
  const byName = async (name: string) => (await call('evidence.get', { id: (await call('evidence.list', { text: name })).items[0].id })).item;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'services-media-'));
    const evidence = join(root, 'evidence');
    mkdirSync(evidence);
    await makeJpeg(join(evidence, 'swapped.jpg'), { width: 120, height: 90, seed: 1 });
    await makeJpeg(join(evidence, 'crafted.jpg'), { width: 120, height: 90, seed: 2 });
    await makePng(join(evidence, 'big.png'), { width: 1200, height: 1000, seed: 3 });
    await makeJpeg(join(evidence, 'plain.jpg'), { width: 120, height: 90, seed: 4 });
    const config = testConfigStore({ stateDir: join(root, 'state') });
    logFile = config.current.logFile!;
    const log = createLogger({ level: 'info', file: logFile });
    services = createAppServices({ config, log, shell: 'test-server', pickFolder: async () => null });
    caseDir = join(root, 'case');
    await call('cases.create', { dir: caseDir, name: 'Media checks' });
    const { jobId } = await call('evidence.import', { paths: [evidence] });
    assert.equal((await finishedJob(services, jobId, 'import')).status, 'completed');
  });
  after(async () => {
    await services.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('an original swapped on disk is refused (409), named in the log, never served as the evidence', async () => {
    const item = await byName('swapped');
    const ref: MediaRef = { kind: 'original', evidenceId: item.id };
    const before = await services.media(ref);
    assert.equal(status(before), 200);
    assert.deepEqual(before.ok && before.body, readFileSync(item.path), 'served as it is while it matches');

    // Same format, same size class: a convincing stand-in for the evidence.
    copyFileSync(join(root, 'evidence', 'plain.jpg'), item.path);
    const after = await services.media(ref);
    assert.equal(status(after), 409);
    assert.match(after.ok ? '' : after.message, /swapped\.jpg has changed on disk since it was imported/);
    const edited = await services.media({ kind: 'thumb', evidenceId: item.id });
    assert.equal(status(edited), 200, 'the thumbnail made from the verified bytes at import is still shown');
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /WARN {2}media not served: swapped\.jpg has changed on disk .*"status":409/);
  });

  test('paths stored in the database are never served: heatmaps are looked up by SHA-256 under derived/', async () => {
    const item = await byName('crafted');
    const quality = item.latestResult!.ela!.parameters.quality;
    const honest = await services.media({ kind: 'ela', evidenceId: item.id, quality });
    assert.equal(status(honest), 200);

    // A crafted case: the stored heatmap paths point at a secret outside the case folder.
    const secret = join(root, 'secret.png');
    writeFileSync(secret, 'not for the viewer');
    const db = new Database(join(caseDir, 'case.sqlite'));
    try {
      db.prepare("UPDATE results SET ela_json = json_set(ela_json, '$.heatmapPath', ?, '$.previewPath', ?) WHERE evidence_id = ?").run(secret, secret, item.id);
    } finally {
      db.close();
    }
    const stored = (await call('evidence.get', { id: item.id })).item.latestResult!.ela!;
    assert.equal(stored.heatmapPath, secret, 'the database now names the secret');
    for (const kind of ['ela', 'ela-preview'] as const) {
      const answer = await services.media({ kind, evidenceId: item.id, quality });
      assert.ok(answer.ok, `${kind}: ${answer.ok ? '' : answer.message}`);
      assert.notEqual(answer.body.toString(), 'not for the viewer');
      assert.equal(answer.contentType, 'image/png');
    }

    // A crafted SHA-256 cannot walk out of the derived folder either: the schema refuses it, and
    // (for a database whose schema was rewritten too) no derived path is built from it.
    const db2 = new Database(join(caseDir, 'case.sqlite'));
    try {
      assert.throws(() => db2.prepare('UPDATE evidence SET sha256 = ? WHERE id = ?').run('../../secret', item.id), /CHECK constraint/);
    } finally {
      db2.close();
    }
    const derived = join(caseDir, 'derived');
    for (const build of [() => thumbnailPath(derived, '../../secret'), () => heatmapPaths(derived, '../x'), () => displayPath(derived, 'A'.repeat(64)), () => elaHeatmaps(derived, '/etc/passwd', 90, 90)]) {
      assert.throws(build, /is not a SHA-256: no derived file is named by it/);
    }
  });

  test('a file that cannot be decoded for display is answered 422 with the reason, and logged', async () => {
    // A thumbnail that must be made again (derived/ cleaned) from an original that is now above
    // the configured pixel limit: the decode is refused.
    const item = await byName('big');
    rmSync(join(caseDir, 'derived', 'thumbs', `${item.sha256}.jpg`));
    services.context.options.config.update({ maxPixels: 1_000_000 });
    const answer = await services.media({ kind: 'thumb', evidenceId: item.id });
    assert.equal(status(answer), 422);
    assert.match(answer.ok ? '' : answer.message, /big\.png could not be decoded for display: big\.png declares 1200 × 1000 pixels .*more than the limit/s);
    assert.match(readFileSync(logFile, 'utf8'), /media not served: big\.png could not be decoded for display.*"status":422/);
  });
});
