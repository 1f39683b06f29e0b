// Printing reports outside the app (issue 11, findings 8 and 11): a Chromium, Chrome or Edge is
// found where each platform installs it, a clear sentence says what to install when there is
// none, and the browser keeps its sandbox except where it cannot work (as root), which is said.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserCandidates, buildReportData, ChromiumPrinter, findBrowser, pdfOptionsFor, reportDocument, sandboxDecision } from '../../src/main/reports';
import { ensureReportPageBuilt, makeAnalysedCase, reportSettings, reportSkipReason } from './helpers';
import { CHROMIUM_PATH } from '../e2e/harness';

describe('finding a browser to print with', () => {
  test('the usual places of each platform, Edge first on Windows', () => {
    const win = browserCandidates('win32', { PROGRAMFILES: 'C:\\Program Files', 'PROGRAMFILES(X86)': 'C:\\Program Files (x86)', LOCALAPPDATA: 'C:\\Users\\e\\AppData\\Local' });
    assert.equal(win[0], 'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe');
    assert.ok(win.includes('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'));
    assert.ok(win.includes('C:\\Users\\e\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe'));
    const mac = browserCandidates('darwin', {});
    assert.ok(mac.includes('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'));
    assert.ok(mac.includes('/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'));
    const linux = browserCandidates('linux', {});
    assert.deepEqual(linux.slice(0, 3), ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']);

    const onlyChrome = (p: string) => p === '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    assert.deepEqual(findBrowser({ platform: 'darwin', exists: onlyChrome }), { found: true, path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', candidates: mac });
  });

  test('none found: a sentence saying what to install on that platform; a configured one that is missing is not replaced', () => {
    const none = () => false;
    const linux = findBrowser({ platform: 'linux', exists: none });
    assert.equal(linux.found, false);
    assert.match(!linux.found ? linux.problem : '', /sudo apt install chromium.*PROVENANCE_CHROMIUM/);
    const win = findBrowser({ platform: 'win32', env: {}, exists: none });
    assert.match(!win.found ? win.problem : '', /Install Microsoft Edge/);
    const mac = findBrowser({ platform: 'darwin', exists: none });
    assert.match(!mac.found ? mac.problem : '', /Google Chrome, Chromium or Microsoft Edge/);
    const configured = findBrowser({ configured: '/opt/nowhere/chrome', platform: 'linux', exists: (p) => p === '/usr/bin/chromium' });
    assert.equal(configured.found, false, 'a configured browser that is missing is an error, not a silent fallback');
    assert.match(!configured.found ? configured.problem : '', /\/opt\/nowhere\/chrome/);
  });
});

describe('the sandbox', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-sandbox-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('--no-sandbox only as root, with the reason', () => {
    assert.deepEqual(sandboxDecision(1000), { args: [] });
    const asRoot = sandboxDecision(0);
    assert.deepEqual(asRoot.args, ['--no-sandbox']);
    assert.match(asRoot.note!, /as root.*sandbox cannot start/);
  });

  test('the browser is started without --no-sandbox for an ordinary user, over a pipe, offline', { skip: process.platform === 'win32' ? 'POSIX shell script stand-in' : undefined }, async () => {
    // A stand-in browser that records its arguments and fails, as a broken installation would.
    const argsFile = path.join(root, 'args.txt');
    const fake = path.join(root, 'fake-chromium');
    fs.writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\necho 'something else went wrong' >&2\nexit 21\n`, { mode: 0o755 });
    const doc = { html: '<html></html>', assetsDir: root };
    const options = pdfOptionsFor({ case: { name: 'x', number: '' }, software: { name: 'P' }, generatedAt: 'now', reportId: 'r' } as Parameters<typeof pdfOptionsFor>[0]);
    await assert.rejects(new ChromiumPrinter({ executablePath: fake, uid: 1000 }).print(doc, options), /stopped \(exit code 21\).*something else went wrong/);
    const args = fs.readFileSync(argsFile, 'utf8').trim().split('\n');
    assert.ok(!args.includes('--no-sandbox'), args.join(' '));
    for (const a of ['--headless', '--remote-debugging-pipe', '--disable-background-networking']) assert.ok(args.includes(a), a);
    assert.ok(!args.some((a) => a.startsWith('--remote-debugging-port')), 'no port another program could connect to');
    await assert.rejects(new ChromiumPrinter({ executablePath: fake, uid: 0 }).print(doc, options), /exit code 21/);
    assert.ok(fs.readFileSync(argsFile, 'utf8').split('\n').includes('--no-sandbox'));
  });

  test('a real print says when it ran without the sandbox, and why', { skip: reportSkipReason(), timeout: 240_000 }, async () => {
    const pageDir = await ensureReportPageBuilt();
    const kase = await makeAnalysedCase(path.join(root, 'case-root'), 1, {}, { width: 64, height: 48 });
    const data = await buildReportData(kase.store, { ...reportSettings(), items: 'all' });
    kase.store.close();
    const notes: string[] = [];
    const uid = process.getuid?.();
    // As an ordinary user the sandbox normally works and nothing is said; as root (this machine,
    // CI containers) Chromium refuses its sandbox, the printer says so and prints without it.
    const pdf = await new ChromiumPrinter({ executablePath: CHROMIUM_PATH, onNote: (n) => notes.push(n) }).print(reportDocument(data, pageDir), pdfOptionsFor(data));
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    if (uid === 0) assert.match(notes.join('\n'), /as root/);
    // Pretending to be an ordinary user as root: Chromium itself refuses the sandbox, which is detected and said.
    if (uid === 0) {
      const detected: string[] = [];
      const again = await new ChromiumPrinter({ executablePath: CHROMIUM_PATH, uid: 1000, onNote: (n) => detected.push(n) }).print(reportDocument(data, pageDir), pdfOptionsFor(data));
      assert.equal(again.subarray(0, 5).toString(), '%PDF-');
      assert.match(detected.join('\n'), /sandbox is not available on this system \(.*root.*\)/i);
    }
  });
});
