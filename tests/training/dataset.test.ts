import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dataHash, itemsFromFolder, prepareItems, splitItems } from '../../src/main/training/dataset';
import { fitLogistic } from '../../src/main/training/logistic';
import { accuracy, averagePrecision, crossEntropy } from '../../src/main/training/metrics';
import { SCRIPTS_DIR } from '../config';
import { seededRandom } from '../fixtures/images';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-dataset-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder with flat files, grouped subfolders shared across labels, and files to ignore. */
function makeTree(root: string): void {
  const files = [
    'real/a.jpg',
    'real/b.png',
    'real/scene1/x.jpg',
    'fake/scene1/x-spliced.jpg',
    'fake/scene2/y.png',
    'fake/c.webp',
    'car/0_real/d.png',
    'car/1_fake/e.png',
    'real/notes.txt',
    'real/.hidden.jpg',
    'unlabelled/f.jpg',
  ];
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), `content of ${f}`);
  }
}

test('a labelled folder: label folders at any depth, groups from subfolders, other files ignored', async () => {
  const root = join(tmp, 'tree');
  makeTree(root);
  const items = await itemsFromFolder(root);
  const rel = (p: string) => p.slice(root.length + 1);
  assert.deepEqual(
    items.map((it) => [rel(it.path), it.label, it.group]),
    [
      ['car/0_real/d.png', 'real', 'car/0_real/d.png'],
      ['car/1_fake/e.png', 'fake', 'car/1_fake/e.png'],
      ['fake/c.webp', 'fake', 'fake/c.webp'],
      ['fake/scene1/x-spliced.jpg', 'fake', 'scene1'],
      ['fake/scene2/y.png', 'fake', 'scene2'],
      ['real/a.jpg', 'real', 'real/a.jpg'],
      ['real/b.png', 'real', 'real/b.png'],
      ['real/scene1/x.jpg', 'real', 'scene1'],
    ],
  );
});

test('the split keeps groups together, honours explicit splits and hits the per-label share', () => {
  const items = Array.from({ length: 200 }, (_, i) => ({ label: (i % 2 ? 'fake' : 'real') as 'real' | 'fake', group: `g${Math.floor(i / 4)}` }));
  items[0] = { ...items[0], split: 'val' } as (typeof items)[number];
  const split = splitItems(items, 0.2, 7);
  const sides = new Map<string, Set<string>>();
  for (const it of split) sides.set(it.group, (sides.get(it.group) ?? new Set()).add(it.split));
  assert.ok([...sides.values()].every((s) => s.size === 1 || s.has('val')), 'no group on both sides (except the forced item)');
  assert.equal(split[0].split, 'val');
  for (const label of ['real', 'fake']) {
    const val = split.filter((it) => it.label === label && it.split === 'val').length;
    assert.ok(Math.abs(val - 20) <= 2, `${label}: ${val} of 100 in validation`);
  }
  assert.deepEqual(splitItems(items, 0.2, 7), split, 'deterministic');
  assert.notDeepEqual(splitItems(items, 0.2, 8).map((it) => it.split), split.map((it) => it.split), 'the seed matters');
});

test('Python (split.py) and TypeScript split and hash the same folder identically', async (t) => {
  const root = join(tmp, 'same');
  for (let i = 0; i < 30; i++) {
    const label = i % 3 === 0 ? 'fake' : 'real';
    const dir = i % 5 === 0 ? join(root, label, `scene${i % 4}`) : join(root, label);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `img${i}.png`), `pixels ${i}`);
  }
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(SCRIPTS_DIR)})`,
    'from provenance_train.split import prepare_items, data_hash',
    `train, val, warnings = prepare_items({"folder": ${JSON.stringify(root)}, "items": None, "valFraction": 0.3, "splitSeed": 5})`,
    'print(json.dumps({"val": sorted(it["path"] for it in val), "train": data_hash(train), "valHash": data_hash(val)}))',
  ].join('\n');
  const py = ['python3', '/usr/bin/python3', 'python'].map((cmd) => spawnSync(cmd, ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })).find((r) => r.status === 0);
  if (!py) return t.skip('no python3 on this machine to run split.py');
  const fromPython = JSON.parse(py.stdout);
  const { train, val } = await prepareItems({ folder: root, valFraction: 0.3, splitSeed: 5 });
  assert.deepEqual(val.map((it) => it.path).sort(), fromPython.val);
  assert.equal(dataHash(train), fromPython.train);
  assert.equal(dataHash(val), fromPython.valHash);
});

test('the data hash depends on contents and labels, not on paths or order', () => {
  const a = [{ sha256: '1'.repeat(64), label: 'real' as const }, { sha256: '2'.repeat(64), label: 'fake' as const }];
  assert.equal(dataHash(a), dataHash([...a].reverse()));
  assert.notEqual(dataHash(a), dataHash([{ ...a[0], label: 'fake' }, a[1]]));
});

test('metrics match scikit-learn on a worked example', () => {
  const scores = [0.1, 0.4, 0.35, 0.8];
  const fake = [false, false, true, true];
  // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
  assert.ok(Math.abs(averagePrecision(scores, fake)! - 0.8333333333) < 1e-9);
  assert.equal(accuracy(scores, fake, 0.5), 0.75);
  assert.equal(averagePrecision(scores, [false, false, false, false]), null);
  assert.ok(Math.abs(crossEntropy([0.5, 0.5], [true, false])! - Math.LN2) < 1e-12);
});

test('logistic regression separates separable data, balances classes and is deterministic', () => {
  const rnd = seededRandom(3);
  const x: Float32Array[] = [];
  const y: boolean[] = [];
  // 90 real vs 10 fake, separable along a direction mixing two of five features, with offsets.
  for (let i = 0; i < 100; i++) {
    const fake = i < 10;
    const row = Float32Array.from({ length: 5 }, () => rnd() * 2 - 1);
    row[1] += fake ? 3 : -3;
    row[3] = 100 + row[3] * 50; // a large, uninformative feature: standardisation must cope
    x.push(row);
    y.push(fake);
  }
  const fit = fitLogistic(x, y, { l2: 1e-3 });
  assert.ok(fit.converged);
  const score = (r: Float32Array) => 1 / (1 + Math.exp(-(fit.bias + r.reduce((s, v, j) => s + v * fit.weight[j], 0))));
  assert.equal(accuracy(x.map(score), y, 0.5), 1);
  assert.ok(Math.abs(fit.weight[1]) > 10 * Math.abs(fit.weight[3]), 'the informative feature dominates');
  assert.deepEqual(fitLogistic(x, y, { l2: 1e-3 }), fit);
  assert.throws(() => fitLogistic(x, y.slice(1)), /as many labels/);
});
