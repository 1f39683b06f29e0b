// A CSV manifest: a header naming the columns, then one image per line.
//   path,label,group,source
//   real/0001.jpg,real,photo-17,camera
// Required: path and label (0, 1, real, fake, authentic, manipulated, generated; any case).
// Optional: group (else derived from the name, see groups.ts), source (or "generator"; else
// "all"), mask. Relative paths resolve against the manifest's folder. Every problem names its
// line; a file that does not exist is a warning (the evaluation counts it as unreadable).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LabelledItem } from '../../../contract/evaluation';
import { CsvSyntaxError, parseCsv } from './csv';
import { manifestItemGroup } from './groups';
import { CSV_LABEL_WORDS, parseLabel, taskOfLabelWord } from './labels';
import { oneClassSourceWarnings, type LayoutScan } from './scan';

export const MANIFEST_NAME = 'CSV manifest (path,label[,group][,source][,mask])';
export const MANIFEST_GROUPING =
  'Groups come from the group column; rows without one use the frame-name rule (<video>_frame0001.jpg → <video>), else the file itself.';

const KNOWN_COLUMNS = ['path', 'label', 'group', 'source', 'generator', 'mask', 'task'] as const;
type Column = (typeof KNOWN_COLUMNS)[number];

/** Absolute path of a manifest entry; relative ones resolve against the manifest's folder. */
function resolveEntry(base: string, value: string): string {
  return path.resolve(base, value);
}

export async function scanManifest(csvPath: string): Promise<LayoutScan> {
  const base = path.dirname(csvPath);
  const scan: LayoutScan = { layout: 'csv', layoutName: MANIFEST_NAME, grouping: MANIFEST_GROUPING, base, items: [], problems: [] };
  const error = (line: number, message: string) => scan.problems.push({ severity: 'error', line, message: `line ${line}: ${message}` });
  const warning = (line: number, message: string, p?: string) => scan.problems.push({ severity: 'warning', line, path: p, message: `line ${line}: ${message}` });

  let records;
  try {
    records = parseCsv(await readFile(csvPath, 'utf8'));
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      error(err.line, err.message.replace(/^line \d+: /, ''));
      return scan;
    }
    throw err;
  }
  if (records.length === 0) {
    error(1, 'the manifest is empty: it needs a header line (path,label,group,source) and one line per image');
    return scan;
  }

  const [header, ...rows] = records;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const column = new Map<Column, number>();
  names.forEach((name, i) => {
    if ((KNOWN_COLUMNS as readonly string[]).includes(name) && !column.has(name as Column)) column.set(name as Column, i);
  });
  const missing = (['path', 'label'] as const).filter((c) => !column.has(c));
  if (missing.length > 0) {
    const looksLikeData = header.fields.some((f) => parseLabel(f) !== null);
    error(
      header.line,
      `the header must name the columns path and label (missing: ${missing.join(', ')}; found: ${header.fields.map((f) => JSON.stringify(f)).join(', ')})` +
        (looksLikeData ? '. The first line looks like data: add a header line such as path,label,group,source' : ''),
    );
    return scan;
  }
  const unknown = names.filter((n) => n !== '' && !(KNOWN_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0) warning(header.line, `column(s) ${unknown.join(', ')} ignored (known: ${KNOWN_COLUMNS.join(', ')})`);
  const sourceColumn = column.get('source') ?? column.get('generator');

  const seen = new Map<string, { line: number; label: number }>();
  const cell = (fields: string[], c: number | undefined) => (c === undefined ? '' : (fields[c] ?? '').trim());
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      error(row.line, `${row.fields.length} field(s) but the header has ${header.fields.length}`);
      continue;
    }
    const rawPath = cell(row.fields, column.get('path'));
    const rawLabel = cell(row.fields, column.get('label'));
    if (!rawPath) {
      error(row.line, 'path is empty');
      continue;
    }
    const label = parseLabel(rawLabel);
    if (label === null) {
      error(row.line, `label ${JSON.stringify(rawLabel)} is not one of ${CSV_LABEL_WORDS.join(', ')} (any case)`);
      continue;
    }
    const file = resolveEntry(base, rawPath);
    const earlier = seen.get(file);
    if (earlier) {
      if (earlier.label !== label) error(row.line, `${rawPath} is listed again with another label (line ${earlier.line} says ${earlier.label === 1 ? 'fake' : 'real'})`);
      else warning(row.line, `${rawPath} is listed again (first on line ${earlier.line}); the repeat is ignored`, file);
      continue;
    }
    seen.set(file, { line: row.line, label });

    const exists = await stat(file).then((s) => s.isFile(), () => false);
    if (!exists) warning(row.line, `${rawPath} does not exist or is not a file (resolved to ${file}); it will be counted as unreadable`, file);
    const relative = path.relative(base, file);
    const item: LabelledItem = {
      path: file,
      label,
      source: cell(row.fields, sourceColumn) || 'all',
      group: cell(row.fields, column.get('group')) || manifestItemGroup(relative.startsWith('..') ? file : relative),
    };
    const mask = cell(row.fields, column.get('mask'));
    if (mask) item.maskPath = resolveEntry(base, mask);
    // "generated"/"manipulated" as the label, or a task column, say what kind of fake it is.
    const task = label === 1 ? (taskOfLabelWord(cell(row.fields, column.get('task'))) ?? taskOfLabelWord(rawLabel)) : undefined;
    if (task) item.task = task;
    scan.items.push(item);
  }
  scan.problems.push(...oneClassSourceWarnings(scan.items));
  return scan;
}
