import type { ParsedRequest, Responses } from '../../contract/ipc';
import { exportCaseReport } from '../reports';
import type { AppContext } from './context';

export const reportHandlers = {
  /** Prints the open case's report as a job; the PDF and its .sha256 land at `out`. */
  'report.export': async (ctx: AppContext, req: ParsedRequest<'report.export'>): Promise<Responses['report.export']> => {
    const { store } = ctx.requireCase();
    const job = ctx.jobs.start('report', `Report to ${req.out}`, (job) =>
      exportCaseReport(store, {
        out: req.out,
        items: req.items,
        ids: req.ids,
        printer: ctx.options.printer,
        modelsDir: ctx.options.modelsDir,
        signal: job.signal,
        onProgress: job.progress,
      }),
    );
    return { jobId: job.id };
  },
};
