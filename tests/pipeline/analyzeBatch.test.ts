import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AnalysisRecord } from '../../src/contract/evidence';
import { DEFAULT_ELA_PARAMETERS } from '../../src/main/analysis';
import type { Detector } from '../../src/main/inference';
import { decodeImage, DEFAULT_INGEST_OPTIONS } from '../../src/main/ingest';
import sharp from 'sharp';
import { analyzeBatch } from '../../src/main/pipeline/analyzeBatch';
import { testCatalogue } from '../config';
import { makeBadFiles, makeJpeg } from '../fixtures/images';

describe('analyzeBatch', () => {
  let dir: string;
  let detectors: Detector[];
  const n = 24;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pipeline-'));
    mkdirSync(join(dir, 'img'));
    for (let i = 0; i < n; i++) await makeJpeg(join(dir, 'img', `p${String(i).padStart(2, '0')}.jpg`), { width: 64 + (i % 5) * 40, height: 80, seed: i });
    ({ detectors } = await testCatalogue({ provider: 'cpu' }).openDetectors({ ids: ['fixture-texture-cnn'] }));
  });
  after(async () => Promise.all(detectors.map((d) => d.close())));

  const base = () => ({ detectors, ingest: DEFAULT_INGEST_OPTIONS, ela: DEFAULT_ELA_PARAMETERS });

  test('batched scores equal the scores of files analysed one at a time', async () => {
    const batched = new Map<string, number>();
    await analyzeBatch([join(dir, 'img')], { ...base(), batchSize: 8, concurrency: 3, onRecord: (r) => void batched.set(r.path, r.scores![0].score) });
    const single = new Map<string, number>();
    await analyzeBatch([join(dir, 'img')], { ...base(), batchSize: 1, concurrency: 1, onRecord: (r) => void single.set(r.path, r.scores![0].score) });
    assert.equal(batched.size, n);
    for (const [p, s] of single) assert.ok(Math.abs(s - batched.get(p)!) < 1e-5, p);
  });

  test('cancellation stops taking files, keeps delivered records, and a resume finishes the rest', async () => {
    const controller = new AbortController();
    const first: AnalysisRecord[] = [];
    const progress: number[] = [];
    const summary = await analyzeBatch([join(dir, 'img')], {
      ...base(),
      concurrency: 1,
      batchSize: 1,
      signal: controller.signal,
      onRecord: (r) => {
        first.push(r);
        if (first.length === 5) controller.abort();
      },
      onProgress: (p) => progress.push(p.done),
    });
    assert.equal(summary.cancelled, true);
    assert.ok(first.length >= 5 && first.length < n, `stopped early (${first.length})`);
    assert.equal(summary.ok, first.length);
    assert.ok(progress.at(-1)! === first.length, 'progress reported every delivered record');

    const done = new Set(first.map((r) => r.path));
    const rest: AnalysisRecord[] = [];
    const resumed = await analyzeBatch([join(dir, 'img')], { ...base(), alreadyDone: (p) => done.has(p), onRecord: (r) => void rest.push(r) });
    assert.equal(resumed.cancelled, false);
    assert.equal(resumed.skipped, first.length);
    assert.equal(rest.length, n - first.length);
    assert.equal(new Set([...done, ...rest.map((r) => r.path)]).size, n);
  });

  test('worker threads prepare files exactly as the main thread does, bad files included', async () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    const bad = await makeBadFiles(join(mixed, 'bad'));
    for (let i = 0; i < 4; i++) await makeJpeg(join(mixed, `w${i}.jpg`), { width: 120, height: 90, seed: 50 + i });
    const ela = await testCatalogue({ provider: 'cpu' }).openDetectors({ ids: ['fixture-ela-cnn'] });
    const run = async (workers: number) => {
      const records = new Map<string, AnalysisRecord>();
      const heatmapDir = join(dir, `heat-${workers}`);
      mkdirSync(heatmapDir);
      await analyzeBatch([mixed], { ...base(), detectors: [...detectors, ...ela.detectors], heatmapDir, workers, onRecord: (r) => void records.set(r.path, r) });
      return records;
    };
    try {
      const inProcess = await run(0);
      const threaded = await run(2);
      assert.equal(threaded.size, inProcess.size);
      assert.ok(inProcess.size >= 4 + Object.keys(bad).length - 1);
      for (const [path, a] of inProcess) {
        const b = threaded.get(path)!;
        assert.equal(b.status, a.status, path);
        assert.equal(b.sha256, a.sha256, path);
        assert.deepEqual(b.error, a.error, path);
        assert.deepEqual(b.metadata, a.metadata, path);
        assert.deepEqual(b.ela?.stats, a.ela?.stats, path);
        assert.deepEqual(b.scores?.map((s) => s.score), a.scores?.map((s) => s.score), path);
        assert.ok(b.elapsedMs >= 0 && b.elapsedMs < 60_000, 'elapsed time measured on one clock');
      }
    } finally {
      await Promise.all(ela.detectors.map((d) => d.close()));
    }
  });

  test('scores from inputs built while preparing equal Detector.score on the decoded image, ELA model included', async () => {
    const ela = await testCatalogue({ provider: 'cpu' }).openDetectors({ ids: ['fixture-ela-cnn'] });
    const all = [...detectors, ...ela.detectors];
    try {
      const records: AnalysisRecord[] = [];
      await analyzeBatch([join(dir, 'img')], { ...base(), detectors: all, onRecord: (r) => void records.push(r) });
      assert.equal(records.length, n);
      for (const r of records.slice(0, 6)) {
        const image = await decodeImage(readFileSync(r.path), { maxPixels: 1e9 });
        for (const d of all) {
          const [direct] = await d.score([image]);
          const piped = r.scores!.find((s) => s.modelId === d.manifest.id)!;
          assert.ok(Math.abs(direct.score - piped.score) < 1e-6, `${d.manifest.id} on ${r.path}: ${piped.score} vs ${direct.score}`);
        }
      }
    } finally {
      await Promise.all(ela.detectors.map((d) => d.close()));
    }
  });

  test('large images get a preview; the full-resolution heatmap only when asked for', async () => {
    const big = join(dir, 'big');
    mkdirSync(big);
    await makeJpeg(join(big, 'wide.jpg'), { width: 1300, height: 700, seed: 77 });
    const runWith = async (fullHeatmaps: boolean) => {
      const heatmapDir = join(dir, `heat-full-${fullHeatmaps}`);
      mkdirSync(heatmapDir);
      let record: AnalysisRecord | undefined;
      await analyzeBatch([big], { ...base(), heatmapDir, fullHeatmaps, onRecord: (r) => void (record = r) });
      return { record: record!, files: readdirSync(heatmapDir) };
    };
    const lean = await runWith(false);
    assert.equal(lean.record.ela?.heatmapPath, undefined);
    assert.equal(lean.files.length, 1);
    assert.deepEqual([(await sharp(lean.record.ela!.previewPath!).metadata()).width], [1024]);
    const full = await runWith(true);
    assert.equal(full.files.length, 2);
    assert.deepEqual([(await sharp(full.record.ela!.heatmapPath!).metadata()).width], [1300]);
    assert.deepEqual(full.record.ela!.stats, lean.record.ela!.stats);
  });

  test('progress carries total, rate and an ETA', async () => {
    const snapshots: { total: number | null; eta: number | null; rate: number }[] = [];
    await analyzeBatch([join(dir, 'img')], { ...base(), ela: null, onRecord: () => undefined, onProgress: (p) => snapshots.push({ total: p.total, eta: p.etaSeconds, rate: p.rate }) });
    assert.ok(snapshots.every((s) => s.total === n));
    assert.ok(snapshots.slice(2).some((s) => s.rate > 0 && s.eta !== null));
    assert.equal(snapshots.at(-1)!.eta, 0);
  });
});
