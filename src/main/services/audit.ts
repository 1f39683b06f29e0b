import type { ParsedRequest, Responses } from '../../contract/ipc';
import { verifyCase } from '../store';
import type { AppContext } from './context';

export const auditHandlers = {
  'audit.list': async (ctx: AppContext, req: ParsedRequest<'audit.list'>): Promise<Responses['audit.list']> => {
    const { store } = ctx.requireCase();
    const all = store.auditLog();
    const offset = req.offset ?? 0;
    const entries = all.slice().reverse().slice(offset, offset + (req.limit ?? 500));
    return { entries, total: all.length };
  },
  'case.verify': async (ctx: AppContext): Promise<Responses['case.verify']> => verifyCase(ctx.requireCase().store, { anchorBook: ctx.anchors }),
};
