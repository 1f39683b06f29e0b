// The Electron shell's security settings, as functions of the Electron objects they configure
// (only types are imported from 'electron'), so tests/electron/shell.test.ts checks them against
// a small fake of the API: the binary cannot run on the build machines.
import type { BrowserWindowConstructorOptions, CommandLine, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../contentSecurityPolicy';

export { CONTENT_SECURITY_POLICY };

export type Log = (message: string) => void;

/** Schemes the app's pages may load from: its own files, evidence media, devtools, inline data. */
const ALLOWED_SCHEMES = new Set(['file:', 'evidence:', 'devtools:', 'data:', 'blob:']);

/**
 * Web preferences every window of the app gets: an isolated, sandboxed renderer without Node,
 * with web security on and nothing that loads or runs more than the page itself.
 */
export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const satisfies BrowserWindowConstructorOptions['webPreferences'];

/** The main window: the renderer with the contract's preload and nothing else. */
export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    title: 'Provenance Lab',
    backgroundColor: '#15171a',
    webPreferences: { ...WEB_PREFERENCES, preload },
  };
}

/** The offscreen window a report is printed in: no preload at all, on its own session. */
export function reportWindowOptions(session: Session): BrowserWindowConstructorOptions {
  return { show: false, webPreferences: { ...WEB_PREFERENCES, session, offscreen: true } };
}

/**
 * WebRTC can reveal the machine's addresses and open UDP paths that no HTTP request filter
 * sees. The app uses none of it: only proxied UDP is allowed, and there is no proxy. Must run
 * before the app is ready.
 */
export const WEBRTC_POLICY = 'disable_non_proxied_udp';
export function applyCommandLineSwitches(commandLine: Pick<CommandLine, 'appendSwitch'>): void {
  commandLine.appendSwitch('force-webrtc-ip-handling-policy', WEBRTC_POLICY);
}

/** Whether a request from the app's pages may go out: its own schemes, or the dev server in development. */
export function isAllowedRequest(url: string, devServerOrigin?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false; // not a URL at all: nothing to allow (the caller logs the refusal)
  }
  return ALLOWED_SCHEMES.has(parsed.protocol) || (devServerOrigin !== undefined && parsed.origin === devServerOrigin);
}

/** Every permission request is refused and logged; every permission check answers no. */
export function denyPermissions(ses: Session, log: Log, label = 'app'): void {
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    log(`denied ${label} permission request: ${permission}`);
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  // Devices the page could otherwise enumerate or open without a permission prompt.
  ses.setDevicePermissionHandler(() => false);
}

/**
 * The app is offline by design: every request that is not for the app's own files or evidence
 * media is cancelled and logged, so an attempt (a stray link, a compromised dependency) is seen.
 * Responses get the renderer's Content Security Policy; every permission is refused.
 */
export function lockDownSession(ses: Session, log: Log, devServerOrigin?: string): void {
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, devServerOrigin);
    if (!allowed) log(`blocked network request: ${details.method} ${details.url}`);
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  denyPermissions(ses, log);
}

/** No navigation away from the page and no new windows, for any window. */
export function denyNavigation(contents: WebContents, log: Log): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    log(`blocked redirect to ${url}`);
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked new window for ${url}`);
    return { action: 'deny' };
  });
}

/**
 * What every web contents the app creates gets (the main window, the report window, devtools):
 * no navigation, no new windows, no <webview>, WebRTC kept off the network.
 */
export function hardenWebContents(contents: WebContents, log: Log): void {
  denyNavigation(contents, log);
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('blocked a <webview>');
  });
  contents.setWebRTCIPHandlingPolicy(WEBRTC_POLICY);
}
