/**
 * What every Chromium end-to-end test needs: a built renderer, the test server (the real engine
 * behind the IPC contract spoken over HTTP), Debian's Chromium driven by playwright-core, and a
 * place for screenshots. The renderer is built only when out/renderer is missing or older than
 * what it imports (scripts/renderer-build.ts), so `npm test` works on a clean clone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Channel, IpcResult, Request, Responses } from '../../src/contract/ipc';
import { startTestServer } from '../../src/main/testServer';
import { ensureRendererBuilt } from '../../scripts/renderer-build';
import { testConfigStore, type TestConfigOptions } from '../config';

export { ensureRendererBuilt };

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RENDERER_DIR = path.join(ROOT, 'out/renderer');
export const ARTIFACTS_DIR = path.join(ROOT, 'tests/artifacts');
export const CHROMIUM_PATH = process.env.PROVENANCE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * How much longer than on an idle machine the e2e tests may take: PROVENANCE_TEST_SLOWDOWN when
 * set, else from the load average per core when the test file starts (at least 2, at most 6).
 * A shared 2-core machine with training jobs running is several times slower than an idle one;
 * a timeout that only holds when idle fails for no reason of its own.
 */
export const SLOWDOWN = (() => {
  const forced = Number(process.env.PROVENANCE_TEST_SLOWDOWN);
  if (Number.isFinite(forced) && forced >= 1) return forced;
  const perCore = os.loadavg()[0] / Math.max(1, os.availableParallelism());
  return Math.min(6, Math.max(2, Math.ceil(perCore) + 1));
})();

/** A timeout measured on an idle machine, scaled by SLOWDOWN. */
export function slow(idleMs: number): number {
  return Math.round(idleMs * SLOWDOWN);
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the e2e tests cannot run here, or undefined when they can (pass to node:test's `skip`). */
export function e2eSkipReason(): string | undefined {
  if (!fs.existsSync(CHROMIUM_PATH)) return `Chromium not found at ${CHROMIUM_PATH}: install Debian's "chromium" package (or set PROVENANCE_CHROMIUM) to run the e2e tests`;
  return undefined;
}

export interface AppUnderTest {
  url: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Scratch folder for this test: state, cases, evidence. */
  tmp: string;
  /** The test server's per-run token (the page got it in its address). */
  token: string;
  /** The app's state folder (recent cases, the anchor key and log). */
  stateDir: string;
  /** What the stand-in folder dialogs (and `save`, the save-file dialog) answer; change between steps as needed. */
  picks: { case: string | null; import: string | null; save: string | null };
  /** Uncaught exceptions in the page: a test should end with none. */
  pageErrors: string[];
  /** Console errors (failed loads, Content-Security-Policy violations, ...). */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Starts the test server on a fresh state dir and opens the app in a fresh Chromium page. The
 * configuration is a test's (fixture models shown); `config` changes any setting, `settings`
 * writes a settings.json into the state folder first (what a user's Settings view would have).
 */
export async function startApp(
  opts: { viewport?: { width: number; height: number }; config?: TestConfigOptions; settings?: Record<string, unknown>; /** No native folder dialog, as in a plain browser. */ noFolderDialog?: boolean } = {},
): Promise<AppUnderTest> {
  const rendererDir = await ensureRendererBuilt();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-e2e-'));
  const stateDir = path.join(tmp, 'state');
  fs.mkdirSync(stateDir);
  if (opts.settings) fs.writeFileSync(path.join(stateDir, 'settings.json'), JSON.stringify(opts.settings));
  const picks: AppUnderTest['picks'] = { case: null, import: null, save: null };
  const config = testConfigStore({ rendererDir, chromium: CHROMIUM_PATH, ...opts.config, stateDir });
  const server = await startTestServer({ config, pickFolder: opts.noFolderDialog ? undefined : (purpose) => picks[purpose], pickSaveFile: () => picks.save });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
    // Playwright's 30 s default wait, scaled for a loaded machine like every other e2e timeout.
    context.setDefaultTimeout(slow(15_000));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.stack ?? err.message));
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    // The address with this run's token: the renderer reads it and sends it with every call.
    await page.goto(server.appUrl);
    const opened = browser;
    return {
      url: server.url,
      token: server.token,
      stateDir,
      browser: opened,
      context,
      page,
      tmp,
      picks,
      pageErrors,
      consoleErrors,
      async close() {
        await opened.close().catch(() => {});
        await server.close();
        fs.rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Saves a screenshot under tests/artifacts (git-ignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file });
  return file;
}

/** Creates a case through the Cases view, choosing its folder with the (stand-in) dialog. */
export async function createCaseThroughUi(app: AppUnderTest, caseDir: string, fields: { name: string; number?: string; examiner?: string }): Promise<void> {
  const { page } = app;
  await page.getByTestId('nav-cases').click();
  app.picks.case = caseDir;
  await page.getByTestId('new-case-dir-browse').click();
  await waitForInputValue(page.getByTestId('new-case-dir-path'), caseDir);
  await page.getByTestId('new-case-name').fill(fields.name);
  if (fields.number) await page.getByTestId('new-case-number').fill(fields.number);
  if (fields.examiner) await page.getByTestId('new-case-examiner').fill(fields.examiner);
  await page.getByTestId('new-case-create').click();
  await page.getByTestId('gallery').waitFor();
}

/** Starts an import with the "Import folder…" button and waits until the job has ended. */
export async function importThroughUi(app: AppUnderTest, folder: string, timeoutMs = slow(60_000)): Promise<void> {
  const { page } = app;
  app.picks.import = folder;
  await page.getByTestId('import-pick').click();
  await page.getByTestId('import-progress').getByTestId('job-status').waitFor({ timeout: timeoutMs });
}

/** Ids of every tile the gallery shows, scrolling through its virtual list. */
export async function collectTileIds(page: Page): Promise<number[]> {
  const ids = new Set<number>();
  const gallery = page.getByTestId('gallery');
  await gallery.evaluate((el) => (el.scrollTop = 0));
  for (;;) {
    // Rows just scrolled into view show placeholders until their page of the list arrives.
    await gallery.getByTestId('tile-placeholder').first().waitFor({ state: 'detached' });
    for (const id of await gallery.getByTestId('tile').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))))) ids.add(id);
    const atEnd = await gallery.evaluate((el) => {
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
      el.scrollTop += el.clientHeight;
      return false;
    });
    if (atEnd) break;
    // The grid re-renders on the scroll event; give it a frame before reading the DOM again.
    await nextFrames(page);
  }
  return [...ids];
}

/** Resolves after the page has painted twice (the DOM reflects the last state change). */
export function nextFrames(page: Page): Promise<unknown> {
  // A string: this file is type-checked without the DOM library.
  return page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/** Waits until an input's current value (the property, not the attribute) is `value`. */
export async function waitForInputValue(input: Locator, value: string): Promise<void> {
  const handle = await input.elementHandle();
  await input.page().waitForFunction(({ el, expected }) => el?.value === expected, { el: handle, expected: value });
}

/** Calls a channel of the test server from the page, as the renderer does, and unwraps the value. */
export async function invokeFromPage<C extends Channel>(page: Page, channel: C, request: Request<C>): Promise<Responses[C]> {
  const answer = (await page.evaluate(
    async ({ channel, request }) => {
      const token = new URLSearchParams((globalThis as unknown as { location: { search: string } }).location.search).get('token') ?? '';
      const response = await fetch(`/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-provenance-token': token }, body: JSON.stringify(request) });
      return response.json();
    },
    { channel, request },
  )) as IpcResult<C>;
  if (!answer.ok) throw new Error(`${channel} failed: ${answer.error.message}`);
  return answer.value;
}

/** The app with an empty model registry: for tests about the gallery and jobs, where only ELA is needed. */
export async function startAppWithoutModels(): Promise<AppUnderTest> {
  const emptyModels = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'provenance-no-models-'));
  try {
    return await startApp({ config: { modelsDir: emptyModels } });
  } finally {
    fs.rmSync(emptyModels, { recursive: true, force: true });
  }
}

/**
 * Waits until the report dialog's job has ended and returns its result panel; a report that
 * failed fails the test at once with the dialog's own sentence instead of waiting out a timeout.
 * Printing a PDF starts a second Chromium: on a loaded machine that alone can take a minute, so
 * the wait is long (scaled by SLOWDOWN). While an earlier export's result is still shown, `renumbered`
 * or `pdfPath` say which result to wait for.
 */
export async function waitForReport(dialog: Locator, opts: { renumbered?: boolean; /** the PDF of this export, when an earlier result is still shown */ pdfPath?: string } = {}): Promise<Locator> {
  const result = dialog.getByTestId('report-result');
  const failed = dialog.getByTestId('report-failed').or(dialog.getByTestId('report-error'));
  let done = opts.renumbered ? result.filter({ has: dialog.page().getByTestId('report-renumbered') }) : result;
  if (opts.pdfPath) done = done.filter({ has: dialog.page().getByTestId('report-pdf-path').filter({ hasText: opts.pdfPath }) });
  await done.or(failed).first().waitFor({ timeout: slow(180_000) });
  if (await failed.count()) throw new Error(`the report was not written: ${await failed.first().innerText()}`);
  return result;
}
