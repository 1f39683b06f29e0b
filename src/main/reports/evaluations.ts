import type { EvaluationResult } from '../../contract/evaluation';
import type { ReportEvaluation } from '../../contract/report';
import type { CaseStore } from '../store';
import { getEvaluation, listEvaluations } from '../store/evaluations';
import { ReportError } from './errors';

/** One report entry per model of an evaluation: models are printed one after the other. */
export function reportEvaluations(result: EvaluationResult): ReportEvaluation[] {
  return result.models.map((model, i) => {
    const per = result.perModel[i];
    return {
      evaluationId: result.id,
      createdAt: result.createdAt,
      softwareVersion: result.softwareVersion,
      dataset: {
        root: result.dataset.root,
        layoutName: result.dataset.layoutName,
        total: result.dataset.total,
        real: result.dataset.real,
        fake: result.dataset.fake,
      },
      selection: result.selection,
      threshold: result.threshold,
      model,
      metrics: per?.metrics ?? null,
      table: per?.table ?? null,
      roc: per?.roc ?? [],
      pr: per?.pr ?? [],
      guardrails: [
        ...(result.guardrails?.taskMismatches ?? []).filter((m) => m.modelId === model.id).map((m) => ({ title: 'Task mismatch', text: m.message })),
        ...(result.guardrails?.leakage?.leaks ? [{ title: 'Format leakage in the labelled set', text: result.guardrails.leakage.warnings.join(' ') }] : []),
      ],
      unscored: per?.unscored.length ?? 0,
      notes: [...result.notes, ...(per?.notes ?? []), ...(per?.metrics?.notes ?? [])],
    };
  });
}

/** The evaluations saved in the case (all, or those with the given ids), oldest first. */
export function caseEvaluations(store: CaseStore, ids?: readonly string[]): ReportEvaluation[] {
  const wanted = ids ?? listEvaluations(store).map((e) => e.id);
  return wanted.flatMap((id) => {
    const result = getEvaluation(store, id);
    if (!result) throw new ReportError('UNKNOWN_EVALUATION', `This case holds no saved evaluation ${id}.`);
    return reportEvaluations(result);
  });
}
