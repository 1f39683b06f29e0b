import type { DatasetLayout, DatasetProblem, LabelledItem } from '../../../contract/evaluation';

/** What one layout reader found: items and problems, before they are summarised. */
export interface LayoutScan {
  layout: DatasetLayout;
  /** Human name of the layout and its rule. */
  layoutName: string;
  /** How groups were derived, as a sentence. */
  grouping: string;
  /** Folder that example paths are shown relative to. */
  base: string;
  items: LabelledItem[];
  problems: DatasetProblem[];
}

/** A warning for each source that lacks one class: its AP cannot be computed. */
export function oneClassSourceWarnings(items: readonly LabelledItem[]): DatasetProblem[] {
  const counts = new Map<string, [number, number]>();
  for (const item of items) {
    const c = counts.get(item.source) ?? [0, 0];
    c[item.label]++;
    counts.set(item.source, c);
  }
  const problems: DatasetProblem[] = [];
  for (const [source, [real, fake]] of counts) {
    if (real === 0 || fake === 0) {
      problems.push({
        severity: 'warning',
        message: `${source} has ${real} real and ${fake} fake images: its AP is undefined (it needs both); accuracy is still reported`,
      });
    }
  }
  return problems;
}
