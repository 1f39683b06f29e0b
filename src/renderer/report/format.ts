// Formatting for the printed report. Times are printed in UTC with the zone named, so the
// report reads the same wherever it is printed or opened.
import type { Verdict } from '../../contract/case';

export { formatBytes, formatScore } from '../lib/format';

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const VERDICT_LABEL: Record<Verdict | 'unreviewed', string> = {
  authentic: 'Authentic',
  manipulated: 'Manipulated',
  generated: 'AI-generated',
  inconclusive: 'Inconclusive',
  unreviewed: 'No verdict',
};

export function verdictLabel(v: Verdict | null | undefined): string {
  return VERDICT_LABEL[v ?? 'unreviewed'];
}

export function formatShare(share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined || !Number.isFinite(share) ? '—' : `${(share * 100).toFixed(digits)} %`;
}

export function formatMetric(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3);
}

/** Compact one-line JSON for the audit appendix. */
export function compactJson(value: unknown): string {
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}
