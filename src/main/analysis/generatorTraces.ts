// Generator traces outside Content Credentials: what image generators and their front-ends write
// into files, and what the IPTC DigitalSourceType term in XMP declares.
//  - IPTC DigitalSourceType (XMP Iptc4xmpExt:DigitalSourceType; IPTC NewsCodes vocabulary
//    http://cv.iptc.org/newscodes/digitalsourcetype/): written by Midjourney, Google, Adobe Firefly,
//    Meta and others; "trainedAlgorithmicMedia" declares generative-AI output.
//  - PNG text chunks: "parameters" (AUTOMATIC1111 / Forge / SD.Next: prompt, then "Steps:",
//    "Sampler:", "CFG scale:", "Seed:", "Model:"), "prompt" and "workflow" (ComfyUI node graphs as
//    JSON with "class_type"), "invokeai_metadata" / "sd-metadata" / "dream" (InvokeAI),
//    "Software: NovelAI" + "Comment" JSON (NovelAI), "fooocus_scheme" (Fooocus).
//  - EXIF UserComment / ImageDescription of JPEG and WebP files from the same front-ends, which
//    store the "parameters" text there.
//  - Generator names in EXIF Software, XMP CreatorTool and JPEG comments.
// This module also owns the vocabulary other readers use (ingest warnings, C2PA).

import { inflateSync } from 'node:zlib';
import type { AnalysisDescription, GeneratorTrace, GeneratorTracesSummary } from '../../contract/analyses';
import { jpegSegments, segmentStartsWith } from './jpegSegments';
import { GENERATOR_PATTERN } from './software';
import { decodeUserComment, readTiff, tiffFromExif } from './tiff';

export const GENERATOR_TRACES_ANALYSIS: AnalysisDescription = {
  id: 'generatorTraces',
  title: 'Generator traces and declared source',
  version: 'generatorTraces/1',
  shows:
    'Metadata that declares the picture AI-generated (IPTC digital source type) or that image generators leave behind (Stable Diffusion settings, ComfyUI workflows, generator names).',
  doesNotProve:
    'Such metadata is trivial to remove or to add: its presence is strong but forgeable evidence, and its absence proves nothing (most platforms strip metadata).',
  parameters: {},
  references: ['IPTC NewsCodes, Digital Source Type vocabulary (cv.iptc.org/newscodes/digitalsourcetype)', 'IPTC Photo Metadata Standard 2023.1'],
  appliesTo: 'files with metadata',
};

/** PNG text keywords where Stable Diffusion front-ends store the prompt and settings. */
export const GENERATOR_PNG_KEYWORDS = new Set(['parameters', 'prompt', 'workflow', 'sd-metadata', 'dream', 'invokeai_metadata', 'invokeai_graph', 'fooocus_scheme', 'generation_data']);

/** IPTC digital source type terms and what they mean, for reasons and the report. */
export const DIGITAL_SOURCE_TYPES: Record<string, { label: string; generative: boolean }> = {
  trainedAlgorithmicMedia: { label: 'created by a generative AI model (trained algorithmic media)', generative: true },
  compositeWithTrainedAlgorithmicMedia: { label: 'a composite that includes generative-AI content', generative: true },
  algorithmicMedia: { label: 'created purely by an algorithm, not from training data', generative: false },
  compositeSynthetic: { label: 'a composite that includes synthetic elements', generative: false },
  algorithmicallyEnhanced: { label: 'a capture enhanced by algorithms', generative: false },
  digitalCapture: { label: 'a digital capture (camera)', generative: false },
  computationalCapture: { label: 'a computational capture (phone camera processing)', generative: false },
  compositeCapture: { label: 'a composite of captures', generative: false },
  digitalArt: { label: 'digital art made by a person', generative: false },
  virtualRecording: { label: 'a recording of a virtual scene', generative: false },
  screenCapture: { label: 'a screen capture', generative: false },
  dataDrivenMedia: { label: 'data-driven media', generative: false },
  humanEdits: { label: 'edited by a person', generative: false },
  negativeFilm: { label: 'scanned from negative film', generative: false },
  positiveFilm: { label: 'scanned from positive film', generative: false },
  print: { label: 'scanned from a print', generative: false },
  minorHumanEdits: { label: 'minor human edits', generative: false },
  digitalCreation: { label: 'a digital creation (older term)', generative: false },
};

/** The vocabulary term of a digital source type URI ("…/digitalsourcetype/trainedAlgorithmicMedia" → term). */
export function digitalSourceTerm(value: string): string {
  const t = value.trim().replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1);
}

export function isGenerativeSourceType(value: string | undefined): boolean {
  return value !== undefined && DIGITAL_SOURCE_TYPES[digitalSourceTerm(value)]?.generative === true;
}

const excerpt = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}…` : s).replace(/\s+/g, ' ').trim();

/** Text chunks of a PNG (tEXt, zTXt, iTXt), keyword → text; damaged chunks are skipped. */
export function pngTextChunks(bytes: Uint8Array): { keyword: string; text: string }[] {
  const out: { keyword: string; text: string }[] = [];
  if (bytes.length < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let p = 8;
  for (let guard = 0; p + 12 <= bytes.length && guard < 100_000; guard++) {
    const length = view.getUint32(p);
    const type = latin1.decode(bytes.subarray(p + 4, p + 8));
    const start = p + 8;
    if (start + length > bytes.length) break;
    const data = bytes.subarray(start, start + length);
    try {
      const nul = data.indexOf(0);
      if (nul > 0 && (type === 'tEXt' || type === 'zTXt' || type === 'iTXt')) {
        const keyword = latin1.decode(data.subarray(0, nul));
        if (type === 'tEXt') out.push({ keyword, text: latin1.decode(data.subarray(nul + 1)) });
        else if (type === 'zTXt') out.push({ keyword, text: latin1.decode(inflateSync(data.subarray(nul + 2), { maxOutputLength: 16 << 20 })) });
        else {
          const compressed = data[nul + 1] === 1;
          let q = nul + 3;
          const langEnd = data.indexOf(0, q);
          const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
          if (transEnd > 0) {
            q = transEnd + 1;
            const body = data.subarray(q);
            out.push({ keyword, text: utf8.decode(compressed ? inflateSync(body, { maxOutputLength: 16 << 20 }) : body) });
          }
        }
      }
    } catch {
      // a damaged compressed chunk: skip it
    }
    if (type === 'IEND') break;
    p = start + length + 4;
  }
  return out;
}

/** The XMP packet of the file, wherever it is (JPEG APP1, PNG iTXt, WebP/HEIF boxes): found by its markers. */
export function findXmpPacket(bytes: Uint8Array): string | undefined {
  const text = new TextDecoder('latin1').decode(bytes.length > 64 << 20 ? bytes.subarray(0, 64 << 20) : bytes);
  const start = text.indexOf('<x:xmpmeta');
  if (start < 0) return undefined;
  const end = text.indexOf('</x:xmpmeta>', start);
  if (end < 0) return undefined;
  // Re-decode the packet as UTF-8 (XMP's encoding).
  const startByte = start; // latin1 maps bytes 1:1 to code units
  return new TextDecoder('utf-8').decode(bytes.subarray(startByte, end + '</x:xmpmeta>'.length));
}

/** XMP property value in either attribute (ns:Name="v") or element (<ns:Name>v</ns:Name>) form. */
function xmpValue(xmp: string, qualifiedName: string): string | undefined {
  const esc = qualifiedName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const attr = new RegExp(`${esc}\\s*=\\s*"([^"]*)"`).exec(xmp);
  if (attr) return attr[1];
  const el = new RegExp(`<${esc}(?:\\s[^>]*)?>([\\s\\S]*?)</${esc}>`).exec(xmp);
  if (!el) return undefined;
  const inner = el[1]!;
  const li = /<rdf:li[^>]*>([\s\S]*?)<\/rdf:li>/.exec(inner);
  const value = (li ? li[1]! : inner).replace(/<[^>]+>/g, '').trim();
  const resource = /rdf:resource\s*=\s*"([^"]*)"/.exec(el[0]);
  return value || resource?.[1] || undefined;
}

function sdFront(text: string): string | undefined {
  if (/Steps:\s*\d+/.test(text) && /Sampler:/.test(text)) {
    if (/Version:\s*f\d/i.test(text)) return 'Stable Diffusion WebUI Forge';
    if (/Version:\s*v?\d/i.test(text) || /Model hash:/.test(text)) return 'AUTOMATIC1111 Stable Diffusion web UI (or a compatible front-end)';
    return 'Stable Diffusion web UI (AUTOMATIC1111-style parameters)';
  }
  return undefined;
}

/** Generator traces of one file's bytes. */
export function analyzeGeneratorTraces(bytes: Uint8Array): GeneratorTracesSummary {
  const traces: GeneratorTrace[] = [];
  const add = (location: string, generator: string, text: string, kind: GeneratorTrace['kind'] = 'trace') => {
    if (!traces.some((t) => t.location === location && t.generator === generator)) traces.push({ location, generator, excerpt: excerpt(text), kind });
  };

  // PNG text chunks.
  const chunks = pngTextChunks(bytes);
  const software = chunks.find((c) => c.keyword.toLowerCase() === 'software')?.text;
  for (const { keyword, text } of chunks) {
    const k = keyword.toLowerCase();
    if (k === 'parameters') add(`PNG text "${keyword}"`, sdFront(text) ?? 'a Stable Diffusion front-end', text);
    else if (k === 'workflow' || (k === 'prompt' && /"class_type"\s*:/.test(text))) add(`PNG text "${keyword}"`, 'ComfyUI (node graph)', text);
    else if (k === 'prompt') add(`PNG text "${keyword}"`, 'an image generator (prompt text)', text);
    else if (k === 'invokeai_metadata' || k === 'invokeai_graph' || k === 'sd-metadata' || k === 'dream') add(`PNG text "${keyword}"`, 'InvokeAI', text);
    else if (k === 'fooocus_scheme') add(`PNG text "${keyword}"`, 'Fooocus', text);
    else if (k === 'generation_data') add(`PNG text "${keyword}"`, 'an image generator (generation data)', text);
    else if (k === 'comment' && software && /novelai/i.test(software)) add('PNG text "Comment"', 'NovelAI', text);
    else if (GENERATOR_PATTERN.test(text) && text.length < 2000 && ['software', 'source', 'description', 'title', 'author', 'comment'].includes(k)) {
      add(`PNG text "${keyword}"`, GENERATOR_PATTERN.exec(text)![0], text);
    }
  }

  // EXIF (JPEG APP1, PNG eXIf, WebP EXIF: found through the TIFF header after "Exif\0\0").
  const exifBlock = findExifBlock(bytes);
  if (exifBlock) {
    const tiff = tiffFromExif(exifBlock);
    const ifds = tiff ? readTiff(tiff) : null;
    if (ifds) {
      const comment = decodeUserComment(ifds.exif.get(0x9286), ifds.littleEndian);
      if (comment) {
        const front = sdFront(comment);
        if (front) add('EXIF UserComment', front, comment);
        else if (/"class_type"\s*:/.test(comment)) add('EXIF UserComment', 'ComfyUI (node graph)', comment);
      }
      const description = ifds.ifd0.get(0x010e);
      if (typeof description === 'string' && sdFront(description)) add('EXIF ImageDescription', sdFront(description)!, description);
      const sw = ifds.ifd0.get(0x0131);
      if (typeof sw === 'string' && GENERATOR_PATTERN.test(sw)) add('EXIF Software', GENERATOR_PATTERN.exec(sw)![0], sw);
    }
  }

  // JPEG comments.
  for (const s of jpegSegments(bytes)) {
    if (s.marker !== 0xfe) continue;
    const c = new TextDecoder('utf-8').decode(s.payload);
    const front = sdFront(c);
    if (front) add('JPEG comment', front, c);
    else if (GENERATOR_PATTERN.test(c)) add('JPEG comment', GENERATOR_PATTERN.exec(c)![0], c);
  }

  // XMP: declared digital source type, generator names.
  let digitalSourceType: string | undefined;
  const xmp = findXmpPacket(bytes);
  if (xmp) {
    digitalSourceType = xmpValue(xmp, 'Iptc4xmpExt:DigitalSourceType') ?? xmpValue(xmp, 'Iptc4xmpExt:DigitalSourceFileType');
    if (digitalSourceType) {
      const term = digitalSourceTerm(digitalSourceType);
      const known = DIGITAL_SOURCE_TYPES[term];
      if (known?.generative) add('XMP Iptc4xmpExt:DigitalSourceType', 'declared AI-generated', digitalSourceType, 'declared');
    }
    const creator = xmpValue(xmp, 'xmp:CreatorTool');
    if (creator && GENERATOR_PATTERN.test(creator)) add('XMP xmp:CreatorTool', GENERATOR_PATTERN.exec(creator)![0], creator);
    for (const field of ['dc:description', 'photoshop:Credit', 'dc:creator', 'xmp:Label', 'Iptc4xmpCore:ExtDescrAccessibility']) {
      const v = xmpValue(xmp, field);
      if (!v) continue;
      if (/made with google ai|ai[- ]generated|generated (with|by) ai/i.test(v)) add(`XMP ${field}`, 'declared AI-generated', v, 'declared');
      else if (GENERATOR_PATTERN.test(v) && v.length < 500) add(`XMP ${field}`, GENERATOR_PATTERN.exec(v)![0], v);
    }
  }

  const declaredGenerated = isGenerativeSourceType(digitalSourceType) || traces.some((t) => t.kind === 'declared');
  const flagged = traces.length > 0;
  let reason: string;
  if (declaredGenerated) {
    const term = digitalSourceType ? digitalSourceTerm(digitalSourceType) : undefined;
    reason = `The file declares itself AI-generated${term ? ` (IPTC digital source type "${term}": ${DIGITAL_SOURCE_TYPES[term]?.label ?? 'generative'})` : ''}. Strong evidence if it was not added later; it is easy to write.`;
  } else if (flagged) {
    reason = `Traces of an image generator: ${traces.map((t) => `${t.generator} (${t.location})`).join('; ')}. Such metadata is written by generators, rarely by cameras.`;
  } else if (digitalSourceType) {
    const term = digitalSourceTerm(digitalSourceType);
    reason = `The file declares its source as "${term}" (${DIGITAL_SOURCE_TYPES[term]?.label ?? 'a term outside the IPTC vocabulary'}); no generator traces.`;
  } else {
    reason = 'No generator traces and no declared digital source type (their absence proves nothing: most platforms strip metadata).';
  }
  return {
    analysis: 'generatorTraces',
    version: GENERATOR_TRACES_ANALYSIS.version,
    parameters: {},
    status: 'ok',
    flagged,
    reason,
    ...(digitalSourceType ? { digitalSourceType } : {}),
    declaredGenerated,
    traces,
  };
}

/** The EXIF payload of a JPEG (APP1 "Exif"), PNG (eXIf chunk) or WebP (EXIF chunk). */
function findExifBlock(bytes: Uint8Array): Uint8Array | undefined {
  for (const s of jpegSegments(bytes)) if (s.marker === 0xe1 && segmentStartsWith(s, 'Exif\0\0')) return s.payload;
  const latin1 = new TextDecoder('latin1');
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let p = 8; p + 12 <= bytes.length; ) {
      const length = view.getUint32(p);
      const type = latin1.decode(bytes.subarray(p + 4, p + 8));
      if (type === 'eXIf' && p + 8 + length <= bytes.length) return bytes.subarray(p + 8, p + 8 + length);
      if (type === 'IEND' || p + 12 + length > bytes.length) break;
      p += 12 + length;
    }
  }
  if (latin1.decode(bytes.subarray(0, 4)) === 'RIFF' && latin1.decode(bytes.subarray(8, 12)) === 'WEBP') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let p = 12; p + 8 <= bytes.length; ) {
      const type = latin1.decode(bytes.subarray(p, p + 4));
      const size = view.getUint32(p + 4, true);
      if (type === 'EXIF' && p + 8 + size <= bytes.length) return bytes.subarray(p + 8, p + 8 + size);
      p += 8 + size + (size % 2);
    }
  }
  return undefined;
}
