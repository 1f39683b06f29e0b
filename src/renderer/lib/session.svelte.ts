// The open case and the app's identity, loaded once and updated when a case is created/opened.
import type { Case } from '../../contract/case';
import type { AppInfo } from '../../contract/ipc';
import { call, errorMessage } from './api';

class Session {
  info = $state<AppInfo | null>(null);
  current = $state<{ case: Case; dir: string } | null>(null);
  loaded = $state(false);
  loadError = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      const [info, current] = await Promise.all([call('app.info', {}), call('cases.current', {})]);
      this.info = info;
      this.current = current;
    } catch (err) {
      this.loadError = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  opened(c: Case, dir: string): void {
    this.current = { case: c, dir };
  }
}

export const session = new Session();
