// No Node imports: the renderer imports this module to recompute results live.
// The per-generator table as Wang et al. 2020 (and the reproductions that follow it) lay it out:
// one row per generator or source with accuracy, real and fake accuracy and AP, then a mean row
// in which every generator counts once (mean accuracy, mAP), whatever its number of images.

import type { GeneratorRow, GeneratorTable, Label } from '../contract/evaluation';
import { averagePrecision, MetricsError, oneClassNote, thresholdMetrics } from './metrics';

export interface ScoredRow {
  label: Label;
  score: number;
  source: string;
}

function mean(values: (number | null)[]): { value: number | null; count: number } {
  const defined = values.filter((v): v is number => v !== null);
  return { value: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null, count: defined.length };
}

/** Rows in order of first appearance of each source. Throws MetricsError on an empty input. */
export function generatorTable(scored: readonly ScoredRow[], threshold: number): GeneratorTable {
  if (scored.length === 0) throw new MetricsError('no scored images: a per-generator table needs at least one');
  const bySource = new Map<string, ScoredRow[]>();
  for (const s of scored) {
    const list = bySource.get(s.source);
    if (list) list.push(s);
    else bySource.set(s.source, [s]);
  }
  const rows: GeneratorRow[] = [...bySource].map(([source, list]) => {
    const labels = list.map((s) => s.label);
    const scores = list.map((s) => s.score);
    const m = thresholdMetrics(labels, scores, threshold);
    const note = oneClassNote(m.real, m.fake);
    return {
      source,
      n: m.n,
      real: m.real,
      fake: m.fake,
      accuracy: m.accuracy,
      realAccuracy: m.realAccuracy,
      fakeAccuracy: m.fakeAccuracy,
      ap: averagePrecision(labels, scores),
      notes: note ? [note.replace('AP and ROC-AUC are', 'AP is')] : [],
    };
  });
  const ap = mean(rows.map((r) => r.ap));
  return {
    threshold,
    rows,
    mean: {
      n: rows.reduce((a, r) => a + r.n, 0),
      accuracy: mean(rows.map((r) => r.accuracy)).value ?? 0,
      realAccuracy: mean(rows.map((r) => r.realAccuracy)).value,
      fakeAccuracy: mean(rows.map((r) => r.fakeAccuracy)).value,
      ap: ap.value,
      rowsWithAp: ap.count,
      rows: rows.length,
    },
  };
}

/** Percent with one decimal, as the published tables print it; "n/a" for an undefined value. */
export function percent(value: number | null): string {
  return value === null ? 'n/a' : (value * 100).toFixed(1);
}

const HEADER = ['Generator', 'n', 'Real', 'Fake', 'Acc', 'Real acc', 'Fake acc', 'AP'];

function cells(table: GeneratorTable): string[][] {
  const body = table.rows.map((r) => [r.source, String(r.n), String(r.real), String(r.fake), percent(r.accuracy), percent(r.realAccuracy), percent(r.fakeAccuracy), percent(r.ap)]);
  const m = table.mean;
  body.push(['Mean', String(m.n), '', '', percent(m.accuracy), percent(m.realAccuracy), percent(m.fakeAccuracy), percent(m.ap)]);
  return body;
}

function footnotes(table: GeneratorTable): string[] {
  const notes = [`Accuracies at threshold ${table.threshold} (predicted fake when score ≥ threshold); values in %.`];
  const m = table.mean;
  if (m.rowsWithAp < m.rows) notes.push(`mAP is the mean over the ${m.rowsWithAp} of ${m.rows} rows whose AP is defined.`);
  for (const r of table.rows) for (const n of r.notes) notes.push(`${r.source}: ${n}.`);
  return notes;
}

export function formatGeneratorTableMarkdown(table: GeneratorTable): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const rows = cells(table);
  const lines = [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map((_, c) => (c === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r, i) => {
      const meanRow = i === rows.length - 1;
      return `| ${r.map((v, c) => (meanRow && c === 0 ? '**Mean**' : meanRow && c === 7 ? `**${v}** (mAP)` : escape(v))).join(' | ')} |`;
    }),
  ];
  return [...lines, '', ...footnotes(table).map((n) => `- ${n}`)].join('\n');
}

/** Aligned plain-text columns (numbers right-aligned) with a rule above the mean row. */
export function formatGeneratorTableText(table: GeneratorTable): string {
  const rows = cells(table);
  rows[rows.length - 1][7] = `${rows[rows.length - 1][7]} mAP`;
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(HEADER), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1]), ...footnotes(table)].join('\n');
}
