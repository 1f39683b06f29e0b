import { readFileSync, realpathSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import type { ReportData } from '../../contract/report';
import { ReportError } from './errors';

/** The report page as the renderer build writes it (second entry of electron.config.ts). */
export const REPORT_PAGE = 'report.html';
/** The element the page reads its data from (see src/renderer/report.html). */
const DATA_ELEMENT = /<script id="report-data" type="application\/json">[\s\S]*?<\/script>/;

/**
 * A report ready to print: the page's HTML with the data embedded, and the built renderer folder
 * its relative asset URLs (script, stylesheet) resolve against. Printers serve both under one
 * origin, so nothing is written to disk and nothing outside this folder can be loaded.
 */
export interface ReportDocument {
  html: string;
  assetsDir: string;
}

/** The built page with `data` embedded. JSON inside <script> must not be able to close the tag. */
export function reportDocument(data: ReportData, pageDir: string): ReportDocument {
  const file = join(pageDir, REPORT_PAGE);
  let page: string;
  try {
    page = readFileSync(file, 'utf8');
  } catch {
    throw new ReportError('TEMPLATE_MISSING', `The report page is not built (${file} is missing): run "npm run build" first.`);
  }
  if (!DATA_ELEMENT.test(page)) {
    throw new ReportError('TEMPLATE_MISSING', `${file} has no report-data element: it is not the report page, rebuild with "npm run build".`);
  }
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  // A replacer function: the JSON may contain "$&" and other replacement patterns.
  const html = page.replace(DATA_ELEMENT, () => `<script id="report-data" type="application/json">${json}</script>`);
  return { html, assetsDir: pageDir };
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * What a printer answers for a request path under its report origin: the page for /report.html,
 * a file of the built renderer otherwise, null for anything else: a path that climbs out of the
 * folder (`..`, encoded or not), an absolute or drive path, NUL, and a symbolic link inside the
 * folder that points outside it (the real path must be inside too).
 */
export function serveReportRequest(doc: ReportDocument, pathname: string): { body: Buffer; contentType: string } | null {
  if (pathname === `/${REPORT_PAGE}`) return { body: Buffer.from(doc.html, 'utf8'), contentType: 'text/html; charset=utf-8' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null; // a malformed escape names no file: refused like any other unknown path
  }
  if (decoded.includes('\0') || decoded.includes('\\') || /^\/*[a-zA-Z]:/.test(decoded)) return null;
  const root = resolve(doc.assetsDir);
  const file = resolve(root, `.${decoded}`);
  const type = CONTENT_TYPES[extname(file)];
  if (!type || !file.startsWith(root + sep)) return null;
  try {
    const realRoot = realpathSync(root);
    const realFile = realpathSync(file);
    if (!realFile.startsWith(realRoot + sep)) return null;
    return { body: readFileSync(realFile), contentType: type };
  } catch {
    return null; // no such asset: the printer answers 404 and the page reports what it missed
  }
}
