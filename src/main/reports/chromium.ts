import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findBrowser } from './browser';
import { serveReportRequest, type ReportDocument } from './document';
import { ReportError } from './errors';
import type { PdfOptions, PdfPrinter } from './printer';

/**
 * Prints reports with a headless Chromium, Chrome or Edge driven over the DevTools protocol
 * through a pipe (--remote-debugging-pipe: no port any other local program could connect to).
 * The page is served from a made-up origin by intercepting every request: the report and its
 * assets are answered from memory and the built renderer folder, everything else is refused, so
 * nothing is written to disk and nothing reaches the network.
 */

/** A made-up origin the page is served under; requests to anything else are refused. */
const ORIGIN = 'http://report.provenance.invalid';

// Offline and quiet: no network services, no GPU (headless printing needs none), no extensions.
const ARGS = [
  '--headless',
  '--remote-debugging-pipe',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  '--hide-scrollbars',
];

/** Whether Chromium's sandbox can be used, and why not when it cannot. */
export interface SandboxDecision {
  args: string[];
  /** Said to the user whenever the report is printed without the sandbox. */
  note?: string;
}

const NO_SANDBOX_SAFETY = 'the page printed is the report itself, with every network request refused';

/**
 * Chromium refuses to start its sandbox as root (it would not protect anything), so only there
 * is --no-sandbox given up front; everywhere else the sandbox is used, and if it turns out not to
 * work (no user namespaces, no setuid helper) the printer retries without it and says so.
 */
export function sandboxDecision(uid: number | undefined = process.getuid?.()): SandboxDecision {
  if (uid === 0) {
    return { args: ['--no-sandbox'], note: `Chromium runs as root here, where its sandbox cannot start; the report is printed without the sandbox (${NO_SANDBOX_SAFETY}). Run as an ordinary user to keep it.` };
  }
  return { args: [] };
}

/** Chromium's own words when its sandbox cannot start. */
const SANDBOX_FAILURE = /no usable sandbox|setuid sandbox|running as root without --no-sandbox|zygote.*sandbox|sandbox.*(not|failed)/i;

/** Why reports cannot be printed with a browser here, or undefined when they can. */
export function chromiumUnavailable(executablePath?: string, candidates?: string[]): string | undefined {
  const found = findBrowser({ configured: executablePath, candidates });
  return found.found ? undefined : found.problem;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, any>;
  result?: Record<string, any>;
  error?: { message: string };
  sessionId?: string;
}

/** The DevTools protocol over the browser's pipe: JSON messages separated by NUL bytes. */
class CdpPipe {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (r: Record<string, any>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Map<string, ((params: Record<string, any>, sessionId?: string) => void)[]>();
  private closedWith: Error | null = null;

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(JSON.parse(text) as CdpMessage);
      }
    });
    input.on('error', () => {});
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
      else waiter.resolve(message.result ?? {});
      return;
    }
    for (const listener of this.listeners.get(message.method ?? '') ?? []) listener(message.params ?? {}, message.sessionId);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, any>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.input.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  on(method: string, listener: (params: Record<string, any>, sessionId?: string) => void): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), listener]);
  }

  close(reason: Error): void {
    this.closedWith = reason;
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
  }
}

export interface ChromiumPrinterOptions {
  /** The browser to run (config.chromium); default: the first of `candidates` that exists. */
  executablePath?: string;
  /** Where to look when none is configured (config.chromiumCandidates: the usual places of this platform). */
  candidates?: string[];
  timeoutMs?: number;
  /** Told when the report is printed without Chromium's sandbox, and why. */
  onNote?: (note: string) => void;
  /** The user id the sandbox decision is made for (tests); default: this process's. */
  uid?: number;
}

/** Prints with headless Chromium, Chrome or Edge (CLI and tests); the app prints with Electron. */
export class ChromiumPrinter implements PdfPrinter {
  constructor(private readonly options: ChromiumPrinterOptions = {}) {}

  async print(doc: ReportDocument, pdf: PdfOptions): Promise<Buffer> {
    const found = findBrowser({ configured: this.options.executablePath, candidates: this.options.candidates });
    if (!found.found) throw new ReportError('NO_BROWSER', found.problem);
    const sandbox = sandboxDecision(this.options.uid ?? process.getuid?.());
    try {
      return await this.printWith(found.path, sandbox.args, doc, pdf, sandbox.note);
    } catch (err) {
      if (sandbox.args.includes('--no-sandbox') || !(err instanceof SandboxUnavailable)) throw err;
      const note = `Chromium's sandbox is not available on this system (${err.detail}); the report is printed without it (${NO_SANDBOX_SAFETY}).`;
      return this.printWith(found.path, ['--no-sandbox'], doc, pdf, note);
    }
  }

  private async printWith(executable: string, extraArgs: string[], doc: ReportDocument, pdf: PdfOptions, note: string | undefined): Promise<Buffer> {
    const timeout = this.options.timeoutMs ?? 120_000;
    const profile = mkdtempSync(join(tmpdir(), 'provenance-print-'));
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      child = spawn(executable, [...ARGS, ...extraArgs, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], windowsHide: true });
      let stderr = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
      const cdp = new CdpPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
      const exited = new Promise<never>((_, reject) => {
        child!.once('error', (err) => {
          const failure = new ReportError('PRINT_FAILED', `Could not start ${executable}: ${err.message}`, { cause: err });
          cdp.close(failure);
          reject(failure);
        });
        child!.once('exit', (code, signal) => {
          const detail = stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ');
          const failure = SANDBOX_FAILURE.test(stderr)
            ? new SandboxUnavailable(detail)
            : new ReportError('PRINT_FAILED', `${executable} stopped (${signal ?? `exit code ${code}`}) before the report was printed${detail ? `: ${detail}` : ''}`);
          cdp.close(failure);
          reject(failure);
        });
      });
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ReportError('PRINT_FAILED', `The browser did not print the report within ${Math.round(timeout / 1000)} s.`)), timeout);
      });
      const bytes = await Promise.race([this.drive(cdp, doc, pdf, timeout), exited, expired]);
      if (note) this.options.onNote?.(note);
      // The PDF is in hand; a browser that does not close politely is killed in `finally`.
      await Promise.race([cdp.send('Browser.close').catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
      return bytes;
    } finally {
      clearTimeout(timer);
      if (child && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child!.once('exit', r));
        child.kill();
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      }
      removeProfile(profile);
    }
  }

  private async drive(cdp: CdpPipe, doc: ReportDocument, pdf: PdfOptions, timeout: number): Promise<Buffer> {
    const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
    const pageErrors: string[] = [];
    cdp.on('Runtime.exceptionThrown', (params, sid) => {
      if (sid !== sessionId) return;
      const d = params.exceptionDetails ?? {};
      pageErrors.push(String(d.exception?.description ?? d.text ?? 'an exception'));
    });
    cdp.on('Fetch.requestPaused', (params, sid) => {
      if (sid !== sessionId) return;
      const url = new URL(params.request.url as string);
      const answer = url.origin === ORIGIN ? serveReportRequest(doc, url.pathname) : null;
      const reply = answer
        ? cdp.send('Fetch.fulfillRequest', { requestId: params.requestId, responseCode: 200, responseHeaders: [{ name: 'content-type', value: answer.contentType }], body: answer.body.toString('base64') }, sessionId)
        : cdp.send('Fetch.failRequest', { requestId: params.requestId, errorReason: 'BlockedByClient' }, sessionId);
      reply.catch(() => {}); // the page went away mid-request: the print's own wait reports it
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }] }, sessionId);
    await cdp.send('Runtime.enable', {}, sessionId);
    await cdp.send('Page.enable', {}, sessionId);
    const nav = await cdp.send('Page.navigate', { url: `${ORIGIN}/report.html` }, sessionId);
    if (nav.errorText) throw new ReportError('PRINT_FAILED', `The report page did not load: ${nav.errorText}`);
    // The page sets this once it has mounted and every embedded image has decoded.
    const deadline = Date.now() + timeout;
    for (;;) {
      const { result } = await cdp.send('Runtime.evaluate', { expression: "document.documentElement.hasAttribute('data-report-ready')", returnByValue: true }, sessionId);
      if (result?.value === true) break;
      if (pageErrors.length) throw new ReportError('PRINT_FAILED', `The report page failed while rendering: ${pageErrors.join('; ')}`);
      if (Date.now() > deadline) throw new ReportError('PRINT_FAILED', 'The report page did not render.');
      await new Promise((r) => setTimeout(r, 50));
    }
    if (pageErrors.length) throw new ReportError('PRINT_FAILED', `The report page failed while rendering: ${pageErrors.join('; ')}`);
    const inches = (mm: number) => mm / 25.4;
    const { data } = await cdp.send(
      'Page.printToPDF',
      {
        // A4, as Chromium's own print dialog and Playwright measure it.
        paperWidth: 8.27,
        paperHeight: 11.7,
        printBackground: pdf.printBackground,
        displayHeaderFooter: pdf.displayHeaderFooter,
        headerTemplate: pdf.headerTemplate,
        footerTemplate: pdf.footerTemplate,
        marginTop: inches(pdf.marginsMm.top),
        marginRight: inches(pdf.marginsMm.right),
        marginBottom: inches(pdf.marginsMm.bottom),
        marginLeft: inches(pdf.marginsMm.left),
        preferCSSPageSize: false,
        transferMode: 'ReturnAsBase64',
      },
      sessionId,
    );
    return Buffer.from(data as string, 'base64');
  }
}

/** The browser exited because its sandbox could not start. */
class SandboxUnavailable extends ReportError {
  constructor(readonly detail: string) {
    super('PRINT_FAILED', `Chromium's sandbox could not start: ${detail}`);
  }
}

/**
 * Chromium's helper processes (zygote, GPU, crashpad) can outlive the browser by a moment and
 * still write into the throw-away profile, so a removal right after exit can meet ENOTEMPTY.
 * The PDF is already in hand by then: the profile is removed with retries, and a last failure
 * is retried once later rather than failing a report that printed.
 */
function removeProfile(profile: string): void {
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {
    setTimeout(() => {
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch {
        // a temporary folder left behind; the operating system's temp cleaning removes it
      }
    }, 2000).unref();
  }
}
