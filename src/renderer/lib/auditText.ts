// The audit log in words, for the Audit view and the report's appendix: what happened, to which
// object, and the few details a reader needs, instead of raw JSON. One function for both, so the
// screen and the printed page say the same thing. The raw action code stays next to the words
// (and the entry hash next to both) so an entry can still be found and its chain recomputed.
import type { AuditEntry } from '../../contract/case';
import { formatScore } from './format';

export interface AuditLine {
  /** "Evidence added", "Review", "Report exported", ... */
  what: string;
  /** "item 12 · harbour.jpg", "run 3", "case", "report 5f0c…" */
  object: string;
  /** One line of details in words; empty when there is nothing more to say. */
  detail: string;
}

type Details = Record<string, unknown>;

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const short = (hash: unknown): string => (typeof hash === 'string' && hash.length > 16 ? `${hash.slice(0, 16)}…` : str(hash));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function itemObject(id: unknown, names: ReadonlyMap<number, string>): string {
  const n = Number(id);
  const name = names.get(n);
  return name ? `item ${n} · ${name}` : `item ${str(id)}`;
}

function modelsText(models: unknown): string {
  if (!Array.isArray(models) || models.length === 0) return 'no model';
  return models.map((m) => (m && typeof m === 'object' ? `${str((m as Details).id)} ${str((m as Details).version)}`.trim() : str(m))).join(', ');
}

/** What one entry records, in words. `names` maps evidence ids to file names where known. */
export function describeAudit(entry: AuditEntry, names: ReadonlyMap<number, string> = new Map()): AuditLine {
  const d = (entry.details && typeof entry.details === 'object' ? entry.details : {}) as Details;
  const item = () => itemObject(entry.entityId, names);
  switch (entry.action) {
    case 'schema.migrate':
      return { what: 'Database upgraded', object: `schema version ${str(d.to)}`, detail: str(d.description) };
    case 'case.create':
      return { what: 'Case created', object: 'case', detail: [str(d.name), d.number ? `number ${str(d.number)}` : ''].filter(Boolean).join(', ') };
    case 'case.update': {
      const changed = (d.changed ?? {}) as Record<string, { from?: unknown; to?: unknown }>;
      return { what: 'Case details changed', object: 'case', detail: Object.entries(changed).map(([field, c]) => `${field}: "${str(c?.from)}" → "${str(c?.to)}"`).join('; ') };
    }
    case 'evidence.add':
      if (d.refused) return { what: 'File refused (kept)', object: item(), detail: `${str(d.refused)}; ${d.sha256 ? `SHA-256 ${short(d.sha256)}` : 'no SHA-256 (not readable)'}; ${str(d.path)}` };
      return { what: 'Evidence added', object: item(), detail: `SHA-256 ${short(d.sha256)}; ${str(d.path)}${d.copy ? '; copied into the case folder (evidence/<SHA-256>/)' : ''}` };
    case 'evidence.migrate':
      return { what: 'Evidence record upgraded', object: item(), detail: `record format of schema version ${str(d.to)}` };
    case 'evidence.relink':
      return { what: 'Evidence relinked by SHA-256', object: item(), detail: `was ${str(d.from)}; now ${str(d.to)} (SHA-256 ${short(d.sha256)})` };
    case 'import.rejected':
      return { what: 'File refused at import', object: str(d.path) || str(entry.entityId), detail: d.error && typeof d.error === 'object' ? str((d.error as Details).code) : '' };
    case 'run.start':
      return { what: 'Analysis run started', object: `run ${str(entry.entityId)}`, detail: `${modelsText(d.models)}; software ${str(d.softwareVersion)}` };
    case 'run.resume':
      return { what: 'Analysis run resumed', object: `run ${str(entry.entityId)}`, detail: `was ${str(d.previousStatus)}; ${plural(Number(d.done ?? 0), 'file')} already done` };
    case 'run.finish':
      return { what: 'Analysis run finished', object: `run ${str(entry.entityId)}`, detail: `${str(d.status)}; ${plural(Number(d.results ?? 0), 'result')}, ${plural(Number(d.errors ?? 0), 'error')}` };
    case 'result.record': {
      const object = itemObject(d.evidenceId, names);
      const outcome = d.status === 'error' ? `error ${str(d.errorCode)}` : typeof d.maxScore === 'number' ? `analysed, highest score ${formatScore(d.maxScore)}` : 'analysed';
      return { what: d.replaced ? 'Analysis result replaced' : 'Analysis result recorded', object, detail: `run ${str(d.runId)}: ${outcome}` };
    }
    case 'review.set': {
      const parts = [`verdict ${str(d.verdict) || 'none'}`];
      if (d.previousVerdict) parts.push(`was ${str(d.previousVerdict)}`);
      if (d.flagged) parts.push('flagged');
      if (d.notesChanged) parts.push('notes changed');
      return { what: 'Review', object: itemObject(d.evidenceId, names), detail: parts.join(', ') };
    }
    case 'ela.rerun':
      return { what: 'ELA re-run', object: item(), detail: `JPEG quality ${str(d.quality)}` };
    case 'report.export':
      return {
        what: 'Report exported',
        object: `report ${short(d.reportId ?? entry.entityId)}`,
        detail: `PDF SHA-256 ${short(d.sha256)}; ${str(d.itemsMode)} items; ${d.verified ? 'case verified' : 'case NOT verified'}; ${str(d.path)}`,
      };
    case 'split.save':
      return { what: 'Dataset split saved', object: `split ${str(entry.entityId)}`, detail: `${str(d.datasetRoot)}; ${str(d.train)} train / ${str(d.val)} validation, seed ${str(d.seed)}` };
    case 'evaluation.save':
      return { what: 'Evaluation saved', object: `evaluation ${short(entry.entityId)}`, detail: `${str(d.datasetRoot)}; ${plural(Number(d.items ?? 0), 'image')}; ${modelsText(d.models)}` };
    case 'retraining.flag':
    case 'retraining.unflag':
      return { what: entry.action === 'retraining.flag' ? 'Flagged for retraining' : 'Retraining flag removed', object: str(d.path), detail: `label ${d.label === 1 ? 'fake' : 'real'}` };
    case 'finding.record':
      return {
        what: d.replaced ? 'Analysis finding updated' : 'Analysis finding recorded',
        object: itemObject(d.evidenceId, names),
        detail: `${str(d.analysis)} v${str(d.version)}: ${d.flagged ? 'flagged' : 'not flagged'}`,
      };
    default: {
      const { digest: _digest, ...rest } = d;
      const text = JSON.stringify(rest);
      return { what: entry.action, object: `${entry.entity}${entry.entityId !== null ? ` ${entry.entityId}` : ''}`, detail: text === '{}' ? '' : text.length > 200 ? `${text.slice(0, 200)}…` : text };
    }
  }
}
