import { isImageItem, type EvidenceItem, type ImageEvidenceItem } from '../../contract/case';
import type { ReportItemsMode } from '../../contract/report';
import { isFlagged } from '../../contract/flagged';
import { ReportError } from './errors';

export interface ItemSelection {
  /** all: every item; flagged: as contract/flagged.ts defines it; reviewed: has a verdict or notes. */
  items?: Exclude<ReportItemsMode, 'selected'>;
  /** These evidence ids (a selection made in the app); wins over `items`. */
  ids?: number[];
}

export { isFlagged };

export function isReviewed(item: EvidenceItem): boolean {
  return item.review !== null && (item.review.verdict !== null || item.review.notes.trim() !== '');
}

/** The items that get a section of their own, in evidence-table order, and the mode to print. */
export function selectSections(all: EvidenceItem[], selection: ItemSelection): { mode: ReportItemsMode; sections: ImageEvidenceItem[] } {
  // A refused file has nothing to picture or score: its row in the evidence table says all.
  const items = all.filter(isImageItem);
  if (selection.ids !== undefined) {
    const known = new Set(all.map((i) => i.id));
    const unknown = selection.ids.filter((id) => !known.has(id));
    if (unknown.length) throw new ReportError('UNKNOWN_ITEMS', `This case has no evidence item with id ${unknown.join(', ')}.`);
    const wanted = new Set(selection.ids);
    return { mode: 'selected', sections: items.filter((i) => wanted.has(i.id)) };
  }
  const mode = selection.items ?? 'flagged';
  const keep = mode === 'all' ? () => true : mode === 'flagged' ? isFlagged : isReviewed;
  return { mode, sections: items.filter(keep) };
}
