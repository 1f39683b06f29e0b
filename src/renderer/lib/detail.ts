// Evidence details for the inspector, with a small cache so that stepping to the next item is
// instant when it was prefetched while the examiner looked at the current one.
import type { EvidenceDetail } from '../../contract/ipc';
import { call, mediaUrl } from './api';

const MAX_ENTRIES = 12;
const cache = new Map<number, Promise<EvidenceDetail>>();

export function loadDetail(id: number, fresh = false): Promise<EvidenceDetail> {
  const cached = cache.get(id);
  if (cached && !fresh) {
    // Refresh the LRU position.
    cache.delete(id);
    cache.set(id, cached);
    return cached;
  }
  const promise = call('evidence.get', { id });
  promise.catch(() => {
    if (cache.get(id) === promise) cache.delete(id);
  });
  cache.set(id, promise);
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as number);
  return promise;
}

export function forgetDetails(ids: number[]): void {
  for (const id of ids) cache.delete(id);
}

/** Another case was opened: its ids mean other items. */
export function forgetAllDetails(): void {
  cache.clear();
  warmed.clear();
}

const warmed = new Set<string>();

/** Starts downloading and decoding an image the examiner is likely to look at next. */
export function prefetchOriginal(id: number): void {
  const url = mediaUrl({ kind: 'original', evidenceId: id });
  if (warmed.has(url)) return;
  warmed.add(url);
  if (warmed.size > 64) warmed.delete(warmed.values().next().value as string);
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  img.decode().catch(() => warmed.delete(url));
}
