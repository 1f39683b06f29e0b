// The Electron shell's security settings (issue 11, finding 7) against a fake of the Electron
// API: one privileged-schemes registration, the window options, the request filter, the
// permission and navigation handlers, WebRTC, the report window's own handlers and the release
// of its session, and the protocol handlers against traversal, absolute paths and symbolic links.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AppServices } from '../../src/main/services';
import { META_CONTENT_SECURITY_POLICY } from '../../src/main/contentSecurityPolicy';
import type { MediaRef } from '../../src/contract/media';
import { handleMediaProtocol } from '../../src/main/electron/media';
import { ElectronPrinter } from '../../src/main/electron/printer';
import { registerPrivilegedSchemes, REPORT_SCHEME } from '../../src/main/electron/schemes';
import {
  applyCommandLineSwitches,
  CONTENT_SECURITY_POLICY,
  hardenWebContents,
  lockDownSession,
  mainWindowOptions,
  reportWindowOptions,
  WEBRTC_POLICY,
} from '../../src/main/electron/security';
import { pdfOptionsFor, type ReportDocument } from '../../src/main/reports';
import { FakeSession, FakeWebContents, FakeWindow } from './fakeElectron';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('Electron shell security', () => {
  test('one registerSchemesAsPrivileged call, with both schemes (a second call would drop the first)', () => {
    const calls: { scheme: string; privileges: Record<string, boolean> }[][] = [];
    registerPrivilegedSchemes({ registerSchemesAsPrivileged: (schemes) => void calls.push(schemes as never) });
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].map((s) => s.scheme).sort(), ['evidence', REPORT_SCHEME].sort());
    for (const s of calls[0]) assert.equal(s.privileges.secure && s.privileges.standard, true);
    assert.equal(calls[0].find((s) => s.scheme === 'evidence')!.privileges.supportFetchAPI, true);
    // No other module of the shell registers schemes on its own.
    const shell = path.join(ROOT, 'src/main/electron');
    const callers = fs.readdirSync(shell).filter((f) => fs.readFileSync(path.join(shell, f), 'utf8').includes('registerSchemesAsPrivileged('));
    assert.deepEqual(callers, ['schemes.ts']);
  });

  test('window options: isolated, sandboxed, no Node, no webview; the report window has no preload', () => {
    const main = mainWindowOptions('/app/out/preload/index.js').webPreferences!;
    assert.equal(main.preload, '/app/out/preload/index.js');
    for (const [key, value] of Object.entries({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false, experimentalFeatures: false, navigateOnDragDrop: false })) {
      assert.equal(main[key as keyof typeof main], value, key);
    }
    const ses = new FakeSession();
    const report = reportWindowOptions(ses.asSession());
    assert.equal(report.show, false);
    assert.equal(report.webPreferences!.preload, undefined);
    assert.equal(report.webPreferences!.session, ses.asSession());
    assert.equal(report.webPreferences!.sandbox, true);
    assert.equal(report.webPreferences!.nodeIntegration, false);
  });

  test('the request filter lets through only the app\'s own schemes (and the dev server), and logs the rest', () => {
    const ses = new FakeSession();
    const log: string[] = [];
    lockDownSession(ses.asSession(), (m) => log.push(m), 'http://localhost:5173');
    for (const url of ['file:///app/out/renderer/index.html', 'evidence://3/thumb', 'data:image/png;base64,AA==', 'blob:file:///x', 'devtools://devtools/bundled/x.html', 'http://localhost:5173/src/main.ts']) {
      assert.equal(ses.allows(url), true, url);
    }
    for (const url of ['https://example.com/x.js', 'http://127.0.0.1:8080/', 'ws://localhost:5174/', 'http://localhost:5173.evil.com/', 'ftp://x/', 'not a url']) {
      assert.equal(ses.allows(url), false, url);
    }
    assert.equal(log.filter((l) => l.startsWith('blocked network request')).length, 6);
    let headers: Record<string, string[]> = {};
    ses.headersReceived!({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => (headers = r.responseHeaders));
    assert.deepEqual(headers['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
    assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'.*base-uri 'none'.*form-action 'none'.*frame-ancestors 'none'/);
  });

  test('every permission request is refused, every permission check answers no', () => {
    const ses = new FakeSession();
    const log: string[] = [];
    lockDownSession(ses.asSession(), (m) => log.push(m));
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'display-capture']) {
      let granted: boolean | undefined;
      ses.permissionRequest!(null, permission, (g) => (granted = g));
      assert.equal(granted, false, permission);
      assert.equal(ses.permissionCheck!(null, permission, 'file://'), false, permission);
    }
    assert.equal(ses.devicePermission!({ deviceType: 'usb' }), false);
    assert.equal(log.filter((l) => l.startsWith('denied app permission request')).length, 6);
  });

  test('every web contents: no navigation, redirect, new window or webview; WebRTC off the network', () => {
    const contents = new FakeWebContents();
    const log: string[] = [];
    hardenWebContents(contents.asWebContents(), (m) => log.push(m));
    assert.equal(contents.emit('will-navigate', 'https://evil.example/').prevented, true);
    assert.equal(contents.emit('will-redirect', 'https://evil.example/').prevented, true);
    assert.equal(contents.emit('will-attach-webview', {}, {}).prevented, true);
    assert.deepEqual(contents.windowOpenHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.equal(contents.webRtcPolicy, WEBRTC_POLICY);
    assert.equal(WEBRTC_POLICY, 'disable_non_proxied_udp');
    const switches: [string, string | undefined][] = [];
    applyCommandLineSwitches({ appendSwitch: (name, value) => void switches.push([name, value]) });
    assert.deepEqual(switches, [['force-webrtc-ip-handling-policy', 'disable_non_proxied_udp']]);
    assert.equal(log.length, 4);
  });

  test('the meta tag carries the same policy (it is the one in force for file:// pages)', () => {
    for (const page of ['src/renderer/index.html']) {
      const html = fs.readFileSync(path.join(ROOT, page), 'utf8');
      const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
      assert.ok(meta, `${page} has a CSP meta tag`);
      assert.equal(meta[1], META_CONTENT_SECURITY_POLICY);
    }
    const report = fs.readFileSync(path.join(ROOT, 'src/renderer/report.html'), 'utf8');
    assert.match(report, /default-src 'none'[^"]*base-uri 'none'[^"]*form-action 'none'/);
  });
});

describe('Electron report printer', () => {
  let root: string;
  let doc: ReportDocument;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-electron-printer-'));
    const assets = path.join(root, 'renderer', 'assets');
    fs.mkdirSync(assets, { recursive: true });
    fs.writeFileSync(path.join(assets, 'report.js'), 'console.log(1)');
    fs.writeFileSync(path.join(root, 'secret.js'), 'the examiner\'s private notes');
    fs.symlinkSync(path.join(root, 'secret.js'), path.join(assets, 'linked.js'));
    doc = { html: '<!doctype html><html data-report-ready></html>', assetsDir: path.join(root, 'renderer') };
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function printer(onPrint: (ses: FakeSession, win: FakeWindow) => Promise<void> | void) {
    const ses = new FakeSession();
    const windows: FakeWindow[] = [];
    const log: string[] = [];
    const p = new ElectronPrinter(
      {
        fromPartition: () => ses.asSession(),
        createWindow: (options) => {
          const win = new FakeWindow(options);
          win.webContents.onPrint = () => onPrint(ses, win);
          windows.push(win);
          return win.asWindow();
        },
      },
      (m) => log.push(m),
    );
    return { p, ses, windows, log };
  }

  const data = { case: { name: 'Case', number: '' }, software: { name: 'Provenance Lab' }, generatedAt: '2026-01-01T00:00:00Z', reportId: 'r-1' } as Parameters<typeof pdfOptionsFor>[0];

  test('serves only the report and its assets: traversal, absolute paths and symbolic links out are refused', async () => {
    const answers: Record<string, number> = {};
    const { p, ses, windows } = printer(async (s) => {
      for (const url of [
        `${REPORT_SCHEME}://report/report.html`,
        `${REPORT_SCHEME}://report/assets/report.js`,
        `${REPORT_SCHEME}://report/assets/..%2F..%2Fsecret.js`,
        `${REPORT_SCHEME}://report/..%2f..%2f..%2fetc%2fpasswd`,
        `${REPORT_SCHEME}://report/%2Fetc%2Fpasswd.js`,
        `${REPORT_SCHEME}://report/C:%5CWindows%5Cwin.js`,
        `${REPORT_SCHEME}://report/assets/linked.js`,
        `${REPORT_SCHEME}://report/assets/report.js%00.png`,
        `${REPORT_SCHEME}://other-host/report.html`,
      ]) {
        answers[url.slice(`${REPORT_SCHEME}://`.length)] = (await s.fetch(url)).status;
      }
      // Nothing but the report origin leaves the window.
      assert.equal(s.allows(`${REPORT_SCHEME}://report/assets/report.js`), true);
      assert.equal(s.allows('https://example.com/beacon'), false);
      assert.equal(s.allows('file:///etc/passwd'), false);
    });
    const pdf = await p.print(doc, pdfOptionsFor(data));
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.deepEqual(answers, {
      'report/report.html': 200,
      'report/assets/report.js': 200,
      'report/assets/..%2F..%2Fsecret.js': 404,
      'report/..%2f..%2f..%2fetc%2fpasswd': 404,
      'report/%2Fetc%2Fpasswd.js': 404,
      'report/C:%5CWindows%5Cwin.js': 404,
      'report/assets/linked.js': 404,
      'report/assets/report.js%00.png': 404,
      'other-host/report.html': 404,
    });
    assert.equal(windows[0].loaded, `${REPORT_SCHEME}://report/report.html`);
    assert.deepEqual((windows[0].webContents.printOptions as { pageSize: string }).pageSize, 'A4');
    assert.ok(ses);
  });

  test('the report window refuses navigation, new windows and permissions, and its session is released after printing', async () => {
    let during: { navigation: boolean; popup: unknown; permission: boolean | undefined; check: boolean } | undefined;
    const { p, ses, windows, log } = printer((s, win) => {
      let granted: boolean | undefined;
      s.permissionRequest!(null, 'media', (g) => (granted = g));
      during = {
        navigation: win.webContents.emit('will-navigate', 'https://evil.example/').prevented,
        popup: win.webContents.windowOpenHandler!({ url: 'https://evil.example/' }),
        permission: granted,
        check: s.permissionCheck!(null, 'clipboard-read', 'provenance-report://report'),
      };
    });
    await p.print(doc, pdfOptionsFor(data));
    assert.deepEqual(during, { navigation: true, popup: { action: 'deny' }, permission: false, check: false });
    assert.equal(windows[0].options.webPreferences!.preload, undefined);
    // Released: window gone, scheme unhandled, request filter removed, storage and cache cleared.
    assert.equal(windows[0].destroyed, true);
    assert.deepEqual(ses.unhandled, [REPORT_SCHEME]);
    assert.equal(ses.handlers.size, 0);
    assert.equal(ses.beforeRequest, null);
    assert.deepEqual(ses.cleared.sort(), ['cache', 'storage']);
    assert.ok(log.some((l) => l.includes('blocked navigation')));

    // The session is released when printing fails too, and the next report can use it again.
    const failing = printer(() => {
      throw new Error('printer on fire');
    });
    await assert.rejects(failing.p.print(doc, pdfOptionsFor(data)), /printer on fire/);
    assert.equal(failing.windows[0].destroyed, true);
    assert.equal(failing.ses.handlers.size, 0);
    await failing.p.print(doc, pdfOptionsFor(data)).catch(() => {});
    assert.equal(failing.ses.handlers.size, 0);
  });
});

describe('Electron media protocol', () => {
  test('only media URLs of contract/media.ts reach the services; anything else is 404; a refusal keeps its status', async () => {
    const asked: string[] = [];
    const services = {
      media: async (ref: MediaRef) => {
        asked.push(JSON.stringify(ref));
        if (ref.kind === 'original' && ref.evidenceId === 1) return { ok: true, status: 200, contentType: 'image/jpeg', body: Buffer.from([0xff, 0xd8]) };
        return { ok: false, status: 409, message: 'photo.jpg has changed on disk since it was imported' };
      },
    } as unknown as AppServices;
    let handler: ((r: Request) => Promise<Response> | Response) | undefined;
    handleMediaProtocol(services, { handle: (_scheme, h) => void (handler = h as typeof handler) });
    const status = async (url: string) => (await handler!(new Request(url))).status;
    assert.equal(await status('evidence://media/evidence/1/original'), 200);
    assert.equal(await status('evidence://media/evidence/2/original'), 409, 'a refusal is not a silent 404');
    const before = asked.length;
    for (const url of [
      'evidence://1/original',
      'evidence://media/evidence/1/../../../etc/passwd',
      'evidence:///etc/passwd',
      'evidence://media/evidence/1/original/../../x',
      'evidence://media/evidence/1/%2e%2e%2fsecret',
      'evidence://media/evidence/x/thumb',
      'evidence://media/evidence/1/thumb%00',
      'evidence://eval/0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f/0/thumb',
    ]) {
      assert.equal(await status(url), 404, url);
    }
    assert.equal(asked.length, before, 'nothing malformed reached the services');
  });
});
