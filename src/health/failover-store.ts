import { sql } from 'kysely';
import { ApiError } from '../common/errors.js';
import { nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import { lockLoadBalancerItself } from '../db/provisioning.js';
import { toBool } from '../db/schema.js';
import type { FailoverSnapshot, SilentAmphora } from './failover-decision.js';
import { enqueueFailover, FAILOVER_FLOW } from './failover-job.js';

/** The failover watch's reads and writes. Every write is conditional, so several watches may share a database. */

/** Amphorae the watch looks after: serving a load balancer, in one of these states. */
export const WATCHED_STATUSES = ['ALLOCATED', 'FAILOVER_STOPPED'] as const;

/**
 * Give every watched amphora without a health row one, as if heard now: amphorae built before health
 * existed (or by a path that wrote none) then get one full timeout to be heard instead of none.
 */
export async function adoptUnwatchedAmphorae(db: Db, nowMs: number): Promise<number> {
  const result = await db.kysely
    .insertInto('amphora_health')
    .columns(['amphora_id', 'last_update_ms', 'last_seq', 'busy'])
    .expression((eb) =>
      eb
        .selectFrom('amphora')
        // Typed literals: PostgreSQL does not infer a parameter's type from the INSERT's column in a SELECT list.
        .select([
          'amphora.id',
          sql<number>`cast(${nowMs} as double precision)`.as('last_update_ms'),
          sql<number>`cast(0 as double precision)`.as('last_seq'),
          sql<boolean>`false`.as('busy'),
        ])
        .where('amphora.status', 'in', WATCHED_STATUSES)
        .where('amphora.load_balancer_id', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('amphora_health').select('amphora_id').whereRef('amphora_id', '=', 'amphora.id'))),
        ),
    )
    .onConflict((oc) => oc.column('amphora_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** Health rows of amphorae that no longer exist (removed by a path that left its row behind). */
export async function removeOrphanHealthRows(db: Db): Promise<number> {
  const result = await db.kysely
    .deleteFrom('amphora_health')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('amphora').select('amphora.id').whereRef('amphora.id', '=', 'amphora_health.amphora_id'))),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** FAILOVER_STOPPED amphorae heard again since `cutoffMs` are healthy: back to ALLOCATED. */
export async function releaseHeardAmphorae(db: Db, cutoffMs: number): Promise<string[]> {
  const rows = await db.kysely
    .updateTable('amphora')
    .set({ status: 'ALLOCATED', updated_at: nowTimestamp() })
    .where('status', '=', 'FAILOVER_STOPPED')
    .where('id', 'in', (eb) =>
      eb.selectFrom('amphora_health').select('amphora_id').where('last_update_ms', '>=', cutoffMs),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * What the decision needs: how many amphorae are watched, which are silent (no heartbeat since
 * `cutoffMs`), how many failovers run, and how often each silent one's load balancer was failed over
 * since `flapSinceMs`.
 */
export async function loadFailoverSnapshot(db: Db, cutoffMs: number, flapSinceMs: number): Promise<FailoverSnapshot> {
  const k = db.kysely;
  const [watched, silentRows, inFlight, recent] = await Promise.all([
    k
      .selectFrom('amphora')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', WATCHED_STATUSES)
      .where('load_balancer_id', 'is not', null)
      .executeTakeFirstOrThrow(),
    k
      .selectFrom('amphora')
      .innerJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id')
      .select([
        'amphora.id',
        'amphora.load_balancer_id',
        'amphora.status',
        'amphora_health.last_update_ms',
        'amphora_health.busy',
      ])
      .where('amphora.status', 'in', WATCHED_STATUSES)
      .where('amphora.load_balancer_id', 'is not', null)
      .where('amphora_health.last_update_ms', '<', cutoffMs)
      .execute(),
    k
      .selectFrom('job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('flow', '=', FAILOVER_FLOW)
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow(),
    // Few rows: only load balancers failed over within the window.
    k
      .selectFrom('job')
      .select(['load_balancer_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('flow', '=', FAILOVER_FLOW)
      .where('created_at', '>=', nowTimestamp(new Date(flapSinceMs)))
      .groupBy('load_balancer_id')
      .execute(),
  ]);
  const failoversOf = new Map(recent.map((r) => [r.load_balancer_id, Number(r.n)]));
  const silent: SilentAmphora[] = silentRows.map((r) => ({
    id: r.id,
    loadBalancerId: r.load_balancer_id!,
    status: r.status as SilentAmphora['status'],
    lastUpdateMs: Number(r.last_update_ms),
    busy: toBool(r.busy),
    recentFailovers: failoversOf.get(r.load_balancer_id) ?? 0,
  }));
  return { watched: Number(watched.n), silent, inFlight: Number(inFlight.n) };
}

/** Mark these amphorae FAILOVER_STOPPED (only those still ALLOCATED); returns the ones changed. */
export async function holdAmphorae(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const held: string[] = [];
  // Chunks keep the statement under every driver's parameter limit, even when thousands fall silent.
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.kysely
      .updateTable('amphora')
      .set({ status: 'FAILOVER_STOPPED', updated_at: nowTimestamp() })
      .where('id', 'in', ids.slice(i, i + 500))
      .where('status', '=', 'ALLOCATED')
      .returning('id')
      .execute();
    held.push(...rows.map((r) => r.id));
  }
  return held;
}

export type ClaimOutcome = 'started' | 'heard' | 'immutable';

/** Rolls the claim's transaction back. */
class ClaimRefused extends Error {
  constructor(readonly outcome: ClaimOutcome) {
    super(outcome);
  }
}

/**
 * Start the failover of one silent amphora, in one transaction: take its health row (busy false -> true,
 * only while it is still silent and still watched: a heartbeat that just arrived, or another watch that
 * got there first, wins), lock its load balancer ACTIVE|ERROR -> PENDING_UPDATE (else leave it, as
 * Octavia: a flow is under way and the amphora is looked at again next tick), and queue the flow.
 */
export async function claimFailover(db: Db, amphora: SilentAmphora, cutoffMs: number): Promise<ClaimOutcome> {
  try {
    await db.kysely.transaction().execute(async (trx) => {
      const taken = await trx
        .updateTable('amphora_health')
        .set({ busy: true })
        .where('amphora_id', '=', amphora.id)
        .where('busy', '=', false)
        .where('last_update_ms', '<', cutoffMs)
        .where('amphora_id', 'in', (eb) =>
          eb
            .selectFrom('amphora')
            .select('id')
            .where('status', 'in', WATCHED_STATUSES)
            .where('load_balancer_id', '=', amphora.loadBalancerId),
        )
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw new ClaimRefused('heard');
      let lock;
      try {
        lock = await lockLoadBalancerItself(trx, amphora.loadBalancerId, 'PENDING_UPDATE', ['ACTIVE', 'ERROR']);
      } catch (err) {
        if (err instanceof ApiError) throw new ClaimRefused('immutable');
        throw err;
      }
      await enqueueFailover(trx, { lock, loadBalancerId: amphora.loadBalancerId, amphoraId: amphora.id });
    });
    return 'started';
  } catch (err) {
    if (err instanceof ClaimRefused) return err.outcome;
    throw err;
  }
}
