import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EVIDENCE_CHECK_OK, type VerifyReport } from '../../contract/case';
import { formatUtc } from '../../contract/time';
import { assertImportPathsExist, importIntoCase } from '../pipeline/importIntoCase';
import { readAnchor } from '../reports/pdfAnchor';
import { AnchorBook, DATABASE_FILE, openCaseDatabase, parseHead, relinkCase, verifyCase, type ReportAnchor } from '../store';
import type { CliContext } from './index';
import { describeHidden, describeOpened } from './models';
import { formatDuration, formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, positiveInt, UsageError } from './usage';

const importHelp = `provenance import <case-folder> <file|folder>... [options]

Imports images into a case (created when the folder has none: give --name) and analyses them:
each file is hashed, described, ELA'd and scored, and committed to the case database with its
audit entry. Killed or interrupted, the same command resumes: finished files are skipped.
When it ends, the audit log's head is anchored in this installation's state folder
(PROVENANCE_STATE_DIR) and in the case folder's audit-anchors.jsonl.

Options:
  --name NAME           case name (only when creating the case)
  --number NUMBER       case number
  --examiner NAME       examiner's name (default: the "examinerName" setting)
  --organisation NAME   (default: the "organisation" setting)
  --models ID,ID        models to run (default: every listed model; see "provenance models")
  --ela-quality Q       ELA re-compression quality (default 90)
  --memory-budget MB    memory the images in flight may take together
  --copy                copy each image into <case-folder>/evidence/ (read-only; the copy's
                        SHA-256 is checked) and read it from there, so the case can travel
  --quiet               no progress line

Files that cannot be analysed (empty, not an image, too many pixels, unreadable, a folder that
loops) become refused items of the case with their reason, size and SHA-256 where readable.
A path that does not exist stops the command before anything is written.`;

async function runImport(args: string[], { config, catalogue }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    name: { type: 'string' },
    number: { type: 'string' },
    examiner: { type: 'string' },
    organisation: { type: 'string' },
    models: { type: 'string' },
    'ela-quality': { type: 'string' },
    'memory-budget': { type: 'string' },
    copy: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  const [caseDir, ...paths] = positionals;
  if (!caseDir || paths.length === 0) throw new UsageError('Give the case folder and at least one file or folder to import.');
  // Before the case is created or opened: a typo must not leave a run or an audit entry behind.
  assertImportPathsExist(paths.map((p) => resolve(p)));
  const dir = resolve(caseDir);
  const creating = !existsSync(join(dir, DATABASE_FILE));
  if (creating && !values.name) throw new UsageError(`${dir} holds no case yet: give --name to create one.`);
  mkdirSync(dir, { recursive: true });
  const examiner = values.examiner ?? config.examinerName;
  const store = openCaseDatabase(dir, { actor: examiner || undefined });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const bar = values.quiet ? undefined : new ProgressLine(process.stderr, 'importing');
  try {
    if (creating) {
      store.createCase({ name: values.name!, number: values.number ?? '', examiner, organisation: values.organisation ?? config.organisation, description: '' });
    }
    const models = values.models?.split(',').map((s) => s.trim()).filter(Boolean);
    const summary = await importIntoCase(store, {
      paths: paths.map((p) => resolve(p)),
      models,
      catalogue,
      ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes },
      onDetectors: values.quiet
        ? undefined
        : ({ detectors, skipped, hidden }) => console.error(`${describeOpened(detectors, skipped, config.provider)}${hidden.length ? `\n${describeHidden(hidden)}` : ''}`),
      elaQuality: positiveInt(values['ela-quality'], 'ela-quality', 90),
      memoryBudgetBytes: values['memory-budget'] ? positiveInt(values['memory-budget'], 'memory-budget', 1) * 1024 * 1024 : undefined,
      copyEvidence: values.copy === true,
      signal: controller.signal,
      onProgress: (p) => bar?.update(p),
      anchorBook: new AnchorBook(config.stateDir),
    });
    bar?.end();
    console.log(
      `${summary.resumed ? 'resumed' : 'started'} run ${summary.runId}: ${summary.ok} imported, ${summary.failed} refused or failed (kept as items with the reason), ${summary.skipped} already done` +
        ` (${formatDuration(summary.elapsedSeconds)}, ${summary.filesPerSecond.toFixed(1)} files/s)${summary.cancelled ? ' — interrupted, run again to resume' : ''}`,
    );
    console.log(`${summary.flagged} flagged by a detector or an analysis (the reviewer's flags come later; see "What flagged means" in the README)`);
    if (values.copy) console.log(`copied into the case: ${summary.copied}${summary.copyFailed ? `, ${summary.copyFailed} copies FAILED their hash check (read from the original path)` : ''}`);
    const errors = Object.entries(summary.errors);
    if (errors.length) console.log(formatTable(['reason', 'files'], errors.map(([code, n]) => [code, n ?? 0])));
    return summary.cancelled ? 130 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    store.close();
  }
}

const verifyHelp = `provenance verify <case-folder> [--expect-head SEQ:HASH] [--report report.pdf] [--json] [--no-files]

Checks a case: recomputes the audit log's hash chain, compares every database row (and every
column the gallery sorts and filters by) with what its audit entry recorded, re-hashes every
evidence file against its SHA-256 at import, and holds the log against its anchors.

A hash chain alone only shows the log is consistent with itself: an older copy of the database,
a log with its last entries cut off, or one recomputed from scratch after a change would look
the same. Anchors pin the log from outside: this installation's own (written at every import,
report and case close, in PROVENANCE_STATE_DIR), a report's (printed on its cover and inside the
PDF), or a head you give.

Options:
  --expect-head SEQ:HASH  the head quoted by a report or noted down earlier (repeatable)
  --report FILE           a PDF report of this case: the anchor it carries (repeatable)
  --no-files              skip re-hashing the evidence files
  --json                  the full result as JSON

Prints VERIFIED only when everything matches and an anchor pins the log; "chain intact, not
anchored" when nothing is wrong but nothing outside the database vouches for it.
Exit code 0 verified, 1 a problem was found, 3 intact but not anchored.`;

/** The anchor a report PDF carries, with the PDF's hash; a PDF without one is a usage error. */
function reportAnchor(file: string): ReportAnchor {
  let pdf: Buffer;
  try {
    pdf = readFileSync(file);
  } catch (err) {
    throw new UsageError(`Cannot read the report ${file}: ${(err as Error).message}`);
  }
  const anchor = readAnchor(pdf);
  if (!anchor) throw new UsageError(`${file} carries no audit anchor: it is not a Provenance Lab report, or was made before reports were anchored (use --expect-head with the head printed on its cover).`);
  return { anchor, file, sha256: createHash('sha256').update(pdf).digest('hex') };
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

async function runVerify(args: string[], { config }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    json: { type: 'boolean' },
    'no-files': { type: 'boolean' },
    'expect-head': { type: 'string', multiple: true },
    report: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) throw new UsageError('Give exactly one case folder.');
  const heads = asList(values['expect-head']).map((h) => {
    try {
      return parseHead(h);
    } catch (err) {
      throw new UsageError(`--expect-head: ${(err as Error).message}`);
    }
  });
  const reports = asList(values.report).map((f) => reportAnchor(resolve(f)));
  const store = openCaseDatabase(resolve(positionals[0]), { readonly: true });
  try {
    const report = await verifyCase(store, { rehashFiles: !values['no-files'], expectedHead: heads[0], expectedHeads: heads, reports, anchorBook: new AnchorBook(config.stateDir) });
    const code = report.status === 'verified' ? 0 : report.status === 'failed' ? 1 : 3;
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return code;
    }
    printVerification(report, !values['no-files']);
    return code;
  } finally {
    store.close();
  }
}

function printVerification(report: VerifyReport, files: boolean): void {
  const bad = report.evidence.filter((f) => !EVIDENCE_CHECK_OK.includes(f.status));
  const relinked = report.evidence.filter((f) => f.status === 'relinked');
  const notHashed = report.evidence.filter((f) => f.status === 'not-hashed');
  console.log(`audit chain: ${report.chainIntact ? 'INTACT' : 'BROKEN'} (${report.auditEntries} entries, head ${report.head ? `#${report.head.seq} ${report.head.hash}` : 'none'})`);
  for (const p of report.chainProblems) console.log(`  entry #${p.seq}: ${p.kind}: ${p.message}`);
  console.log(`database rows: ${report.recordProblems.length === 0 ? 'all match the audit log' : `${report.recordProblems.length} do not match the audit log`}`);
  for (const p of report.recordProblems) console.log(`  ${p.entity} ${p.entityId}: ${p.kind}: ${p.message}`);
  for (const p of report.schemaProblems) console.log(`  schema: ${p}`);
  const trusted = report.anchors.filter((a) => a.trusted);
  console.log(`anchors: ${trusted.length === 0 ? 'none' : `${trusted.filter((a) => a.status === 'match').length}/${trusted.length} agree with the log`}`);
  for (const a of report.anchors) console.log(`  ${a.status === 'match' ? 'ok' : a.status.toUpperCase()}${a.trusted ? '' : ' (not counted)'} [${a.source}] ${a.message}`);
  if (report.anchored) {
    console.log(`anchored at entry #${report.anchored.seq} (${report.anchored.source}${report.anchored.at ? `, ${formatUtc(report.anchored.at)}` : ''})${report.unanchoredEntries ? `; ${report.unanchoredEntries} later entr${report.unanchoredEntries === 1 ? 'y is' : 'ies are'} not anchored yet` : ''}`);
  }
  if (files) {
    const hashed = report.evidence.length - notHashed.length;
    console.log(
      `evidence files: ${hashed - bad.length}/${hashed} match their SHA-256 at import` +
        `${relinked.length ? ` (${relinked.length} RELINKED: found by hash at a new location)` : ''}${notHashed.length ? `; ${notHashed.length} refused at import without a hash` : ''}`,
    );
    if (relinked.length) console.log(formatTable(['id', 'status', 'now at', 'imported from'], relinked.map((f) => [f.id, 'RELINKED', f.path, f.importedPath ?? ''])));
    if (bad.length) console.log(formatTable(['id', 'status', 'path', 'expected', 'actual'], bad.map((f) => [f.id, f.status.toUpperCase(), f.path, f.expected?.slice(0, 16) ?? '', f.actual?.slice(0, 16) ?? f.message ?? ''])));
  }
  if (report.status === 'verified') console.log(`VERIFIED: case intact, anchored at entry #${report.anchored!.seq}`);
  else if (report.status === 'not-anchored') {
    console.log('chain intact, not anchored: no problem found, but nothing outside the database pins this log, so an older copy or a rebuilt log would look the same. Give --report or --expect-head, or verify on the installation that made the case.');
  } else console.log('NOT VERIFIED: see problems above');
}

const anchorHelp = `provenance anchor <case-folder>

Verifies the case (as "provenance verify", evidence files included) and, when nothing is wrong,
anchors its audit log's current head in this installation's state folder (PROVENANCE_STATE_DIR)
and in the case folder: later verifications hold the log against it. Prints the head, to note
down and give later as --expect-head. Refuses a case that does not verify (exit 1).`;

async function runAnchor(args: string[], { config }: CliContext): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  if (positionals.length !== 1) throw new UsageError('Give exactly one case folder.');
  const store = openCaseDatabase(resolve(positionals[0]));
  try {
    const book = new AnchorBook(config.stateDir);
    const report = await verifyCase(store, { anchorBook: book });
    if (!report.ok) {
      printVerification(report, true);
      console.log('not anchored: the case must verify first');
      return 1;
    }
    const anchor = book.record(store, 'manual');
    if (!anchor) {
      console.log('nothing to anchor: the audit log is empty');
      return 1;
    }
    console.log(`anchored entry #${anchor.seq} ${anchor.hash}\n  verify later with: provenance verify <case-folder> --expect-head ${anchor.seq}:${anchor.hash}`);
    return 0;
  } finally {
    store.close();
  }
}

const relinkHelp = `provenance relink <case-folder> <folder> [--examiner NAME]

For a case whose evidence files moved (another disk, another machine): looks for every missing
evidence file in <folder> (recursively) by its SHA-256 and points the item at the file found,
with an audit entry each. Files are matched by content only, never by name; nothing is moved or
copied. "provenance verify" then reports those items as RELINKED. Exit code 0 when no file is
still missing, 1 when some are.`;

async function runRelink(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { examiner: { type: 'string' }, quiet: { type: 'boolean' } });
  if (positionals.length !== 2) throw new UsageError('Give the case folder and the folder to search.');
  const folder = resolve(positionals[1]);
  if (!existsSync(folder)) throw new UsageError(`${folder} does not exist.`);
  const store = openCaseDatabase(resolve(positionals[0]), { actor: values.examiner, mustExist: true });
  try {
    const outcome = await relinkCase(store, folder, { actor: values.examiner });
    console.log(`searched ${outcome.scanned} files in ${folder} (${outcome.hashed} hashed): ${outcome.relinked.length} relinked, ${outcome.stillMissing.length} still missing`);
    if (outcome.relinked.length) console.log(formatTable(['id', 'file', 'was', 'now'], outcome.relinked.map((r) => [r.id, r.fileName, r.from, r.to])));
    if (outcome.stillMissing.length) console.log(formatTable(['id', 'file', 'MISSING at'], outcome.stillMissing.map((m) => [m.id, m.fileName, m.path])));
    return outcome.stillMissing.length ? 1 : 0;
  } finally {
    store.close();
  }
}

export const importCommand = { run: runImport, help: importHelp };
export const relinkCommand = { run: runRelink, help: relinkHelp };
export const verifyCommand = { run: runVerify, help: verifyHelp };
export const anchorCommand = { run: runAnchor, help: anchorHelp };
