import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { EvaluatedModel, RobustnessResult } from '../../src/contract/evaluation';
import { robustnessSvg } from '../../src/main/evaluation/robustnessPlot';

const model = (id: string): EvaluatedModel => ({ id, name: id, version: '1', sha256: '0'.repeat(64), provider: 'cpu', task: 'manipulated', fixture: false, defaultThreshold: 0.4 });

test('the robustness plot is a valid SVG with a panel per perturbation and a line per model and metric', async () => {
  const levels = { jpeg: [100, 90, 70, 50], blur: [0, 1, 3], downscale: [1, 0.5] };
  const curves: RobustnessResult['curves'] = [];
  for (const id of ['a', 'b']) {
    for (const kind of ['jpeg', 'blur', 'downscale'] as const) {
      curves.push({ modelId: id, kind, parameter: kind === 'jpeg' ? 'quality' : kind === 'blur' ? 'sigma' : 'factor', points: levels[kind].map((value, i) => ({ value, ap: 0.9 - 0.1 * i, accuracy: i === 1 ? null : 0.8 - 0.1 * i, n: 50, notes: [] })) });
    }
  }
  const svg = robustnessSvg({ threshold: 0.4, levels, curves }, [model('a'), model('b')], 'Robustness <test>');
  assert.match(svg, /^<svg /);
  assert.match(svg, /Robustness &lt;test&gt;/, 'text is escaped');
  assert.equal((svg.match(/stroke-dasharray="5,3"/g) ?? []).length, 3 * 2 + 2, 'an accuracy line per panel and model, plus the legend');
  assert.equal((svg.match(/<circle /g) ?? []).length, 2 * (4 + 3 + 2));
  for (const label of ['JPEG quality', 'Gaussian blur σ (px)', 'Downscale factor']) assert.ok(svg.includes(label), label);
  // librsvg (through sharp) renders it: the markup is well-formed.
  const { info } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
  assert.ok(info.width > 700 && info.height > 200, `${info.width}×${info.height}`);
});
