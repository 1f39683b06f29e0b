import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Case } from '../../contract/case';
import type { ParsedRequest, RecentCase, Responses } from '../../contract/ipc';
import { DATABASE_FILE, openCaseDatabase } from '../store';
import { AppContext, ServiceError } from './context';

const RECENT_FILE = 'recent-cases.json';
const MAX_RECENT = 20;

function readRecent(ctx: AppContext): RecentCase[] {
  const file = join(ctx.config.stateDir, RECENT_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RecentCase[];
  } catch (err) {
    // No list yet is normal; a damaged one is started afresh (it is a convenience, not a record).
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.log.warn(`the recent-cases list ${file} is unreadable and starts afresh: ${(err as Error).message}`);
    return [];
  }
}

function rememberRecent(ctx: AppContext, dir: string, c: Case): void {
  const entry: RecentCase = { dir, name: c.name, number: c.number, openedAt: new Date().toISOString() };
  const list = [entry, ...readRecent(ctx).filter((r) => r.dir !== dir)].slice(0, MAX_RECENT);
  mkdirSync(ctx.config.stateDir, { recursive: true });
  writeFileSync(join(ctx.config.stateDir, RECENT_FILE), JSON.stringify(list, null, 2));
}

async function switchTo(ctx: AppContext, dir: string, open: () => Case, store: ReturnType<typeof openCaseDatabase>): Promise<Case> {
  let c: Case;
  try {
    c = open();
  } catch (err) {
    store.close();
    throw err;
  }
  await closeCurrentCase(ctx);
  ctx.current = { dir, store, case: c };
  rememberRecent(ctx, dir, c);
  return c;
}

/**
 * Stops the open case's jobs (app-wide ones, like training, go on), anchors what changed since
 * the last anchor (reviews, say: an import or a report anchors by itself) and closes its database.
 */
export async function closeCurrentCase(ctx: AppContext): Promise<void> {
  if (!ctx.current) return;
  await ctx.jobs.cancelAll(ctx.current.case.id);
  const { store, case: c, dir } = ctx.current;
  try {
    const head = store.auditHead();
    const last = ctx.anchors.anchorsFor(c.id, dir).own.at(-1);
    if (head && (last?.seq !== head.seq || last.hash !== head.hash)) ctx.anchors.record(store, 'close');
  } catch {
    // Best effort while closing (quitting, switching cases): what was anchored before still holds,
    // and verify reports how many entries came after the last anchor.
  } finally {
    store.close();
    ctx.current = null;
  }
}

export const caseHandlers = {
  'cases.recent': async (ctx: AppContext): Promise<Responses['cases.recent']> => readRecent(ctx).filter((r) => existsSync(join(r.dir, DATABASE_FILE))),

  'cases.create': async (ctx: AppContext, req: ParsedRequest<'cases.create'>): Promise<Responses['cases.create']> => {
    const dir = resolve(req.dir);
    if (existsSync(join(dir, DATABASE_FILE))) throw new ServiceError('FAILED', `${dir} already holds a case. Open it instead, or choose an empty folder.`);
    mkdirSync(dir, { recursive: true });
    // Left blank, the examiner and organisation are the workstation's (Settings).
    const examiner = req.examiner || ctx.config.examinerName;
    const organisation = req.organisation || ctx.config.organisation;
    const store = openCaseDatabase(dir, { actor: examiner || undefined });
    return switchTo(ctx, dir, () => store.createCase({ name: req.name, number: req.number, examiner, organisation, description: req.description }), store);
  },

  'cases.open': async (ctx: AppContext, req: ParsedRequest<'cases.open'>): Promise<Responses['cases.open']> => {
    const dir = resolve(req.dir);
    if (!existsSync(join(dir, DATABASE_FILE))) throw new ServiceError('NOT_FOUND', `${dir} is not a case folder (it has no ${DATABASE_FILE}).`);
    const store = openCaseDatabase(dir);
    return switchTo(
      ctx,
      dir,
      () => {
        const c = store.getCase();
        if (!c) throw new ServiceError('NOT_FOUND', `${dir} has a database but no case in it.`);
        return c;
      },
      store,
    );
  },

  'cases.current': async (ctx: AppContext): Promise<Responses['cases.current']> => (ctx.current ? { case: ctx.current.case, dir: ctx.current.dir } : null),
};
