// Choosing a folder, the same call wherever a view needs one: the system dialog in the desktop
// app; in a plain browser, where there is none, the app's own folder browser (FolderBrowser,
// mounted once by App.svelte), so "Browse…" never silently does nothing.
import { call } from './api';
import { session } from './session.svelte';

interface OpenBrowser {
  title: string;
  start: string;
  resolve: (path: string | null) => void;
}

class FolderPicker {
  /** The in-app browser while it is open. */
  open = $state<OpenBrowser | null>(null);

  /** The chosen folder, or null when cancelled. `start` is where the in-app browser begins. */
  async pick(purpose: 'case' | 'import', title: string, start = ''): Promise<string | null> {
    if (session.info && !session.info.folderDialog) {
      this.open?.resolve(null);
      return new Promise((resolve) => (this.open = { title, start, resolve }));
    }
    return (await call('dialog.pickFolder', { purpose, title })).path;
  }

  finish(path: string | null): void {
    const current = this.open;
    this.open = null;
    current?.resolve(path);
  }
}

export const folderPicker = new FolderPicker();
