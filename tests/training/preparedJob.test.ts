// The "prepared" job kind's own rules, run in Python: job validation (every problem at once),
// the calibration rule (lowest threshold with FPR ≤ target, ties respected), the rates it
// reports, and cell-level F1/IoU of heatmaps.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonCommand } from '../../src/main/training/python';
import { SCRIPTS_DIR } from '../config';
import { pythonForTests } from './helpers';

const SCRIPT = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from provenance_train.job import JobError, validate_job
from provenance_train.prepared import _threshold_at_fpr, _rates, _pixel_scores, PreparedNet

out = {}
job = validate_job({"version": 1, "kind": "prepared", "modelId": "m", "data": {"folder": "/d", "variant": "v"}})
out["defaults"] = [job["model"]["frozenBlocks"], job["calibration"]["targetFpr"], job["earlyStopping"]["metric"], job["task"]]
try:
    validate_job({"version": 1, "kind": "prepared", "modelId": "Bad Id", "data": {"folder": "/d"}, "epochs": 0, "model": {"arch": "resnet50", "frozenBlocks": 3}, "typo": 1})
except JobError as e:
    out["problems"] = str(e)

# 20 reals: scores 0.00, 0.05, ..., 0.95; fakes above. FPR <= 0.1 allows 2 reals at or above t.
reals = [i / 20 for i in range(20)]
fakes = [0.5, 0.92, 0.97, 0.99]
scores, labels = reals + fakes, [0.0] * 20 + [1.0] * 4
t = _threshold_at_fpr(scores, labels, 0.1)
out["t"] = t
out["rates"] = _rates(scores, labels, t)
# Ties: three reals at 0.9 and the target allows two: the threshold must exclude all three.
tied = [0.1] * 17 + [0.9, 0.9, 0.9]
t2 = _threshold_at_fpr(tied + [0.95], [0.0] * 20 + [1.0], 0.1)
out["tied"] = [t2, _rates(tied + [0.95], [0.0] * 20 + [1.0], t2)]
out["zero"] = _threshold_at_fpr([0.2, 0.4, 0.9], [0.0, 0.0, 1.0], 0.0)

truth = np.zeros((4, 4), dtype=np.float32); truth[:, :2] = 1
perfect = truth.copy(); half = np.zeros((4, 4)); half[:, :1] = 1
out["pixels"] = _pixel_scores([perfect, half, perfect], [truth, truth, truth], [1.0, 1.0, 0.0])

net = PreparedNet(2, 14, True)
import torch
with torch.no_grad():
    logit, pooled, heat = net(torch.zeros(2, 6, 64, 64))
out["shapes"] = [list(logit.shape), list(pooled.shape), list(heat.shape)]
out["trainable_prefix"] = sum(p.requires_grad for m in net.frozen() for p in m.parameters())
print(json.dumps(out))
`;

test('prepared jobs: validation, the calibration rule, rates, pixel scores, network shapes', { timeout: 120_000 }, async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const [exe, lead] = pythonCommand(found.env.executable);
  const r = spawnSync(exe, [...lead, '-c', SCRIPT, SCRIPTS_DIR], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.defaults, [14, 0.05, 'valAp', 'manipulated']);
  for (const expected of ['unknown field "typo"', '"modelId" must be', '"data.variant" must name', '"model.arch" must be "mobilenet_v2"', '"model.frozenBlocks" must be an integer in 7..18', '"epochs" must be an integer in 1..1000']) {
    assert.ok(out.problems.includes(expected), `${expected} in: ${out.problems}`);
  }
  // Two reals (0.90, 0.95) may be flagged: the threshold sits just above the third highest (0.85).
  assert.ok(out.t > 0.85 && out.t < 0.8500001, `threshold ${out.t}`);
  assert.deepEqual(out.rates, [0.1, 0.25]);
  assert.ok(out.tied[0] > 0.9 && out.tied[1][0] === 0, `ties excluded together: ${JSON.stringify(out.tied)}`);
  assert.ok(out.zero > 0.4 && out.zero < 0.41, `FPR 0 → just above the highest real: ${out.zero}`);
  const [f1, iou] = out.pixels;
  assert.ok(Math.abs(f1 - (1 + 2 / 3) / 2) < 1e-9 && Math.abs(iou - (1 + 0.5) / 2) < 1e-9, JSON.stringify(out.pixels));
  assert.deepEqual(out.shapes, [[2], [2, 1280], [2, 1, 8, 8]]);
  assert.equal(out.trainable_prefix, 0);
});
