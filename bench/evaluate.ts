// `node --import tsx bench/evaluate.ts`: throughput of `evaluate` on 2,000 small generated images
// (a CNNDetection-style set, two generators, noisier fakes), next to a baseline measured in the
// same process on the same files: sharp decoding every file to RGB, the least any evaluation
// must do. The ratio holds across machines; the absolute numbers do not.
// Options: --count N (default 2000), --size PX (default 128), --models a,b (default
// fixture-texture-cnn), --ep auto|cpu|webgpu (default cpu), --robustness, --json FILE, --keep.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../src/main/cli/terminal';
import { evaluate, loadLabelledSet } from '../src/main/evaluation';
import { decodeImage, DEFAULT_INGEST_OPTIONS } from '../src/main/ingest';
import { installLayoutFrom, loadConfig } from '../src/main/config';
import { ModelCatalogue } from '../src/main/inference/catalogue';
import { makeCnnDetectionSet, tempDir } from '../tests/evaluation/datasets';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    size: { type: 'string' },
    models: { type: 'string' },
    ep: { type: 'string' },
    robustness: { type: 'boolean' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const count = Number(values.count ?? 2000);
const size = Number(values.size ?? 128);
const models = (values.models ?? 'fixture-texture-cnn').split(',');
const ep = (values.ep ?? 'cpu') as 'auto' | 'cpu' | 'webgpu';
if (!Number.isInteger(count) || count < 4 || count % 4 !== 0) throw new Error('--count must be a multiple of 4 (two generators, real and fake)');

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

async function main(): Promise<void> {
  const work = tempDir('provenance-bench-eval-');
  try {
    console.log(`# generating ${count} JPEGs of ${size}x${size} in ${work}`);
    const made = await timed(() => makeCnnDetectionSet(join(work, 'set'), { generators: ['gan', 'diffusion'], perClass: count / 4, size }));
    console.log(`  ${made.seconds.toFixed(1)} s`);
    const set = await loadLabelledSet(made.value);
    const files = set.items.map((i) => i.path);
    const concurrency = Math.min(4, availableParallelism());

    // Warm the page cache and sharp's thread pool so the first measurement is not penalised.
    for (const f of files.slice(0, 20)) await decodeImage(readFileSync(f), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });

    const decode = await timed(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < files.length) await decodeImage(readFileSync(files[next++]), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
        }),
      );
    });

    const config = loadConfig({ install: installLayoutFrom(import.meta.url), overrides: { provider: ep, showFixtureModels: true } });
    const { detectors } = await ModelCatalogue.fromConfig(config).openDetectors({ ids: models });
    let result;
    let total;
    try {
      total = await timed(() => evaluate(set, detectors, { robustness: values.robustness ?? false, concurrency }));
      result = total.value;
    } finally {
      await Promise.all(detectors.map((d) => d.close()));
    }

    const n = files.length;
    const decodeRate = n / decode.seconds;
    const t = result.throughput;
    const rows = [
      ['baseline: read + sharp decode to RGB', decode.seconds.toFixed(2), decodeRate.toFixed(1), '1.00'],
      [`evaluate: scoring (${models.join('+')}${t.passesPerImage > 1 ? `, ${t.passesPerImage} passes` : ''})`, t.seconds.toFixed(2), t.imagesPerSecond.toFixed(1), (t.imagesPerSecond / decodeRate).toFixed(2)],
      ['evaluate: end to end (+ metrics, 1000-replicate bootstrap)', total.seconds.toFixed(2), (n / total.seconds).toFixed(1), (n / total.seconds / decodeRate).toFixed(2)],
    ];
    console.log(`\n${n} images, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), decode concurrency ${concurrency}, provider ${Object.values(t.providers).join(', ')}`);
    console.log(formatTable(['stage', 'seconds', 'images/s', 'vs decode'], rows));
    for (const [i, m] of result.models.entries()) {
      const metrics = result.perModel[i].metrics!;
      console.log(`${m.id}: accuracy ${(metrics.accuracy * 100).toFixed(1)}%, AP ${((metrics.ap ?? 0) * 100).toFixed(1)}%, mAP ${((result.perModel[i].table!.mean.ap ?? 0) * 100).toFixed(1)}% (fixture model: sanity numbers only)`);
    }
    if (values.json) {
      writeFileSync(values.json, JSON.stringify({ images: n, size, decode: { seconds: decode.seconds, imagesPerSecond: decodeRate }, evaluate: t, endToEndSeconds: total.seconds }, null, 2));
    }
  } finally {
    if (values.keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
