// Folder layouts where the label is a folder name:
//   CNNDetection / ForenSynths (Wang et al. 2020): <generator>/[<category>/]0_real|1_fake/…
//   generic:                                      [<source>/[<category>/]]real|authentic|fake|manipulated|generated/…
// The generator (or source) is the first folder under the root; label folders directly under the
// root belong to one source named after the root folder.
import path from 'node:path';
import type { Label, LabelledItem } from '../../../contract/evaluation';
import { ignoredFilesProblem, listImages, subfolders } from './files';
import { folderItemGroup } from './groups';
import { cnnDetectionLabel, genericLabel, taskOfLabelWord } from './labels';
import { oneClassSourceWarnings, type LayoutScan } from './scan';

export interface LabelFolder {
  dir: string;
  label: Label;
  /** Folders between the root and the label folder. */
  prefix: string[];
}

/** Label folders no deeper than <generator>/<category>/<label>; the walk stops at each one. */
export async function findLabelFolders(root: string, labelOf: (name: string) => Label | null, maxPrefix = 2): Promise<LabelFolder[]> {
  const found: LabelFolder[] = [];
  const visit = async (dir: string, prefix: string[]): Promise<void> => {
    for (const name of await subfolders(dir)) {
      const label = labelOf(name);
      if (label !== null) found.push({ dir: path.join(dir, name), label, prefix });
      else if (prefix.length < maxPrefix) await visit(path.join(dir, name), [...prefix, name]);
    }
  };
  await visit(root, []);
  return found;
}

export const CNNDETECTION_NAME = 'CNNDetection / ForenSynths (<generator>/[<category>/]0_real|1_fake)';
export const GENERIC_NAME = 'Generic label folders ([<source>/]real|authentic vs fake|manipulated|generated)';
export const FOLDER_GROUPING =
  'Frames of one video share a group (<video>_frame0001.jpg, or numbered files in a <video>/ folder under the label folder); every other image is its own group.';

export async function scanLabelFolders(root: string, layout: 'cnndetection' | 'generic', folders: readonly LabelFolder[]): Promise<LayoutScan> {
  const scan: LayoutScan = {
    layout,
    layoutName: layout === 'cnndetection' ? CNNDETECTION_NAME : GENERIC_NAME,
    grouping: FOLDER_GROUPING,
    base: root,
    items: [],
    problems: [],
  };
  const ignored: string[] = [];
  for (const folder of folders) {
    const listing = await listImages(folder.dir);
    scan.problems.push(...listing.problems);
    ignored.push(...listing.ignored);
    const source = folder.prefix[0] ?? path.basename(root);
    const category = folder.prefix.length > 1 ? folder.prefix.slice(1).join('/') : undefined;
    for (const image of listing.images) {
      const subdirs = path.relative(folder.dir, path.dirname(image)).split(path.sep).filter(Boolean);
      const ownId = path.relative(root, image).split(path.sep).join('/');
      const item: LabelledItem = {
        path: image,
        label: folder.label,
        source,
        group: folderItemGroup(folder.prefix, subdirs, path.basename(image), ownId),
      };
      if (category) item.category = category;
      // CNNDetection's fakes come from generators; generic folders may name the kind of fake.
      const task = folder.label === 1 ? (layout === 'cnndetection' ? 'generated' : taskOfLabelWord(path.basename(folder.dir))) : undefined;
      if (task) item.task = task;
      scan.items.push(item);
    }
  }
  const skipped = ignoredFilesProblem(ignored, root);
  if (skipped) scan.problems.push(skipped);
  scan.problems.push(...oneClassSourceWarnings(scan.items));
  return scan;
}

export async function findCnnDetectionFolders(root: string): Promise<LabelFolder[]> {
  return findLabelFolders(root, cnnDetectionLabel);
}

export async function findGenericFolders(root: string): Promise<LabelFolder[]> {
  return findLabelFolders(root, genericLabel);
}
