import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Database } from '../db/schema.js';

/**
 * Multi-row statements for the health manager's batches, written as SQL text with bound parameters:
 * thousands of rows a second through the query builder would cost more CPU than the database work.
 *
 * SQLite keeps a prepared statement per distinct text, so there rows go in chunks of a few fixed sizes
 * (256, 64, 16, 4, 1: at most five texts per statement); PostgreSQL prepares nothing and prefers fewer
 * round trips, so there a chunk holds up to 1,000 rows.
 */

const SQLITE_CHUNKS = [256, 64, 16, 4, 1];
const POSTGRES_CHUNK = 1000;

/** Split `items` into the chunk sizes the dialect prefers. */
export function chunksFor<T>(dialect: DialectName, items: readonly T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  if (dialect === 'postgres') {
    for (; at < items.length; at += POSTGRES_CHUNK) out.push(items.slice(at, at + POSTGRES_CHUNK));
    return out;
  }
  for (const size of SQLITE_CHUNKS)
    while (items.length - at >= size) {
      out.push(items.slice(at, at + size));
      at += size;
    }
  return out;
}

/** `(?, ?), (?, ?)` or `($1, $2), ($3, $4)` for `rows` tuples of `width` values. */
export function valuesList(dialect: DialectName, rows: number, width: number): string {
  const tuples: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < width; c++) cells.push(dialect === 'postgres' ? `$${++n}` : '?');
    tuples.push(`(${cells.join(', ')})`);
  }
  return tuples.join(', ');
}

/** `?, ?, ?` or `$1, $2, $3` for an IN list of `count` values after `offset` earlier parameters. */
export function inList(dialect: DialectName, count: number, offset = 0): string {
  const cells: string[] = [];
  for (let i = 1; i <= count; i++) cells.push(dialect === 'postgres' ? `$${offset + i}` : '?');
  return cells.join(', ');
}

/** Run one statement text with its parameters; rows come back for statements that return them. */
export async function runSql<R>(db: Kysely<Database>, text: string, parameters: unknown[]): Promise<R[]> {
  const result = await db.executeQuery<R>(CompiledQuery.raw(text, parameters));
  return result.rows as R[];
}

/**
 * Let the event loop run between statements: better-sqlite3 answers synchronously, so a batch of
 * several statements would otherwise keep the UDP socket unread and let the kernel buffer overflow.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The larger of two numbers in SQL: GREATEST on PostgreSQL, two-argument max() on SQLite. */
export const greatest = (dialect: DialectName, a: string, b: string): string =>
  dialect === 'postgres' ? `greatest(${a}, ${b})` : `max(${a}, ${b})`;
