// Where the examiner is, kept in the URL hash so a reload (or the Back button) returns to the
// same view and the same inspected item. Hash routing works for both file:// in Electron and
// the test server.
export type Route =
  | { view: 'cases' }
  | { view: 'review'; inspect: number | null }
  | { view: 'audit' }
  /** The models in use, their trained versions, the Python environment, new training runs. */
  | { view: 'models' }
  /** What the app runs with: provider, limits, examiner, folders (read-only), developer options. */
  | { view: 'settings' }
  /** `id` is the saved evaluation shown; null shows the form that starts a new one. */
  | { view: 'evaluation'; id: string | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parse(hash: string): Route | null {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  switch (parts[0]) {
    case 'cases':
      return { view: 'cases' };
    case 'audit':
      return { view: 'audit' };
    case 'models':
    case 'training': // the tab's earlier name, for bookmarks
      return { view: 'models' };
    case 'settings':
      return { view: 'settings' };
    case 'evaluation':
      return { view: 'evaluation', id: parts[1] && UUID.test(parts[1]) ? parts[1] : null };
    case 'review': {
      const id = Number(parts[1]);
      return { view: 'review', inspect: Number.isInteger(id) && id > 0 ? id : null };
    }
    default:
      return null;
  }
}

function format(route: Route): string {
  if (route.view === 'review') return route.inspect === null ? '#/review' : `#/review/${route.inspect}`;
  if (route.view === 'evaluation') return route.id === null ? '#/evaluation' : `#/evaluation/${route.id}`;
  return `#/${route.view}`;
}

class Router {
  route = $state<Route>(parse(location.hash) ?? { view: 'cases' });
  /** True when the URL named a view when the page loaded (a reload, a bookmark). */
  readonly explicitAtLoad = parse(location.hash) !== null;

  constructor() {
    window.addEventListener('hashchange', () => {
      const next = parse(location.hash);
      if (next) this.route = next;
    });
  }

  /** `replace` keeps stepping from item to item out of the Back-button history. */
  go(route: Route, replace = false): void {
    this.route = route;
    const hash = format(route);
    if (location.hash === hash) return;
    if (replace) history.replaceState(history.state, '', hash);
    else history.pushState(history.state, '', hash);
  }
}

export const router = new Router();
