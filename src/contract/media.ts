// The one definition of media URLs: the images the renderer shows (originals, thumbnails, ELA
// heatmaps, evaluation items). The preload and the HTTP client build them with mediaUrl; the
// Electron protocol handler and the test server parse them with parseMediaUrl. Both sides
// speak the same path, under a different origin:
//
//   Electron:     evidence://media/<path>
//   test server:  http://127.0.0.1:<port>/media/<path>[&|?]token=<the run's token>
//
//   <path> = evidence/<id>/original
//          | evidence/<id>/thumb[?rev=<n>]        rev: a cache key (e.g. the latest result id)
//          | evidence/<id>/ela/<quality>          the full-size heatmap at that JPEG quality
//          | evidence/<id>/ela-preview/<quality>  its preview
//          | evidence/<id>/analysis/<analysis>/<map>
//                                                 a forensic analysis' map (after analysis.run), current version
//          | evidence/<id>/localization/<model>  a localisation model's tamper heatmap as an overlay
//                                                 (<model>: its id, or id@<start of its SHA-256>)
//          | evaluation/<uuid>/<item>/thumb|original|ela|mask
//                                                 ela: after evaluation.itemEla; mask: the dataset's ground truth
//
// Plain TypeScript without dependencies: the sandboxed preload bundles it.

import { ANALYSIS_IDS, MAP_NAME, type AnalysisId } from './analyses';
import { MEDIA_SCHEME } from './channels';

export type MediaRef =
  | { kind: 'original'; evidenceId: number }
  /** `rev` only changes the URL (so a thumbnail made later is fetched again); it selects nothing. */
  | { kind: 'thumb'; evidenceId: number; rev?: number }
  /** `quality`: the import's heatmap when it is the quality the import used, else a re-run's (evidence.rerunEla). */
  | { kind: 'ela' | 'ela-preview'; evidenceId: number; quality: number }
  /** A map of a forensic analysis, as analysis.run wrote it under the case's derived folder (AnalysisMapView.name). */
  | { kind: 'analysis-map'; evidenceId: number; analysis: AnalysisId; map: string }
  /**
   * The tamper heatmap stored with a localisation model's latest score, rendered as a transparent
   * overlay. `model`: the model id, or "<id>@<hex prefix of the model's SHA-256>" so that a new
   * model file gets a new URL.
   */
  | { kind: 'localization'; evidenceId: number; model: string }
  /**
   * `item`: index into EvaluationResult.items of a saved evaluation. ela: its ELA heatmap preview
   * (made by evaluation.itemEla); mask: the ground-truth mask the dataset pairs with it.
   */
  | { kind: 'evaluation-thumb' | 'evaluation-original' | 'evaluation-ela' | 'evaluation-mask'; evaluationId: string; item: number };

export type MediaKind = MediaRef['kind'];

/** The host of media URLs in the Electron shell. */
export const MEDIA_HOST = 'media';
/** The path prefix of media URLs on the test server. */
export const MEDIA_HTTP_PREFIX = '/media';
/**
 * The query parameter carrying the test server's per-run token (the browser fetches images by
 * itself, so they cannot send it in a header). It authenticates the request and names nothing.
 */
export const MEDIA_TOKEN_PARAM = 'token';

const MAX_ID = 2 ** 31 - 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DIGITS = /^(0|[1-9]\d{0,15})$/;
/** A model id as manifests allow it, optionally followed by @ and up to 64 lowercase hex digits. */
const MODEL_REF = /^[a-z0-9][a-z0-9._-]{0,99}(@[0-9a-f]{1,64})?$/;

function whole(text: string | undefined | null, min: number, max: number): number | null {
  if (text == null || !DIGITS.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** The path (and query) after the media prefix, without a leading slash. */
export function mediaPath(ref: MediaRef): string {
  switch (ref.kind) {
    case 'original':
      return `evidence/${ref.evidenceId}/original`;
    case 'thumb':
      return `evidence/${ref.evidenceId}/thumb${ref.rev !== undefined ? `?rev=${ref.rev}` : ''}`;
    case 'ela':
    case 'ela-preview':
      return `evidence/${ref.evidenceId}/${ref.kind}/${ref.quality}`;
    case 'analysis-map':
      return `evidence/${ref.evidenceId}/analysis/${ref.analysis}/${ref.map}`;
    case 'localization':
      return `evidence/${ref.evidenceId}/localization/${encodeURIComponent(ref.model)}`;
    case 'evaluation-thumb':
    case 'evaluation-original':
    case 'evaluation-ela':
    case 'evaluation-mask':
      return `evaluation/${ref.evaluationId}/${ref.item}/${ref.kind.slice('evaluation-'.length)}`;
  }
}

/** The media URL in the Electron shell: evidence://media/<path>. */
export function electronMediaUrl(ref: MediaRef): string {
  return `${MEDIA_SCHEME}://${MEDIA_HOST}/${mediaPath(ref)}`;
}

/** The media URL on the test server whose origin is `base` ('' for the page's own origin), with its token. */
export function httpMediaUrl(base: string, ref: MediaRef, token?: string): string {
  const url = `${base}${MEDIA_HTTP_PREFIX}/${mediaPath(ref)}`;
  return token === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}${MEDIA_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

/**
 * The reference a media path names (the part after the prefix, with its query), or null when it
 * names none: every number in range, the evaluation id a UUID, no extra segment or parameter.
 */
export function parseMediaPath(path: string, query: URLSearchParams = new URLSearchParams()): MediaRef | null {
  const parts = path.replace(/^\/+/, '').split('/');
  const params = [...query.keys()].filter((k) => k !== MEDIA_TOKEN_PARAM);
  if (parts[0] === 'evidence') {
    const evidenceId = whole(parts[1], 1, MAX_ID);
    if (evidenceId === null) return null;
    const kind = parts[2];
    if ((kind === 'original' || kind === 'thumb') && parts.length === 3) {
      if (kind === 'original') return params.length === 0 ? { kind, evidenceId } : null;
      if (params.some((p) => p !== 'rev')) return null;
      if (!query.has('rev')) return { kind, evidenceId };
      const rev = whole(query.get('rev'), 0, Number.MAX_SAFE_INTEGER);
      return rev === null ? null : { kind, evidenceId, rev };
    }
    if ((kind === 'ela' || kind === 'ela-preview') && parts.length === 4 && params.length === 0) {
      const quality = whole(parts[3], 1, 100);
      return quality === null ? null : { kind, evidenceId, quality };
    }
    if (kind === 'analysis' && parts.length === 5 && params.length === 0) {
      const analysis = ANALYSIS_IDS.find((a) => a === parts[3]);
      const map = parts[4]!;
      return analysis && MAP_NAME.test(map) ? { kind: 'analysis-map', evidenceId, analysis, map } : null;
    }
    if (kind === 'localization' && parts.length === 4 && params.length === 0) {
      let model: string;
      try {
        model = decodeURIComponent(parts[3]);
      } catch {
        return null; // a malformed escape names no model
      }
      return MODEL_REF.test(model) ? { kind, evidenceId, model } : null;
    }
    return null;
  }
  if (parts[0] === 'evaluation' && parts.length === 4 && params.length === 0) {
    const evaluationId = parts[1];
    const item = whole(parts[2], 0, MAX_ID);
    if (!UUID.test(evaluationId) || item === null) return null;
    if (parts[3] === 'thumb') return { kind: 'evaluation-thumb', evaluationId, item };
    if (parts[3] === 'original') return { kind: 'evaluation-original', evaluationId, item };
    if (parts[3] === 'ela') return { kind: 'evaluation-ela', evaluationId, item };
    if (parts[3] === 'mask') return { kind: 'evaluation-mask', evaluationId, item };
  }
  return null;
}

/** Parses a whole media URL of either origin (evidence://media/… or http(s)://host/media/…). */
export function parseMediaUrl(url: string): MediaRef | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // not a URL at all: names no media
  }
  if (parsed.protocol === `${MEDIA_SCHEME}:`) return parsed.hostname === MEDIA_HOST ? parseMediaPath(parsed.pathname, parsed.searchParams) : null;
  if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.pathname.startsWith(`${MEDIA_HTTP_PREFIX}/`)) {
    return parseMediaPath(parsed.pathname.slice(MEDIA_HTTP_PREFIX.length), parsed.searchParams);
  }
  return null;
}
