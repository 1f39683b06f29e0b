import type { BrowserWindow, BrowserWindowConstructorOptions, Session } from 'electron';
import { serveReportRequest, type PdfOptions, type PdfPrinter, type ReportDocument } from '../reports';
import { REPORT_SCHEME } from './schemes';
import { denyPermissions, reportWindowOptions, type Log } from './security';

export { REPORT_SCHEME };

/** What the printer needs from Electron: passed in by the shell (and by a fake in tests). */
export interface PrinterElectron {
  /** `session.fromPartition`. */
  fromPartition(partition: string, options: { cache: boolean }): Session;
  createWindow(options: BrowserWindowConstructorOptions): BrowserWindow;
}

/** The one in-memory session every report is printed in (cleared after each report). */
const PARTITION = 'provenance-report';

/** How long the page may take to render before printing gives up. */
const RENDER_TIMEOUT_MS = 120_000;

/**
 * Prints the same report page the CLI prints with headless Chromium, through Electron's own
 * Chromium: an offscreen window on a private session whose only origin is the report document
 * (no network, no file access, no permission, no navigation), then webContents.printToPDF. After
 * each report the window is destroyed and the session released: its protocol handler and request
 * filter removed, its storage and cache cleared.
 */
export class ElectronPrinter implements PdfPrinter {
  constructor(private readonly electron: PrinterElectron, private readonly log: Log = () => {}) {}

  async print(doc: ReportDocument, pdf: PdfOptions): Promise<Buffer> {
    const ses = this.electron.fromPartition(PARTITION, { cache: false });
    ses.protocol.handle(REPORT_SCHEME, (request) => {
      const url = new URL(request.url);
      const answer = url.host === 'report' ? serveReportRequest(doc, url.pathname) : null;
      if (!answer) return new Response('not found', { status: 404 });
      return new Response(new Uint8Array(answer.body), { headers: { 'content-type': answer.contentType } });
    });
    ses.webRequest.onBeforeRequest((details, callback) => {
      const allowed = details.url.startsWith(`${REPORT_SCHEME}://report/`);
      if (!allowed) this.log(`report window: blocked request ${details.url}`);
      callback({ cancel: !allowed });
    });
    denyPermissions(ses, this.log, 'report window');
    const win = this.electron.createWindow(reportWindowOptions(ses));
    // The shell's web-contents hook hardens every window; the report window does not rely on it.
    win.webContents.on('will-navigate', (event, url) => {
      event.preventDefault();
      this.log(`report window: blocked navigation to ${url}`);
    });
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    try {
      await win.loadURL(`${REPORT_SCHEME}://report/report.html`);
      const deadline = Date.now() + RENDER_TIMEOUT_MS;
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
      if (!win.isDestroyed()) win.destroy();
      ses.protocol.unhandle(REPORT_SCHEME);
      ses.webRequest.onBeforeRequest(null);
      await ses.clearStorageData().catch(() => {}); // the PDF is made; a private session left uncleared holds only this report's page
      await ses.clearCache().catch(() => {}); // likewise: nothing to report to the user
    }
  }
}
