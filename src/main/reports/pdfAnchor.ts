import type { AuditAnchor } from '../../contract/case';
import { isAuditAnchor } from '../store';
import { ReportError } from './errors';

/**
 * The audit anchor a report pins, carried inside the PDF so the PDF alone is enough to check a
 * case against (`provenance verify <case> --report report.pdf`). The cover prints it for people;
 * this puts the same anchor where a program finds it: a `/ProvenanceAnchor` entry (hex of its
 * JSON) in the document information dictionary, added as a PDF incremental update (ISO 32000-1
 * §7.5.6). The printed bytes stay untouched; a new information dictionary (the old entries plus
 * ours), a cross-reference section for it and a trailer pointing back to the old one are appended.
 */

const KEY = '/ProvenanceAnchor';

/** The last trailer's entries we need: /Size, /Root, /Info, and where the last xref section starts. */
function lastTrailer(text: string): { size: number; root: string; info: string | null; startxref: number } {
  const start = text.lastIndexOf('startxref');
  const trailerAt = text.lastIndexOf('trailer', start);
  if (start < 0 || trailerAt < 0) throw new ReportError('PRINT_FAILED', 'The printed PDF has no classic trailer; cannot add the audit anchor to it.');
  const trailer = text.slice(trailerAt, start);
  const size = /\/Size\s+(\d+)/.exec(trailer);
  const root = /\/Root\s+(\d+\s+\d+\s+R)/.exec(trailer);
  const info = /\/Info\s+(\d+)\s+(\d+)\s+R/.exec(trailer);
  const xref = /startxref\s+(\d+)/.exec(text.slice(start));
  if (!size || !root || !xref) throw new ReportError('PRINT_FAILED', 'The printed PDF trailer lacks /Size, /Root or startxref; cannot add the audit anchor to it.');
  return { size: Number(size[1]), root: root[1], info: info ? `${info[1]} ${info[2]}` : null, startxref: Number(xref[1]) };
}

/**
 * The entries of the dictionary that starts at `from` (just after its `<<`), up to its matching
 * `>>`: literal strings (with escapes and nested parentheses) and hex strings are skipped as
 * wholes, so a `>>` inside a title does not end the dictionary.
 */
function dictionaryBody(text: string, from: number): string {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') {
      let nest = 1;
      for (i++; i < text.length && nest > 0; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '(') nest++;
        else if (text[i] === ')') nest--;
      }
      i--;
    } else if (ch === '<' && text[i + 1] === '<') {
      depth++;
      i++;
    } else if (ch === '>' && text[i + 1] === '>') {
      depth--;
      if (depth === 0) return text.slice(from, i);
      i++;
    } else if (ch === '<') {
      i = text.indexOf('>', i);
      if (i < 0) break;
    }
  }
  throw new ReportError('PRINT_FAILED', 'The printed PDF has an unterminated information dictionary.');
}

/** The old information dictionary's entries, without an earlier anchor of ours. */
function oldInfoEntries(text: string, ref: string | null): string {
  if (!ref) return '';
  const [num, gen] = ref.split(' ');
  const at = text.lastIndexOf(`\n${num} ${gen} obj`);
  if (at < 0) return '';
  const open = text.indexOf('<<', at);
  if (open < 0) return '';
  return dictionaryBody(text, open + 2)
    .replace(new RegExp(`${KEY}\\s*<[0-9a-fA-F]*>`, 'g'), '')
    .trim();
}

/** The PDF with `anchor` added (see the module comment). */
export function embedAnchor(pdf: Buffer, anchor: AuditAnchor): Buffer {
  const text = pdf.toString('latin1');
  const trailer = lastTrailer(text);
  const objNum = trailer.size;
  const hex = Buffer.from(JSON.stringify(anchor), 'utf8').toString('hex');
  const entries = [oldInfoEntries(text, trailer.info), `${KEY} <${hex}>`].filter(Boolean).join('\n');
  const sep = pdf[pdf.length - 1] === 0x0a ? '' : '\n';
  const object = `${sep}${objNum} 0 obj\n<<${entries}>>\nendobj\n`;
  const objOffset = pdf.length + Buffer.byteLength(sep, 'latin1');
  const xrefOffset = pdf.length + Buffer.byteLength(object, 'latin1');
  const update =
    object +
    `xref\n${objNum} 1\n${String(objOffset).padStart(10, '0')} 00000 n \n` +
    `trailer\n<</Size ${objNum + 1}\n/Root ${trailer.root}\n/Info ${objNum} 0 R\n/Prev ${trailer.startxref}>>\n` +
    `startxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.concat([pdf, Buffer.from(update, 'latin1')]);
}

/** The anchor a report PDF carries, or null when it has none (not a Provenance Lab report, or one made before anchors). */
export function readAnchor(pdf: Buffer): AuditAnchor | null {
  const text = pdf.toString('latin1');
  const at = text.lastIndexOf(KEY);
  if (at < 0) return null;
  const m = /^\/ProvenanceAnchor\s*<([0-9a-fA-F]*)>/.exec(text.slice(at, at + 65536));
  if (!m) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(m[1], 'hex').toString('utf8'));
    return isAuditAnchor(value) ? value : null;
  } catch {
    return null; // damaged anchor data is no anchor: verify then says the report carries none
  }
}
