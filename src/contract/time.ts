// One way to write a time, everywhere a person reads one (views, audit log, report pages and
// running header, CLI): UTC, to the second, with the zone written. A time read on screen can then
// be found in the printed report and in the audit log without converting.

/** "2026-11-27 13:05:09 UTC"; '—' for no time; the input unchanged when it is not a time. */
export function formatUtc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
