// The evidence list in the current filter and order, fetched in pages as the virtual gallery
// scrolls and cached, so that 10,000+ items never sit in the DOM or in one request. The
// inspector walks the same order for next/previous.
import type { EvidenceItem, EvidenceSort, Review, Verdict } from '../../contract/case';
import type { Request } from '../../contract/ipc';
import { call, errorMessage } from './api';

export const PAGE_SIZE = 200;

export interface GalleryFilter {
  /** Bounds on the headline score (0..1); null: unbounded. */
  scoreMin: number | null;
  scoreMax: number | null;
  verdict: Verdict | 'unreviewed' | 'any';
  flaggedOnly: boolean;
  errorsOnly: boolean;
  text: string;
  sort: EvidenceSort;
  /** Reverse the sort's natural direction (score: highest first, name: A→Z, time: import order). */
  descending: boolean;
}

export const DEFAULT_FILTER: GalleryFilter = {
  scoreMin: null,
  scoreMax: null,
  verdict: 'any',
  flaggedOnly: false,
  errorsOnly: false,
  text: '',
  sort: 'score',
  descending: false,
};

export function listRequest(filter: GalleryFilter, offset: number, limit: number): Request<'evidence.list'> {
  const request: Request<'evidence.list'> = { sort: filter.sort, descending: filter.descending, offset, limit };
  if (filter.scoreMin !== null) request.scoreMin = filter.scoreMin;
  if (filter.scoreMax !== null) request.scoreMax = filter.scoreMax;
  if (filter.verdict !== 'any') request.verdict = filter.verdict;
  if (filter.flaggedOnly) request.flagged = true;
  if (filter.errorsOnly) request.hasError = true;
  const text = filter.text.trim();
  if (text) request.text = text;
  return request;
}

class Gallery {
  filter = $state<GalleryFilter>({ ...DEFAULT_FILTER });
  total = $state(0);
  /** Page number → items. Raw: pages are replaced whole, never mutated in place. */
  pages = $state.raw<Record<number, EvidenceItem[]>>({});
  /** True until the first page of the current filter has arrived. */
  loading = $state(true);
  error = $state<string | null>(null);
  /** Keyboard/selection cursor in the gallery (index in the current order). */
  selectedIndex = $state(0);
  /** Bumped when the filter changes so the grid can scroll back to the top. */
  filterVersion = $state(0);

  /** Requests issued for a filter that has since changed are dropped on arrival. */
  private generation = 0;
  private inflight = new Map<number, Promise<void>>();
  /** Pages the grid showed most recently: what a refresh reloads. */
  private visiblePages = new Set<number>([0]);
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshQueued = false;

  itemAt(index: number): EvidenceItem | undefined {
    return this.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE];
  }

  /** Index of an item among the pages loaded so far, or -1. */
  indexOfId(id: number): number {
    for (const [page, items] of Object.entries(this.pages)) {
      const i = items.findIndex((it) => it.id === id);
      if (i >= 0) return Number(page) * PAGE_SIZE + i;
    }
    return -1;
  }

  /** Makes sure the pages covering [first, last] are loaded or on their way. */
  ensureRange(first: number, last: number): void {
    const from = Math.max(0, Math.floor(first / PAGE_SIZE));
    const to = Math.max(from, Math.floor(Math.max(first, last) / PAGE_SIZE));
    this.visiblePages = new Set();
    for (let p = from; p <= to; p++) {
      this.visiblePages.add(p);
      void this.loadPage(p);
    }
  }

  /** The item at `index`, fetching its page when needed; undefined past the end. */
  async fetchItemAt(index: number): Promise<EvidenceItem | undefined> {
    if (index < 0) return undefined;
    // A refresh landing mid-request drops that request's answer; ask again (bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      const cached = this.itemAt(index);
      if (cached) return cached;
      if (!this.loading && index >= this.total && this.pages[0]) return undefined;
      await this.loadPage(Math.floor(index / PAGE_SIZE));
    }
    return this.itemAt(index);
  }

  setFilter(patch: Partial<GalleryFilter>): void {
    this.filter = { ...this.filter, ...patch };
    this.reset();
  }

  resetFilter(): void {
    this.filter = { ...DEFAULT_FILTER };
    this.reset();
  }

  /** Drops everything and starts again (filter changed, another case opened). */
  reset(): void {
    this.generation++;
    this.inflight.clear();
    this.pages = {};
    this.total = 0;
    this.loading = true;
    this.error = null;
    this.selectedIndex = 0;
    this.filterVersion++;
    this.visiblePages = new Set([0]);
    void this.loadPage(0);
  }

  /**
   * Reloads what is on screen, keeping the old pages visible until the new ones arrive (no
   * flicker while an import streams in). Bursts of calls are coalesced: imports send an
   * evidence.changed per file.
   */
  scheduleRefresh(delayMs = 400): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, delayMs);
  }

  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshQueued = true;
      return this.refreshing;
    }
    this.refreshing = this.doRefresh().finally(() => {
      this.refreshing = null;
      if (this.refreshQueued) {
        this.refreshQueued = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  /** Updates one item's review in the cache right away; the next refresh confirms it. */
  patchReview(evidenceId: number, review: Review): void {
    const index = this.indexOfId(evidenceId);
    if (index < 0) return;
    const page = Math.floor(index / PAGE_SIZE);
    const items = this.pages[page].slice();
    items[index % PAGE_SIZE] = { ...items[index % PAGE_SIZE], review };
    this.pages = { ...this.pages, [page]: items };
  }

  private async doRefresh(): Promise<void> {
    const generation = ++this.generation;
    this.inflight.clear();
    const wanted = [...(this.visiblePages.size ? this.visiblePages : [0])];
    try {
      const responses = await Promise.all(wanted.map((p) => call('evidence.list', listRequest(this.filter, p * PAGE_SIZE, PAGE_SIZE))));
      if (generation !== this.generation) return;
      const pages: Record<number, EvidenceItem[]> = {};
      wanted.forEach((p, i) => (pages[p] = responses[i].items));
      this.pages = pages;
      this.total = responses[0]?.total ?? 0;
      this.error = null;
    } catch (err) {
      if (generation === this.generation) this.error = errorMessage(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  private loadPage(page: number): Promise<void> {
    if (this.pages[page]) return Promise.resolve();
    const pending = this.inflight.get(page);
    if (pending) return pending;
    const generation = this.generation;
    const promise = call('evidence.list', listRequest(this.filter, page * PAGE_SIZE, PAGE_SIZE))
      .then(({ items, total }) => {
        if (generation !== this.generation) return;
        this.pages = { ...this.pages, [page]: items };
        this.total = total;
        this.error = null;
      })
      .catch((err: unknown) => {
        if (generation === this.generation) this.error = errorMessage(err);
      })
      .finally(() => {
        if (generation === this.generation) {
          this.inflight.delete(page);
          this.loading = false;
        }
      });
    this.inflight.set(page, promise);
    return promise;
  }
}

export const gallery = new Gallery();
