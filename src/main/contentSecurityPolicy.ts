// The renderer's Content Security Policy, in one place for every way the page is delivered: the
// meta tag of src/renderer/index.html (the policy that applies when Electron loads the page
// from file://, where no response headers exist), the header the Electron session adds, and the
// header the test server sends. tests/electron/shell.test.ts checks the meta tag matches.

/** Directives that hold wherever the page is loaded. */
export const RENDERER_CSP_DIRECTIVES = [
  "default-src 'self'",
  "img-src 'self' data: blob: evidence:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  // No plugins, no <base> rewriting relative URLs, no form posting anywhere.
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
] as const;

/** The policy as a meta tag carries it (browsers ignore frame-ancestors there, with a console error). */
export const META_CONTENT_SECURITY_POLICY = RENDERER_CSP_DIRECTIVES.join('; ');

/** The policy as a response header: also refuses being framed. */
export const CONTENT_SECURITY_POLICY = [...RENDERER_CSP_DIRECTIVES, "frame-ancestors 'none'"].join('; ');
