import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { RecordProblem } from '../../contract/case';
import type { DatasetSplit, EvaluationResult } from '../../contract/evaluation';
import { canonicalJson } from './canonicalJson';
import { evaluationModelsColumn } from './evaluations';
import { evidenceStateProblems } from './evidenceState';

/**
 * Columns and tables the app rebuilds from recorded data to sort and filter quickly, checked
 * against that data. They are not in the row digests (they are derived, and a migration
 * back-fills them), so without this check a changed `max_score` or `result_scores` row would
 * quietly move an item out of the gallery's "score ≥ 0.5" filter, or to the end of its
 * most-suspicious-first order, while every digest still matched.
 */

function problem(entity: string, entityId: string | number, message: string): RecordProblem {
  return { entity, entityId: String(entityId), kind: 'derived-mismatch', message };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** results.max_score and result_scores against each result's scores_json. */
export function checkResultScores(db: Database.Database): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const stored = new Map<number, Map<string, number>>();
  for (const row of db.prepare('SELECT result_id, model_id, score FROM result_scores').iterate() as IterableIterator<{ result_id: number; model_id: string; score: number }>) {
    let scores = stored.get(row.result_id);
    if (!scores) stored.set(row.result_id, (scores = new Map()));
    scores.set(row.model_id, row.score);
  }
  const results = db.prepare('SELECT id, scores_json, max_score FROM results ORDER BY id').iterate() as IterableIterator<{ id: number; scores_json: string; max_score: number | null }>;
  for (const r of results) {
    let recorded: { modelId: string; score: number }[];
    try {
      recorded = JSON.parse(r.scores_json) as { modelId: string; score: number }[];
      if (!Array.isArray(recorded)) throw new Error('not a list');
    } catch {
      problems.push(problem('result', r.id, `result ${r.id}'s recorded scores are not readable JSON`));
      stored.delete(r.id);
      continue;
    }
    const expectedMax = recorded.length ? Math.max(...recorded.map((s) => s.score)) : null;
    if (r.max_score !== expectedMax) {
      problems.push(problem('result', r.id, `result ${r.id} has max_score ${r.max_score}, but its recorded scores give ${expectedMax}: the gallery would sort and filter it wrongly`));
    }
    const expected = new Map<string, number>();
    for (const s of recorded) expected.set(s.modelId, Math.max(expected.get(s.modelId) ?? -Infinity, s.score));
    const actual = stored.get(r.id) ?? new Map<string, number>();
    stored.delete(r.id);
    const models = new Set([...expected.keys(), ...actual.keys()]);
    for (const model of [...models].sort()) {
      if (expected.get(model) !== actual.get(model)) {
        problems.push(problem('result', r.id, `result ${r.id}'s score row for ${model} is ${actual.get(model) ?? 'missing'}, its recorded score is ${expected.get(model) ?? 'none'}`));
      }
    }
  }
  for (const id of stored.keys()) problems.push(problem('result', id, `score rows exist for result ${id}, which is not in the database`));
  return problems;
}

/** The columns of each dataset split against its split_json; returns each split's JSON digest by id. */
export function checkSplits(db: Database.Database, caseId: string | null): { problems: RecordProblem[]; digests: Map<string, string> } {
  const problems: RecordProblem[] = [];
  const digests = new Map<string, string>();
  const rows = db.prepare('SELECT * FROM dataset_splits ORDER BY id').iterate() as IterableIterator<{ id: number; case_id: string; dataset_root: string; val_ratio: number; seed: number; split_json: string; created_at: string }>;
  for (const row of rows) {
    digests.set(String(row.id), sha256(row.split_json));
    let split: DatasetSplit;
    try {
      split = JSON.parse(row.split_json) as DatasetSplit;
    } catch {
      problems.push(problem('split', row.id, `split ${row.id}'s JSON is not readable`));
      continue;
    }
    const mismatched = [
      row.dataset_root !== split.datasetRoot && 'dataset_root',
      row.val_ratio !== split.summary?.valRatio && 'val_ratio',
      row.seed !== split.summary?.seed && 'seed',
      row.created_at !== split.createdAt && 'created_at',
      caseId !== null && row.case_id !== caseId && 'case_id',
    ].filter(Boolean);
    if (mismatched.length) problems.push(problem('split', row.id, `split ${row.id}'s ${mismatched.join(', ')} disagree with the split it recorded`));
  }
  return { problems, digests };
}

/** The columns of each evaluation against its result_json; returns each evaluation's JSON digest and split id by id. */
export function checkEvaluations(db: Database.Database, caseId: string | null): { problems: RecordProblem[]; digests: Map<string, string>; splitIds: Map<string, number | null> } {
  const problems: RecordProblem[] = [];
  const digests = new Map<string, string>();
  const splitIds = new Map<string, number | null>();
  const rows = db.prepare('SELECT * FROM evaluations ORDER BY id').iterate() as IterableIterator<{
    id: string;
    case_id: string;
    split_id: number | null;
    dataset_root: string;
    layout: string | null;
    items: number;
    threshold: number;
    models_json: string;
    result_json: string;
    created_at: string;
  }>;
  for (const row of rows) {
    digests.set(row.id, sha256(row.result_json));
    splitIds.set(row.id, row.split_id);
    let result: EvaluationResult;
    try {
      result = JSON.parse(row.result_json) as EvaluationResult;
    } catch {
      problems.push(problem('evaluation', row.id, `evaluation ${row.id}'s result JSON is not readable`));
      continue;
    }
    let models: string | null = null;
    try {
      models = canonicalJson(evaluationModelsColumn(result));
    } catch {
      /* reported below as a mismatch */
    }
    const mismatched = [
      row.id !== result.id && 'id',
      row.dataset_root !== result.dataset?.root && 'dataset_root',
      row.layout !== (result.dataset?.layout ?? null) && 'layout',
      row.items !== result.items?.length && 'items',
      row.threshold !== result.threshold && 'threshold',
      row.created_at !== result.createdAt && 'created_at',
      row.models_json !== models && 'models_json',
      caseId !== null && row.case_id !== caseId && 'case_id',
    ].filter(Boolean);
    if (mismatched.length) problems.push(problem('evaluation', row.id, `evaluation ${row.id}'s ${mismatched.join(', ')} disagree with the result it recorded`));
  }
  return { problems, digests, splitIds };
}

/**
 * evidence_state and current_scores (the gallery's per-item row: latest result, per-task current
 * score, verdict, flagged, refused) against a fresh derivation from evidence, results and reviews.
 * A row edited to hide an item from the "flagged" filter or to move it in the score order is named.
 */
export function checkEvidenceState(db: Database.Database): RecordProblem[] {
  return evidenceStateProblems(db).map((id) =>
    problem('evidence', id, `item ${id}'s gallery row (evidence_state/current_scores) differs from what its evidence, results and reviews give: the gallery would sort or filter it wrongly`),
  );
}
