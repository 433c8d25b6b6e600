import type { Kysely } from 'kysely';

/**
 * What the health manager keeps: one row per amphora it has heard from (Octavia's amphora_health, with the
 * last sequence number so a replayed heartbeat is refused by every health manager sharing the database),
 * and per listener and amphora the running traffic counters (Octavia's listener_statistics). Times and
 * counters are doubles: exact integers up to 2^53, read back as numbers on both databases.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('amphora_health')
    .addColumn('amphora_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('last_update_ms', 'double precision', (c) => c.notNull())
    .addColumn('last_seq', 'double precision', (c) => c.notNull())
    .addColumn('busy', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('amphora_health_last_update').on('amphora_health').columns(['last_update_ms']).execute();

  await db.schema
    .createTable('listener_statistics')
    .addColumn('listener_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('amphora_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('bytes_in', 'double precision', (c) => c.notNull())
    .addColumn('bytes_out', 'double precision', (c) => c.notNull())
    .addColumn('active_connections', 'double precision', (c) => c.notNull())
    .addColumn('total_connections', 'double precision', (c) => c.notNull())
    .addColumn('request_errors', 'double precision', (c) => c.notNull())
    .addColumn('updated_ms', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('listener_statistics_pk', ['listener_id', 'amphora_id'])
    .execute();
  await db.schema
    .createIndex('listener_statistics_amphora')
    .on('listener_statistics')
    .columns(['amphora_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('listener_statistics').execute();
  await db.schema.dropTable('amphora_health').execute();
}
