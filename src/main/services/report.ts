import type { ParsedRequest, Responses } from '../../contract/ipc';
import { assertReportTarget, ChromiumPrinter, exportCaseReport, reportExaminer } from '../reports';
import type { AppContext } from './context';

export const reportHandlers = {
  /**
   * Prints the open case's report as a job; the PDF and its .sha256 land where the save dialog
   * said (`target` is the dialog's handle). Refused before the job starts when that path is the
   * case database or an evidence file.
   */
  'report.export': async (ctx: AppContext, req: ParsedRequest<'report.export'>): Promise<Responses['report.export']> => {
    const out = ctx.claimSaveTarget(req.target, 'report');
    const { store, case: current } = ctx.requireCase();
    assertReportTarget(store, out);
    // The examiner named in the dialog, else Settings, else the case's: refused before a job
    // exists when there is none, because the declaration must name a person.
    const examiner = reportExaminer(req.examiner || ctx.config.examinerName, current.examiner);
    const job = ctx.jobs.start('report', `Report to ${out}`, (job) =>
      exportCaseReport(store, {
        out,
        items: req.items,
        ids: req.ids,
        generatedBy: examiner,
        printer: ctx.options.printer ?? new ChromiumPrinter({ executablePath: ctx.config.chromium ?? undefined, candidates: ctx.config.chromiumCandidates, onNote: (note) => ctx.log.warn(note) }),
        pageDir: ctx.config.rendererDir,
        catalogue: ctx.catalogue,
        maxPixels: ctx.config.maxPixels,
        anchorBook: ctx.anchors,
        signal: job.signal,
        onProgress: job.progress,
      }),
      current.id,
    );
    return { jobId: job.id };
  },
};
