// `provenance evaluate` with what the shipped detectors need: each model at its manifest
// threshold, pixel-level scores of a heatmap against masks, the format-only baseline, chosen
// robustness levels and the robustness plot. A real process on a CSV manifest of real PNG files,
// with the probe models (a heatmap that marks bright cells).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { EvaluationResult } from '../../src/contract/evaluation';
import { writeProbeModels } from '../inference/probeModels';
import { CLI, ROOT } from '../cli/run';

const work = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'pl-eval-det-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

async function png(file: string, width: number, height: number, rect: { x: number; y: number; w: number; h: number } | null, value = 255): Promise<void> {
  const data = Buffer.alloc(width * height * (file.includes('mask') ? 1 : 3));
  const channels = file.includes('mask') ? 1 : 3;
  if (rect) for (let y = rect.y; y < rect.y + rect.h; y++) data.fill(value, (y * width + rect.x) * channels, (y * width + rect.x + rect.w) * channels);
  await sharp(data, { raw: { width, height, channels } }).png().toFile(file);
}

test('manifest thresholds, pixel F1, the format baseline, robustness levels and plot', { timeout: 300_000 }, async () => {
  const models = writeProbeModels(path.join(work, 'models'));
  const lines = ['path,label,group,source,mask'];
  for (let i = 0; i < 8; i++) {
    const rect = { x: 8 * (i % 4), y: 8 * (i % 3), w: 32, h: 24 };
    await png(path.join(work, `fake${i}.png`), 64, 64, rect);
    await png(path.join(work, `mask${i}.png`), 64, 64, rect);
    lines.push(`fake${i}.png,fake,f${i},pasted,mask${i}.png`);
    await png(path.join(work, `real${i}.png`), 64, 64, i % 2 ? { x: 0, y: 0, w: 4, h: 4 } : null, 40);
    lines.push(`real${i}.png,real,r${i},camera,`);
  }
  const csv = path.join(work, 'set.csv');
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);
  const out = path.join(work, 'r.json');
  const plot = path.join(work, 'plot.svg');
  const r = spawnSync(
    process.execPath,
    [CLI, 'evaluate', csv, '--models', 'probe-loc', '--threshold', 'manifest', '--format-baseline', '--robustness', '--robustness-levels', 'jpeg=90,50;blur=0,2;downscale=1,0.5', '--robustness-plot', plot, '--out', out, '--bootstrap', '0', '--quiet'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PROVENANCE_MODELS_DIR: models, PROVENANCE_EP: 'cpu' }, timeout: 240_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as EvaluationResult;
  // The probe's manifest threshold (0.6), not the default 0.5.
  assert.equal(result.threshold, 0.6);
  assert.equal(result.perModel[0].metrics!.confusion.threshold, 0.6);
  assert.match(r.stdout, /threshold 0\.6/);
  // The heatmap finds the white rectangles.
  const loc = result.perModel[0].localization!;
  assert.equal(loc.images, 8);
  assert.ok(loc.f1! > 0.7 && loc.iou! > 0.5, JSON.stringify({ f1: loc.f1, iou: loc.iou }));
  assert.equal(loc.authenticFlaggedShare, 0);
  assert.match(r.stdout, /Localisation \(heatmap vs ground-truth masks\):\n\s+Pixel F1 at 0\.5 \(mean of 8 masks\)\s+[\d.]+/);
  // Same container for both classes: the format baseline sees nothing to go on.
  const fb = result.formatBaseline!;
  assert.deepEqual(fb.formats, { real: { png: 8 }, fake: { png: 8 } });
  assert.match(r.stdout, /Format-only baseline/);
  // The levels asked for, and the plot.
  assert.deepEqual(result.robustness!.levels, { jpeg: [90, 50], blur: [0, 2], downscale: [1, 0.5] });
  assert.match(fs.readFileSync(plot, 'utf8'), /^<svg [\s\S]*JPEG quality[\s\S]*<\/svg>\n$/);
  assert.match(r.stdout, /robustness plot written to/);

  const bad = spawnSync(process.execPath, [CLI, 'evaluate', csv, '--models', 'probe-loc', '--robustness', '--robustness-levels', 'jpeg=101'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PROVENANCE_MODELS_DIR: models } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--robustness-levels: JPEG quality levels must be whole numbers 1\.\.100, got 101/);
});
