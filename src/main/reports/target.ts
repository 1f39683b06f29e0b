import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { DATABASE_FILE, type CaseStore } from '../store';
import { ReportError } from './errors';

/** Files written beside the PDF (see export.ts): each must be as safe to write as the PDF. */
export function reportSidecars(pdfPath: string): string[] {
  return [`${pdfPath}.sha256`, `${pdfPath}.anchor.json`, `${pdfPath}.partial`];
}

/** The path as the file system resolves it (symbolic links followed), whether or not it exists yet. */
function canonical(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(canonical(parent), basename(path));
  }
}

function comparable(path: string): string {
  const p = canonical(resolve(path));
  // Windows and (by default) macOS file systems ignore case: C:\Case\x.jpg is c:\case\X.JPG.
  return process.platform === 'win32' || process.platform === 'darwin' ? p.toLowerCase() : p;
}

/**
 * Refuses a report destination that would overwrite what the report is about: the case
 * database (and its journal files) or any evidence file of the case, directly or through a
 * symbolic link, for the PDF and every file written beside it. The destination must be an
 * absolute path to a regular file (or to nothing yet).
 */
export function assertReportTarget(store: CaseStore, out: string): void {
  if (!isAbsolute(out)) throw new ReportError('BAD_TARGET', `The report path must be absolute, got "${out}".`);
  const db = join(store.caseDir, DATABASE_FILE);
  const protectedFiles = new Map<string, string>();
  for (const suffix of ['', '-wal', '-shm', '-journal']) protectedFiles.set(comparable(db + suffix), `the case database (${db}${suffix})`);
  const evidence = store.db.prepare('SELECT id, path FROM evidence').iterate() as IterableIterator<{ id: number; path: string }>;
  for (const e of evidence) protectedFiles.set(comparable(e.path), `evidence item #${e.id} (${e.path})`);
  for (const file of [out, ...reportSidecars(out)]) {
    const what = protectedFiles.get(comparable(file));
    if (what) throw new ReportError('BAD_TARGET', `Writing the report to ${out} would overwrite ${what}; choose another file.`);
    if (existsSync(file) && !statSync(file).isFile()) throw new ReportError('BAD_TARGET', `${file} exists and is not a regular file; choose another name.`);
  }
}
