// The synthesised manipulation training data keeps its promises, checked on a small run over
// generated "authentic photos": every forgery has a non-empty mask of its size, the classes get
// the same containers, splits are by photo group and a splice's donor comes from its own split,
// nothing near-duplicates across splits, and the same seed gives the same files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { parseCsv } from '../../src/main/evaluation/dataset/csv';
import { pythonCommand } from '../../src/main/training/python';
import { SCRIPTS_DIR } from '../config';
import { makeNaturalPixels } from '../fixtures/images';
import { pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-synth-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in for ../shared: authentic "photos" in the three photo folders. */
async function fakeShared(root: string): Promise<void> {
  const folders = [['cbsd68', 'png'], ['sun_hays80', 'jpg'], ['mcmaster18', 'tif']] as const;
  let seed = 1;
  for (const [name, ext] of folders) {
    const dir = join(root, 'datasets', 'photos', name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i++) {
      const [w, h] = [320 + 16 * i, 300 - 8 * i];
      const img = sharp(makeNaturalPixels(w, h, seed++), { raw: { width: w, height: h, channels: 3 } });
      const file = join(dir, `p${i}.${ext}`);
      await (ext === 'png' ? img.png() : ext === 'jpg' ? img.jpeg({ quality: 80 }) : img.tiff()).toFile(file);
    }
  }
}

function rows(file: string): Record<string, string>[] {
  const [header, ...records] = parseCsv(readFileSync(file, 'utf8'));
  return records.map((r) => Object.fromEntries(header.fields.map((h, i) => [h, r.fields[i]])));
}

test('synthesised forgeries: masks, identical containers, photo-level splits, reproducible', { timeout: 300_000 }, async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const shared = join(tmp, 'shared');
  await fakeShared(shared);
  const [exe, lead] = pythonCommand(found.env.executable);
  const synth = (out: string) => {
    const r = spawnSync(exe, [...lead, join(SCRIPTS_DIR, 'synthesize.py'), 'manipulation', '--shared', shared, '--out', out, '--per-photo-train', '3', '--per-photo-val', '3', '--val-fraction', '0.4', '--seed', '11'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const out = join(tmp, 'a');
  const report = synth(out);
  const items = rows(join(out, 'items.csv'));
  const sources = rows(join(out, 'sources.csv'));
  assert.equal(items.length, 15 * 2 * 3);

  // Every fake has a mask of its own size marking something; reals have none.
  for (const it of items) {
    if (it.label === 'real') {
      assert.equal(it.mask, '');
      assert.equal(it.source, 'authentic');
      continue;
    }
    const image = await sharp(join(out, it.path)).metadata();
    const mask = await sharp(join(out, it.mask)).greyscale().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([mask.info.width, mask.info.height], [image.width, image.height], it.path);
    const share = mask.data.filter((v) => v >= 128).length / mask.data.length;
    assert.ok(share >= 0.005 && share <= 0.6, `${it.path}: ${share} of the image tampered`);
    assert.ok(/^(splice|copy-move|retouch-)/.test(it.source), it.source);
  }

  // Containers per class: both classes use the same formats, in equal numbers of images.
  for (const label of ['real', 'fake']) {
    const formats = new Set(items.filter((i) => i.label === label).map((i) => i.format));
    assert.ok(formats.size >= 2, `${label} uses ${[...formats].join(', ')}`);
  }
  for (const split of ['train', 'val']) {
    assert.equal(items.filter((i) => i.split === split && i.label === 'real').length, items.filter((i) => i.split === split && i.label === 'fake').length);
  }

  // Splits by photo group; a splice's donor photo is in the target's split.
  const splitOfPhoto = new Map(sources.map((s) => [s.file, s.split]));
  const splitsOfGroup = new Map<string, Set<string>>();
  for (const it of items) splitsOfGroup.set(it.group, (splitsOfGroup.get(it.group) ?? new Set()).add(it.split));
  for (const [group, splits] of splitsOfGroup) assert.equal(splits.size, 1, `group ${group} in ${[...splits].join(' and ')}`);
  let splices = 0;
  for (const it of items.filter((i) => i.source === 'splice')) {
    const donor = JSON.parse(it.history).donor as string;
    assert.equal(splitOfPhoto.get(donor), it.split, `${it.path}: donor ${donor}`);
    assert.notEqual(donor, it.sourcePhoto);
    splices++;
  }
  assert.ok(splices > 0, 'some splices were made');
  assert.equal(report.outputs.nearDuplicatePairsAcrossSplits, 0);
  assert.deepEqual(new Set(sources.map((s) => s.split)), new Set(['train', 'val']));

  // Same seed, same bytes.
  const again = join(tmp, 'b');
  synth(again);
  const digest = (dir: string, file: string) => createHash('sha256').update(readFileSync(join(dir, file))).digest('hex');
  assert.equal(digest(again, 'items.csv'), digest(out, 'items.csv'));
  for (const it of items.slice(0, 20)) assert.equal(digest(again, it.path), digest(out, it.path), it.path);
});
