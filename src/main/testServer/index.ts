import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import type { MediaKind } from '../../contract/ipc';
import { createAppServices, type AppServices } from '../services';
import { MEDIA_CACHE_CONTROL } from '../services/media';

export interface TestServerOptions {
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Where app-level state (recent cases) lives; a temp dir in tests. */
  stateDir: string;
  /** Stands in for the native folder dialog. */
  pickFolder?: (purpose: 'case' | 'import') => string | null;
  /** Stands in for the native save dialog. */
  pickSaveFile?: (purpose: 'report', defaultName?: string) => string | null;
  modelsDir?: string;
  /** Trained model versions (the registry the Training view manages); a temp dir in tests. */
  userModelsDir?: string;
  /** 0 picks a free port. */
  port?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const MEDIA_KINDS = new Set<MediaKind>(['original', 'thumb', 'ela', 'ela-preview']);
const MAX_BODY = 1 << 20;

/**
 * Serves the built renderer to a plain browser and speaks the IPC contract over HTTP:
 * `POST /api/<channel>` → IpcResult JSON, `GET /events` → Server-Sent Events, `GET /media/<id>/<kind>`.
 * Every request goes to the same AppServices the Electron shell uses, so there is no second
 * implementation of any behaviour. Listens on 127.0.0.1 only.
 */
export async function startTestServer(opts: TestServerOptions): Promise<{ url: string; services: AppServices; close(): Promise<void> }> {
  const services = createAppServices({
    stateDir: opts.stateDir,
    shell: 'test-server',
    modelsDir: opts.modelsDir,
    userModelsDir: opts.userModelsDir,
    pickFolder: async (purpose) => opts.pickFolder?.(purpose) ?? null,
    pickSaveFile: async (purpose, name) => opts.pickSaveFile?.(purpose, name) ?? null,
  });
  const rendererDir = resolve(opts.rendererDir);
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
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
    const media = /^\/media\/(\d+)\/([a-z-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && media) {
      const kind = media[2] as MediaKind;
      if (!MEDIA_KINDS.has(kind)) return notFound(res);
      const found = await services.media(Number(media[1]), kind, url.searchParams.get('v') ?? undefined);
      if (!found) return notFound(res);
      res.writeHead(200, { 'content-type': found.contentType, 'cache-control': MEDIA_CACHE_CONTROL });
      res.end(found.body);
      return;
    }
    const evalMedia = /^\/media\/eval\/([0-9a-f-]{36})\/(\d+)\/(thumb|original)$/.exec(url.pathname);
    if (req.method === 'GET' && evalMedia) {
      const found = await services.evaluationMedia(evalMedia[1], Number(evalMedia[2]), evalMedia[3] as 'thumb' | 'original');
      if (!found) return notFound(res);
      res.writeHead(200, { 'content-type': found.contentType, 'cache-control': MEDIA_CACHE_CONTROL });
      res.end(found.body);
      return;
    }
    if (req.method === 'GET') return serveStatic(url.pathname, res);
    res.writeHead(405).end();
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
    const rel = pathname === '/' ? 'index.html' : normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    const file = join(rendererDir, rel);
    if (!file.startsWith(rendererDir) || !existsSync(file) || !statSync(file).isFile()) return notFound(res);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    close: async () => {
      unsubscribe();
      for (const res of sseClients) res.end();
      await services.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
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
