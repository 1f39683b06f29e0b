// `npm run sample` writes one example per forensic analysis (sample/forensics): each must be
// caught by its analysis, as forensics/README.txt says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeC2pa } from '../../src/main/analysis/c2pa';
import { analyzeCopyMove } from '../../src/main/analysis/copyMove';
import { analyzeDoubleJpeg } from '../../src/main/analysis/doubleJpeg';
import { analyzeGeneratorTraces } from '../../src/main/analysis/generatorTraces';
import { analyzeGhosts } from '../../src/main/analysis/ghosts';
import { analyzeGrid } from '../../src/main/analysis/grid';
import { analyzeMetadataConsistency } from '../../src/main/analysis/metadataConsistency';
import { analyzeNoise } from '../../src/main/analysis/noise';
import { analyzeQuantTables } from '../../src/main/analysis/quantTables';
import { analyzeThumbnail } from '../../src/main/analysis/thumbnail';
import { decode } from '../fixtures/forgeries';

const root = path.resolve(import.meta.dirname, '../..');

describe('the sample folder has an example each forensic analysis catches', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-sample-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', dir], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => fs.readFileSync(path.join(dir, 'forensics', name));

  it('lists every example in its README', () => {
    const readme = fs.readFileSync(path.join(dir, 'forensics', 'README.txt'), 'utf8');
    for (const name of fs.readdirSync(path.join(dir, 'forensics')).filter((n) => n !== 'README.txt')) assert.ok(readme.includes(name), name);
  });

  it('noise, ghosts, grid and copy-move catch theirs', async () => {
    const noise = analyzeNoise(await decode(file('noise-splice.jpg')));
    assert.ok(noise.summary.flagged && noise.summary.region!.x >= 352 && noise.summary.region!.x <= 432, noise.summary.reason);
    const ghosts = analyzeGhosts(await decode(file('ghost-q60-in-q90.jpg')), { lastQuality: 90 });
    assert.ok(ghosts.summary.flagged && Math.abs(ghosts.summary.ghostQuality! - 60) <= 5, ghosts.summary.reason);
    const grid = analyzeGrid(await decode(file('cropped-3-5.png')));
    assert.deepEqual(grid.summary.offset, { x: 3, y: 5 });
    for (const name of ['clone.jpg', 'clone-rotated.jpg']) {
      const r = analyzeCopyMove(await decode(file(name)));
      assert.ok(r.summary.flagged, `${name}: ${r.summary.reason}`);
    }
  });

  it('double JPEG, tables, thumbnail and metadata catch theirs', async () => {
    const dj = analyzeDoubleJpeg(file('double-jpeg-70-90.jpg'));
    assert.ok(dj.summary.flagged && dj.summary.region !== null, dj.summary.reason);
    const qt = analyzeQuantTables(file('mozjpeg-tables.jpg'), { claimed: { make: 'Canon' } });
    assert.ok(qt.summary.flagged, qt.summary.reason);
    const th = await analyzeThumbnail(file('thumbnail-mismatch.jpg'));
    assert.ok(th.summary.flagged, th.summary.reason);
    const md = await analyzeMetadataConsistency(file('dates-out-of-order.jpg'));
    assert.ok(md.summary.findings.some((f) => f.code === 'date-order'), md.summary.reason);
  });

  it('C2PA and generator traces catch theirs', async () => {
    const generated = await analyzeC2pa(file('c2pa-firefly-composite.jpg'), 'jpeg');
    assert.ok(generated.summary.generated && generated.summary.state === 'valid');
    const edited = await analyzeC2pa(file('c2pa-edited-after-signing.jpg'), 'jpeg');
    assert.ok(edited.summary.hashMismatch);
    const sd = analyzeGeneratorTraces(file('stable-diffusion.png'));
    assert.ok(sd.flagged, sd.reason);
  });
});
