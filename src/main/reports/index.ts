// PDF case reports: the data (collect.ts), the page it is printed from (src/renderer/report,
// embedded by document.ts), the printers (printer.ts, chromium.ts) and the export (export.ts).
export { buildReportData, reportExaminer, type BuildReportOptions } from './collect';
export { exportCaseReport, numberedReportPath, type ExportReportOptions, type ExportedReport } from './export';
export { reportDocument, serveReportRequest, REPORT_PAGE, type ReportDocument } from './document';
export { pdfOptionsFor, type PdfOptions, type PdfPrinter } from './printer';
export { ChromiumPrinter, chromiumUnavailable, sandboxDecision, type ChromiumPrinterOptions } from './chromium';
export { findBrowser, browserCandidates, browserInstallHint, BROWSER_ENV, type BrowserFound } from './browser';
export { selectSections, isFlagged, isReviewed, type ItemSelection } from './select';
export { ReportError, type ReportErrorCode } from './errors';
export { reportEvaluations, caseEvaluations } from './evaluations';
export { EMBED_MAX_SIDE, EMBED_JPEG_QUALITY } from './images';
export { assertReportTarget, reportSidecars } from './target';
export { embedAnchor, readAnchor } from './pdfAnchor';
