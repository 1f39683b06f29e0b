// Group-aware, stratified train/validation split. Whole groups move together (near-duplicates,
// frames of one video, a photo and its splices never straddle the split) and, as far as the
// group sizes allow, validation gets `valRatio` of the real images and `valRatio` of the fakes.
//
// Method: groups are shuffled with the seed, then taken largest first (ties in shuffled order);
// each goes to validation when that brings the validation counts closer to the targets
// (round(valRatio × real), round(valRatio × fake)), otherwise to training. Big groups are placed
// while there is still room to balance around them; the shuffle makes the choice among equal
// groups random but reproducible.

import type { DatasetSplit, LabelledItem, SplitSideSummary, SplitSummary } from '../../contract/evaluation';
import { seededRandom, shuffled } from './random';

export interface SplitOptions {
  /** Share of items for validation, strictly between 0 and 1. */
  valRatio: number;
  seed: number;
  /** Dataset the items come from, recorded in the persisted split. */
  datasetRoot?: string;
  now?: () => Date;
}

export interface GroupSplit<T extends Pick<LabelledItem, 'label' | 'group' | 'path'>> {
  train: T[];
  val: T[];
  summary: SplitSummary;
  /** What to persist (JSON file, case database) to rebuild the split exactly. */
  record: DatasetSplit;
}

function side<T extends Pick<LabelledItem, 'label' | 'group'>>(items: readonly T[]): SplitSideSummary {
  const fake = items.filter((i) => i.label === 1).length;
  return { items: items.length, real: items.length - fake, fake, groups: new Set(items.map((i) => i.group)).size };
}

export function groupAwareSplit<T extends Pick<LabelledItem, 'label' | 'group' | 'path'>>(items: readonly T[], opts: SplitOptions): GroupSplit<T> {
  const { valRatio, seed } = opts;
  if (!(valRatio > 0 && valRatio < 1)) throw new RangeError(`the validation ratio must be between 0 and 1 (exclusive), got ${valRatio}`);
  if (!Number.isInteger(seed)) throw new RangeError(`the split seed must be a whole number, got ${seed}`);
  if (items.length === 0) throw new RangeError('nothing to split: the set is empty');

  const groups = new Map<string, { real: number; fake: number }>();
  for (const item of items) {
    const g = groups.get(item.group) ?? { real: 0, fake: 0 };
    if (item.label === 1) g.fake++;
    else g.real++;
    groups.set(item.group, g);
  }
  const totalFake = items.filter((i) => i.label === 1).length;
  const target = { real: Math.round(valRatio * (items.length - totalFake)), fake: Math.round(valRatio * totalFake) };

  // Sorted before shuffling so the order does not depend on how the items were listed.
  const keys = [...groups.keys()].sort();
  const order = shuffled(keys, seededRandom(seed))
    .map((key, rank) => ({ key, rank, size: groups.get(key)!.real + groups.get(key)!.fake }))
    .sort((a, b) => b.size - a.size || a.rank - b.rank);

  const inVal = new Set<string>();
  const val = { real: 0, fake: 0 };
  const distance = (real: number, fake: number) => Math.abs(real - target.real) + Math.abs(fake - target.fake);
  for (const { key } of order) {
    const g = groups.get(key)!;
    if (distance(val.real + g.real, val.fake + g.fake) < distance(val.real, val.fake)) {
      inVal.add(key);
      val.real += g.real;
      val.fake += g.fake;
    }
  }

  const train = items.filter((i) => !inVal.has(i.group));
  const valItems = items.filter((i) => inVal.has(i.group));
  const summary: SplitSummary = {
    method: 'group-aware-stratified',
    valRatio,
    seed,
    achievedValRatio: valItems.length / items.length,
    train: side(train),
    val: side(valItems),
  };
  const record: DatasetSplit = {
    version: 1,
    datasetRoot: opts.datasetRoot ?? '',
    createdAt: (opts.now ?? (() => new Date()))().toISOString(),
    summary,
    groups: Object.fromEntries(keys.map((k) => [k, inVal.has(k) ? 'val' : 'train'])),
    train: train.map((i) => i.path),
    val: valItems.map((i) => i.path),
  };
  return { train, val: valItems, summary, record };
}

/** Re-applies a persisted split to items (e.g. the same dataset loaded again): by group. */
export function applySplit<T extends Pick<LabelledItem, 'group'>>(items: readonly T[], split: DatasetSplit): { train: T[]; val: T[]; unassigned: T[] } {
  const out = { train: [] as T[], val: [] as T[], unassigned: [] as T[] };
  for (const item of items) {
    const sideOf = Object.hasOwn(split.groups, item.group) ? split.groups[item.group] : undefined;
    (sideOf === 'val' ? out.val : sideOf === 'train' ? out.train : out.unassigned).push(item);
  }
  return out;
}
