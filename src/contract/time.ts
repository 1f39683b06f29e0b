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

/**
 * An EXIF date as the camera's own clock wrote it (the engine stores "2024-05-01T10:12:00", with
 * "+02:00" when the file records its offset, EXIF 2.31 OffsetTime*): "2024-05-01 10:12:00 UTC+02:00",
 * or "2024-05-01 10:12:00 (camera clock, zone not recorded)", so that no time in the app, the
 * report or a warning reads as UTC or local without saying which. One definition for the engine's
 * warnings and the renderer (lib/format re-exports it).
 */
export function formatCameraTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})([+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return value;
  return m[3] ? `${m[1]} ${m[2]} UTC${m[3]}` : `${m[1]} ${m[2]} (camera clock, zone not recorded)`;
}
