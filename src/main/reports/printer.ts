import type { ReportData } from '../../contract/report';
import { formatUtc } from '../../contract/time';
import type { ReportDocument } from './document';

/** Page setup shared by every printer; margins leave room for the running header and footer. */
export interface PdfOptions {
  format: 'A4';
  printBackground: true;
  displayHeaderFooter: true;
  headerTemplate: string;
  footerTemplate: string;
  marginsMm: { top: number; right: number; bottom: number; left: number };
}

/**
 * Turns a report document into PDF bytes. Two implementations print the very same page:
 * ChromiumPrinter (chromium.ts: CLI and tests, headless Chromium, Chrome or Edge over the DevTools pipe) and,
 * in the app, one built on Electron's `webContents.printToPDF`: an offscreen BrowserWindow on
 * its own session, `protocol.handle` answering the report origin with `serveReportRequest`
 * (document.ts), load `<origin>/report.html`, wait for `html[data-report-ready]`, then
 * `printToPDF({ pageSize: 'A4', printBackground, displayHeaderFooter, headerTemplate,
 * footerTemplate, margins: { top: mm / 25.4, ... } })` (Electron takes margins in inches).
 */
export interface PdfPrinter {
  print(doc: ReportDocument, options: PdfOptions): Promise<Buffer>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Header and footer are rendered by the print engine outside the page: no page stylesheet
// applies, font sizes must be explicit, and pageNumber/totalPages are filled in per page.
const BAND = 'font-family: Arial, "Liberation Sans", Helvetica, sans-serif; font-size: 7pt; color: #555; width: 100%; margin: 0 14mm; display: flex; justify-content: space-between; gap: 6mm;';

export function pdfOptionsFor(data: ReportData): PdfOptions {
  const caseLabel = escapeHtml(data.case.number ? `${data.case.name} · ${data.case.number}` : data.case.name);
  return {
    format: 'A4',
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate:
      `<div style='${BAND} border-bottom: 0.5pt solid #bbb; padding-bottom: 1.5mm;'>` +
      `<span>${escapeHtml(data.software.name)} · Case report · ${caseLabel}</span>` +
      `<span>Generated ${escapeHtml(formatUtc(data.generatedAt))}${data.generatedBy ? ` by ${escapeHtml(data.generatedBy)}` : ''}</span></div>`,
    footerTemplate:
      `<div style='${BAND} border-top: 0.5pt solid #bbb; padding-top: 1.5mm;'>` +
      `<span>Report ID <span style='font-family: "DejaVu Sans Mono", Consolas, monospace;'>${escapeHtml(data.reportId)}</span></span>` +
      `<span>Page <span class='pageNumber'></span> of <span class='totalPages'></span></span></div>`,
    marginsMm: { top: 18, right: 14, bottom: 18, left: 14 },
  };
}
