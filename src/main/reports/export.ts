import { createHash } from 'node:crypto';
import { constants as fsConstants, copyFileSync, existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { EVIDENCE_CHECK_OK } from '../../contract/case';
import type { ExportedReport } from '../../contract/report';
import type { JobProgress } from '../jobs/progress';
import type { AnchorBook, CaseStore } from '../store';
import { buildReportData, type BuildReportOptions } from './collect';
import { reportDocument } from './document';
import { ReportError } from './errors';
import { embedAnchor } from './pdfAnchor';
import { pdfOptionsFor, type PdfPrinter } from './printer';
import { assertReportTarget } from './target';

export interface ExportReportOptions extends Omit<BuildReportOptions, 'extraSteps' | 'anchor'> {
  /**
   * Where the PDF goes (absolute); `<out>.sha256` and `<out>.anchor.json` are written beside it.
   * An existing report is never replaced: when the PDF or its .sha256 exists, the report is
   * numbered (`name-2.pdf`, `name-3.pdf`, ...) and ExportedReport.pdfPath says which.
   */
  out: string;
  /**
   * This installation's anchor key and log (the app's state folder). With it the report pins the
   * audit head it describes (printed on the cover, inside the PDF, in `<out>.anchor.json`) and
   * the head after its own audit entry is anchored. Without it the cover says the report is not anchored.
   */
  anchorBook?: AnchorBook;
  /** Headless Chromium (ChromiumPrinter with config.chromium) for the CLI; the app passes its Electron printer. */
  printer: PdfPrinter;
  /** The built renderer holding report.html (config.rendererDir). */
  pageDir: string;
}

export type { ExportedReport };

/**
 * Puts `from` at `to` unless `to` exists (EEXIST). A hard link is atomic; file systems without
 * hard links (FAT, exFAT on USB sticks) get an exclusive copy, removed again if it fails half-way.
 */
function placeExclusively(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    try {
      copyFileSync(from, to, fsConstants.COPYFILE_EXCL);
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(to, { force: true });
      throw copyErr;
    }
  }
}

/** `report.pdf`, `report-2.pdf`, `report-3.pdf`, ... */
export function numberedReportPath(path: string, n: number): string {
  if (n <= 1) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}-${n}${ext}`;
}

/**
 * Writes the PDF under the first free name (the requested one, then numbered) and returns it. A
 * name is free when neither it nor its .sha256 exists. The PDF is written under a temporary name
 * and hard-linked into place, which fails instead of replacing a file that appeared meanwhile,
 * so a report is never overwritten, not even by another export running at the same moment.
 */
function writeNewReport(requested: string, pdf: Buffer): string {
  const partial = `${requested}.${process.pid}.partial`;
  writeFileSync(partial, pdf);
  try {
    for (let n = 1; n < 10_000; n++) {
      const candidate = numberedReportPath(requested, n);
      if (existsSync(`${candidate}.sha256`)) continue;
      try {
        placeExclusively(partial, candidate);
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`${requested}: 10,000 numbered reports already exist beside it; choose another name`);
  } finally {
    rmSync(partial, { force: true });
  }
}

/**
 * Builds the report data, prints it, writes `<out>`, `<out>.sha256` (sha256sum format, so
 * `sha256sum -c` checks it) and `<out>.anchor.json`, then records `report.export` in the case's
 * audit log with the PDF's hash (the entry describes a file that exists) and anchors the head
 * after that entry. The PDF is written under a temporary name first so a failed print never
 * leaves a half-written report behind, and placed so that it never replaces an existing file
 * (writeNewReport). Refuses a destination that is the case database or an evidence file.
 */
export async function exportCaseReport(store: CaseStore, options: ExportReportOptions): Promise<ExportedReport> {
  if (!isAbsolute(options.out)) throw new ReportError('BAD_TARGET', `The report path must be absolute, got "${options.out}".`);
  const pdfPath = resolve(options.out);
  assertReportTarget(store, pdfPath);
  let last: JobProgress | undefined;
  const onProgress = (p: JobProgress) => {
    last = p;
    options.onProgress?.(p);
  };
  const data = await buildReportData(store, { ...options, onProgress, extraSteps: 1, anchor: options.anchorBook ? (head, at, reportId) => options.anchorBook!.sign(store, head, 'report', reportId, at) : undefined });
  const printed = await options.printer.print(reportDocument(data, options.pageDir), pdfOptionsFor(data));
  const pdf = data.anchor ? embedAnchor(printed, data.anchor) : printed;
  if (last) options.onProgress?.({ ...last, done: last.done + 1, etaSeconds: 0, current: 'printed the PDF' });

  const requested = pdfPath;
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  mkdirSync(dirname(requested), { recursive: true });
  const written = writeNewReport(requested, pdf);
  const sha256Path = `${written}.sha256`;
  writeFileSync(sha256Path, `${sha256}  ${basename(written)}\n`, { flag: 'wx' });
  const anchorPath = data.anchor ? `${written}.anchor.json` : null;
  if (anchorPath) writeFileSync(anchorPath, `${JSON.stringify({ report: basename(written), sha256, anchor: data.anchor }, null, 2)}\n`, { flag: 'wx' });

  const integrityProblems = data.verification.evidence.filter((e) => !EVIDENCE_CHECK_OK.includes(e.status));
  store.audit({
    action: 'report.export',
    entity: 'report',
    entityId: data.reportId,
    actor: data.generatedBy,
    details: {
      reportId: data.reportId,
      path: written,
      examiner: data.generatedBy,
      sha256,
      bytes: pdf.length,
      itemsMode: data.itemsMode,
      itemIds: data.items.map((i) => i.id),
      evidenceItems: data.evidence.length,
      verified: data.verification.ok,
      integrityProblems: integrityProblems.map((p) => ({ id: p.id, status: p.status })),
      auditHead: data.verification.head,
      anchor: data.anchor ? { seq: data.anchor.seq, hash: data.anchor.hash, keyId: data.anchor.keyId, mac: data.anchor.mac } : null,
      softwareVersion: data.software.version,
    },
  });
  // Pins the report's own entry too: the log cannot lose it without disagreeing with this anchor.
  options.anchorBook?.record(store, 'report', data.reportId);

  return {
    reportId: data.reportId,
    pdfPath: written,
    requestedPath: requested,
    sha256Path,
    anchorPath,
    anchor: data.anchor,
    sha256,
    bytes: pdf.length,
    itemsMode: data.itemsMode,
    evidenceItems: data.evidence.length,
    itemSections: data.items.length,
    integrityProblems,
    verified: data.verification.ok,
  };
}
