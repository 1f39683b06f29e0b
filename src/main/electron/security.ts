import { session, type WebContents } from 'electron';

/** The renderer may load its own files and evidence media, nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob: evidence:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ALLOWED_SCHEMES = new Set(['file:', 'evidence:', 'devtools:', 'data:', 'blob:']);

/**
 * The app is offline by design: every request that is not for the app's own files or evidence
 * media is cancelled and logged, so an attempt (a stray link, a compromised dependency) is seen.
 */
export function lockDownSession(log: (message: string) => void, devServerOrigin?: string): void {
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = new URL(details.url);
    const allowed = ALLOWED_SCHEMES.has(url.protocol) || (devServerOrigin !== undefined && url.origin === devServerOrigin);
    if (!allowed) log(`blocked network request: ${details.method} ${details.url}`);
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    log(`denied permission request: ${permission}`);
    callback(false);
  });
}

/** No navigation away from the app and no new windows. */
export function denyNavigation(contents: WebContents, log: (message: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked new window for ${url}`);
    return { action: 'deny' };
  });
}
