// Globals the renderer relies on. `window.provenance` is set by the Electron preload; in plain
// Chromium (the e2e tests) it is absent and lib/api.ts talks HTTP to the test server instead.
import type { ProvenanceApi } from '../contract/ipc';

declare global {
  interface Window {
    provenance?: ProvenanceApi;
  }
}

export {};
