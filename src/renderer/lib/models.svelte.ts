// The models the catalogue lists (models.list: fixtures only with the developer setting), loaded once: names, short names for tiles, task,
// whether a model is a test fixture, and the rates its evaluation measured at its threshold.
import type { ModelInfo } from '../../contract/ipc';
import { call } from './api';

class Models {
  byId = $state.raw<Record<string, ModelInfo>>({});
  private loading: Promise<void> | null = null;

  load(force = false): Promise<void> {
    if (this.loading && !force) return this.loading;
    this.loading = call('models.list', {})
      .then(({ models }) => {
        this.byId = Object.fromEntries(models.map((m) => [m.id, m]));
      })
      .catch((err: unknown) => {
        this.loading = null;
        console.error('models.list failed', err);
      });
    return this.loading;
  }

  /** Short name for narrow places; the id when the model is no longer installed. */
  shortName(id: string): string {
    return this.byId[id]?.shortName ?? id;
  }
}

export const models = new Models();
