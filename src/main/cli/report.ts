import { resolve } from 'node:path';
import { ChromiumPrinter, exportCaseReport } from '../reports';
import { AnchorBook, openCaseDatabase } from '../store';
import type { CliContext } from './index';
import { formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, UsageError } from './usage';

const ITEMS = ['all', 'flagged', 'reviewed'] as const;
type ItemsOption = (typeof ITEMS)[number];

const reportHelp = `provenance report <case-folder> --out report.pdf [options]

Writes the case report as PDF: cover (case, examiner, software, models with their ONNX SHA-256,
ELA parameters), summary, evidence table with every file's SHA-256, one section per chosen item
(picture and ELA heatmap, scores, metadata findings, reviewer notes and history), evaluations
saved in the case, and appendices with the re-verification made at report time and the full
audit log. Writes <out>.sha256 beside the PDF and records report.export in the audit log.
An existing report is never replaced: when <out> (or its .sha256) exists, the report is
written as <name>-2.pdf, <name>-3.pdf, ... and the path used is printed.
The report pins the audit log's head it describes: printed on the cover, carried inside the PDF
and in <out>.anchor.json, signed with this installation's anchor key (the state folder);
"provenance verify <case> --report <out>" later holds the case against it.
Needs the built report page (npm run build) and a Chromium, Chrome or Edge (found in the usual
places of this platform; --chromium PATH, the "chromium" setting or PROVENANCE_CHROMIUM name
another); it runs headless, with its sandbox except where the sandbox cannot work (as root),
which is then said.

Options:
  --out FILE            the PDF to write (required)
  --items WHICH         items with a section of their own: all, flagged (default: by the
                        reviewer, a detector at or above its threshold, or an analysis flag;
                        see "What flagged means" in the README) or reviewed (a verdict or notes)
  --ids 1,2,3           exactly these evidence items instead of --items
  --examiner NAME       the examiner who exports the report and signs its declaration
                        (default: the "examinerName" setting, else the case's examiner;
                        one of them is required)
  --quiet               no progress line

Exit code 0 when the report was written and the case verified, 3 when it was written but the
case did not verify (the cover says why), 1 on failure, 2 on wrong arguments.`;

function parseIds(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--ids takes evidence ids such as 1,2,3, got "${value}"`);
  return ids;
}

async function runReport(args: string[], { config, catalogue }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: 'string' },
    items: { type: 'string' },
    ids: { type: 'string' },
    examiner: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('Give exactly one case folder.');
  if (!values.out) throw new UsageError('Give the PDF to write with --out report.pdf.');
  if (values.items !== undefined && !ITEMS.includes(values.items as ItemsOption)) {
    throw new UsageError(`--items must be one of ${ITEMS.join(', ')}, got "${values.items}"`);
  }
  if (values.items !== undefined && values.ids !== undefined) throw new UsageError('Give either --items or --ids, not both.');
  const ids = values.ids !== undefined ? parseIds(values.ids) : undefined;

  const examiner = values.examiner ?? (config.examinerName || undefined);
  const store = openCaseDatabase(resolve(positionals[0]), { actor: examiner, mustExist: true });
  const bar = values.quiet ? undefined : new ProgressLine(process.stderr, 'report');
  try {
    const report = await exportCaseReport(store, {
      out: resolve(values.out),
      anchorBook: new AnchorBook(config.stateDir),
      printer: new ChromiumPrinter({ executablePath: config.chromium ?? undefined, onNote: (note) => console.error(`note: ${note}`) }),
      items: values.items as ItemsOption | undefined,
      ids,
      generatedBy: examiner,
      pageDir: config.rendererDir,
      catalogue,
      maxPixels: config.maxPixels,
      onProgress: (p) => bar?.update(p),
    });
    bar?.end();
    if (report.pdfPath !== report.requestedPath) console.log(`${report.requestedPath} already exists and is never replaced: the report is numbered`);
    console.log(`wrote ${report.pdfPath} (${(report.bytes / 1024 / 1024).toFixed(2)} MB, ${report.evidenceItems} items, ${report.itemSections} item sections)`);
    console.log(`SHA-256 ${report.sha256} → ${report.sha256Path}`);
    console.log(`report id ${report.reportId}`);
    if (report.anchor) console.log(`pins audit entry #${report.anchor.seq} ${report.anchor.hash} → ${report.anchorPath}`);
    if (!report.verified) {
      console.log('WARNING: the case did not verify at report time; the report states it on its cover.');
      if (report.integrityProblems.length) {
        console.log(formatTable(['id', 'status', 'path'], report.integrityProblems.map((p) => [p.id, p.status.toUpperCase(), p.path])));
      }
      return 3;
    }
    return 0;
  } finally {
    store.close();
  }
}

export const reportCommand = { run: runReport, help: reportHelp };
