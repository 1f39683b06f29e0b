// Copies a finished "prepared" training run into the bundled registry:
//
//   npx tsx scripts/ship-trained-model.ts training-data/runs/<id> --version 1.0.0
//
// resources/models/<id>/model.onnx and manifest.json come from <run>/output unchanged except the
// manifest's version; training.json (history, times, calibration, data hashes) and the run's
// split summary are kept next to them as the record the model card cites. The ONNX file must
// pass the manifest check and the parity check against PyTorch's outputs, and stay ≤ 25 MB.
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkManifest } from '../src/main/inference/manifest';
import { checkParity } from '../src/main/training/parity';

const MAX_BYTES = 25 * 1024 * 1024;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { version: { type: 'string' }, models: { type: 'string', default: 'resources/models' } } });
if (positionals.length !== 1 || !values.version) {
  console.error('usage: ship-trained-model.ts <training run folder> --version X.Y.Z [--models resources/models]');
  process.exit(2);
}
const run = resolve(positionals[0]);
const output = join(run, 'output');
const manifest = JSON.parse(readFileSync(join(output, 'manifest.json'), 'utf8'));
const size = statSync(join(output, 'model.onnx')).size;
if (size > MAX_BYTES) throw new Error(`model.onnx is ${size} bytes, over the 25 MB limit for committed models`);
const parity = await checkParity(join(output, 'model.onnx'), join(output, 'parity.json'));
if (!parity.ok) throw new Error(`parity check failed: ${JSON.stringify(parity)}`);
const shipped = { ...manifest, version: values.version, provenance: { ...manifest.provenance, trainingRun: manifest.version } };
// Runs made before the calibration record took its final shape wrote {threshold, falsePositiveRate, ...}.
const cal = shipped.calibration;
if (cal && 'falsePositiveRate' in cal) {
  shipped.calibration = {
    rule: `lowest threshold with a false-positive rate <= ${100 * cal.targetFpr}% on the validation split (scores of the full-precision network on the prepared inputs)`,
    targetFpr: cal.targetFpr,
    split: 'validation',
    splitSha256: /data SHA-256 ([0-9a-f]{64})/.exec(cal.data)?.[1],
    real: cal.real,
    fake: cal.fake,
    fpr: cal.falsePositiveRate,
    fnr: cal.falseNegativeRate,
  };
}
const check = checkManifest(shipped);
if (!check.ok) throw new Error(`manifest invalid: ${check.problems.join('; ')}`);
const dir = join(resolve(values.models!), manifest.id);
mkdirSync(dir, { recursive: true });
copyFileSync(join(output, 'model.onnx'), join(dir, 'model.onnx'));
writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(shipped, null, 2)}\n`);
const split = JSON.parse(readFileSync(join(run, 'split.json'), 'utf8'));
const training = JSON.parse(readFileSync(join(output, 'training.json'), 'utf8'));
writeFileSync(
  join(dir, 'training.json'),
  `${JSON.stringify({ ...training, job: JSON.parse(readFileSync(join(run, 'job.json'), 'utf8')), split: { dataSha256: split.dataSha256, train: split.train, val: split.val }, parity }, null, 2)}\n`,
);
console.log(`shipped ${manifest.id} ${values.version} (${(size / 1e6).toFixed(1)} MB, parity ${parity.maxScaledDiff.toExponential(1)}) to ${dir}`);
