import type { ParsedRequest, Responses } from '../../contract/ipc';
import { assertReportTarget, ChromiumPrinter, exportCaseReport } from '../reports';
import type { AppContext } from './context';

export const reportHandlers = {
  /**
   * Prints the open case's report as a job; the PDF and its .sha256 land where the save dialog
   * said (`target` is the dialog's handle). Refused before the job starts when that path is the
   * case database or an evidence file.
   */
  'report.export': async (ctx: AppContext, req: ParsedRequest<'report.export'>): Promise<Responses['report.export']> => {
    const out = ctx.claimSaveTarget(req.target, 'report');
    const { store } = ctx.requireCase();
    assertReportTarget(store, out);
    const job = ctx.jobs.start('report', `Report to ${out}`, (job) =>
      exportCaseReport(store, {
        out,
        items: req.items,
        ids: req.ids,
        generatedBy: ctx.config.examinerName || undefined,
        printer: ctx.options.printer ?? new ChromiumPrinter({ executablePath: ctx.config.chromium ?? undefined, candidates: ctx.config.chromiumCandidates, onNote: (note) => ctx.log.warn(note) }),
        pageDir: ctx.config.rendererDir,
        catalogue: ctx.catalogue,
        maxPixels: ctx.config.maxPixels,
        anchorBook: ctx.anchors,
        signal: job.signal,
        onProgress: job.progress,
      }),
    );
    return { jobId: job.id };
  },
};
