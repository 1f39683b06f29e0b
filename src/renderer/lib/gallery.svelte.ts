// The evidence list in the current filter and order, fetched in pages as the virtual gallery
// scrolls and cached, so that 100,000 items never sit in the DOM or in one request. The
// inspector walks the same order for next/previous.
//
// Pages are fetched by keyset (the engine walks one index from a cursor, so a page costs the
// same at the end of a huge case as at its start): the page after a loaded page continues from
// its last cursor, the page before one from its first cursor, the last page is read from the
// end. Only a jump far from every loaded page (dragging the scroll bar) uses an offset. The
// total is counted once per filter and on refresh, not for every page.
import type { EvidenceSort, GalleryItem, GalleryPage, Review, ScoreTask, Verdict } from '../../contract/case';
import type { AnalysisId } from '../../contract/analyses';
import type { Request } from '../../contract/ipc';
import { call, errorMessage } from './api';

export const PAGE_SIZE = 200;
/** Pages kept in memory; scrolling through 100,000 items must not keep them all. */
const MAX_CACHED_PAGES = 40;

export interface GalleryFilter {
  /** Bounds on the headline score (0..1); null: unbounded. */
  scoreMin: number | null;
  scoreMax: number | null;
  verdict: Verdict | 'unreviewed' | 'any';
  flaggedOnly: boolean;
  errorsOnly: boolean;
  /** Only items a forensic analysis flagged: that analysis, 'any' of them, or no such filter. */
  analysisFlag: AnalysisId | 'any' | null;
  text: string;
  sort: EvidenceSort;
  /** Reverse the sort's natural direction (score: highest first, name: A→Z, time: import order). */
  descending: boolean;
  /** Which score sorts and filters: the highest of any model ('any') or of one task's models. */
  scoreTask: ScoreTask | 'any';
}

export const DEFAULT_FILTER: GalleryFilter = {
  scoreMin: null,
  scoreMax: null,
  verdict: 'any',
  flaggedOnly: false,
  errorsOnly: false,
  analysisFlag: null,
  text: '',
  sort: 'score',
  descending: false,
  scoreTask: 'any',
};

/** Where a page request starts (see the file comment). */
export type PageFrom = { after: string } | { before: string } | { fromEnd: true } | { offset: number };

export function listRequest(filter: GalleryFilter, from: PageFrom, limit: number, withTotal: boolean): Request<'evidence.list'> {
  const request: Request<'evidence.list'> = { sort: filter.sort, descending: filter.descending, limit, withTotal, ...from };
  if ('offset' in from && from.offset === 0) delete request.offset;
  if (filter.scoreTask !== 'any') request.scoreTask = filter.scoreTask;
  if (filter.scoreMin !== null) request.scoreMin = filter.scoreMin;
  if (filter.scoreMax !== null) request.scoreMax = filter.scoreMax;
  if (filter.verdict !== 'any') request.verdict = filter.verdict;
  if (filter.flaggedOnly) request.flagged = true;
  if (filter.errorsOnly) request.hasError = true;
  if (filter.analysisFlag !== null) request.analysisFlag = filter.analysisFlag;
  const text = filter.text.trim();
  if (text) request.text = text;
  return request;
}

class Gallery {
  filter = $state<GalleryFilter>({ ...DEFAULT_FILTER });
  total = $state(0);
  /** Page number → items. Raw: pages are replaced whole, never mutated in place. */
  pages = $state.raw<Record<number, GalleryItem[]>>({});
  /** Page number → the cursors of its first and last item, to page on by keyset. */
  private cursors: Record<number, { first: string | null; last: string | null }> = {};
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

  itemAt(index: number): GalleryItem | undefined {
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
  async fetchItemAt(index: number): Promise<GalleryItem | undefined> {
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
    this.cursors = {};
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
    items[index % PAGE_SIZE] = { ...items[index % PAGE_SIZE], verdict: review.verdict, flagged: review.flagged };
    this.pages = { ...this.pages, [page]: items };
  }

  /**
   * Reloads the pages on screen in one sweep: the first from the start, its offset or the end,
   * each following one from the cursor the previous answer ended on. The first request counts.
   */
  private async doRefresh(): Promise<void> {
    const generation = ++this.generation;
    this.inflight.clear();
    const wanted = [...(this.visiblePages.size ? this.visiblePages : [0])].sort((a, b) => a - b);
    try {
      const pages: Record<number, GalleryItem[]> = {};
      const cursors: typeof this.cursors = {};
      let total = this.total;
      let previous: { page: number; last: string | null } | null = null;
      for (const p of wanted) {
        const from: PageFrom = previous && previous.page === p - 1 && previous.last ? { after: previous.last } : { offset: p * PAGE_SIZE };
        const answer: GalleryPage = await call('evidence.list', listRequest(this.filter, from, PAGE_SIZE, previous === null));
        if (generation !== this.generation) return;
        if (answer.total !== null) total = answer.total;
        pages[p] = answer.items;
        cursors[p] = { first: answer.firstCursor, last: answer.lastCursor };
        previous = { page: p, last: answer.lastCursor };
      }
      this.pages = pages;
      this.cursors = cursors;
      this.total = total;
      this.error = null;
    } catch (err) {
      if (generation === this.generation) this.error = errorMessage(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Drops the cached pages farthest from the ones on screen once there are too many (page 0 stays). */
  private withoutFarPages(pages: Record<number, GalleryItem[]>): Record<number, GalleryItem[]> {
    const loaded = Object.keys(pages).map(Number);
    if (loaded.length <= MAX_CACHED_PAGES) return pages;
    const visible = [...this.visiblePages];
    const distance = (p: number): number => (p === 0 ? -1 : Math.min(...visible.map((v) => Math.abs(v - p))));
    const keep = new Set(loaded.sort((a, b) => distance(a) - distance(b)).slice(0, MAX_CACHED_PAGES));
    const kept: Record<number, GalleryItem[]> = {};
    for (const p of loaded) {
      if (keep.has(p)) kept[p] = pages[p];
      else delete this.cursors[p];
    }
    return kept;
  }

  /** How to ask for `page`: from a neighbour's cursor when one is loaded, else from an end, else by offset. */
  private pageFrom(page: number): { from: PageFrom; limit: number } {
    if (page === 0) return { from: { offset: 0 }, limit: PAGE_SIZE };
    const before = this.cursors[page - 1]?.last;
    if (before) return { from: { after: before }, limit: PAGE_SIZE };
    const after = this.cursors[page + 1]?.first;
    if (after) return { from: { before: after }, limit: PAGE_SIZE };
    const lastPage = Math.floor(Math.max(0, this.total - 1) / PAGE_SIZE);
    if (this.pages[0] && page === lastPage) return { from: { fromEnd: true }, limit: this.total - page * PAGE_SIZE };
    return { from: { offset: page * PAGE_SIZE }, limit: PAGE_SIZE };
  }

  private loadPage(page: number): Promise<void> {
    if (this.pages[page]) return Promise.resolve();
    const pending = this.inflight.get(page);
    if (pending) return pending;
    const generation = this.generation;
    // The first page counts the matching items; later pages only walk their own stretch.
    const { from, limit } = this.pageFrom(page);
    const promise = call('evidence.list', listRequest(this.filter, from, limit, page === 0))
      .then((answer) => {
        if (generation !== this.generation) return;
        this.pages = this.withoutFarPages({ ...this.pages, [page]: answer.items });
        this.cursors[page] = { first: answer.firstCursor, last: answer.lastCursor };
        if (answer.total !== null) this.total = answer.total;
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
