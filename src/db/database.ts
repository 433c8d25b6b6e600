import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  sql,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase as SqliteDatabaseLike,
} from 'kysely';
import pg from 'pg';
import * as initial from './migrations/0001-initial.js';
import * as networks from './migrations/0002-networks.js';
import * as health from './migrations/0003-health.js';
import * as identity from './migrations/0004-identity.js';
import * as neutron from './migrations/0005-neutron.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the query builder, which dialect is behind it, and how to close it. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

// PostgreSQL returns int8 (count(*), bigint columns) as strings by default; every value we keep fits a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Open the database named by `url`: `sqlite:PATH` (relative paths land in `dataDir`), `sqlite::memory:`,
 * or `postgres://...`.
 */
export function openDatabase(url: string, dataDir: string): Db {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // A connection the server drops while idle (restart, admin kill, forced DROP DATABASE) is already
    // removed by the pool; without a listener its 'error' event would crash the process.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  if (!url.startsWith('sqlite:')) throw new Error(`unsupported database url: ${url}`);
  const target = url.slice('sqlite:'.length);
  let file = ':memory:';
  if (target !== ':memory:') {
    file = isAbsolute(target) ? target : join(dataDir, target);
    mkdirSync(dirname(file), { recursive: true });
  }
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run beside the one writer; the busy timeout lets several processes share the file.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // 64 MiB of page cache instead of 2: the health manager reads every amphora's rows about once a second.
  sqlite.pragma('cache_size = -65536');
  const kysely = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqliteForKysely(sqlite) }) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

/**
 * SQLite transactions take the write lock up front (BEGIN IMMEDIATE). A deferred transaction that reads
 * and then writes fails at once with "database is locked" when another process committed in between;
 * taking the lock first makes it wait (busy_timeout) instead, so `tavia api` and `tavia worker` can share a file.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

const MAX_CACHED_STATEMENTS = 1000;

/** better-sqlite3 for Kysely: booleans bound as 1 and 0 (SQLite has none), prepared statements reused. */
function sqliteForKysely(sqlite: SqliteDatabase.Database): SqliteDatabaseLike {
  const statements = new Map<string, SqliteDatabase.Statement>();
  const convert = (params: readonly unknown[]) => params.map((p) => (p === true ? 1 : p === false ? 0 : p));
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      // Kysely prepares every query it runs; the API sends the same few hundred texts again and again.
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statement = sqlite.prepare(text);
        statements.set(text, statement);
      }
      return {
        reader: statement.reader,
        all: (params: readonly unknown[]) => statement.all(convert(params)),
        run: (params: readonly unknown[]) => statement.run(convert(params)),
        iterate: (params: readonly unknown[]) => statement.iterate(convert(params)),
      };
    },
  };
}

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-networks': networks,
  '0003-health': health,
  '0004-identity': identity,
  '0005-neutron': neutron,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Bring the schema up to date; safe to call from several processes at once. On PostgreSQL the migrator
 * takes its own lock. Kysely takes none on SQLite (it assumes one process), so there the whole run is one
 * `BEGIN IMMEDIATE` transaction on the node's single connection: a second process waits for the write
 * lock, then finds the migrations done. SQLite's DDL is transactional, so a failed run leaves nothing.
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db: db.kysely, provider: new StaticMigrationProvider() });
  if (db.dialect !== 'sqlite') return check(await migrator.migrateToLatest());
  await sql`begin immediate`.execute(db.kysely);
  try {
    check(await migrator.migrateToLatest());
    await sql`commit`.execute(db.kysely);
  } catch (err) {
    await sql`rollback`.execute(db.kysely).catch(() => undefined);
    throw err;
  }
}

function check(result: { error?: unknown }): void {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
}
