import type { Kysely } from 'kysely';
import type {
  AmphoraRow,
  Database,
  HealthMonitorRow,
  L7PolicyRow,
  L7RuleRow,
  ListenerRow,
  LoadBalancerRow,
  MemberRow,
  PoolRow,
} from './schema.js';

/**
 * A load balancer with every object below it, as flat lists joined by their foreign keys.
 * The HAProxy renderer, the status tree and cascade delete all read this one shape.
 */
export interface LoadBalancerGraph {
  loadBalancer: LoadBalancerRow;
  listeners: ListenerRow[];
  pools: PoolRow[];
  members: MemberRow[];
  healthMonitors: HealthMonitorRow[];
  l7policies: L7PolicyRow[];
  l7rules: L7RuleRow[];
  amphorae: AmphoraRow[];
}

/** Read the whole tree of one load balancer (seven small indexed queries), or undefined if it is gone. */
export async function loadLoadBalancerGraph(
  db: Kysely<Database>,
  lbId: string,
): Promise<LoadBalancerGraph | undefined> {
  const loadBalancer = await db.selectFrom('load_balancer').selectAll().where('id', '=', lbId).executeTakeFirst();
  if (!loadBalancer) return undefined;
  const [listeners, pools, amphorae] = await Promise.all([
    db
      .selectFrom('listener')
      .selectAll()
      .where('load_balancer_id', '=', lbId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('pool')
      .selectAll()
      .where('load_balancer_id', '=', lbId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).orderBy('created_at').execute(),
  ]);
  const poolIds = pools.map((p) => p.id);
  const listenerIds = listeners.map((l) => l.id);
  const [members, healthMonitors, l7policies] = await Promise.all([
    poolIds.length
      ? db
          .selectFrom('member')
          .selectAll()
          .where('pool_id', 'in', poolIds)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      : [],
    poolIds.length ? db.selectFrom('health_monitor').selectAll().where('pool_id', 'in', poolIds).execute() : [],
    listenerIds.length
      ? db.selectFrom('l7policy').selectAll().where('listener_id', 'in', listenerIds).orderBy('position').execute()
      : [],
  ]);
  const policyIds = l7policies.map((p) => p.id);
  const l7rules = policyIds.length
    ? await db
        .selectFrom('l7rule')
        .selectAll()
        .where('l7policy_id', 'in', policyIds)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    : [];
  return { loadBalancer, listeners, pools, members, healthMonitors, l7policies, l7rules, amphorae };
}
