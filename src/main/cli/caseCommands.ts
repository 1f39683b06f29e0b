import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importIntoCase } from '../services/importer';
import { DATABASE_FILE, openCaseDatabase, verifyCase } from '../store';
import { formatDuration, formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, positiveInt, UsageError } from './usage';

const importHelp = `provenance import <case-folder> <file|folder>... [options]

Imports images into a case (created when the folder has none: give --name) and analyses them:
each file is hashed, described, ELA'd and scored, and committed to the case database with its
audit entry. Killed or interrupted, the same command resumes: finished files are skipped.

Options:
  --name NAME           case name (only when creating the case)
  --number NUMBER       case number
  --examiner NAME       examiner's name
  --organisation NAME
  --models ID,ID        models to run (default: every valid model)
  --ela-quality Q       ELA re-compression quality (default 90)
  --quiet               no progress line`;

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    name: { type: 'string' },
    number: { type: 'string' },
    examiner: { type: 'string' },
    organisation: { type: 'string' },
    models: { type: 'string' },
    'ela-quality': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const [caseDir, ...paths] = positionals;
  if (!caseDir || paths.length === 0) throw new UsageError('Give the case folder and at least one file or folder to import.');
  const dir = resolve(caseDir);
  const creating = !existsSync(join(dir, DATABASE_FILE));
  if (creating && !values.name) throw new UsageError(`${dir} holds no case yet: give --name to create one.`);
  mkdirSync(dir, { recursive: true });
  const store = openCaseDatabase(dir, { actor: values.examiner });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const bar = values.quiet ? undefined : new ProgressLine(process.stderr, 'importing');
  try {
    if (creating) {
      store.createCase({ name: values.name!, number: values.number ?? '', examiner: values.examiner ?? '', organisation: values.organisation ?? '', description: '' });
    }
    const summary = await importIntoCase(store, {
      paths: paths.map((p) => resolve(p)),
      models: values.models?.split(',').map((s) => s.trim()).filter(Boolean),
      elaQuality: positiveInt(values['ela-quality'], 'ela-quality', 90),
      signal: controller.signal,
      onProgress: (p) => bar?.update(p),
    });
    bar?.end();
    console.log(
      `${summary.resumed ? 'resumed' : 'started'} run ${summary.runId}: ${summary.ok} imported, ${summary.failed} failed, ${summary.skipped} already done` +
        ` (${formatDuration(summary.elapsedSeconds)}, ${summary.filesPerSecond.toFixed(1)} files/s)${summary.cancelled ? ' — interrupted, run again to resume' : ''}`,
    );
    return summary.cancelled ? 130 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    store.close();
  }
}

const verifyHelp = `provenance verify <case-folder> [--json] [--no-files]

Checks a case: recomputes the audit log's hash chain, compares every database row with the
digest its audit entry recorded, and re-hashes every evidence file against its SHA-256 at import.
Exit code 0 when everything is intact, 1 when anything is not.`;

async function runVerify(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, 'no-files': { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('Give exactly one case folder.');
  const store = openCaseDatabase(resolve(positionals[0]), { readonly: true });
  try {
    const report = await verifyCase(store, { rehashFiles: !values['no-files'] });
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return report.ok ? 0 : 1;
    }
    const files = report.evidence;
    const bad = files.filter((f) => f.status !== 'ok');
    console.log(`audit chain: ${report.chainIntact ? 'INTACT' : 'BROKEN'} (${report.auditEntries} entries, head ${report.head ? `#${report.head.seq} ${report.head.hash.slice(0, 16)}…` : 'none'})`);
    for (const p of report.chainProblems) console.log(`  entry #${p.seq}: ${p.kind}: ${p.message}`);
    console.log(`database rows: ${report.recordProblems.length === 0 ? 'all match the audit log' : `${report.recordProblems.length} do not match the audit log`}`);
    for (const p of report.recordProblems) console.log(`  ${p.entity} ${p.entityId}: ${p.kind}: ${p.message}`);
    if (!values['no-files']) {
      console.log(`evidence files: ${files.length - bad.length}/${files.length} match their SHA-256 at import`);
      if (bad.length) console.log(formatTable(['id', 'status', 'path', 'expected', 'actual'], bad.map((f) => [f.id, f.status.toUpperCase(), f.path, f.expected.slice(0, 16), f.actual?.slice(0, 16) ?? f.message ?? ''])));
    }
    console.log(report.ok ? 'VERIFIED: case intact' : 'NOT VERIFIED: see problems above');
    return report.ok ? 0 : 1;
  } finally {
    store.close();
  }
}

export const importCommand = { run: runImport, help: importHelp };
export const verifyCommand = { run: runVerify, help: verifyHelp };
