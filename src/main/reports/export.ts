import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ExportedReport } from '../../contract/report';
import type { JobProgress } from '../jobs/progress';
import type { CaseStore } from '../store';
import { ChromiumPrinter } from './chromium';
import { buildReportData, type BuildReportOptions } from './collect';
import { reportDocument } from './document';
import { pdfOptionsFor, type PdfPrinter } from './printer';

export interface ExportReportOptions extends Omit<BuildReportOptions, 'extraSteps'> {
  /** Where the PDF goes; `<out>.sha256` is written beside it. */
  out: string;
  /** Default: headless Chromium (ChromiumPrinter). The app passes its Electron printer. */
  printer?: PdfPrinter;
  /** Built renderer folder holding report.html (default: out/renderer of this package). */
  pageDir?: string;
}

export type { ExportedReport };

/**
 * Builds the report data, prints it, writes `<out>` and `<out>.sha256` (sha256sum format, so
 * `sha256sum -c` checks it) and then records `report.export` in the case's audit log with the
 * PDF's hash: the entry describes a file that exists. The PDF is written under a temporary
 * name first so a failed print never leaves a half-written report behind.
 */
export async function exportCaseReport(store: CaseStore, options: ExportReportOptions): Promise<ExportedReport> {
  let last: JobProgress | undefined;
  const onProgress = (p: JobProgress) => {
    last = p;
    options.onProgress?.(p);
  };
  const data = await buildReportData(store, { ...options, onProgress, extraSteps: 1 });
  const pdf = await (options.printer ?? new ChromiumPrinter()).print(reportDocument(data, options.pageDir), pdfOptionsFor(data));
  if (last) options.onProgress?.({ ...last, done: last.done + 1, etaSeconds: 0, current: 'printed the PDF' });

  const pdfPath = resolve(options.out);
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
      softwareVersion: data.software.version,
    },
  });

  return {
    reportId: data.reportId,
    pdfPath,
    sha256Path,
    sha256,
    bytes: pdf.length,
    itemsMode: data.itemsMode,
    evidenceItems: data.evidence.length,
    itemSections: data.items.length,
    integrityProblems,
    verified: data.verification.ok,
  };
}
