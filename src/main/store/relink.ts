import { stat } from 'node:fs/promises';
import type { RelinkOutcome } from '../../contract/case';
import { basename } from 'node:path';
import { sha256File, walkEvidence } from '../ingest';
import type { CaseStore } from './caseStore';

export interface RelinkOptions {
  signal?: AbortSignal;
  /** After each file of the folder is looked at. */
  onProgress?: (done: number, total: number, current: string) => void;
  /** Who the audit log names for the relinks. */
  actor?: string;
}

export type { RelinkOutcome };

/**
 * Finds the case's missing evidence files in `folder` by content: every item whose file is no
 * longer at its path is matched against the files of the folder by SHA-256 (only files whose size
 * equals a missing item's are hashed) and pointed at the match, with an audit entry each. A file
 * is never matched by name alone; an item with no hash (refused before it could be read) cannot
 * be relinked. Reads only; nothing is moved or copied.
 */
export async function relinkCase(store: CaseStore, folder: string, options: RelinkOptions = {}): Promise<RelinkOutcome> {
  const items = store.listEvidence({ sort: 'time' }).filter((i) => i.sha256 !== null);
  const missing: typeof items = [];
  for (const item of items) {
    const present = await stat(item.path).then((s) => s.isFile(), () => false);
    if (!present) missing.push(item);
  }
  const outcome: RelinkOutcome = { relinked: [], stillMissing: [], scanned: 0, hashed: 0 };
  const bySha = new Map<string, typeof items>();
  for (const item of missing) bySha.set(item.sha256!, [...(bySha.get(item.sha256!) ?? []), item]);
  const sizes = new Set(missing.map((i) => i.sizeBytes));

  if (missing.length > 0) {
    const files: string[] = [];
    for await (const entry of walkEvidence([folder], { signal: options.signal, ignoreNames: new Set() })) {
      if (!entry.error) files.push(entry.path);
    }
    for (const file of files) {
      if (options.signal?.aborted) break;
      outcome.scanned += 1;
      const size = await stat(file).then((s) => s.size, () => null);
      if (size !== null && sizes.has(size) && bySha.size > 0) {
        const sha256 = await sha256File(file).catch(() => null);
        outcome.hashed += 1;
        const waiting = sha256 ? bySha.get(sha256) : undefined;
        if (sha256 && waiting?.length) {
          // Same bytes under several items (submitted twice): prefer the one with the same name.
          const index = Math.max(0, waiting.findIndex((i) => i.fileName === basename(file)));
          const [item] = waiting.splice(index, 1);
          if (waiting.length === 0) bySha.delete(sha256);
          store.relinkEvidence(item.id, file, { sha256, actor: options.actor });
          outcome.relinked.push({ id: item.id, fileName: item.fileName, from: item.path, to: file });
        }
      }
      options.onProgress?.(outcome.scanned, files.length, file);
    }
  }
  for (const list of bySha.values()) for (const item of list) outcome.stillMissing.push({ id: item.id, fileName: item.fileName, path: item.path });
  outcome.stillMissing.sort((a, b) => a.id - b.id);
  return outcome;
}
