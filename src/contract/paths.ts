// What a file-system path from the renderer may look like. The renderer is untrusted input: a
// path it sends must name one place unambiguously, whatever the main process's working folder
// is, and must not smuggle anything a log line, a shell or a C API would read differently.
// Pure string checks (no node:path) so the contract stays importable everywhere.

/** The platform the checks are for: the main process's own (paths are used there). */
function currentPlatform(): string {
  return (globalThis as { process?: { platform?: string } }).process?.platform ?? 'linux';
}

/**
 * Why `p` is not an acceptable absolute path, or null when it is. Refused: empty, NUL or any
 * other control character (newlines split log lines and audit entries; NUL truncates C
 * strings), a relative path (it would depend on the main process's working folder), and any
 * `..` segment (a path must not climb out of the folder it names).
 */
export function absolutePathProblem(p: string, platform: string = currentPlatform()): string | null {
  if (p.length === 0) return 'a path is required';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'a path may not contain control characters (NUL, newline, tab, ...)';
  const absolute = platform === 'win32' ? /^([a-zA-Z]:[\\/]|\\\\[^\\/?.]+[\\/][^\\/]+)/.test(p) : p.startsWith('/');
  if (!absolute) return platform === 'win32' ? 'give the full path, starting with a drive letter (C:\\...) or \\\\server\\share' : 'give the full path, starting with /';
  if (p.split(platform === 'win32' ? /[\\/]/ : /\//).includes('..')) return 'a path may not contain ".." segments';
  return null;
}
