// Formatting for the printed report. Times are printed in UTC with the zone named, so the
// report reads the same wherever it is printed or opened.
import type { Verdict } from '../../contract/case';

export { formatBytes, formatCameraTime, formatScore, formatTime } from '../lib/format';

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
