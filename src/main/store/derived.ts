import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a case keeps what it derives from evidence (never the evidence itself), named by the
 * evidence SHA-256: ELA heatmaps from the import, gallery thumbnails and display renderings. One definition for the
 * importer, the media server, evaluations and reports.
 */
export interface DerivedPaths {
  heatmapDir: string;
  thumbnailDir: string;
  /** Browser-displayable renderings of originals a browser cannot show as they are (TIFF, CMYK, 16-bit, rotated). */
  displayDir: string;
}

export function derivedPaths(derivedDir: string): DerivedPaths {
  return { heatmapDir: join(derivedDir, 'ela'), thumbnailDir: join(derivedDir, 'thumbs'), displayDir: join(derivedDir, 'display') };
}

/** derivedPaths, with the folders created: for code about to write into them. */
export function ensureDerivedFolders(derivedDir: string): DerivedPaths {
  const paths = derivedPaths(derivedDir);
  for (const dir of Object.values(paths)) mkdirSync(dir, { recursive: true });
  return paths;
}
