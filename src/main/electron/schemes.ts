import type { Protocol } from 'electron';
import { MEDIA_SCHEME } from '../../contract/channels';

/** Scheme of the offscreen report page (see printer.ts). */
export const REPORT_SCHEME = 'provenance-report';

/**
 * The app's custom schemes, registered as privileged in one call: Electron allows the call only
 * once, before the app is ready, and a second call replaces the first (the scheme registered
 * first would silently lose its privileges). evidence: serves media to the renderer like
 * standard, secure, fetchable URLs; provenance-report: serves the report page to the print window.
 */
export function registerPrivilegedSchemes(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: REPORT_SCHEME, privileges: { standard: true, secure: true } },
  ]);
}
