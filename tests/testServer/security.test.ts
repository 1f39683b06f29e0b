// The test server obeys only its own page (issue 11, finding 3). A web page from anywhere could
// reach it before: a cross-site text/plain POST and a DNS-rebound Host each created a case.
// Each rule gets a request that breaks only that rule, then real Chromium plays the two attacks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startTestServer, type TestServer } from '../../src/main/testServer';
import { testConfigStore } from '../config';
import { CHROMIUM_PATH, e2eSkipReason, ROOT } from '../e2e/harness';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request to 127.0.0.1:port with exactly these headers (Host included). */
function send(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('test server: only its own page may drive it', () => {
  let root: string;
  let server: TestServer;
  let port: number;
  const json = { 'content-type': 'application/json' };

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-server-security-'));
    const renderer = path.join(root, 'renderer');
    fs.mkdirSync(renderer);
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>app</title>');
    server = await startTestServer({ config: testConfigStore({ rendererDir: renderer, stateDir: path.join(root, 'state'), modelsDir: path.join(root, 'no-models') }) });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const api = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
    send(port, { method: 'POST', path: `/api/${channel}`, headers: { ...json, 'x-provenance-token': server.token, ...headers }, body: JSON.stringify(body) });

  test('listens on a port the system picks, with a long random token in the address it gives', () => {
    assert.notEqual(port, 5174);
    assert.ok(port > 0);
    assert.match(server.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
    assert.equal(server.appUrl, `${server.url}/?token=${server.token}`);
  });

  test('a request with the token, its own Host and JSON is answered', async () => {
    const r = await api('app.info', {});
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).value.shell, 'test-server');
    // Media and events take the token in the query (the browser fetches them itself).
    assert.equal((await send(port, { path: `/media/1/thumb?token=${server.token}` })).status, 404, 'no case: not found, but not refused');
  });

  test('no token, or a wrong one, is refused on the API, media and events', async () => {
    assert.equal((await api('app.info', {}, { 'x-provenance-token': '' })).status, 403);
    assert.equal((await api('app.info', {}, { 'x-provenance-token': `${server.token.slice(0, -1)}x` })).status, 403);
    assert.equal((await send(port, { method: 'POST', path: '/api/app.info', headers: json, body: '{}' })).status, 403);
    assert.equal((await send(port, { path: '/media/1/original' })).status, 403);
    assert.equal((await send(port, { path: '/events' })).status, 403);
    const refused = await api('cases.create', { dir: path.join(root, 'c0'), name: 'x' }, { 'x-provenance-token': 'guess' });
    assert.equal(refused.status, 403);
    assert.equal(fs.existsSync(path.join(root, 'c0')), false);
  });

  test('a DNS-rebound Host (or any other name for the server) is refused, static files included', async () => {
    for (const host of [`rebind.example:${port}`, `localhost:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1']) {
      const r = await send(port, { method: 'POST', path: '/api/cases.create', headers: { ...json, host, 'x-provenance-token': server.token }, body: JSON.stringify({ dir: path.join(root, 'c1'), name: 'x' }) });
      assert.equal(r.status, 421, host);
      assert.equal((await send(port, { path: '/', headers: { host } })).status, 421, `index for ${host}`);
    }
    assert.equal(fs.existsSync(path.join(root, 'c1')), false);
  });

  test('a request from a page of another origin is refused', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      assert.equal((await api('app.info', {}, { origin })).status, 403, origin);
    }
    assert.equal((await api('app.info', {}, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await api('app.info', {}, { 'sec-fetch-site': 'same-site' })).status, 403, 'another port of 127.0.0.1 is the same site, not the same origin');
    assert.equal((await api('app.info', {}, { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' })).status, 200);
  });

  test('a body that is not JSON is refused, whatever it contains', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const r = await send(port, { method: 'POST', path: '/api/cases.create', headers: { 'content-type': type, 'x-provenance-token': server.token }, body: JSON.stringify({ dir: path.join(root, 'c2'), name: 'x' }) });
      assert.equal(r.status, 415, type);
    }
    assert.equal(fs.existsSync(path.join(root, 'c2')), false);
  });

  test('pages are served with the renderer policy: no framing, no sniffing, no referrer', async () => {
    const r = await send(port, { path: '/' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(String(r.headers['content-security-policy']), /object-src 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  });

  test('started by hand, it picks a free port and prints the address with the token', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main/testServer/main.ts'), '--renderer', path.join(root, 'renderer'), '--state', path.join(root, 'manual-state')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
          if (text.includes('open ')) resolve(text);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})/.exec(out);
      assert.ok(m, out);
      assert.notEqual(Number(m[1]), 5174);
    } finally {
      child.kill();
    }
  });
});

describe('test server against real browser attacks', { skip: e2eSkipReason() }, () => {
  let root: string;
  let server: TestServer;
  let attacker: Server;
  let attackerPort: number;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-server-attack-'));
    const renderer = path.join(root, 'renderer');
    fs.mkdirSync(renderer);
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>app</title>');
    server = await startTestServer({ config: testConfigStore({ rendererDir: renderer, stateDir: path.join(root, 'state'), modelsDir: path.join(root, 'no-models') }) });
    // Any web page the examiner happens to have open.
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>news</title>'));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerPort = (attacker.address() as AddressInfo).port;
  });
  after(async () => {
    await server?.close();
    await new Promise((r) => attacker?.close(r));
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function inBrowser<T>(fn: (page: import('playwright-core').Page) => Promise<T>): Promise<T> {
    // attacker.test and rebind.test resolve to 127.0.0.1, as a hostile DNS server makes them.
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1'] });
    try {
      return await fn(await browser.newPage());
    } finally {
      await browser.close();
    }
  }

  test('a cross-site page POSTing text/plain (no preflight) creates no case', async () => {
    const port = new URL(server.url).port;
    const target = path.join(root, 'cross-site-case');
    await inBrowser(async (page) => {
      await page.goto(`http://attacker.test:${attackerPort}/`);
      await page.evaluate(
        async ({ url, body }) => {
          await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }).catch(() => null);
        },
        { url: `http://127.0.0.1:${port}/api/cases.create`, body: JSON.stringify({ dir: target, name: 'Planted' }) },
      );
    });
    assert.equal(fs.existsSync(target), false, 'no case folder was created');
    assert.equal(server.services.context.current, null);
  });

  test('a page on a DNS-rebound name for the server gets nothing, not even its own origin\'s API', async () => {
    const port = new URL(server.url).port;
    const target = path.join(root, 'rebound-case');
    const result = await inBrowser(async (page) => {
      const index = await page.goto(`http://rebind.test:${port}/`);
      // Same origin as far as the browser knows: no CORS in the way, JSON allowed. Even the token would not help.
      const status = await page.evaluate(
        async ({ body, token }) => (await fetch('/api/cases.create', { method: 'POST', headers: { 'content-type': 'application/json', 'x-provenance-token': token }, body })).status,
        { body: JSON.stringify({ dir: target, name: 'Planted' }), token: server.token },
      );
      return { index: index?.status(), status };
    });
    assert.deepEqual(result, { index: 421, status: 421 });
    assert.equal(fs.existsSync(target), false);
  });
});
