import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { MEDIA_HTTP_PREFIX, parseMediaPath } from '../../contract/media';
import type { ConfigStore } from '../config';
import { CONTENT_SECURITY_POLICY } from '../contentSecurityPolicy';
import type { Logger } from '../logger';
import { createAppServices, MEDIA_CACHE_CONTROL, type AppServices } from '../services';

export interface TestServerOptions {
  /** The configuration its entry point built: state folder, models, the built renderer (rendererDir), ... */
  config: ConfigStore;
  log?: Logger;
  /** Stands in for the native folder dialog. */
  pickFolder?: (purpose: 'case' | 'import') => string | null;
  /** Stands in for the native save dialog. */
  pickSaveFile?: (purpose: 'report', defaultName?: string) => string | null;
  /** Default 0: a free port the system picks (a fixed port is one any local page can guess). */
  port?: number;
}

export interface TestServer {
  /** The origin, http://127.0.0.1:<port>. */
  url: string;
  /** The page to open: the origin with this run's token (`/?token=...`), which the renderer sends back. */
  appUrl: string;
  /** The per-run secret every API, event and media request must carry. */
  token: string;
  services: AppServices;
  close(): Promise<void>;
}

/** Header the renderer's HTTP client sends the token in (media and event URLs carry `?token=`). */
export const TOKEN_HEADER = 'x-provenance-token';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const MAX_BODY = 1 << 20;

/**
 * Serves the built renderer to a plain browser and speaks the IPC contract over HTTP:
 * `POST /api/<channel>` → IpcResult JSON, `GET /events` → Server-Sent Events, `GET /media/…` (contract/media.ts).
 * Every request goes to the same AppServices the Electron shell uses, so there is no second
 * implementation of any behaviour.
 *
 * What it serves can create cases and run the trainer, so only this run's own page may use it
 * (see `refusal`): it listens on 127.0.0.1 only, on a port the system picks, answers only requests
 * addressed to Host 127.0.0.1:<port> (a DNS-rebound name is refused), refuses requests a page of
 * another origin sends, requires the per-run random token on everything but the static renderer
 * files, and accepts only JSON bodies (a cross-site "simple" text/plain POST never gets through).
 */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const token = randomBytes(32).toString('base64url');
  const services = createAppServices({
    config: opts.config,
    log: opts.log,
    shell: 'test-server',
    // Without a stand-in (the app served to a browser by hand) there is no folder dialog: the
    // renderer offers its own folder browser instead of a Browse button that does nothing.
    pickFolder: opts.pickFolder ? async (purpose) => opts.pickFolder!(purpose) : undefined,
    pickSaveFile: async (purpose, name) => opts.pickSaveFile?.(purpose, name) ?? null,
  });
  const rendererDir = resolve(opts.config.current.rendererDir);
  const sseClients = new Set<ServerResponse>();
  const unsubscribe = services.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of sseClients) res.write(frame);
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err instanceof Error ? err.message : err));
    });
  });

  let port = 0;

  /** Why this request is refused (status and sentence), or null when it may be served. */
  function refusal(req: IncomingMessage, url: URL): { status: number; message: string } | null {
    const self = `127.0.0.1:${port}`;
    if (req.headers.host !== self) return { status: 421, message: `this server answers only requests for ${self}` };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${self}`) return { status: 403, message: `requests from ${origin} are not accepted` };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, message: `${site} requests are not accepted` };
    const isStatic = req.method === 'GET' && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/media/') && url.pathname !== '/events';
    if (!isStatic) {
      const given = req.headers[TOKEN_HEADER] ?? url.searchParams.get('token') ?? '';
      if (typeof given !== 'string' || !sameSecret(given, token)) return { status: 403, message: 'missing or wrong token: open the URL the server printed' };
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') return { status: 415, message: 'request bodies must be application/json' };
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refused = refusal(req, url);
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(refused.message);
      return;
    }
    if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
      const body = await readBody(req);
      let payload: unknown;
      try {
        payload = body.length ? JSON.parse(body) : {};
      } catch {
        return sendJson(res, { ok: false, error: { code: 'INVALID_REQUEST', message: 'Request body is not valid JSON' } });
      }
      return sendJson(res, await services.dispatch(decodeURIComponent(url.pathname.slice(5)), payload));
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      sseClients.add(res);
      req.on('close', () => sseClients.delete(res));
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith(`${MEDIA_HTTP_PREFIX}/`)) {
      const ref = parseMediaPath(url.pathname.slice(MEDIA_HTTP_PREFIX.length), url.searchParams);
      if (!ref) return notFound(res);
      const answer = await services.media(ref);
      if (!answer.ok) {
        res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(answer.message);
        return;
      }
      res.writeHead(200, { 'content-type': answer.contentType, 'cache-control': MEDIA_CACHE_CONTROL });
      res.end(answer.body);
      return;
    }
    if (req.method === 'GET') return serveStatic(url.pathname, res);
    res.writeHead(405).end();
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
    const rel = pathname === '/' ? 'index.html' : normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    const file = join(rendererDir, rel);
    if (!file.startsWith(rendererDir) || !existsSync(file) || !statSync(file).isFile()) return notFound(res);
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    const headers: Record<string, string> = { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    // The same policy the Electron shell sends; nothing may frame the page (clickjacking a local tool).
    if (type.startsWith('text/html')) headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    appUrl: `${url}/?token=${token}`,
    token,
    services,
    close: async () => {
      unsubscribe();
      for (const res of sseClients) res.end();
      await services.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}
