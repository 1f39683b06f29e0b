import type Database from 'better-sqlite3';

/**
 * Prepared statements reused per connection: better-sqlite3 compiles SQL on every prepare(),
 * which dominates the cost of small queries repeated thousands of times (bulk import, a run).
 */
const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
