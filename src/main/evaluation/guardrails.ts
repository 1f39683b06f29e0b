// No Node imports: the renderer may import this module too.
// What can make an evaluation's headline numbers mean less than they seem, checked on every
// evaluation and shown before the metrics:
//   - task mismatch: a detector of generated images scored on spliced photographs (or the
//     reverse) measures nothing it was built for;
//   - format leakage: when the real and the fake images differ in file format, size or JPEG
//     quality, a model can separate them by those alone. The classic case is a set of real JPEG
//     photographs against generator output saved as PNG (Wang et al. 2020 note it; Corvi et
//     al. 2023 show detectors learning the format). The check profiles both classes and scores
//     "baselines" that see only one file property, never a pixel: if such a baseline reaches a
//     high AUC, so can a model that learned nothing forensic.
import type {
  ClassFileProfile,
  DatasetSummary,
  EvaluatedItem,
  EvaluatedModel,
  EvaluationGuardrails,
  FormatBaseline,
  FormatLeakage,
  Label,
  TaskMismatch,
} from '../../contract/evaluation';
import { rocAuc } from '../../shared/metrics';

/** A file-property baseline at or above this ROC-AUC means the dataset leaks its labels. */
export const LEAKAGE_AUC = 0.75;
/** Formats whose share differs between the classes by this much (20 points) are a warning too. */
export const LEAKAGE_FORMAT_GAP = 0.2;

export function taskMismatches(models: readonly EvaluatedModel[], datasetTask: DatasetSummary['task']): TaskMismatch[] {
  if (datasetTask === null) return [];
  return models.flatMap((m): TaskMismatch[] => {
    if (datasetTask === 'mixed') {
      return [{ modelId: m.id, modelTask: m.task, datasetTask, message: `${m.name} detects ${m.task} images, but this dataset mixes generated and manipulated fakes: its metrics count the other kind as misses (or luck). Evaluate each kind separately.` }];
    }
    if (datasetTask === m.task) return [];
    return [{
      modelId: m.id,
      modelTask: m.task,
      datasetTask,
      message: `${m.name} detects ${m.task} images, but the fakes of this dataset are ${datasetTask}: its metrics here say little about what it was built for.`,
    }];
  });
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function profile(label: Label, items: readonly EvaluatedItem[]): ClassFileProfile {
  const facts = items.filter((i) => i.label === label && i.file).map((i) => i.file!);
  const counts = new Map<string, number>();
  for (const f of facts) counts.set(f.format, (counts.get(f.format) ?? 0) + 1);
  const qualities = facts.filter((f) => f.jpegQuality !== undefined).map((f) => f.jpegQuality!);
  return {
    label,
    n: facts.length,
    formats: [...counts].map(([format, count]) => ({ format, count, share: count / facts.length })).sort((a, b) => b.count - a.count || (a.format < b.format ? -1 : 1)),
    medianPixels: median(facts.map((f) => f.width * f.height)),
    medianBytes: median(facts.map((f) => f.bytes)),
    jpegQuality: qualities.length ? { n: qualities.length, median: median(qualities)!, min: Math.min(...qualities), max: Math.max(...qualities) } : null,
  };
}

const BUCKETS: Record<FormatBaseline['feature'], { description: string; of: (f: NonNullable<EvaluatedItem['file']>) => string }> = {
  format: { description: 'the file format alone', of: (f) => f.format },
  'jpeg-quality': { description: 'the JPEG quality (or the format, for other files)', of: (f) => (f.jpegQuality !== undefined ? `${f.format}:q${f.jpegQuality}` : f.format) },
  // Half-octave steps of the pixel count: 512×512 and 1024×1024 land in different buckets.
  size: { description: 'the image size (pixel count, in half-octave steps)', of: (f) => String(Math.round(Math.log2(Math.max(1, f.width * f.height)) * 2)) },
  'format+quality+size': {
    description: 'format, JPEG quality and size together',
    of: (f) => `${f.format}|${f.jpegQuality ?? ''}|${Math.round(Math.log2(Math.max(1, f.width * f.height)) * 2)}`,
  },
};

/**
 * ROC-AUC of "probability fake given the bucket", each item scored from the other items of its
 * bucket (leave-one-out, smoothed towards the overall fake rate), so a bucket of one cannot
 * score itself and the baseline is not flattered by memorising.
 */
export function bucketBaselineAuc(labels: readonly Label[], buckets: readonly string[]): number | null {
  const fakeRate = labels.reduce<number>((n, l) => n + l, 0) / labels.length;
  const totals = new Map<string, { n: number; fake: number }>();
  buckets.forEach((b, i) => {
    const t = totals.get(b) ?? { n: 0, fake: 0 };
    t.n += 1;
    t.fake += labels[i];
    totals.set(b, t);
  });
  const scores = buckets.map((b, i) => {
    const t = totals.get(b)!;
    return (t.fake - labels[i] + fakeRate) / (t.n - 1 + 1);
  });
  return rocAuc(labels, scores);
}

export function formatLeakage(items: readonly EvaluatedItem[]): FormatLeakage | null {
  const known = items.filter((i) => i.file);
  if (known.length === 0) return null;
  const classes = [profile(0, known), profile(1, known)];
  const labels = known.map((i) => i.label);
  const oneClass = classes.some((c) => c.n === 0);
  const baselines: FormatBaseline[] = (Object.keys(BUCKETS) as FormatBaseline['feature'][]).map((feature) => ({
    feature,
    description: BUCKETS[feature].description,
    auc: oneClass ? null : bucketBaselineAuc(labels, known.map((i) => BUCKETS[feature].of(i.file!))),
  }));

  const warnings: string[] = [];
  const [real, fake] = classes;
  const formats = [...new Set([...real.formats, ...fake.formats].map((f) => f.format))].sort();
  const gaps: string[] = [];
  for (const format of formats) {
    const a = real.formats.find((f) => f.format === format)?.share ?? 0;
    const b = fake.formats.find((f) => f.format === format)?.share ?? 0;
    if (!oneClass && Math.abs(a - b) >= LEAKAGE_FORMAT_GAP) gaps.push(`${format.toUpperCase()} is ${(a * 100).toFixed(0)} % of the real images but ${(b * 100).toFixed(0)} % of the fakes`);
  }
  if (gaps.length) warnings.push(`Formats differ between the classes: ${gaps.join('; ')}.`);
  const leaking = baselines.filter((b) => b.auc !== null && b.auc >= LEAKAGE_AUC);
  if (leaking.length) {
    warnings.push(
      `File properties alone separate real from fake: ${leaking.map((b) => `ROC-AUC ${b.auc!.toFixed(3)} knowing only ${b.description}`).join(', ')}. A model can score that well without finding any forensic trace.`,
    );
  }
  const leaks = gaps.length > 0 || leaking.length > 0;
  if (leaks) warnings.push('Re-save both classes the same way (same format and quality, similar sizes), or compare the model against these baselines before trusting its numbers.');
  return { classes, baselines, leaks, warnings };
}

export function evaluationGuardrails(models: readonly EvaluatedModel[], datasetTask: DatasetSummary['task'], items: readonly EvaluatedItem[]): EvaluationGuardrails {
  return { taskMismatches: taskMismatches(models, datasetTask), leakage: formatLeakage(items) };
}
