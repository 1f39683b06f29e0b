import fs from 'node:fs/promises';
import path from 'node:path';
import type { DatasetProblem } from '../../../contract/evaluation';
import { walkEvidence } from '../../ingest';

/**
 * Extensions taken as images when listing a dataset folder. Listing goes by name so a large
 * dataset is summarised without opening every file; each file's content is still checked
 * (sniffed, decoded) when it is evaluated, and one that is not an image is reported then.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.heic', '.heif', '.avif']);

export function isImageName(fileName: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(fileName).toLowerCase());
}

export interface ImageListing {
  /** Absolute paths, sorted depth-first by name (the walker's deterministic order). */
  images: string[];
  /** Files skipped because their extension is not an image's. */
  ignored: string[];
  problems: DatasetProblem[];
}

/** Every image file below `dir` (recursively, symbolic-link loops detected, OS junk skipped). */
export async function listImages(dir: string): Promise<ImageListing> {
  const listing: ImageListing = { images: [], ignored: [], problems: [] };
  for await (const entry of walkEvidence([dir])) {
    if (entry.error) listing.problems.push({ severity: 'warning', path: entry.path, message: `${entry.path}: ${entry.error.message}` });
    else if (isImageName(entry.path)) listing.images.push(entry.path);
    else listing.ignored.push(entry.path);
  }
  return listing;
}

/** One warning for all the non-image files of a dataset, with a few examples. */
export function ignoredFilesProblem(ignored: readonly string[], root: string): DatasetProblem | null {
  if (ignored.length === 0) return null;
  const examples = ignored.slice(0, 3).map((p) => path.relative(root, p)).join(', ');
  return {
    severity: 'warning',
    message: `${ignored.length} file(s) skipped because their extension is not an image's (${[...IMAGE_EXTENSIONS].join(' ')}), e.g. ${examples}`,
  };
}

/** Subfolders of `dir` (symbolic links to folders included), sorted by name, hidden ones skipped. */
export async function subfolders(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink()) {
      const target = await fs.stat(path.join(dir, e.name)).catch(() => null);
      if (target?.isDirectory()) out.push(e.name);
    }
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
