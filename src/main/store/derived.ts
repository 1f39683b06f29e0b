import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a case keeps what it derives from evidence (never the evidence itself), every file
 * named by the evidence SHA-256: ELA heatmaps (the import's, and re-runs at other qualities),
 * gallery thumbnails and display renderings. The one definition for the importer, the media
 * server, evaluations and reports. Paths are always built from the SHA-256 under the case's
 * derived folder, never taken from a path stored in the database: a crafted database must
 * not make the app read or serve a file elsewhere.
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

/** Where a re-run of ELA at another quality writes its heatmaps (the import's stay untouched). */
export function elaRerunDir(derivedDir: string, quality: number): string {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`ELA quality must be 1..100, got ${quality}`);
  return join(derivedDir, `ela-q${quality}`);
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The SHA-256 as a file name; anything else (a crafted database row) is refused. */
function hashName(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`"${sha256.slice(0, 80)}" is not a SHA-256: no derived file is named by it`);
  return sha256;
}

export function thumbnailPath(dir: string, sha256: string): string {
  return join(dir, `${hashName(sha256)}.jpg`);
}

export function heatmapPaths(dir: string, sha256: string): { heatmapPath: string; previewPath: string } {
  const name = hashName(sha256);
  return { heatmapPath: join(dir, `${name}.ela.png`), previewPath: join(dir, `${name}.ela-preview.png`) };
}

/**
 * Where the inspector's full run of a forensic analysis is cached: its view (JSON) and its maps
 * (PNG), named by the evidence SHA-256 and the analysis version, so a new version recomputes.
 */
export function analysisFiles(derivedDir: string, sha256: string, analysis: string, version: string): { dir: string; view: string; map: (name: string) => string } {
  if (!/^[a-zA-Z][a-zA-Z0-9]{0,39}$/.test(analysis) || !version.startsWith(`${analysis}/`) || !/^\d{1,6}$/.test(version.slice(analysis.length + 1))) throw new Error(`"${analysis}" version "${version}" names no analysis`);
  const dir = join(derivedDir, 'analyses', hashName(sha256));
  const stem = `${analysis}-v${version.slice(version.indexOf('/') + 1)}`;
  return {
    dir,
    view: join(dir, `${stem}.json`),
    map: (name: string) => {
      if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) throw new Error(`"${name.slice(0, 60)}" is not a map name`);
      return join(dir, `${stem}.${name}.png`);
    },
  };
}

export function displayPath(derivedDir: string, sha256: string): string {
  return join(derivedPaths(derivedDir).displayDir, `${hashName(sha256)}.png`);
}

/**
 * The heatmaps of an item at an ELA quality: the import's own (derived/ela) when `quality` is
 * the one its latest analysis used, else the re-run's folder for that quality.
 */
export function elaHeatmaps(derivedDir: string, sha256: string, quality: number, importQuality: number | undefined): { heatmapPath: string; previewPath: string } {
  return heatmapPaths(quality === importQuality ? derivedPaths(derivedDir).heatmapDir : elaRerunDir(derivedDir, quality), sha256);
}

/** ELA heatmaps (and their statistics) of evaluated dataset images, named by SHA-256: the evaluation item viewer's overlay. */
export function evaluationElaDir(derivedDir: string): string {
  return join(derivedDir, 'evaluation-ela');
}
