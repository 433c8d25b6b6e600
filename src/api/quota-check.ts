import { sql } from 'kysely';
import { forbidden } from '../common/errors.js';
import type { TaviaConfig } from '../common/config.js';
import type { Db } from '../db/database.js';
import type { Tx } from '../db/provisioning.js';

/** The quota names, as the quota API spells them. */
export type QuotaName = 'loadbalancer' | 'listener' | 'pool' | 'healthmonitor' | 'member' | 'l7policy' | 'l7rule';

/** How a project's use of each quota is counted (rows that exist, whatever their status). */
const USAGE: Record<QuotaName, (trx: Tx, projectId: string) => Promise<number>> = {
  loadbalancer: (trx, p) => count(trx, 'load_balancer', p),
  listener: (trx, p) => count(trx, 'listener', p),
  pool: (trx, p) => count(trx, 'pool', p),
  healthmonitor: (trx, p) => count(trx, 'health_monitor', p),
  member: (trx, p) => count(trx, 'member', p),
  l7policy: (trx, p) => count(trx, 'l7policy', p),
  l7rule: (trx, p) => count(trx, 'l7rule', p),
};

async function count(
  trx: Tx,
  table: 'load_balancer' | 'listener' | 'pool' | 'health_monitor' | 'member' | 'l7policy' | 'l7rule',
  projectId: string,
) {
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const LABELS: Record<QuotaName, string> = {
  loadbalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  healthmonitor: 'health_monitor',
  member: 'member',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
};

/** The limit in force for a project: its own row, else the configured default (-1 = unlimited). */
export async function effectiveQuota(
  trx: Tx | Db['kysely'],
  config: TaviaConfig,
  projectId: string,
  name: QuotaName,
): Promise<number> {
  const row = await trx.selectFrom('quota').select(name).where('project_id', '=', projectId).executeTakeFirst();
  const own = row?.[name];
  return own === null || own === undefined ? config.quotas[name] : own;
}

/**
 * Refuse (403, as Octavia) a create that would take a project past its quota. Called inside the
 * creating transaction; on PostgreSQL a per-project advisory lock makes count-then-insert atomic.
 */
export async function enforceQuotas(
  trx: Tx,
  db: Db,
  config: TaviaConfig,
  projectId: string,
  adding: Partial<Record<QuotaName, number>>,
): Promise<void> {
  const wanted = Object.entries(adding).filter(([, n]) => (n ?? 0) > 0) as Array<[QuotaName, number]>;
  if (wanted.length === 0) return;
  if (db.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${projectId}))`.execute(trx);
  for (const [name, n] of wanted) {
    const limit = await effectiveQuota(trx, config, projectId, name);
    if (limit < 0) continue;
    const used = await USAGE[name](trx, projectId);
    if (used + n > limit) throw forbidden(`Quota has been met for resources: ${LABELS[name]}`);
  }
}
