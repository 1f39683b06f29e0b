// A real analysed case for the report tests: JPEGs made by the fixture factory, imported and
// scored by the installed (fixture) models through the same importer the app uses, then
// reviewed. Also the built report page and poppler helpers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Verdict } from '../../src/contract/case';
import type { Config } from '../../src/main/config';
import { ModelCatalogue } from '../../src/main/inference/catalogue';
import { importIntoCase } from '../../src/main/pipeline/importIntoCase';
import { ChromiumPrinter, chromiumUnavailable } from '../../src/main/reports';
import { AnchorBook, openCaseDatabase, type CaseStore } from '../../src/main/store';
import { testConfig } from '../config';
import { CHROMIUM_PATH, ensureRendererBuilt, ROOT } from '../e2e/harness';
import { makeJpeg, type ExifSpec } from '../fixtures/images';

export const REPORT_PAGE = path.join(ROOT, 'out/renderer/report.html');

/** Why the report tests cannot run here (pass to node:test's `skip`), or undefined. */
export function reportSkipReason(): string | undefined {
  const chromium = chromiumUnavailable(CHROMIUM_PATH);
  if (chromium) return chromium;
  for (const tool of ['pdftotext', 'pdftoppm']) {
    if (spawnSync(tool, ['-v']).error) return `${tool} not found: install Debian's "poppler-utils" to run the report tests`;
  }
  return undefined;
}

/**
 * The built report page. The harness rebuilds out/renderer when index.html is older than the
 * renderer sources (a report source change counts); this also catches a build made before the
 * report entry existed.
 */
export async function ensureReportPageBuilt(): Promise<string> {
  const dir = await ensureRendererBuilt();
  if (!fs.existsSync(REPORT_PAGE)) {
    throw new Error(`${REPORT_PAGE} is missing although out/renderer is fresh: run "npm run build" (electron.config.ts must list the report entry)`);
  }
  return dir;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ReviewSpec {
  verdict?: Verdict;
  notes?: string;
  flagged?: boolean;
}

export interface TestCase {
  dir: string;
  evidenceDir: string;
  store: CaseStore;
  files: string[];
  /** The installation's anchors (a state folder beside the case), as the app and CLI keep them. */
  anchorBook: AnchorBook;
}

const EXIFS: (ExifSpec | undefined)[] = [
  { make: 'Canon', model: 'EOS 80D', dateTimeOriginal: '2024:05:01 10:12:00' },
  undefined,
  { software: 'Adobe Photoshop 25.0' },
];

/** A case folder with `count` real JPEGs imported and analysed, and the given reviews applied. */
export async function makeAnalysedCase(root: string, count: number, reviews: Record<number, ReviewSpec[]> = {}, size = { width: 320, height: 240 }): Promise<TestCase> {
  const evidenceDir = path.join(root, 'evidence');
  fs.mkdirSync(evidenceDir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const portrait = i % 4 === 3;
    const file = path.join(evidenceDir, `photo-${String(i + 1).padStart(3, '0')}.jpg`);
    await makeJpeg(file, {
      width: portrait ? size.height : size.width,
      height: portrait ? size.width : size.height,
      seed: 100 + i,
      quality: 80 + (i % 3) * 7,
      exif: EXIFS[i % EXIFS.length],
    });
    files.push(file);
  }
  const dir = path.join(root, 'case');
  fs.mkdirSync(dir);
  const store = openCaseDatabase(dir, { actor: 'test-examiner' });
  store.createCase({ name: 'Harbour fire photographs', number: 'PL-2026-0042', examiner: 'A. Examiner', organisation: 'Forensic Unit North', description: 'Photographs submitted by a witness.' });
  const anchorBook = new AnchorBook(path.join(root, 'state'));
  const config = testConfig();
  await importIntoCase(store, { paths: [evidenceDir], anchorBook, catalogue: ModelCatalogue.fromConfig(config), ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes } });
  const items = store.listEvidence({ sort: 'time' });
  for (const [index, specs] of Object.entries(reviews)) {
    for (const spec of specs) store.setReview(items[Number(index)].id, { ...spec, reviewer: 'A. Examiner' });
  }
  return { dir, evidenceDir, store, files, anchorBook };
}

/** What exporting or building a report takes from the configuration, as the CLI passes it. */
export function reportSettings(config: Config = testConfig({ chromium: CHROMIUM_PATH })) {
  return {
    printer: new ChromiumPrinter({ executablePath: config.chromium ?? undefined, candidates: config.chromiumCandidates }),
    pageDir: config.rendererDir,
    catalogue: ModelCatalogue.fromConfig(config),
    maxPixels: config.maxPixels,
  };
}

/** The PDF's text, one string per page (pdftotext -layout separates pages with form feeds). */
export function pdfPages(pdf: string): string[] {
  const r = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pdftotext failed: ${r.stderr}`);
  return r.stdout.split('\f').filter((p, i, all) => i < all.length - 1 || p.trim() !== '');
}

/**
 * The report's front matter: every page before the summary section. The cover runs onto a
 * second page when there are several models or an anchor to print, and the declaration with
 * the signature block closes it.
 */
export function coverText(pages: string[]): string {
  const summary = pages.findIndex((p) => p.includes('1 Summary'));
  if (summary < 1) throw new Error('the report has no summary section after its cover');
  return pages.slice(0, summary).join('\n');
}

/** The page that opens an appendix ("Appendix A — …"), not a page that only refers to it. */
export function appendixPage(pages: string[], letter: string): string {
  const page = pages.find((p) => new RegExp(`^Appendix ${letter} —`, 'm').test(p));
  if (!page) throw new Error(`the report has no Appendix ${letter}`);
  return page;
}

/** Renders one page to PNG at `dpi` with pdftoppm and returns the PNG's path. */
export function renderPage(pdf: string, page: number, outPrefix: string, dpi = 50): string {
  const r = spawnSync('pdftoppm', ['-r', String(dpi), '-png', '-f', String(page), '-l', String(page), '-singlefile', pdf, outPrefix], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
  return `${outPrefix}.png`;
}
