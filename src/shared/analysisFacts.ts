// The key figures of each forensic analysis summary as label/value pairs: what the inspector lists
// under an analysis and the PDF report prints in an item's pages, so both say the same thing.
import type { AnalysisSummary, PixelRect } from '../contract/analyses';
import { formatCameraTime, formatUtc } from '../contract/time';

export type Fact = [label: string, value: string];

const rect = (r: PixelRect | null | undefined): string => (r ? `${r.width}×${r.height} px at (${r.x}, ${r.y})` : 'none');
const num = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const share = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** The figures an examiner reads first for this summary (the reason is printed separately). */
export function summaryFacts(s: AnalysisSummary): Fact[] {
  if (s.status === 'not-applicable') return [['Applies', 'no']];
  switch (s.analysis) {
    case 'noise':
      return [
        ['Median block noise σ', `${num(s.medianSigma)} levels`],
        ['Inconsistency (outlier σ ÷ median)', num(s.inconsistency)],
        ['Outlier region', s.region ? `${rect(s.region)}, σ ${num(s.region.sigma)} (${s.region.direction})` : 'none'],
      ];
    case 'ghosts':
      return [
        ['Last save quality', s.lastQuality === null ? 'unknown' : String(s.lastQuality)],
        ['Ghost at quality', s.ghostQuality === null ? 'none' : String(s.ghostQuality)],
        ['Dip depth', num(s.depth)],
        ['Windows with the ghost', share(s.share)],
        ['Region', rect(s.region)],
      ];
    case 'doubleJpeg':
      return [
        ['Double compression probability', num(s.probability)],
        ['First save quality (estimate)', s.primaryQualityEstimate === null ? '—' : String(s.primaryQualityEstimate)],
        ['Last save quality', s.lastQuality === null ? '—' : String(s.lastQuality)],
        ['Singly compressed blocks', share(s.singleCompressedShare)],
        ['Singly compressed region', rect(s.region)],
      ];
    case 'grid':
      return [
        ['Grid offset (crop)', s.offset ? `(${s.offset.x}, ${s.offset.y})` : 'no grid visible'],
        ['Grid strength', num(s.strength)],
        ['Windows with another grid', share(s.mismatchedShare)],
        ['Region', rect(s.region)],
      ];
    case 'copyMove':
      return [
        ['Verified matches', String(s.matchCount)],
        ['Keypoints', String(s.keypoints)],
        ...s.clusters.map((c, i): Fact => [`Clone ${i + 1}`, `${rect(c.source)} → ${rect(c.target)}, ${c.matches} matches, ${num(c.rotation, 1)}°, ×${num(c.scale)}`]),
      ];
    case 'quantTables':
      return [
        ['Fingerprint', s.fingerprint],
        ['Nearest IJG quality', `${s.nearestIjgQuality} (distance ${num(s.ijgDistance, 3)})`],
        ['Tables', String(s.tableCount)],
        ['JPEGDigest', s.digest],
      ];
    case 'thumbnail':
      return [
        ['EXIF thumbnail', s.present ? (s.thumbnailSize ? `${s.thumbnailSize.width}×${s.thumbnailSize.height} px` : 'present') : 'none'],
        ['Correlation with the picture', num(s.correlation, 3)],
        ['Mean difference', s.meanDifference === null ? '—' : `${num(s.meanDifference)} levels`],
        ['Largest cell difference', s.maxCellDifference === null ? '—' : `${num(s.maxCellDifference)} levels`],
        ['Differing area', rect(s.region)],
      ];
    case 'metadataConsistency':
      return [
        ...Object.entries(s.dates).map(([k, v]): Fact => [`Date: ${k}`, dateText(String(v))]),
        ['Software', s.softwareChain.length ? s.softwareChain.map((c) => c.value).join(' → ') : 'none named'],
        ['GPS', s.gps ? 'present' : 'absent'],
        ['Maker notes', s.makerNote ? 'present' : 'absent'],
        ...s.findings.filter((f) => f.severity !== 'info').map((f): Fact => [`${f.severity}: ${f.code}`, f.message]),
      ];
    case 'c2pa':
      return [
        ['Content Credentials', s.state],
        ['Signature', s.signatureValid === null ? '—' : s.signatureValid ? 'valid' : 'invalid'],
        ['Content hash', s.hashMismatch ? 'does NOT match (changed after signing)' : s.state === 'absent' ? '—' : 'matches'],
        ['Signer trusted', s.trusted ? 'yes' : 'no trust list / not trusted'],
        ['Declares generated media', s.generated ? `yes (${s.digitalSourceType ?? ''})` : 'no'],
        ...(s.claimGenerator ? [['Claim generator', s.claimGenerator] as Fact] : []),
        ...(s.signer?.commonName ? [['Signer', `${s.signer.commonName}${s.signer.issuer ? ` (issued by ${s.signer.issuer})` : ''}`] as Fact] : []),
        ...(s.actions.length ? [['Actions', s.actions.map((a) => a.action).join(', ')] as Fact] : []),
      ];
    case 'generatorTraces':
      return [
        ['IPTC DigitalSourceType', s.digitalSourceType ?? 'none'],
        ['Declared generated', s.declaredGenerated ? 'yes' : 'no'],
        ...s.traces.map((t): Fact => [t.location, `${t.generator} (${t.kind})`]),
      ];
  }
}

/** Parameters as one line: "blockSize 32, zThreshold 3.5". */
export function parametersLine(parameters: Record<string, number | string | boolean>): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v)}`)
    .join(', ');
}

/**
 * A date the metadata records, written as every time in the app is: a moment (the file's own time,
 * GPS time: ISO in UTC) in UTC with the zone, a camera or editor clock (EXIF "2024:05:01 10:12:00",
 * XMP local times) as that clock, with its offset when recorded.
 */
function dateText(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return formatUtc(value);
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?([+-]\d{2}:\d{2})?$/.exec(value);
  return m ? formatCameraTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}${m[5] ?? ''}`)! : value;
}
