import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Label, LabelledItem } from '../../src/contract/evaluation';
import { loadLabelledSet } from '../../src/main/evaluation/dataset';
import { seededRandom } from '../../src/main/evaluation/random';
import { applySplit, groupAwareSplit } from '../../src/main/evaluation/split';
import { removeDir, tempDir, tinyJpeg } from './datasets';

/** ~600 items in groups of 1..8 (frames of "videos"), each group mostly one label, 40% fake. */
function groupedItems(seed: number): LabelledItem[] {
  const rnd = seededRandom(seed);
  const items: LabelledItem[] = [];
  for (let g = 0; items.length < 600; g++) {
    const size = 1 + Math.floor(rnd() * 8);
    const label: Label = rnd() < 0.4 ? 1 : 0;
    for (let k = 0; k < size; k++) {
      // A few groups mix labels (a real video and its deepfake frames).
      const l: Label = rnd() < 0.1 ? ((1 - label) as Label) : label;
      items.push({ path: `/data/v${g}/f${k}.jpg`, label: l, source: g % 3 === 0 ? 'gan' : 'diffusion', group: `v${g}` });
    }
  }
  return items;
}

function sideOfGroups(items: readonly LabelledItem[]): Set<string> {
  return new Set(items.map((i) => i.group));
}

describe('group-aware split', () => {
  const items = groupedItems(7);

  it('never lets a group straddle train and validation, and loses or duplicates nothing', () => {
    for (const seed of [1, 2, 3, 99]) {
      const { train, val } = groupAwareSplit(items, { valRatio: 0.2, seed });
      const trainGroups = sideOfGroups(train);
      for (const g of sideOfGroups(val)) assert.ok(!trainGroups.has(g), `group ${g} is on both sides (seed ${seed})`);
      assert.equal(train.length + val.length, items.length);
      assert.deepEqual(new Set([...train, ...val].map((i) => i.path)).size, items.length);
    }
  });

  it('lands near the requested ratio, overall and per class', () => {
    for (const valRatio of [0.1, 0.2, 0.3, 0.5]) {
      const { val, summary } = groupAwareSplit(items, { valRatio, seed: 5 });
      assert.ok(Math.abs(summary.achievedValRatio - valRatio) < 0.02, `asked ${valRatio}, got ${summary.achievedValRatio}`);
      const fakes = items.filter((i) => i.label === 1).length;
      const reals = items.length - fakes;
      const valFake = val.filter((i) => i.label === 1).length;
      assert.ok(Math.abs(valFake / fakes - valRatio) < 0.03, `fake share ${valFake / fakes} for ${valRatio}`);
      assert.ok(Math.abs((val.length - valFake) / reals - valRatio) < 0.03, `real share for ${valRatio}`);
      assert.deepEqual(summary.val, { items: val.length, real: val.length - valFake, fake: valFake, groups: sideOfGroups(val).size });
      assert.equal(summary.train.items + summary.val.items, items.length);
    }
  });

  it('is deterministic for a seed, whatever the input order, and differs between seeds', () => {
    const a = groupAwareSplit(items, { valRatio: 0.2, seed: 11 });
    const b = groupAwareSplit([...items].reverse(), { valRatio: 0.2, seed: 11 });
    assert.deepEqual(new Set(a.val.map((i) => i.path)), new Set(b.val.map((i) => i.path)));
    const c = groupAwareSplit(items, { valRatio: 0.2, seed: 12 });
    assert.notDeepEqual(new Set(a.val.map((i) => i.path)), new Set(c.val.map((i) => i.path)));
  });

  it('records the split so it can be persisted and re-applied exactly', () => {
    const { record, train, val } = groupAwareSplit(items, { valRatio: 0.25, seed: 3, datasetRoot: '/data', now: () => new Date('2025-03-01T10:00:00Z') });
    assert.equal(record.version, 1);
    assert.equal(record.datasetRoot, '/data');
    assert.equal(record.createdAt, '2025-03-01T10:00:00.000Z');
    assert.deepEqual(record.val, val.map((i) => i.path));
    assert.deepEqual(record.train, train.map((i) => i.path));
    const reloaded = JSON.parse(JSON.stringify(record));
    const again = applySplit(items, reloaded);
    assert.deepEqual(again.val, val);
    assert.deepEqual(again.train, train);
    assert.deepEqual(again.unassigned, []);
  });

  it('refuses ratios outside (0, 1), a fractional seed and an empty set', () => {
    for (const valRatio of [0, 1, -0.1, 1.5, Number.NaN]) assert.throws(() => groupAwareSplit(items, { valRatio, seed: 1 }), RangeError);
    assert.throws(() => groupAwareSplit(items, { valRatio: 0.2, seed: 1.5 }), /whole number/);
    assert.throws(() => groupAwareSplit([], { valRatio: 0.2, seed: 1 }), /empty/);
  });

  it('keeps a CASIA photo and its splices on the same side', async (t) => {
    const root = tempDir('pl-split-casia-');
    t.after(() => removeDir(root));
    let seed = 1;
    for (let n = 1; n <= 12; n++) {
      await tinyJpeg(path.join(root, 'Au', `Au_ani_${String(n).padStart(5, '0')}.jpg`), seed++);
      await tinyJpeg(path.join(root, 'Tp', `Tp_S_NRN_S_N_ani${String(n).padStart(5, '0')}_ani${String(n).padStart(5, '0')}_${String(n).padStart(5, '0')}.jpg`), seed++);
    }
    const set = await loadLabelledSet(root);
    assert.equal(set.summary.groups, 12);
    const { train, val } = groupAwareSplit(set.items, { valRatio: 0.25, seed: 4 });
    assert.equal(val.length, 6, 'three photos with their copy-moves');
    for (const item of val) {
      const id = path.basename(item.path).match(/ani_?(\d{5})/)![1];
      const sameSource = (p: string) => new RegExp(`ani_?${id}`).test(path.basename(p));
      assert.ok(val.some((v) => v.label !== item.label && sameSource(v.path)), `partner of ${item.path} is in validation too`);
      assert.ok(!train.some((t) => sameSource(t.path)));
    }
  });
});
