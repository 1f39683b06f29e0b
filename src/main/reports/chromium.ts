import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveReportRequest, type ReportDocument } from './document';
import { ReportError } from './errors';
import type { PdfOptions, PdfPrinter } from './printer';

export const DEFAULT_CHROMIUM = process.env.PROVENANCE_CHROMIUM ?? '/usr/bin/chromium';

// Offline and quiet: no network services, no GPU (headless printing needs none).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A made-up origin the page is served under; requests to anything else are refused. */
const ORIGIN = 'http://report.provenance.invalid';

/** Why reports cannot be printed with headless Chromium here, or undefined when they can. */
export function chromiumUnavailable(executablePath = DEFAULT_CHROMIUM): string | undefined {
  if (!existsSync(executablePath)) {
    return `Chromium not found at ${executablePath}: install Debian's "chromium" package (or set PROVENANCE_CHROMIUM) to print reports.`;
  }
  return undefined;
}

/** Prints with headless Chromium driven by playwright-core (CLI and tests). */
export class ChromiumPrinter implements PdfPrinter {
  constructor(private readonly options: { executablePath?: string; timeoutMs?: number } = {}) {}

  async print(doc: ReportDocument, pdf: PdfOptions): Promise<Buffer> {
    const executablePath = this.options.executablePath ?? DEFAULT_CHROMIUM;
    const missing = chromiumUnavailable(executablePath);
    if (missing) throw new ReportError('PRINT_FAILED', missing);
    const timeout = this.options.timeoutMs ?? 120_000;
    const browser = await chromium.launch({ executablePath, args: ARGS });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        const answer = url.origin === ORIGIN ? serveReportRequest(doc, url.pathname) : null;
        if (answer) await route.fulfill({ status: 200, body: answer.body, contentType: answer.contentType });
        else await route.abort('blockedbyclient');
      });
      await page.goto(`${ORIGIN}/report.html`, { timeout });
      try {
        // The page sets this once it has mounted and every embedded image has decoded.
        await page.waitForSelector('html[data-report-ready]', { state: 'attached', timeout });
      } catch (err) {
        const why = pageErrors.length ? pageErrors.join('; ') : (err as Error).message;
        throw new ReportError('PRINT_FAILED', `The report page did not render: ${why}`, { cause: err });
      }
      if (pageErrors.length) throw new ReportError('PRINT_FAILED', `The report page failed while rendering: ${pageErrors.join('; ')}`);
      const mm = (v: number) => `${v}mm`;
      return await page.pdf({
        format: pdf.format,
        printBackground: pdf.printBackground,
        displayHeaderFooter: pdf.displayHeaderFooter,
        headerTemplate: pdf.headerTemplate,
        footerTemplate: pdf.footerTemplate,
        margin: { top: mm(pdf.marginsMm.top), right: mm(pdf.marginsMm.right), bottom: mm(pdf.marginsMm.bottom), left: mm(pdf.marginsMm.left) },
      });
    } finally {
      await browser.close();
    }
  }
}
