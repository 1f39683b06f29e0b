import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a case keeps what it derives from evidence (never the evidence itself), named by the
 * evidence SHA-256: ELA heatmaps from the import and gallery thumbnails. One definition for the
 * importer, the media server, evaluations and reports.
 */
export function derivedPaths(derivedDir: string): { heatmapDir: string; thumbnailDir: string } {
  return { heatmapDir: join(derivedDir, 'ela'), thumbnailDir: join(derivedDir, 'thumbs') };
}

/** derivedPaths, with the folders created: for code about to write into them. */
export function ensureDerivedFolders(derivedDir: string): { heatmapDir: string; thumbnailDir: string } {
  const paths = derivedPaths(derivedDir);
  mkdirSync(paths.heatmapDir, { recursive: true });
  mkdirSync(paths.thumbnailDir, { recursive: true });
  return paths;
}
