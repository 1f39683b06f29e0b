// Labelled training images: a folder convention, the group-aware train/validation split and
// the data hash. The Python trainer implements the same rules (provenance_train/split.py) and
// a test checks that both give the same split and hashes.
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { SplitSummary, TrainingItem, TrainingLabel, TrainingSplit } from '../../contract/training';
import { sha256File } from '../ingest/hash';

const REAL_DIRS = new Set(['real', '0_real', 'authentic']);
const FAKE_DIRS = new Set(['fake', '1_fake', 'generated', 'manipulated', 'tampered']);
const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff'];

/** An item with everything the split and the hashes need. */
export interface ResolvedItem {
  path: string;
  label: TrainingLabel;
  group: string;
  split: TrainingSplit;
  /** SHA-256 of the file. */
  sha256: string;
}

export interface DataSpec {
  items?: TrainingItem[];
  folder?: string;
  /** Share of each label held out (default 0.2). */
  valFraction?: number;
  splitSeed?: number;
}

export class DataError extends Error {
  override name = 'DataError';
}

function labelOfDir(name: string): TrainingLabel | null {
  const lower = name.toLowerCase();
  if (REAL_DIRS.has(lower)) return 'real';
  if (FAKE_DIRS.has(lower)) return 'fake';
  return null;
}

async function walkFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Every image under a labelled folder. Label folders (at any depth, the innermost wins):
 * real, 0_real, authentic → real; fake, 1_fake, generated, manipulated, tampered → fake. A file
 * directly in a label folder is its own group; a file deeper down belongs to the group named by
 * the first folder below its label folder, shared across labels (put a manipulated picture and
 * its original in folders of the same name and they stay on the same side of the split).
 */
export async function itemsFromFolder(folder: string): Promise<Omit<ResolvedItem, 'split' | 'sha256'>[]> {
  const root = resolve(folder);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new DataError(`The data folder ${root} does not exist or is not a directory.`);
  const items: Omit<ResolvedItem, 'split' | 'sha256'>[] = [];
  for (const path of await walkFiles(root)) {
    const name = path.slice(path.lastIndexOf(sep) + 1);
    if (name.startsWith('.') || !IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) continue;
    const dirs = relative(root, path).split(sep).slice(0, -1);
    let labelAt = -1;
    for (let i = dirs.length - 1; i >= 0; i--) {
      if (labelOfDir(dirs[i])) {
        labelAt = i;
        break;
      }
    }
    if (labelAt < 0) continue;
    const below = dirs.slice(labelAt + 1);
    items.push({ path, label: labelOfDir(dirs[labelAt])!, group: below.length > 0 ? below[0] : [...dirs, name].join('/') });
  }
  if (items.length === 0) throw new DataError(`No labelled images in ${root}: put them under real/ and fake/ (or 0_real/ and 1_fake/) folders.`);
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return items;
}

const roundHalfUp = (x: number) => Math.floor(x + 0.5);
const sha256Text = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Assigns a split to every item without one. Groups are visited in the order of
 * SHA-256("<seed>:<group>"); a group goes to validation when that brings the per-label
 * validation counts closer to round(valFraction × per-label total).
 */
export function splitItems<T extends { label: TrainingLabel; group: string; split?: TrainingSplit }>(items: T[], valFraction: number, seed: number): (T & { split: TrainingSplit })[] {
  const totals = { real: 0, fake: 0 };
  let val = { real: 0, fake: 0 };
  const groups = new Map<string, T[]>();
  for (const it of items) {
    totals[it.label] += 1;
    if (it.split === 'val') val[it.label] += 1;
    else if (it.split === undefined) {
      const members = groups.get(it.group) ?? [];
      members.push(it);
      groups.set(it.group, members);
    }
  }
  const targets = { real: roundHalfUp(valFraction * totals.real), fake: roundHalfUp(valFraction * totals.fake) };
  const deviation = (c: { real: number; fake: number }) => Math.abs(targets.real - c.real) + Math.abs(targets.fake - c.fake);
  const order = [...groups.keys()]
    .map((g) => ({ g, key: sha256Text(`${seed}:${g}`) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.g);
  const assigned = new Map<T, TrainingSplit>();
  for (const g of order) {
    const members = groups.get(g)!;
    const after = { ...val };
    for (const it of members) after[it.label] += 1;
    const toVal = deviation(after) < deviation(val);
    if (toVal) val = after;
    for (const it of members) assigned.set(it, toVal ? 'val' : 'train');
  }
  return items.map((it) => ({ ...it, split: it.split ?? assigned.get(it)! }));
}

/** SHA-256 over the sorted lines "<file sha256>\t<label>\n": the same images, the same hash, wherever they are. */
export function dataHash(items: { sha256: string; label: TrainingLabel }[]): string {
  const lines = items.map((it) => `${it.sha256}\t${it.label}\n`).sort();
  return sha256Text(lines.join(''));
}

export function summarize(items: ResolvedItem[]): SplitSummary {
  return {
    count: items.length,
    real: items.filter((it) => it.label === 'real').length,
    fake: items.filter((it) => it.label === 'fake').length,
    sha256: dataHash(items),
  };
}

/** Items from a folder or a list, hashed and split; errors say what to change. */
export async function prepareItems(spec: DataSpec, seed = 0): Promise<{ train: ResolvedItem[]; val: ResolvedItem[]; warnings: string[] }> {
  if ((spec.items === undefined) === (spec.folder === undefined)) throw new DataError('Give exactly one of a data folder or a list of items.');
  const base = spec.folder !== undefined
    ? await itemsFromFolder(spec.folder)
    : spec.items!.map((it) => ({ path: resolve(it.path), label: it.label, group: it.group || resolve(it.path), split: it.split }));
  const hashed = await Promise.all(
    base.map(async (it) => {
      try {
        return { ...it, sha256: await sha256File(it.path) };
      } catch (err) {
        throw new DataError(`Cannot read training image ${it.path} (${(err as Error).message}).`);
      }
    }),
  );
  const split = splitItems(hashed, spec.valFraction ?? 0.2, spec.splitSeed ?? seed);
  const train = split.filter((it) => it.split === 'train');
  const val = split.filter((it) => it.split === 'val');
  const warnings: string[] = [];
  for (const label of ['real', 'fake'] as const) {
    if (!train.some((it) => it.label === label)) throw new DataError(`The training split has no ${label} images; add more or lower the validation share.`);
    if (!val.some((it) => it.label === label)) warnings.push(`The validation split has no ${label} images, so its accuracy and AP say little.`);
  }
  if (val.length === 0) throw new DataError('The validation split is empty; add images or raise the validation share.');
  return { train, val, warnings };
}
