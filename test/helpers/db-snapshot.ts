import assert from 'node:assert/strict';
import type { Db } from '../../src/db/database.js';
import type { Database } from '../../src/db/schema.js';

/** Tables whose every row a snapshot holds: all of the schema but `job`, whose rows the worker keeps rewriting. */
type SnapshotTable = Exclude<keyof Database, 'job'>;

// A mapped type, so a table added to the schema fails to compile here until it is listed.
const SNAPSHOT_TABLES: Record<SnapshotTable, true> = {
  load_balancer: true,
  listener: true,
  pool: true,
  member: true,
  health_monitor: true,
  l7policy: true,
  l7rule: true,
  tag: true,
  amphora: true,
  quota: true,
  flavor_profile: true,
  flavor: true,
  availability_zone_profile: true,
  availability_zone: true,
  network: true,
  subnet: true,
  port: true,
  port_fixed_ip: true,
  amphora_health: true,
  listener_statistics: true,
  identity_domain: true,
  identity_project: true,
  identity_user: true,
  identity_role: true,
  identity_role_assignment: true,
  identity_token: true,
  router: true,
  floating_ip: true,
  security_group: true,
  security_group_rule: true,
  port_security_group: true,
  default_security_group: true,
};

/**
 * The whole visible state of a database: each row as JSON with its columns in name order, rows sorted so
 * that storage order does not matter, and the number of jobs (a rejected request must not queue one).
 */
export interface DbSnapshot {
  tables: Record<SnapshotTable, string[]>;
  jobCount: number;
}

function rowKey(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((column) => [column, row[column]]),
  );
}

/** Read every row of every table (but `job`) and count the jobs. */
export async function takeDbSnapshot(db: Db): Promise<DbSnapshot> {
  const names = Object.keys(SNAPSHOT_TABLES) as SnapshotTable[];
  const [jobs, ...contents] = await Promise.all([
    db.kysely
      .selectFrom('job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    ...names.map(
      (table) => db.kysely.selectFrom(table).selectAll().execute() as Promise<Array<Record<string, unknown>>>,
    ),
  ]);
  const tables = Object.fromEntries(names.map((table, i) => [table, contents[i]!.map(rowKey).sort()]));
  return { tables: tables as Record<SnapshotTable, string[]>, jobCount: Number(jobs.n) };
}

/** Fail, naming the tables and rows that differ, when two snapshots are not the same. */
export function assertSameSnapshot(actual: DbSnapshot, expected: DbSnapshot, context: string): void {
  const diffs: string[] = [];
  if (actual.jobCount !== expected.jobCount) diffs.push(`job count ${expected.jobCount} -> ${actual.jobCount}`);
  for (const table of Object.keys(SNAPSHOT_TABLES) as SnapshotTable[]) {
    const before = new Set(expected.tables[table]);
    const after = new Set(actual.tables[table]);
    const gone = expected.tables[table].filter((row) => !after.has(row));
    const added = actual.tables[table].filter((row) => !before.has(row));
    if (gone.length + added.length > 0)
      diffs.push(`${table}: removed/changed ${JSON.stringify(gone)} added/changed ${JSON.stringify(added)}`);
  }
  assert.ok(diffs.length === 0, `database changed by ${context}:\n${diffs.join('\n')}`);
}
