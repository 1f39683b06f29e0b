// One analysis of one file in full, for the inspector: its summary, the maps it draws (with their
// legends, overlaid on the photo), its tables (metadata, quantisation tables, C2PA...) and charts
// (the ghost curve, the distance to the IJG tables, DCT histograms). Pure: the maps come back as
// pixels; the caller (services/analyses.ts) writes them under the case's derived folder.

import type {
  AnalysisChart,
  AnalysisId,
  AnalysisMapView,
  AnalysisSummary,
  AnalysisTable,
  MapLegend,
  PixelRect,
} from '../../contract/analyses';
import type { ImageFormat } from '../../contract/evidence';
import type { DecodedImage } from '../ingest/decoded';
import { analyzeC2pa, type C2paOptions } from './c2pa';
import { analyzeCopyMove, copyMoveMask } from './copyMove';
import { analyzeDoubleJpeg } from './doubleJpeg';
import type { ExifToolDump, ExifToolReader } from './exiftool';
import { analyzeGeneratorTraces } from './generatorTraces';
import { analyzeGhosts, ghostMapAt } from './ghosts';
import { analyzeGrid } from './grid';
import type { AnalysisMap } from './maps';
import { analyzeMetadataConsistency } from './metadataConsistency';
import { analyzeNoise, noiseResidualMap } from './noise';
import { analyzeQuantTables } from './quantTables';
import { analyzeThumbnail } from './thumbnail';

export interface InspectInput {
  bytes: Uint8Array;
  image: DecodedImage;
  format: ImageFormat;
  /** Quality of the last save, from the file's tables (JPEG), for the ghosts. */
  lastQuality: number | null;
  claimed?: { make?: string; software?: string };
  fileModifiedAt?: string;
  /** ExifTool for the full tag list; without it (or when it cannot run) the list is left out, saying why. */
  exiftool?: ExifToolReader;
  c2pa?: C2paOptions;
}

export interface InspectedMap {
  view: AnalysisMapView;
  map: AnalysisMap;
}

export interface InspectOutcome {
  summary: AnalysisSummary;
  maps: InspectedMap[];
  tables: AnalysisTable[];
  charts: AnalysisChart[];
}

/** Longest side of a map file: enough for an overlay, small enough for a case folder. */
export const MAP_MAX_SIDE = 1600;

function legendOf(map: AnalysisMap): MapLegend {
  if (map.kind === 'grid') return { kind: 'inferno', unit: map.unit, range: map.range };
  return map.channels === 3 ? { kind: 'picture', unit: map.unit } : { kind: 'grey', unit: map.unit, range: [0, 255] };
}

function mapOf(name: string, title: string, caption: string, map: AnalysisMap, region: PixelRect | null = null, linked?: PixelRect[]): InspectedMap {
  const scale = Math.min(1, MAP_MAX_SIDE / Math.max(map.width, map.height));
  return {
    view: {
      name,
      title,
      caption,
      legend: legendOf(map),
      width: Math.max(1, Math.round(map.width * scale)),
      height: Math.max(1, Math.round(map.height * scale)),
      region,
      ...(linked ? { linked } : {}),
    },
    map,
  };
}

const rectText = (r: PixelRect) => `${r.width}×${r.height} at (${r.x}, ${r.y})`;
const round = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : '—');

/** Runs analysis `id` in full on one file. Throws what the analysis throws (the caller reports it). */
export async function inspectAnalysis(id: AnalysisId, input: InspectInput): Promise<InspectOutcome> {
  const { bytes, image } = input;
  switch (id) {
    case 'noise': {
      const d = analyzeNoise(image);
      const region = d.summary.region ? { x: d.summary.region.x, y: d.summary.region.y, width: d.summary.region.width, height: d.summary.region.height } : null;
      return {
        summary: d.summary,
        maps: [
          mapOf('sigma', 'Noise level per block', 'Each block coloured by its noise σ; a pasted region from another camera or scale stands out brighter (noisier) or darker (smoother) than its surroundings.', d.sigma, region),
          mapOf('residual', 'Noise residual', 'The picture minus a 3×3 median-filtered copy, amplified: texture and edges show everywhere; look for an area whose grain differs from the rest.', noiseResidualMap(image), region),
        ],
        tables: [],
        charts: [],
      };
    }
    case 'ghosts': {
      const grid = analyzeGrid(image);
      const d = analyzeGhosts(image, { lastQuality: input.lastQuality, gridOffset: grid.summary.offset });
      const maps = [mapOf('ghost-quality', 'Ghost quality per window', 'Windows coloured by the quality at which their re-save difference dips; dark grey where none dips. A region saved earlier at a lower quality shows as a patch of one colour.', d.ghostQualities, d.summary.region)];
      if (d.summary.ghostQuality !== null) {
        maps.push(mapOf('difference-at-ghost', `Difference after re-saving at quality ${d.summary.ghostQuality}`, 'Dark where re-saving at the ghost quality changes almost nothing: the area that was saved at that quality before.', ghostMapAt(d, d.summary.ghostQuality), d.summary.region));
      }
      const marks = [
        ...(d.summary.ghostQuality !== null ? [{ x: d.summary.ghostQuality, label: 'ghost' }] : []),
        ...(d.summary.lastQuality !== null ? [{ x: d.summary.lastQuality, label: 'last save' }] : []),
      ];
      return {
        summary: d.summary,
        maps,
        tables: [],
        charts: [
          {
            title: 'Mean squared difference after re-saving, by quality',
            xLabel: 'JPEG quality',
            yLabel: 'mean squared difference (levels²)',
            x: d.qualities,
            series: [{ label: 'whole image', values: d.curve }, ...(d.regionCurve ? [{ label: 'ghost region', values: d.regionCurve }] : [])],
            marks,
          },
        ],
      };
    }
    case 'doubleJpeg': {
      const d = analyzeDoubleJpeg(bytes);
      if (d.summary.status !== 'ok') return { summary: d.summary, maps: [], tables: [], charts: [] };
      const strongest = [...d.frequencies].sort((a, b) => b.gain - a.gain).slice(0, 3);
      const range = Math.max(0, ...strongest.map((f) => f.histogram.range));
      return {
        summary: d.summary,
        maps: [mapOf('block-probability', 'Aligned double compression per 8×8 block', 'Bright blocks fit a double quantisation (saved twice); dark blocks inside a bright image were compressed once: pasted in after the first save.', d.blockMap, d.summary.region)],
        tables: [
          {
            title: 'Per-frequency fit (luma, zig-zag order)',
            columns: ['frequency', 'last step q2', 'first step q1', 'gain per coefficient'],
            rows: d.frequencies.map((f) => [f.zigzag, f.q2, f.q1, round(f.gain, 4)]),
          },
        ],
        charts: strongest.length
          ? [
              {
                title: 'DCT histograms of the most telling frequencies (periodic gaps and peaks = double quantisation)',
                xLabel: 'quantised value k',
                yLabel: 'coefficients',
                x: Array.from({ length: 2 * range + 1 }, (_, i) => i - range),
                series: strongest.map((f) => ({
                  label: `frequency ${f.zigzag} (q1 ${f.q1}, q2 ${f.q2})`,
                  values: Array.from({ length: 2 * range + 1 }, (_, i) => (Math.abs(i - range) <= f.histogram.range ? (f.histogram.counts[i - range + f.histogram.range] ?? null) : null)),
                })),
              },
            ]
          : [],
      };
    }
    case 'grid': {
      const d = analyzeGrid(image);
      return {
        summary: d.summary,
        maps: [
          mapOf('mismatch', 'Windows whose block grid disagrees', 'Bright: a window whose own 8×8 JPEG grid sits elsewhere than the image\'s (a pasted or shifted region); dark: agrees; grey: no grid visible.', d.mismatch, d.summary.region),
          mapOf('local-offset', 'Local grid position', 'Each window coloured by where its own 8×8 grid sits (offset index y×8+x, 0..63); one colour over the image means one grid.', d.local, d.summary.region),
        ],
        tables: [
          {
            title: 'Blockiness per phase (boundary before column/row ≡ phase mod 8)',
            columns: ['phase', 'columns', 'rows'],
            rows: d.columnPhases.map((c, i) => [i, round(c), round(d.rowPhases[i]!)]),
          },
        ],
        charts: [],
      };
    }
    case 'copyMove': {
      const d = analyzeCopyMove(image);
      const maps = d.clusters.length
        ? [mapOf('clone-correlation', 'Cloned areas', 'Bright where an area matches its copy under the found rotation and scale (correlation 0.5..1); each source is linked to its target.', copyMoveMask(image, d), d.clusters[0]!.source, d.clusters.map((c) => c.target))]
        : [];
      return {
        summary: d.summary,
        maps,
        tables: [
          {
            title: 'Verified clone pairs',
            columns: ['source', 'target', 'matches', 'rotation °', 'scale', 'correlation'],
            rows: d.clusters.map((c) => [rectText(c.source), rectText(c.target), c.matches, round(c.rotation, 1), round(c.scale), round(c.correlation)]),
          },
          { title: 'Matching', columns: ['candidate matches before verification', 'analysis scale'], rows: [[d.candidateMatches, round(d.scale)]] },
        ],
        charts: [],
      };
    }
    case 'quantTables': {
      const d = analyzeQuantTables(bytes, { claimed: input.claimed });
      const tables: AnalysisTable[] = d.componentTables.map((t, i) => ({
        title: `Quantisation table ${t.id} (${i === 0 ? 'luma' : `chroma, component ${i}`}, ${t.precision}-bit)`,
        columns: ['', '0', '1', '2', '3', '4', '5', '6', '7'],
        rows: Array.from({ length: 8 }, (_, r) => [r, ...t.values.slice(r * 8, r * 8 + 8)]),
      }));
      tables.push({ title: 'Known encoders with these tables', columns: ['source', 'setting', 'match'], rows: d.summary.matches.map((m) => [m.source, m.setting ?? '', m.kind]) });
      tables.push({ title: 'Subsampling', columns: ['ExifTool notation'], rows: [[d.subsampling]] });
      return {
        summary: d.summary,
        maps: [],
        tables: d.summary.status === 'ok' ? tables : [],
        charts: d.ijgCurve.length
          ? [
              {
                title: 'Distance to the IJG standard tables at each quality (0 = exactly libjpeg)',
                xLabel: 'IJG quality',
                yLabel: 'mean |log ratio|',
                x: d.ijgCurve.map((p) => p.quality),
                series: [{ label: 'distance', values: d.ijgCurve.map((p) => p.distance) }],
                marks: [{ x: d.summary.nearestIjgQuality, label: 'nearest' }],
              },
            ]
          : [],
      };
    }
    case 'thumbnail': {
      const d = await analyzeThumbnail(bytes);
      const maps = d.maps
        ? [
            mapOf('thumbnail', 'EXIF thumbnail as stored', 'The small picture the camera or editor wrote into the EXIF block, stretched over the photo.', d.maps.thumbnail, d.summary.region),
            mapOf('reduced', 'Main image reduced to the thumbnail', 'The photo reduced, aligned and tone-fitted to the thumbnail.', d.maps.reduced, d.summary.region),
            mapOf('difference', 'Thumbnail difference (×4)', 'Bright where the thumbnail and the photo differ: content changed after the thumbnail was written.', d.maps.difference, d.summary.region),
          ]
        : [];
      return { summary: d.summary, maps, tables: [], charts: [] };
    }
    case 'metadataConsistency': {
      let dump: ExifToolDump | undefined;
      let exiftoolProblem: string | null = null;
      if (input.exiftool) {
        try {
          dump = await input.exiftool.dump(bytes, input.format === 'jpeg' ? 'jpg' : input.format);
        } catch (err) {
          exiftoolProblem = `ExifTool could not read the file here (${(err as Error).message}); the checks below use the built-in parser only.`;
        }
      } else exiftoolProblem = 'ExifTool is not available in this shell; the checks below use the built-in parser only.';
      const d = await analyzeMetadataConsistency(bytes, { exiftool: dump, fileModifiedAt: input.fileModifiedAt });
      const s = d.summary;
      const tables: AnalysisTable[] = [
        { title: 'Dates', columns: ['source', 'value'], rows: Object.entries(s.dates).map(([k, v]) => [k, String(v)]) },
        { title: 'Software named in the file', columns: ['where', 'program'], rows: s.softwareChain.map((c) => [c.source, c.value]) },
        { title: 'Findings', columns: ['severity', 'code', 'finding'], rows: s.findings.map((f) => [f.severity, f.code, f.message]) },
      ];
      if (d.history.length) tables.push({ title: 'XMP edit history', columns: ['action', 'when', 'software', 'parameters'], rows: d.history.map((h) => [h.action ?? '', h.when ?? '', h.softwareAgent ?? '', h.parameters ?? '']) });
      if (dump) {
        tables.push({ title: `Every tag (ExifTool ${dump.exiftoolVersion})`, columns: ['group', 'tag', 'value'], rows: dump.tags.map((t) => [t.group, t.name, typeof t.value === 'string' && t.value.length > 300 ? `${t.value.slice(0, 300)}…` : t.value]) });
        if (dump.warnings.length) tables.push({ title: 'ExifTool warnings', columns: ['warning'], rows: dump.warnings.map((w) => [w]) });
      } else if (exiftoolProblem) tables.push({ title: 'Every tag', columns: ['note'], rows: [[exiftoolProblem]] });
      return { summary: s, maps: [], tables, charts: [] };
    }
    case 'c2pa': {
      const d = await analyzeC2pa(bytes, input.format, input.c2pa);
      const s = d.summary;
      const tables: AnalysisTable[] = [];
      if (s.state !== 'absent') {
        tables.push({
          title: 'Active manifest',
          columns: ['field', 'value'],
          rows: [
            ['state', s.state],
            ['signature valid', s.signatureValid === null ? '—' : String(s.signatureValid)],
            ['content hash matches', String(!s.hashMismatch)],
            ['signer trusted', String(s.trusted)],
            ['claim generator', s.claimGenerator ?? ''],
            ['signer', s.signer?.commonName ?? ''],
            ['issuer', s.signer?.issuer ?? ''],
            ['signed at', s.signer?.time ?? ''],
            ['algorithm', s.signer?.algorithm ?? ''],
            ['manifests in the store', s.manifestCount],
          ],
        });
        tables.push({ title: 'Actions', columns: ['action', 'digital source type', 'software', 'when'], rows: s.actions.map((a) => [a.action, a.digitalSourceType ?? '', a.softwareAgent ?? '', a.when ?? '']) });
        tables.push({ title: 'Ingredients', columns: ['title', 'relationship', 'has a manifest', 'validation'], rows: s.ingredients.map((i) => [i.title ?? '', i.relationship ?? '', i.hasManifest ? 'yes' : 'no', i.validationState ?? '']) });
        if (s.failures.length) tables.push({ title: 'Validation failures', columns: ['code', 'explanation'], rows: s.failures.map((f) => [f.code, f.explanation]) });
      }
      return { summary: s, maps: [], tables, charts: [] };
    }
    case 'generatorTraces': {
      const s = analyzeGeneratorTraces(bytes);
      return {
        summary: s,
        maps: [],
        tables: s.traces.length ? [{ title: 'Traces', columns: ['where', 'generator', 'kind', 'excerpt'], rows: s.traces.map((t) => [t.location, t.generator, t.kind, t.excerpt]) }] : [],
        charts: [],
      };
    }
  }
}
