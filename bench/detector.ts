// `node --import tsx bench/detector.ts [--count 256] [--batch 16] [--models ID]`: model-only
// throughput of every execution provider this build can open, measured in the same process on
// the same decoded images, CPU first as the baseline. Preprocessing is included (it is part of
// what a detector costs per image); decoding is not.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { ExecutionProviderName } from '../src/contract/evidence';
import { formatTable } from '../src/main/cli/terminal';
import { installLayoutFrom, loadConfig } from '../src/main/config';
import { availableProviders, Detector, ModelCatalogue } from '../src/main/inference';
import type { DecodedImage } from '../src/main/ingest/decoded';
import { makeNaturalPixels } from '../tests/fixtures/images';

const { values } = parseArgs({ options: { count: { type: 'string' }, batch: { type: 'string' }, models: { type: 'string' }, size: { type: 'string' } } });
const count = Number(values.count ?? 256);
const batch = Number(values.batch ?? 16);
const side = Number(values.size ?? 256);

const images: DecodedImage[] = Array.from({ length: count }, (_, i) => ({ data: makeNaturalPixels(side, side, i), width: side, height: side, channels: 3 }));
// Every usable model of the configuration (PROVENANCE_MODELS_DIR, settings.json, ...), fixtures included.
const config = loadConfig({ install: installLayoutFrom(import.meta.url), overrides: { showFixtureModels: true } });
const registry = (await ModelCatalogue.fromConfig(config).select(values.models?.split(','))).chosen;
const providers = (['cpu', ...availableProviders().filter((p) => p !== 'cpu')] as ExecutionProviderName[]);
const rows: (string | number)[][] = [];
for (const model of registry) {
  let baseline = 0;
  for (const provider of providers) {
    let detector: Detector;
    try {
      detector = await Detector.open(model, { provider, strict: true, maxBatch: batch });
    } catch (err) {
      rows.push([model.id, provider, 'unavailable', '', (err as Error).message.slice(0, 60)]);
      continue;
    }
    await detector.score(images.slice(0, batch)); // warm-up: kernels compiled, buffers allocated
    const t0 = performance.now();
    for (let i = 0; i < count; i += batch) await detector.score(images.slice(i, i + batch));
    const rate = count / ((performance.now() - t0) / 1000);
    if (provider === 'cpu') baseline = rate;
    rows.push([model.id, detector.provider, rate.toFixed(1), baseline ? `${(rate / baseline).toFixed(2)}x` : '', '']);
    await detector.close();
  }
}
console.log(`${count} images of ${side}x${side}, batch ${batch}, ${availableParallelism()} CPUs\n`);
console.log(formatTable(['model', 'provider', 'img/s', 'vs cpu', 'note'], rows));
