// Labelled datasets: find the layout of a folder (or read a CSV manifest), summarise it for the
// user before anything is evaluated, and load it as labelled items with groups.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetLayout, DatasetSummary, LabelledItem } from '../../../contract/evaluation';
import { findCasiaFolders, scanCasia } from './casia';
import { IMAGE_EXTENSIONS } from './files';
import { findCnnDetectionFolders, findGenericFolders, scanLabelFolders } from './folders';
import { scanManifest } from './manifest';
import type { LayoutScan } from './scan';
import { summarise } from './summary';

export type DatasetErrorCode = 'NOT_FOUND' | 'UNREADABLE' | 'UNRECOGNISED' | 'EMPTY' | 'INVALID_MANIFEST';

/** A dataset that cannot be evaluated, with a message the user can act on and what was found. */
export class DatasetError extends Error {
  constructor(readonly code: DatasetErrorCode, message: string, readonly summary?: DatasetSummary) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface LabelledSet {
  /** The folder or CSV file given, absolute. */
  root: string;
  layout: DatasetLayout;
  summary: DatasetSummary;
  items: LabelledItem[];
}

export const EXPECTED_LAYOUTS = [
  '<generator>/[<category>/]0_real|1_fake/… (CNNDetection / ForenSynths)',
  'Au/ and Tp/ folders, optionally a ground-truth masks folder (CASIA)',
  '[<source>/]real/ or authentic/, and fake/, manipulated/ or generated/ folders',
  'a CSV manifest with a header: path,label[,group][,source]',
];

interface Scanned {
  summary: DatasetSummary;
  items: LabelledItem[];
  failure: { code: DatasetErrorCode; message: string } | null;
}

function failed(root: string, code: DatasetErrorCode, message: string): Scanned {
  const summary = summarise({ root, layout: null, layoutName: 'not recognised', grouping: '', base: root, items: [], problems: [{ severity: 'error', message }] });
  return { summary, items: [], failure: { code, message } };
}

async function chooseLayout(root: string): Promise<LayoutScan | Scanned> {
  const casia = await findCasiaFolders(root);
  if (casia) return scanCasia(root, casia);
  const cnn = await findCnnDetectionFolders(root);
  if (cnn.length > 0) return scanLabelFolders(root, 'cnndetection', cnn);
  const generic = await findGenericFolders(root);
  if (generic.length > 0) return scanLabelFolders(root, 'generic', generic);
  const entries = await readdir(root, { withFileTypes: true });
  const manifests = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.csv')).map((e) => e.name);
  if (manifests.length === 1) return scanManifest(path.join(root, manifests[0]));
  if (manifests.length > 1) {
    return failed(root, 'UNRECOGNISED', `${root} holds several CSV files (${manifests.join(', ')}): give the manifest to use instead of the folder`);
  }
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  return failed(
    root,
    'UNRECOGNISED',
    `${root} is not a dataset layout this tool recognises (top-level folders: ${folders.slice(0, 10).join(', ') || 'none'}). Expected one of: ${EXPECTED_LAYOUTS.join('; ')}`,
  );
}

/** Reads a dataset without opening its images. Never throws for a bad dataset: see `failure`. */
export async function scanDataset(input: string): Promise<Scanned> {
  const root = path.resolve(input);
  let info;
  try {
    info = await stat(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return failed(root, 'NOT_FOUND', `${root} does not exist: check the path`);
    return failed(root, 'UNREADABLE', `cannot read ${root}: ${(err as Error).message}`);
  }
  let scan: LayoutScan | Scanned;
  try {
    if (info.isFile()) {
      if (!root.toLowerCase().endsWith('.csv')) {
        return failed(root, 'UNRECOGNISED', `${root} is a file but not a .csv manifest: give a dataset folder or a CSV manifest (${EXPECTED_LAYOUTS[3]})`);
      }
      scan = await scanManifest(root);
    } else if (info.isDirectory()) {
      scan = await chooseLayout(root);
    } else {
      return failed(root, 'UNRECOGNISED', `${root} is neither a folder nor a CSV manifest`);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied (check that your account may read it)' : (err as Error).message;
    return failed(root, 'UNREADABLE', `cannot read the dataset at ${root}: ${reason}`);
  }
  if ('failure' in scan) return scan;

  const summary = summarise({ ...scan, root });
  const firstError = summary.problems.find((p) => p.severity === 'error');
  if (firstError) {
    const errors = summary.problems.filter((p) => p.severity === 'error').map((p) => p.message);
    return { summary, items: [], failure: { code: 'INVALID_MANIFEST', message: `${root} has ${errors.length} problem(s):\n  ${errors.join('\n  ')}` } };
  }
  if (scan.items.length === 0) {
    const message =
      scan.layout === 'csv'
        ? `the manifest ${root} lists no images: add one line per image after the header`
        : `no images found in ${root} (layout: ${scan.layoutName}); images are recognised by their extension (${[...IMAGE_EXTENSIONS].join(' ')})`;
    summary.problems.unshift({ severity: 'error', message });
    summary.usable = false;
    return { summary, items: [], failure: { code: 'EMPTY', message } };
  }
  return { summary, items: scan.items, failure: null };
}

/** The layout and a summary (counts per label, source and group, examples, problems) before import. */
export async function detectLayout(input: string): Promise<DatasetSummary> {
  return (await scanDataset(input)).summary;
}

/** Loads a dataset folder or CSV manifest; throws DatasetError when it cannot be used. */
export async function loadLabelledSet(input: string): Promise<LabelledSet> {
  const scanned = await scanDataset(input);
  if (scanned.failure) throw new DatasetError(scanned.failure.code, scanned.failure.message, scanned.summary);
  return { root: scanned.summary.root, layout: scanned.summary.layout!, summary: scanned.summary, items: scanned.items };
}

export { summarise, countSources } from './summary';
export { parseCsv, CsvSyntaxError, type CsvRecord } from './csv';
export { casiaSourceKeys, folderItemGroup, manifestItemGroup } from './groups';
export { IMAGE_EXTENSIONS } from './files';
