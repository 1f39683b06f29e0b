import type { DatasetSummary, LabelledItem } from '../../contract/evaluation';
import { scanDataset, type DatasetErrorCode, type LabelledSet } from './dataset';
import { seededSample } from './random';
import { groupAwareSplit, type GroupSplit } from './split';

export interface SelectionOptions {
  /** Evaluate only the validation share of a group-aware split (0 < ratio < 1). */
  valRatio?: number;
  /** Evaluate a seeded random sample of at most this many images. */
  limit?: number;
  /** Seed of the split and the sample. */
  seed: number;
}

export type SelectedSet =
  | { ok: true; summary: DatasetSummary; set: LabelledSet; split?: GroupSplit<LabelledItem>; sampled: boolean }
  | { ok: false; summary: DatasetSummary; error: { code: DatasetErrorCode; message: string } };

/**
 * Scans a dataset and picks the images to evaluate: all of them, the validation side of a
 * group-aware split, and/or a seeded sample. Shared by the CLI and the app so both evaluate
 * exactly the same selection for the same options.
 */
export async function selectEvaluationSet(input: string, opts: SelectionOptions): Promise<SelectedSet> {
  const scanned = await scanDataset(input);
  if (scanned.failure) return { ok: false, summary: scanned.summary, error: scanned.failure };
  let set: LabelledSet = { root: scanned.summary.root, layout: scanned.summary.layout!, summary: scanned.summary, items: scanned.items };
  let split: GroupSplit<LabelledItem> | undefined;
  if (opts.valRatio !== undefined) {
    split = groupAwareSplit(set.items, { valRatio: opts.valRatio, seed: opts.seed, datasetRoot: set.root });
    if (split.val.length === 0) {
      const message = `the split left no image for validation (${split.summary.train.groups} group(s) in all); use a larger validation share or a dataset with more groups`;
      return { ok: false, summary: scanned.summary, error: { code: 'EMPTY', message } };
    }
    set = { ...set, items: split.val };
  }
  const sampled = opts.limit !== undefined && opts.limit < set.items.length;
  if (sampled) set = { ...set, items: seededSample(set.items, opts.limit!, opts.seed) };
  return { ok: true, summary: scanned.summary, set, split, sampled };
}
