// Evaluations kept in a case: the dataset splits they used, their full results, and the images an
// examiner flagged for the next training set. Each write runs in one transaction with its audit
// entry, whose details carry the SHA-256 of the stored JSON so a later edit can be shown.
import { createHash } from 'node:crypto';
import type { Case } from '../../contract/case';
import type {
  DatasetSplit,
  EvaluationListEntry,
  EvaluationResult,
  Label,
  RetrainingFlag,
  StoredSplit,
} from '../../contract/evaluation';
import { canonicalJson } from './canonicalJson';
import type { CaseStore } from './caseStore';
import { StoreError } from './errors';
import { rowDigest } from './rowDigest';
import { statement } from './statements';

function digest(json: string): string {
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

function requireCase(store: CaseStore): Case {
  const c = store.getCase();
  if (!c) throw new StoreError('NO_CASE', 'this folder has no case yet: create the case first');
  return c;
}

interface SplitRow {
  id: number;
  split_json: string;
  created_at: string;
}

const toSplit = (row: SplitRow): StoredSplit => ({ id: row.id, createdAt: row.created_at, split: JSON.parse(row.split_json) as DatasetSplit });

export function saveSplit(store: CaseStore, split: DatasetSplit): StoredSplit {
  if (split?.version !== 1 || !split.summary) throw new StoreError('INVALID', 'not a dataset split (version 1 with a summary)');
  return store.transaction(() => {
    const c = requireCase(store);
    const json = canonicalJson(split);
    const { lastInsertRowid } = statement(
      store.db,
      'INSERT INTO dataset_splits (case_id, dataset_root, val_ratio, seed, split_json, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(c.id, split.datasetRoot, split.summary.valRatio, split.summary.seed, json, split.createdAt);
    const id = Number(lastInsertRowid);
    store.audit({
      action: 'split.save',
      entity: 'split',
      entityId: id,
      details: { datasetRoot: split.datasetRoot, valRatio: split.summary.valRatio, seed: split.summary.seed, train: split.train.length, val: split.val.length, digest: digest(json) },
    });
    return getSplit(store, id)!;
  });
}

export function getSplit(store: CaseStore, id: number): StoredSplit | null {
  const row = statement(store.db, 'SELECT id, split_json, created_at FROM dataset_splits WHERE id = ?').get(id) as SplitRow | undefined;
  return row ? toSplit(row) : null;
}

export function listSplits(store: CaseStore): StoredSplit[] {
  return (statement(store.db, 'SELECT id, split_json, created_at FROM dataset_splits ORDER BY id').all() as SplitRow[]).map(toSplit);
}

interface EvaluationRow {
  id: string;
  created_at: string;
  dataset_root: string;
  layout: string | null;
  split_id: number | null;
  items: number;
  threshold: number;
  models_json: string;
}

const toEntry = (row: EvaluationRow): EvaluationListEntry => ({
  id: row.id,
  createdAt: row.created_at,
  datasetRoot: row.dataset_root,
  layout: row.layout as EvaluationListEntry['layout'],
  splitId: row.split_id,
  items: row.items,
  threshold: row.threshold,
  models: JSON.parse(row.models_json) as EvaluationListEntry['models'],
});

const ENTRY_COLUMNS = 'id, created_at, dataset_root, layout, split_id, items, threshold, models_json';

/** What the evaluations.models_json column holds: derived from the result, so verify can recompute it. */
export function evaluationModelsColumn(result: EvaluationResult): { id: string; version: string; accuracy: number | null; ap: number | null }[] {
  return result.models.map((m, i) => ({
    id: m.id,
    version: m.version,
    accuracy: result.perModel[i]?.metrics?.accuracy ?? null,
    ap: result.perModel[i]?.metrics?.ap ?? null,
  }));
}

/** Stores a finished evaluation (optionally tied to a saved split). An id can be saved once. */
export function saveEvaluation(store: CaseStore, result: EvaluationResult, options: { splitId?: number } = {}): EvaluationListEntry {
  if (result?.version !== 1 || typeof result.id !== 'string' || !Array.isArray(result.perModel)) {
    throw new StoreError('INVALID', 'not an evaluation result (version 1 with an id and per-model results)');
  }
  return store.transaction(() => {
    const c = requireCase(store);
    if (statement(store.db, 'SELECT 1 FROM evaluations WHERE id = ?').get(result.id)) {
      throw new StoreError('CONFLICT', `evaluation ${result.id} is already saved in this case`);
    }
    if (options.splitId !== undefined && !getSplit(store, options.splitId)) {
      throw new StoreError('NOT_FOUND', `no saved split with id ${options.splitId} in this case`);
    }
    const models = evaluationModelsColumn(result);
    const json = canonicalJson(result);
    statement(
      store.db,
      `INSERT INTO evaluations (id, case_id, split_id, dataset_root, layout, items, threshold, models_json, result_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(result.id, c.id, options.splitId ?? null, result.dataset.root, result.dataset.layout, result.items.length, result.threshold, canonicalJson(models), json, result.createdAt);
    store.audit({
      action: 'evaluation.save',
      entity: 'evaluation',
      entityId: result.id,
      details: { datasetRoot: result.dataset.root, items: result.items.length, unreadable: result.unreadable.length, threshold: result.threshold, models, splitId: options.splitId ?? null, digest: digest(json) },
    });
    return toEntry(statement(store.db, `SELECT ${ENTRY_COLUMNS} FROM evaluations WHERE id = ?`).get(result.id) as EvaluationRow);
  });
}

/** Saved evaluations, oldest first, without their (large) results. */
export function listEvaluations(store: CaseStore): EvaluationListEntry[] {
  return (statement(store.db, `SELECT ${ENTRY_COLUMNS} FROM evaluations ORDER BY created_at, id`).all() as EvaluationRow[]).map(toEntry);
}

export function getEvaluation(store: CaseStore, id: string): EvaluationResult | null {
  const row = statement(store.db, 'SELECT result_json FROM evaluations WHERE id = ?').get(id) as { result_json: string } | undefined;
  return row ? (JSON.parse(row.result_json) as EvaluationResult) : null;
}

export interface RetrainingFlagInput {
  path: string;
  sha256?: string | null;
  label: Label;
  /** The evaluation the examiner was looking at, if any. */
  evaluationId?: string | null;
  /** false withdraws an earlier flag. */
  flagged: boolean;
  note?: string;
  /** Who flagged it (the audit entry names them). */
  actor: string;
}

interface FlagRow {
  id: number;
  path: string;
  sha256: string | null;
  label: number;
  evaluation_id: string | null;
  flagged: number;
  note: string;
  actor: string;
  at: string;
}

const toFlag = (row: FlagRow): RetrainingFlag => ({
  id: row.id,
  path: row.path,
  sha256: row.sha256,
  label: row.label === 1 ? 1 : 0,
  evaluationId: row.evaluation_id,
  flagged: row.flagged === 1,
  note: row.note,
  actor: row.actor,
  at: row.at,
});

/** Flags (or unflags) one image for retraining; appended, the latest row per path counts. */
export function setRetrainingFlag(store: CaseStore, input: RetrainingFlagInput, now: () => Date = () => new Date()): RetrainingFlag {
  const actor = input.actor?.trim();
  if (!actor) throw new StoreError('INVALID', "a retraining flag needs the examiner's name");
  if (!input.path) throw new StoreError('INVALID', 'a retraining flag needs the image path');
  if (input.label !== 0 && input.label !== 1) throw new StoreError('INVALID', `label must be 0 (real) or 1 (fake), got ${String(input.label)}`);
  return store.transaction(() => {
    const c = requireCase(store);
    if (input.evaluationId && !statement(store.db, 'SELECT 1 FROM evaluations WHERE id = ?').get(input.evaluationId)) {
      throw new StoreError('NOT_FOUND', `no saved evaluation ${input.evaluationId} in this case`);
    }
    const { lastInsertRowid } = statement(
      store.db,
      `INSERT INTO retraining_flags (case_id, evaluation_id, path, sha256, label, flagged, note, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(c.id, input.evaluationId ?? null, input.path, input.sha256 ?? null, input.label, input.flagged ? 1 : 0, input.note ?? '', actor, now().toISOString());
    const id = Number(lastInsertRowid);
    store.audit({
      action: input.flagged ? 'retraining.flag' : 'retraining.unflag',
      entity: 'retraining_flag',
      entityId: id,
      actor,
      details: { path: input.path, sha256: input.sha256 ?? null, label: input.label, evaluationId: input.evaluationId ?? null, digest: rowDigest(store.db, 'retraining_flag', id) },
    });
    return toFlag(statement(store.db, 'SELECT * FROM retraining_flags WHERE id = ?').get(id) as FlagRow);
  });
}

/** Images currently flagged for retraining (latest row per path says flagged), in flag order. */
export function listRetrainingFlags(store: CaseStore): RetrainingFlag[] {
  const rows = statement(
    store.db,
    `SELECT f.* FROM retraining_flags AS f
     WHERE f.id = (SELECT MAX(id) FROM retraining_flags AS g WHERE g.case_id = f.case_id AND g.path = f.path)
       AND f.flagged = 1
     ORDER BY f.id`,
  ).all() as FlagRow[];
  return rows.map(toFlag);
}
