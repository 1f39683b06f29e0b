import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
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
  /** Where the PDF goes (absolute); `<out>.sha256` and `<out>.anchor.json` are written beside it. */
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
 * Builds the report data, prints it, writes `<out>`, `<out>.sha256` (sha256sum format, so
 * `sha256sum -c` checks it) and `<out>.anchor.json`, then records `report.export` in the case's
 * audit log with the PDF's hash (the entry describes a file that exists) and anchors the head
 * after that entry. The PDF is written under a temporary name first so a failed print never
 * leaves a half-written report behind. Refuses a destination that is the case database or an
 * evidence file.
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

  const sha256Path = `${pdfPath}.sha256`;
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  mkdirSync(dirname(pdfPath), { recursive: true });
  const partial = `${pdfPath}.partial`;
  try {
    writeFileSync(partial, pdf);
    renameSync(partial, pdfPath);
  } finally {
    rmSync(partial, { force: true });
  }
  writeFileSync(sha256Path, `${sha256}  ${basename(pdfPath)}\n`);
  const anchorPath = data.anchor ? `${pdfPath}.anchor.json` : null;
  if (anchorPath) writeFileSync(anchorPath, `${JSON.stringify({ report: basename(pdfPath), sha256, anchor: data.anchor }, null, 2)}\n`);

  const integrityProblems = data.verification.evidence.filter((e) => e.status !== 'ok');
  store.audit({
    action: 'report.export',
    entity: 'report',
    entityId: data.reportId,
    actor: options.generatedBy?.trim() || undefined,
    details: {
      reportId: data.reportId,
      path: pdfPath,
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
    pdfPath,
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
