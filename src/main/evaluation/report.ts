// Human-readable forms of an evaluation: a Markdown report (eval.md) and the plain-text blocks
// the CLI prints. Numbers come from the result only, so the report and eval.json never disagree.
import path from 'node:path';
import type { ConfidenceInterval, EvaluatedModel, EvaluationResult, FormatOnlyBaseline, LocalizationMetrics, MetricsSummary, ModelEvaluation, RobustnessResult } from '../../contract/evaluation';
import { formatGeneratorTableMarkdown, formatGeneratorTableText, percent } from '../../shared/generatorTable';

const MISTAKES_LISTED = 10;

function ci(interval: ConfidenceInterval | null | undefined): string {
  return interval ? ` [${percent(interval.low)}, ${percent(interval.high)}]` : '';
}

const fixed = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits));

/** One line per metric, percentages with their 95% intervals. */
function metricLines(m: MetricsSummary): [string, string][] {
  const lines: [string, string][] = [
    ['Accuracy', `${percent(m.accuracy)}${ci(m.ci?.accuracy)}`],
    ['Real accuracy', percent(m.realAccuracy)],
    ['Fake accuracy (recall)', percent(m.fakeAccuracy)],
    ['Precision', percent(m.precision)],
    ['F1', percent(m.f1)],
    ['Average precision', `${percent(m.ap)}${ci(m.ci?.ap)}`],
    ['ROC-AUC', percent(m.auc)],
  ];
  if (m.thresholdAtFpr) {
    const t = m.thresholdAtFpr;
    lines.push([`Threshold at FPR ≤ ${t.targetFpr}`, t.threshold === null ? 'none (only flagging nothing reaches it)' : `score ${fixed(t.threshold, 4)} (FPR ${percent(t.fpr)}, TPR ${percent(t.tpr)})`]);
  }
  return lines;
}

/** Pixel-level lines of a localisation model (heatmap vs masks). */
function localizationLines(l: LocalizationMetrics): [string, string][] {
  return [
    [`Pixel F1 at ${l.threshold} (mean of ${l.images} masks)`, percent(l.f1)],
    ['Pixel IoU (mean)', percent(l.iou)],
    ['Pixel F1, pixels pooled', percent(l.pooledF1)],
    ['Pixel F1, best threshold per image (optimistic)', percent(l.bestF1)],
    [`Authentic pixels flagged (mean of ${l.authenticImages})`, percent(l.authenticFlaggedShare)],
  ];
}

function modelTitle(model: EvaluatedModel): string {
  return `${model.id} ${model.version} on ${model.provider}${model.fixture ? ' — TEST FIXTURE' : ''}`;
}

function confusionText(m: MetricsSummary): string[] {
  const c = m.confusion;
  const cell = (v: number) => String(v).padStart(14);
  return [
    '               predicted real  predicted fake',
    `  actual real  ${cell(c.tn)}  ${cell(c.fp)}`,
    `  actual fake  ${cell(c.fn)}  ${cell(c.tp)}`,
  ];
}

/** The block the CLI prints per model: metrics, confusion matrix, per-generator table. */
export function formatModelText(model: EvaluatedModel, evaluation: ModelEvaluation): string {
  const lines = [`== ${modelTitle(model)}`];
  const m = evaluation.metrics;
  if (!m) return [...lines, ...evaluation.notes.map((n) => `  ! ${n}`)].join('\n');
  const intervals = m.ci ? ` (95% bootstrap intervals, ${m.ci.accuracy?.requested ?? 0} replicates)` : '';
  lines.push(`${m.n} images (${m.real} real, ${m.fake} fake), threshold ${m.confusion.threshold}${intervals}`);
  const width = Math.max(...metricLines(m).map(([k]) => k.length));
  for (const [k, v] of metricLines(m)) lines.push(`  ${k.padEnd(width)}  ${v}`);
  lines.push('', ...confusionText(m), '');
  if (evaluation.localization) {
    const l = evaluation.localization;
    const w = Math.max(...localizationLines(l).map(([k]) => k.length));
    lines.push('Localisation (heatmap vs ground-truth masks):', ...localizationLines(l).map(([k, v]) => `  ${k.padEnd(w)}  ${v}`), ...l.notes.map((n) => `  ! ${n}`), '');
  }
  if (evaluation.table) lines.push(formatGeneratorTableText(evaluation.table));
  for (const n of [...m.notes, ...evaluation.notes]) lines.push(`  ! ${n}`);
  return lines.join('\n');
}

function robustnessMarkdown(r: RobustnessResult, models: readonly EvaluatedModel[]): string[] {
  const lines = ['## Robustness', '', `AP (accuracy at threshold ${r.threshold}) after each perturbation, applied in memory to the decoded pixels. Values in %.`, ''];
  for (const kind of ['jpeg', 'blur', 'downscale'] as const) {
    const curves = r.curves.filter((c) => c.kind === kind);
    if (curves.length === 0 || r.levels[kind].length === 0) continue;
    const label = kind === 'jpeg' ? 'JPEG quality' : kind === 'blur' ? 'Blur σ' : 'Downscale factor';
    lines.push(`| ${label} | ${models.map((m) => m.id).join(' | ')} |`, `| ---: | ${models.map(() => '---:').join(' | ')} |`);
    r.levels[kind].forEach((value, i) => {
      const cells = models.map((m) => {
        const p = curves.find((c) => c.modelId === m.id)?.points[i];
        return p ? `${percent(p.ap)} (${percent(p.accuracy)})` : 'n/a';
      });
      lines.push(`| ${value} | ${cells.join(' | ')} |`);
    });
    lines.push('');
  }
  return lines;
}

/** The format-only baseline in one paragraph (CLI and Markdown). */
export function formatBaselineText(b: FormatOnlyBaseline): string {
  const formats = (c: Record<string, number>) => Object.entries(c).map(([f, n]) => `${f} ${n}`).join(', ') || 'none';
  return [
    `Format-only baseline (${b.features.join(', ')}; logistic regression, ${b.folds}-fold grouped cross-validation, seed ${b.seed}, ${b.n} images):`,
    `  AP ${percent(b.ap)} % (chance ${percent(b.chanceAp)} %), ROC-AUC ${percent(b.auc)} %` +
      (b.nullAuc ? ` (shuffled labels: ${percent(b.nullAuc.mean)} %, 95 % range ${percent(b.nullAuc.low)}–${percent(b.nullAuc.high)} %, ${b.nullAuc.permutations} permutations)` : '') +
      `, accuracy ${percent(b.accuracy)} %`,
    `  formats: real ${formats(b.formats.real)}; fake ${formats(b.formats.fake)}`,
    ...b.notes.map((n) => `  ! ${n}`),
  ].join('\n');
}

export function formatRobustnessText(r: RobustnessResult, models: readonly EvaluatedModel[]): string {
  const lines = [`Robustness: AP % (accuracy %) per perturbation level, threshold ${r.threshold}`];
  for (const kind of ['jpeg', 'blur', 'downscale'] as const) {
    const label = kind === 'jpeg' ? 'JPEG quality' : kind === 'blur' ? 'blur sigma' : 'downscale';
    for (const m of models) {
      const curve = r.curves.find((c) => c.kind === kind && c.modelId === m.id);
      if (!curve) continue;
      const points = curve.points.map((p) => `${p.value}: ${percent(p.ap)} (${percent(p.accuracy)})`).join('  ');
      lines.push(`  ${label.padEnd(12)} ${m.id.padEnd(Math.max(...models.map((x) => x.id.length)))}  ${points}`);
    }
  }
  return lines.join('\n');
}

/**
 * The guardrail warnings of an evaluation as sentences, to be read before its numbers: a model
 * whose task is not the dataset's, and a dataset whose classes differ in file format, size or
 * JPEG quality (with the file-property baselines' AUC).
 */
export function guardrailWarnings(result: EvaluationResult): string[] {
  const g = result.guardrails;
  if (!g) return [];
  const out = g.taskMismatches.map((m) => `Task mismatch: ${m.message}`);
  if (g.leakage?.leaks) out.push(`Format leakage: ${g.leakage.warnings.join(' ')}`);
  return out;
}

/** The classes' formats and the file-property baselines, as text lines. */
export function formatLeakageText(result: EvaluationResult): string[] {
  const l = result.guardrails?.leakage;
  if (!l) return [];
  const lines = ['File properties per class (format leakage check):'];
  for (const c of l.classes) {
    const formats = c.formats.map((f) => `${f.format} ${(f.share * 100).toFixed(0)}%`).join(', ') || 'none';
    const q = c.jpegQuality ? `, JPEG quality ${c.jpegQuality.min}–${c.jpegQuality.max} (median ${c.jpegQuality.median})` : '';
    lines.push(`  ${c.label === 1 ? 'fake' : 'real'} (${c.n}): ${formats}; median ${c.medianPixels === null ? '—' : `${(c.medianPixels / 1e6).toFixed(2)} MP`}${q}`);
  }
  for (const b of l.baselines) lines.push(`  baseline on ${b.description}: ROC-AUC ${b.auc === null ? 'undefined' : b.auc.toFixed(3)}`);
  return lines;
}

export function formatEvaluationMarkdown(result: EvaluationResult): string {
  const d = result.dataset;
  const s = result.selection;
  const lines = [
    '# Detector evaluation',
    '',
    `- Evaluation ${result.id}, ${result.createdAt}, ${result.softwareVersion}`,
    `- Dataset: \`${d.root}\` — ${d.layoutName}; ${d.total} images (${d.real} real, ${d.fake} fake), ${d.sources.length} generator(s)/source(s), ${d.groups} group(s)`,
    `- Evaluated: ${s.items} images (${s.real} real, ${s.fake} fake)` +
      (s.split ? `, validation side of a group-aware split (ratio ${s.split.valRatio}, seed ${s.split.seed}, achieved ${percent(s.split.achievedValRatio)}%)` : '') +
      (s.limit !== null ? `, a random sample of at most ${s.limit} (seed ${s.seed})` : ''),
    `- Threshold ${result.threshold} (predicted fake when score ≥ threshold)` + (result.bootstrap ? `; 95% intervals from ${result.bootstrap.replicates} bootstrap replicates (seed ${result.bootstrap.seed})` : ''),
    `- Throughput: ${result.throughput.images} images in ${result.throughput.seconds.toFixed(1)} s = ${result.throughput.imagesPerSecond.toFixed(1)} images/s` +
      (result.throughput.passesPerImage > 1 ? ` (${result.throughput.passesPerImage} scoring passes per image)` : ''),
    '',
  ];
  for (const w of guardrailWarnings(result)) lines.push(`> **Warning:** ${w}`, '');
  for (const n of result.notes) lines.push(`> ${n}`, '');

  result.models.forEach((model, i) => {
    const e = result.perModel[i];
    lines.push(`## ${modelTitle(model)}`, '', `ONNX SHA-256 \`${model.sha256}\`, ${e.scored} images scored.`, '');
    const m = e.metrics;
    if (!m) {
      lines.push(...e.notes.map((n) => `- ${n}`), '');
      return;
    }
    lines.push('| Metric | Value (%) |', '| --- | ---: |', ...metricLines(m).map(([k, v]) => `| ${k} | ${v} |`), '');
    const c = m.confusion;
    lines.push('| | Predicted real | Predicted fake |', '| --- | ---: | ---: |', `| **Actual real** | ${c.tn} | ${c.fp} |`, `| **Actual fake** | ${c.fn} | ${c.tp} |`, '');
    if (e.localization) {
      lines.push('### Localisation', '', '| Pixel metric | Value (%) |', '| --- | ---: |', ...localizationLines(e.localization).map(([k, v]) => `| ${k} | ${v} |`), '');
      for (const n of e.localization.notes) lines.push(`- ${n}`);
      if (e.localization.notes.length) lines.push('');
    }
    if (e.table) lines.push('### Per generator', '', formatGeneratorTableMarkdown(e.table), '');
    for (const [title, picks] of [
      ['Most confident false positives (real scored fake)', e.falsePositives],
      ['Most confident false negatives (fake scored real)', e.falseNegatives],
    ] as const) {
      if (picks.length === 0) continue;
      lines.push(`### ${title}`, '', `${picks.length} in all; the first ${Math.min(MISTAKES_LISTED, picks.length)}:`, '');
      for (const p of picks.slice(0, MISTAKES_LISTED)) lines.push(`- ${fixed(p.score, 4)} \`${path.relative(path.dirname(d.root), p.path)}\` (${p.source})`);
      lines.push('');
    }
    const notes = [...m.notes, ...e.notes];
    if (notes.length) lines.push(...notes.map((n) => `- ${n}`), '');
  });
  if (result.robustness) lines.push(...robustnessMarkdown(result.robustness, result.models));
  if (result.formatBaseline) lines.push('## Format-only baseline', '', ...formatBaselineText(result.formatBaseline).split('\n').map((l) => l.trim()), '');
  if (result.unreadable.length > 0) {
    lines.push('## Unreadable images', '', ...result.unreadable.slice(0, 50).map((u) => `- \`${u.path}\`: ${u.code}, ${u.message}`));
    if (result.unreadable.length > 50) lines.push(`- … and ${result.unreadable.length - 50} more (see eval.json)`);
    lines.push('');
  }
  return lines.join('\n');
}
