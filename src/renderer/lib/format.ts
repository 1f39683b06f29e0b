// Display formatting shared by every view. Pure functions, no Svelte.

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

let counts: Intl.NumberFormat | undefined;

/**
 * A count with the examiner's digit grouping (100,000). The first locale-aware formatting in a
 * page loads ICU data (about 35 ms on a slow machine), so main.ts warms this up when the page is
 * idle instead of in the middle of opening a 100,000-item case.
 */
export function formatCount(n: number): string {
  counts ??= new Intl.NumberFormat();
  return counts.format(n);
}

/** 0..1 score as a fixed three-decimal number (scores are compared against thresholds). */
export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? '—' : score.toFixed(3);
}

export function formatPercent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)} %`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '— /s';
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)} /s`;
}

/** Every time the app shows is UTC with the zone written (contract/time.ts). */
export { formatUtc as formatTime } from '../../contract/time';

/** Last path segment, for long paths in narrow places. */
export function baseName(path: string | undefined): string {
  if (!path) return '';
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export type ScoreLevel = 'high' | 'elevated' | 'low' | 'none';

/**
 * How alarming a score is relative to its model's threshold: at or above it is "high"; within
 * the upper half below it "elevated", so reviewers see near misses; the rest "low".
 */
export function scoreLevel(score: number | null | undefined, threshold: number | undefined): ScoreLevel {
  if (score === null || score === undefined) return 'none';
  const t = threshold ?? 0.5;
  if (score >= t) return 'high';
  if (score >= t * 0.5) return 'elevated';
  return 'low';
}

export const VERDICT_LABELS = {
  authentic: 'Authentic',
  manipulated: 'Manipulated',
  generated: 'Generated',
  inconclusive: 'Inconclusive',
} as const;

export function shortHash(hash: string | undefined, length = 12): string {
  return hash ? hash.slice(0, length) : '—';
}

// An EXIF date with its offset, or saying the zone is unknown: one definition, in the contract.
export { formatCameraTime } from '../../contract/time';
