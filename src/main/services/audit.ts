import type { ParsedRequest, Responses } from '../../contract/ipc';
import { verifyCase } from '../store';
import type { AppContext } from './context';

export const auditHandlers = {
  'audit.list': async (ctx: AppContext, req: ParsedRequest<'audit.list'>): Promise<Responses['audit.list']> => {
    const { store } = ctx.requireCase();
    const all = store.auditLog();
    const offset = req.offset ?? 0;
    const entries = all.slice().reverse().slice(offset, offset + (req.limit ?? 500));
    // File names of the items these entries mention, so the view can say "item 12 · harbour.jpg".
    const ids = new Set<number>();
    for (const e of entries) {
      if (e.entity === 'evidence' && e.entityId !== null) ids.add(Number(e.entityId));
      const evidenceId = (e.details as { evidenceId?: unknown } | null)?.evidenceId;
      if (typeof evidenceId === 'number') ids.add(evidenceId);
    }
    const evidenceNames: Record<string, string> = {};
    for (const id of ids) {
      const item = store.getEvidence(id);
      if (item) evidenceNames[id] = item.fileName;
    }
    return { entries, total: all.length, evidenceNames };
  },
  'case.verify': async (ctx: AppContext): Promise<Responses['case.verify']> => verifyCase(ctx.requireCase().store, { anchorBook: ctx.anchors }),
};
