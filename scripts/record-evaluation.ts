// Writes a held-out evaluation made by `provenance evaluate` into a bundled model's manifest
// (the `evaluation` record), so the app shows the rates measured there next to every score
// instead of the validation rates the threshold was calibrated on:
//
//   npx tsx scripts/record-evaluation.ts resources/models/<id> evaluation/<set>.result.json --split "<what the set is>"
//
// The result must have scored this very model file (same SHA-256) at the manifest's threshold.
// The manifest is checked before it is written.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EvaluationResult } from '../src/contract/evaluation';
import { checkManifest } from '../src/main/inference/manifest';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { split: { type: 'string' } } });
if (positionals.length !== 2 || !values.split) {
  console.error('usage: record-evaluation.ts <model folder> <result.json, relative to the model folder or absolute> --split "<description>"');
  process.exit(2);
}
const dir = resolve(positionals[0]);
const resultPath = resolve(dir, positionals[1]);
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const result = JSON.parse(readFileSync(resultPath, 'utf8')) as EvaluationResult;
const model = result.models.find((m) => m.id === manifest.id);
const per = result.perModel.find((p) => p.modelId === manifest.id);
if (!model || !per?.metrics || !per.table) throw new Error(`${resultPath} holds no metrics of ${manifest.id}`);
const table = per.table;
const onnxSha = createHash('sha256').update(readFileSync(join(dir, 'model.onnx'))).digest('hex');
if (model.sha256 !== onnxSha) throw new Error(`${resultPath} scored model file ${model.sha256}, not this one (${onnxSha})`);
if (result.threshold !== manifest.defaultThreshold) throw new Error(`${resultPath} used threshold ${result.threshold}, not the manifest's ${manifest.defaultThreshold}`);
const m = per.metrics;
// Data hash of the set as the trainer writes it: SHA-256 over sorted "<file SHA-256>\t<label>" lines.
const lines = result.items.map((i) => `${i.sha256}\t${i.label === 1 ? 'fake' : 'real'}`).sort();
manifest.evaluation = {
  split: values.split,
  splitSha256: createHash('sha256').update(lines.join('\n')).digest('hex'),
  scoredBy: `provenance evaluate ${result.softwareVersion} (onnxruntime, ${model.provider})`,
  real: m.real,
  fake: m.fake,
  threshold: result.threshold,
  accuracy: m.accuracy,
  precision: m.precision,
  recall: m.recall,
  f1: m.f1,
  ap: m.ap,
  fpr: m.realAccuracy === null ? null : 1 - m.realAccuracy,
  fnr: m.fakeAccuracy === null ? null : 1 - m.fakeAccuracy,
  perSource: table.rows.map((r) => ({ source: r.source, real: r.real, fake: r.fake, accuracy: r.accuracy, ap: r.ap })),
  meanAccuracy: table.mean.accuracy,
  meanAp: table.mean.ap,
};
const check = checkManifest(manifest);
if (!check.ok) throw new Error(`manifest invalid: ${check.problems.join('; ')}`);
writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`${manifest.id}: evaluation on "${values.split}" recorded (FPR ${manifest.evaluation.fpr}, FNR ${manifest.evaluation.fnr})`);
