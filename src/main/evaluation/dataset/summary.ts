import path from 'node:path';
import type { DatasetLayout, DatasetProblem, DatasetSummary, Label, LabelledItem, SourceCount } from '../../../contract/evaluation';

/** More problems than this are summed up in one line: a broken manifest can have thousands. */
export const MAX_LISTED_PROBLEMS = 50;
const EXAMPLES_PER_LABEL = 3;

export function countSources(items: readonly LabelledItem[]): SourceCount[] {
  const bySource = new Map<string, SourceCount>();
  for (const item of items) {
    let s = bySource.get(item.source);
    if (!s) bySource.set(item.source, (s = { name: item.source, real: 0, fake: 0 }));
    if (item.label === 1) s.fake++;
    else s.real++;
  }
  return [...bySource.values()];
}

function capProblems(problems: readonly DatasetProblem[]): DatasetProblem[] {
  // Errors first: they are what the user must fix.
  const ordered = [...problems.filter((p) => p.severity === 'error'), ...problems.filter((p) => p.severity === 'warning')];
  if (ordered.length <= MAX_LISTED_PROBLEMS) return ordered;
  const rest = ordered.slice(MAX_LISTED_PROBLEMS - 1);
  const errors = rest.filter((p) => p.severity === 'error').length;
  return [
    ...ordered.slice(0, MAX_LISTED_PROBLEMS - 1),
    { severity: errors > 0 ? 'error' : 'warning', message: `… and ${rest.length} more problem(s) (${errors} error(s)) not listed` },
  ];
}

export interface SummaryInput {
  root: string;
  layout: DatasetLayout | null;
  layoutName: string;
  grouping: string;
  /** Folder example paths are shown relative to. */
  base: string;
  items: readonly LabelledItem[];
  problems: readonly DatasetProblem[];
}

/** What the fakes of a dataset are, from the items that say (see DatasetSummary.task). */
export function datasetTask(items: readonly LabelledItem[]): DatasetSummary['task'] {
  const tasks = new Set(items.filter((i) => i.label === 1 && i.task).map((i) => i.task!));
  return tasks.size === 0 ? null : tasks.size > 1 ? 'mixed' : [...tasks][0];
}

export function summarise(input: SummaryInput): DatasetSummary {
  const { items } = input;
  const groupSizes = new Map<string, number>();
  for (const item of items) groupSizes.set(item.group, (groupSizes.get(item.group) ?? 0) + 1);
  const largestGroup = Math.max(0, ...groupSizes.values());
  const problems = [...input.problems];
  if (items.length >= 20 && largestGroup > items.length / 4) {
    const [name] = [...groupSizes].find(([, n]) => n === largestGroup)!;
    problems.push({
      severity: 'warning',
      message: `group "${name}" holds ${largestGroup} of ${items.length} images: a group-aware split cannot be balanced; give groups in a CSV manifest if this grouping is wrong`,
    });
  }
  const examples: { label: Label; path: string }[] = [];
  for (const label of [0, 1] as const) {
    for (const item of items.filter((i) => i.label === label).slice(0, EXAMPLES_PER_LABEL)) {
      examples.push({ label, path: path.relative(input.base, item.path).split(path.sep).join('/') });
    }
  }
  const fake = items.filter((i) => i.label === 1).length;
  const listed = capProblems(problems);
  return {
    root: input.root,
    layout: input.layout,
    layoutName: input.layoutName,
    total: items.length,
    real: items.length - fake,
    fake,
    sources: countSources(items),
    groups: groupSizes.size,
    largestGroup,
    grouping: input.grouping,
    masks: items.filter((i) => i.maskPath).length,
    task: datasetTask(items),
    examples,
    problems: listed,
    usable: !listed.some((p) => p.severity === 'error'),
  };
}
