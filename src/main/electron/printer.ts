import { BrowserWindow, protocol, session } from 'electron';
import { serveReportRequest, type PdfOptions, type PdfPrinter, type ReportDocument } from '../reports';

/** Scheme of the offscreen report page; registered as privileged before app 'ready'. */
export const REPORT_SCHEME = 'provenance-report';

export function registerReportScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: REPORT_SCHEME, privileges: { standard: true, secure: true } }]);
}

/**
 * Prints the same report page the CLI prints with headless Chromium, through Electron's own
 * Chromium: an offscreen window on a private session whose only origin is the report document
 * (no network, no file access), then webContents.printToPDF.
 */
export class ElectronPrinter implements PdfPrinter {
  async print(doc: ReportDocument, pdf: PdfOptions): Promise<Buffer> {
    const ses = session.fromPartition(`report-${Date.now()}`, { cache: false });
    ses.protocol.handle(REPORT_SCHEME, (request) => {
      const answer = serveReportRequest(doc, new URL(request.url).pathname);
      if (!answer) return new Response('not found', { status: 404 });
      return new Response(new Uint8Array(answer.body), { headers: { 'content-type': answer.contentType } });
    });
    ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !details.url.startsWith(`${REPORT_SCHEME}:`) }));
    const win = new BrowserWindow({ show: false, webPreferences: { session: ses, sandbox: true, contextIsolation: true, nodeIntegration: false, offscreen: true } });
    try {
      await win.loadURL(`${REPORT_SCHEME}://report/report.html`);
      const deadline = Date.now() + 120_000;
      while (!(await win.webContents.executeJavaScript("document.documentElement.hasAttribute('data-report-ready')"))) {
        if (Date.now() > deadline) throw new Error('The report page did not finish rendering within 2 minutes.');
        await new Promise((r) => setTimeout(r, 100));
      }
      const inches = (mm: number) => mm / 25.4;
      return await win.webContents.printToPDF({
        pageSize: pdf.format,
        printBackground: pdf.printBackground,
        displayHeaderFooter: pdf.displayHeaderFooter,
        headerTemplate: pdf.headerTemplate,
        footerTemplate: pdf.footerTemplate,
        margins: { top: inches(pdf.marginsMm.top), right: inches(pdf.marginsMm.right), bottom: inches(pdf.marginsMm.bottom), left: inches(pdf.marginsMm.left) },
      });
    } finally {
      win.destroy();
      ses.protocol.unhandle(REPORT_SCHEME);
    }
  }
}
