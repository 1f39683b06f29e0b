import type { EvidenceItem } from '../../contract/case';
import type { ReportItemsMode } from '../../contract/report';
import { ReportError } from './errors';

export interface ItemSelection {
  /** all: every item; flagged: flagged by the reviewer or by a detector; reviewed: has a verdict or notes. */
  items?: Exclude<ReportItemsMode, 'selected'>;
  /** These evidence ids (a selection made in the app); wins over `items`. */
  ids?: number[];
}

export function isFlagged(item: EvidenceItem): boolean {
  return item.review?.flagged === true || (item.latestResult?.scores ?? []).some((s) => s.flagged);
}

export function isReviewed(item: EvidenceItem): boolean {
  return item.review !== null && (item.review.verdict !== null || item.review.notes.trim() !== '');
}

/** The items that get a section of their own, in evidence-table order, and the mode to print. */
export function selectSections(items: EvidenceItem[], selection: ItemSelection): { mode: ReportItemsMode; sections: EvidenceItem[] } {
  if (selection.ids !== undefined) {
    const known = new Set(items.map((i) => i.id));
    const unknown = selection.ids.filter((id) => !known.has(id));
    if (unknown.length) throw new ReportError('UNKNOWN_ITEMS', `This case has no evidence item with id ${unknown.join(', ')}.`);
    const wanted = new Set(selection.ids);
    return { mode: 'selected', sections: items.filter((i) => wanted.has(i.id)) };
  }
  const mode = selection.items ?? 'flagged';
  const keep = mode === 'all' ? () => true : mode === 'flagged' ? isFlagged : isReviewed;
  return { mode, sections: items.filter(keep) };
}
