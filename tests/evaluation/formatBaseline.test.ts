// The format-only baseline must find a container that gives the class away, and must not find
// one where there is none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Label } from '../../src/contract/evaluation';
import { formatBaseline, type FileFacts } from '../../src/main/evaluation/formatBaseline';
import { seededRandom } from '../../src/main/random';

function item(i: number, label: Label, facts: FileFacts) {
  return { label, group: `g${i}`, facts };
}

test('a set whose tampered images are PNG and authentic ones JPEG leaks: the baseline separates it', () => {
  const rand = seededRandom(3);
  const items = Array.from({ length: 120 }, (_, i) => {
    const fake = i % 2 === 1;
    const width = 300 + Math.round(rand() * 400);
    return item(i, fake ? 1 : 0, fake ? { format: 'png', bytes: width * 250 * 2.5, width, height: 250 } : { format: 'jpeg', bytes: width * 250 * 0.3, width, height: 250, jpegQuality: 80 });
  });
  const b = formatBaseline(items);
  assert.ok(b.auc! > 0.98 && b.accuracy! > 0.95, JSON.stringify(b));
  assert.ok(b.auc! > b.nullAuc!.high, 'far outside what shuffled labels give');
  assert.deepEqual(b.formats, { real: { jpeg: 60 }, fake: { png: 60 } });
  assert.equal(b.folds, 5);
});

test('identical containers for both classes: the baseline stays near chance', () => {
  const rand = seededRandom(7);
  const items = Array.from({ length: 400 }, (_, i) => {
    const width = 256 + Math.round(rand() * 500);
    const formats = ['jpeg', 'png', 'tiff'] as const;
    const format = formats[Math.floor(rand() * 3)];
    const q = 60 + Math.round(rand() * 40);
    return item(i, (i % 2) as Label, { format, bytes: width * width * (0.2 + rand()), width, height: width, jpegQuality: format === 'jpeg' ? q : undefined });
  });
  const b = formatBaseline(items);
  const n = b.nullAuc!;
  // Cross-validated AUCs of signal-free data scatter around a mean a little below 0.5.
  assert.ok(Math.abs(b.auc! - n.mean) < 0.15, `AUC ${b.auc} near the shuffled-label mean ${n.mean}`);
  assert.ok(n.mean > 0.35 && n.mean < 0.55 && n.permutations === 49 && n.low < n.mean && n.mean < n.high, JSON.stringify(n));
  assert.ok(Math.abs(b.ap! - b.chanceAp!) < 0.12, `AP ${b.ap} vs chance ${b.chanceAp}`);
});

test('groups holding both classes (a video\'s real and fake frames) still get a shuffled-label null', () => {
  const rand = seededRandom(5);
  const items = Array.from({ length: 90 }, (_, i) => ({ label: (i % 3 === 0 ? 0 : 1) as Label, group: `v${Math.floor(i / 3)}`, facts: { format: 'jpeg' as const, bytes: 5000 + rand() * 2000, width: 224, height: 224 } }));
  const b = formatBaseline(items);
  assert.ok(b.nullAuc && b.nullAuc.permutations === 49, JSON.stringify(b.nullAuc));
});

test('groups never straddle folds', () => {
  // Every item of a group shares its facts; if a group were split, its own copies would predict it.
  const items = Array.from({ length: 60 }, (_, i) => ({ label: ((i >> 2) % 2) as Label, group: `g${i >> 2}`, facts: { format: 'jpeg' as const, bytes: 1000 + (i >> 2) * 37, width: 100, height: 100 } }));
  const b = formatBaseline(items);
  assert.ok(b.auc! < 0.8, `memorising groups across folds would give a high AUC, got ${b.auc}`);
});
