// The CNNDetection converter on a RANDOMLY INITIALISED ResNet-50 saved in CNNDetection's
// checkpoint layout ({"model": state_dict} with DataParallel's "module." prefixes, fc = one
// logit). No published weights are downloaded: the layout is what is under test. ResNet-50 on
// two slow cores takes some 20–40 s, most of it in the ONNX export.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TrainingEvent } from '../../src/contract/training';
import { Detector } from '../../src/main/inference/detector';
import { loadModelRegistry } from '../../src/main/inference/registry';
import { convertCheckpoint } from '../../src/main/training/convert';
import { decodeFile } from '../../src/main/training/evaluate';
import { makeJpeg } from '../fixtures/images';
import { SCRIPTS_DIR } from '../config';
import { pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-convert-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const checkpoint = join(tmp, 'blur_jpg_prob0.5-random.pth');
const twoClass = join(tmp, 'two-class.pth');
const pickled = join(tmp, 'pickled.pth');

/**
 * Random-init torchvision ResNets with their fc replaced, saved in the CNNDetection layout:
 * the ResNet-50 one-logit detector, and a two-class ResNet-18 that is not one. One Python
 * process for both: importing torch is the slow part.
 */
function makeCheckpoints(python: string): void {
  const save = (arch: string, outputs: number, path: string) => [
    `net = torchvision.models.${arch}(weights=None)`,
    `net.fc = torch.nn.Linear(net.fc.in_features, ${outputs})`,
    `torch.save({'model': {'module.' + k: v for k, v in net.state_dict().items()}, 'total_steps': 0}, ${JSON.stringify(path)})`,
  ];
  const script = [
    'import argparse, torch, torchvision',
    'torch.manual_seed(0)',
    ...save('resnet50', 1, checkpoint),
    ...save('resnet18', 2, twoClass),
    // CNNDetection-style training options saved next to the weights: a pickled object.
    `torch.save({'model': {}, 'opt': argparse.Namespace(arch='res50')}, ${JSON.stringify(pickled)})`,
  ].join('\n');
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

let made = false;
function checkpointsFor(python: string): void {
  if (!made) makeCheckpoints(python);
  made = true;
}

describe('CNNDetection converter', () => {
  test('a ResNet-50 checkpoint in the CNNDetection layout becomes a registry model that scores', { timeout: 300_000 }, async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    checkpointsFor(found.env.executable);
    const modelsDir = join(tmp, 'models');
    const events: TrainingEvent[] = [];
    const result = await convertCheckpoint({ scriptsDir: SCRIPTS_DIR, checkpoint, modelsDir, environment: found.env, onEvent: (e) => events.push(e) });

    assert.ok(result.parity.ok, `ONNX vs PyTorch ${JSON.stringify(result.parity)}`);
    assert.equal(result.parity.batch, 2);
    const exported = events.find((e) => e.type === 'export') as Extract<TrainingEvent, { type: 'export' }> & { arch: string; layout: string };
    assert.equal(exported.arch, 'resnet50');
    assert.equal(exported.layout, 'cnndetection');
    assert.ok(exported.opset >= 13 && exported.opset <= 17);

    const m = result.manifest;
    assert.equal(m.id, 'cnndetection-resnet50');
    assert.equal(m.scoreMeaning, 'probability_fake', 'the sigmoid is in the graph');
    assert.deepEqual([m.input.width, m.input.height], [224, 224]);
    assert.equal(m.preprocessing.mode, 'center-crop');
    assert.deepEqual(m.preprocessing.normalization, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    assert.match(m.provenance.source, /cnndetection layout, SHA-256 [0-9a-f]{64}/);
    assert.deepEqual(readdirSync(result.modelDir).sort(), ['manifest.json', 'model.onnx'], 'parity files removed after the check');

    const model = (await loadModelRegistry(modelsDir)).find((x) => x.id === 'cnndetection-resnet50')!;
    assert.equal(model.status, 'ok', model.problem);
    const image = await decodeFile(await makeJpeg(join(tmp, 'photo.jpg'), { width: 256, height: 200, seed: 3 }));
    const detector = await Detector.open(model, { provider: 'cpu' });
    try {
      const [score] = await detector.score([image, image]);
      assert.ok(score.score >= 0 && score.score <= 1);
      assert.equal((await detector.features([image]))[0].length, 2048);
    } finally {
      await detector.close();
    }
  });

  test('a checkpoint that is not a one-logit detector, or that pickles objects, is refused and leaves nothing behind', async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    checkpointsFor(found.env.executable);
    const modelsDir = join(tmp, 'models-bad');
    await assert.rejects(convertCheckpoint({ scriptsDir: SCRIPTS_DIR, checkpoint: twoClass, modelsDir, id: 'two-class', environment: found.env }), /fc\.weight has shape \(2, 512\)/);
    assert.ok(!existsSync(join(modelsDir, 'two-class')));
    // Unpickling can run code: a checkpoint holding Python objects needs explicit consent.
    await assert.rejects(convertCheckpoint({ scriptsDir: SCRIPTS_DIR, checkpoint: pickled, modelsDir, id: 'pickled', environment: found.env }), /holds Python objects besides tensors/);
  });
});
