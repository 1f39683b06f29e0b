// Which Chromium-family browser prints reports outside the app (the app prints with Electron's
// own Chromium). Every platform has one in a usual place: Chromium or Chrome on Linux, Chrome,
// Chromium or Edge on macOS, Edge (part of Windows 10 and 11) or Chrome on Windows. The
// configuration (src/main/config.ts) lists the places for this machine and names a configured
// browser; this module only looks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Environment variable naming the browser to use (read by config.ts). */
export const BROWSER_ENV = 'PROVENANCE_CHROMIUM';

export interface BrowserSearch {
  /** A configured browser (--chromium, the "chromium" setting, $PROVENANCE_CHROMIUM): used if it exists, never silently replaced. */
  configured?: string;
  /** Where to look when none is configured (config.chromiumCandidates); default: browserCandidates(platform, env, home). */
  candidates?: string[];
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  /** The user's home folder (macOS ~/Applications, Windows' local app data). */
  home?: string;
  /** Stands in for the file system (tests). */
  exists?: (path: string) => boolean;
}

export type BrowserFound = { found: true; path: string; candidates: string[] } | { found: false; problem: string; candidates: string[] };

/** The usual install locations of Chromium-family browsers on `platform`, most likely first. */
export function browserCandidates(platform: NodeJS.Platform, env: Record<string, string | undefined>, home = ''): string[] {
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES ?? 'C:\\Program Files', env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)', env.LOCALAPPDATA ?? join(home, 'AppData', 'Local')];
    return roots.flatMap((root) => [`${root}\\Microsoft\\Edge\\Application\\msedge.exe`, `${root}\\Google\\Chrome\\Application\\chrome.exe`, `${root}\\Chromium\\Application\\chrome.exe`]);
  }
  if (platform === 'darwin') {
    const apps = ['/Applications', join(home, 'Applications')];
    return apps.flatMap((dir) => [
      `${dir}/Google Chrome.app/Contents/MacOS/Google Chrome`,
      `${dir}/Chromium.app/Contents/MacOS/Chromium`,
      `${dir}/Microsoft Edge.app/Contents/MacOS/Microsoft Edge`,
      `${dir}/Brave Browser.app/Contents/MacOS/Brave Browser`,
    ]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
    '/usr/bin/brave-browser',
    '/snap/bin/chromium',
    '/var/lib/flatpak/exports/bin/org.chromium.Chromium',
  ];
}

/** What to install on `platform` when no browser was found, as a sentence. */
export function browserInstallHint(platform: NodeJS.Platform = process.platform): string {
  const tail = ` or point ${BROWSER_ENV} at a Chromium, Chrome or Edge executable.`;
  if (platform === 'win32') return `Install Microsoft Edge (it comes with Windows 10 and 11) or Google Chrome,${tail}`;
  if (platform === 'darwin') return `Install Google Chrome, Chromium or Microsoft Edge into /Applications,${tail}`;
  return `Install Chromium (Debian/Ubuntu: sudo apt install chromium; Fedora: sudo dnf install chromium) or Google Chrome,${tail}`;
}

/** The browser reports are printed with: the configured one, else the first usual location that exists. */
export function findBrowser(search: BrowserSearch = {}): BrowserFound {
  const platform = search.platform ?? process.platform;
  const exists = search.exists ?? existsSync;
  if (search.configured) {
    return exists(search.configured)
      ? { found: true, path: search.configured, candidates: [search.configured] }
      : { found: false, problem: `The browser configured for printing reports (${search.configured}) does not exist. ${browserInstallHint(platform)}`, candidates: [search.configured] };
  }
  const candidates = search.candidates ?? browserCandidates(platform, search.env ?? {}, search.home);
  const path = candidates.find((c) => exists(c));
  if (path) return { found: true, path, candidates };
  return { found: false, problem: `No Chromium, Chrome or Edge was found to print the report (looked in ${candidates.length} usual places). ${browserInstallHint(platform)}`, candidates };
}
