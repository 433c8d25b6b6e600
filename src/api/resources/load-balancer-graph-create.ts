import { validationFailure } from '../../common/errors.js';
import { nowTimestamp } from '../../common/ids.js';
import type { Tx } from '../../db/provisioning.js';
import type { L7PolicyRow, L7RuleRow, LoadBalancerRow } from '../../db/schema.js';
import { hasVipSecurityGroups, vipsOf } from './load-balancer-vips.js';
import type { QuotaName } from '../quota-check.js';
import type { Clean } from '../validation/fields.js';
import { planGraph, type GraphPlan, type ListenerPlan, type PoolPlan } from './graph-plan.js';
import { fullListenerView, fullPoolView, type ListenerTree, type PoolTree, type Tagged } from './graph-views.js';
import { newHealthMonitorRow } from './health-monitor-model.js';
import { newRuleRow } from './l7rule-model.js';
import { newListenerRow } from './listener-fields.js';
import { checkAllowedCidrs } from './listener-rules.js';
import { newMemberRow } from './member-model.js';
import { newPoolRow } from './pool-fields.js';
import { poolListenerIds } from './pool-view.js';
import { writeTags } from './tags.js';

/**
 * Octavia's "graph create": the listeners and pools embedded in POST loadbalancer, with their members,
 * health monitors, L7 policies and rules, inserted as PENDING_CREATE rows in the load balancer's own
 * transaction (so any refusal leaves nothing behind). The `loadbalancer.create` flow then settles the
 * whole tree. The body is planned (and so fully checked) both when counting for quotas and when creating.
 */

/** What a graph create adds beside the load balancer, already serialized for the 201 response. */
export interface GraphResult {
  listeners: Array<Record<string, unknown>>;
  pools: Array<Record<string, unknown>>;
}

const sum = <T>(items: T[], count: (item: T) => number) => items.reduce((n, item) => n + count(item), 0);

/**
 * How many objects of each quota a graph create would add. Plans the graph, so a body that breaks a
 * rule is refused (400/404/409) before any quota is looked at.
 */
export function countGraph(body: Clean, rawBody: unknown): Partial<Record<QuotaName, number>> {
  const plan = planGraph(body, rawBody);
  return {
    pool: plan.pools.length,
    healthmonitor: sum(plan.pools, (p) => (p.healthMonitor ? 1 : 0)),
    member: sum(plan.pools, (p) => p.members.length),
    listener: plan.listeners.length,
    l7policy: sum(plan.listeners, (l) => l.policies.length),
    l7rule: sum(plan.listeners, (l) => sum(l.policies, (p) => p.rules.length)),
  };
}

const uniqueTags = (tags: unknown) => [...new Set((tags as string[] | null | undefined) ?? [])];

/** The VIP addresses of a load balancer (its own and the additional ones), which allowed CIDRs must match. */
/** The rules that depend on the load balancer itself: allowed CIDRs against its VIPs and security groups. */
function checkAgainstLoadBalancer(plan: GraphPlan, lb: LoadBalancerRow): void {
  for (const l of plan.listeners) checkAllowedCidrs(l.fields.allowed_cidrs, vipsOf(lb), hasVipSecurityGroups(lb));
}

function allowsMemberSriov(flavorData: string): boolean {
  try {
    return (JSON.parse(flavorData) as Record<string, unknown>).allow_member_sriov === true;
  } catch {
    return false;
  }
}

/** Members may ask for an SR-IOV port only when the load balancer's flavor allows it (`allow_member_sriov`). */
async function checkMemberSriov(trx: Tx, plan: GraphPlan, lb: LoadBalancerRow): Promise<void> {
  if (!plan.pools.some((p) => p.members.some((m) => m.request_sriov === true))) return;
  const profile = lb.flavor_id
    ? await trx
        .selectFrom('flavor')
        .innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
        .select('flavor_profile.flavor_data')
        .where('flavor.id', '=', lb.flavor_id)
        .executeTakeFirst()
    : undefined;
  if (!profile || !allowsMemberSriov(profile.flavor_data))
    throw validationFailure('The load balancer flavor does not allow SR-IOV member ports.');
}

async function insertPool(trx: Tx, lb: LoadBalancerRow, plan: PoolPlan, now: string): Promise<PoolTree> {
  const row = newPoolRow(plan.fields, plan.sessionPersistence, { id: plan.id, loadBalancerId: lb.id, projectId: lb.project_id, now });
  await trx.insertInto('pool').values(row).execute();
  await writeTags(trx, row.id, plan.fields.tags);
  let healthMonitor: PoolTree['healthMonitor'] = null;
  if (plan.healthMonitor) {
    const hm = newHealthMonitorRow(row, plan.healthMonitor, now);
    await trx.insertInto('health_monitor').values(hm).execute();
    await writeTags(trx, hm.id, plan.healthMonitor.tags);
    healthMonitor = { row: hm, tags: uniqueTags(plan.healthMonitor.tags) };
  }
  const members: PoolTree['members'] = [];
  for (const body of plan.members) {
    const vnicType = body.request_sriov === true ? 'direct' : 'normal';
    const member = newMemberRow(row, body, { hasMonitor: healthMonitor !== null, now, vnicType });
    await trx.insertInto('member').values(member).execute();
    await writeTags(trx, member.id, body.tags);
    members.push({ row: member, tags: uniqueTags(body.tags) });
  }
  return { row, tags: uniqueTags(plan.fields.tags), healthMonitor, members };
}

async function insertListener(trx: Tx, lb: LoadBalancerRow, plan: ListenerPlan, now: string): Promise<ListenerTree> {
  const fields = { ...plan.fields, default_pool_id: plan.defaultPool?.id ?? null };
  const row = newListenerRow(fields, { id: plan.id, loadBalancerId: lb.id, projectId: lb.project_id, now });
  await trx.insertInto('listener').values(row).execute();
  await writeTags(trx, row.id, plan.fields.tags);
  const policies: ListenerTree['policies'] = [];
  for (const p of plan.policies) {
    const policy: L7PolicyRow = {
      id: p.id,
      project_id: lb.project_id,
      listener_id: row.id,
      name: (p.fields.name as string | null | undefined) ?? '',
      description: (p.fields.description as string | null | undefined) ?? '',
      ...p.redirect,
      position: p.position,
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      admin_state_up: (p.fields.admin_state_up as boolean | null | undefined) ?? true,
      created_at: now,
      updated_at: null,
    };
    await trx.insertInto('l7policy').values(policy).execute();
    await writeTags(trx, policy.id, p.fields.tags);
    const rules: Array<Tagged<L7RuleRow>> = [];
    for (const body of p.rules) {
      const rule = newRuleRow(body, policy.id, lb.project_id);
      await trx.insertInto('l7rule').values(rule).execute();
      await writeTags(trx, rule.id, body.tags);
      rules.push({ row: rule, tags: uniqueTags(body.tags) });
    }
    policies.push({ row: policy, tags: uniqueTags(p.fields.tags), rules });
  }
  return { row, tags: uniqueTags(plan.fields.tags), policies };
}

/**
 * Create the listeners and pools embedded in a POST loadbalancer body as PENDING_CREATE rows of `lb`
 * (already inserted in `trx`), every one in the load balancer's project. Pools go first, so listeners
 * and L7 policies can point at them. Answers the full objects of the 201 response.
 */
export async function createGraphChildren(trx: Tx, lb: LoadBalancerRow, body: Clean, rawBody: unknown): Promise<GraphResult> {
  const plan = planGraph(body, rawBody);
  checkAgainstLoadBalancer(plan, lb);
  await checkMemberSriov(trx, plan, lb);
  const now = nowTimestamp();
  const pools: PoolTree[] = [];
  for (const p of plan.pools) pools.push(await insertPool(trx, lb, p, now));
  const listeners: ListenerTree[] = [];
  for (const l of plan.listeners) listeners.push(await insertListener(trx, lb, l, now));
  const served = await poolListenerIds(trx, pools.map((p) => p.row.id));
  return {
    listeners: listeners.map(fullListenerView),
    pools: pools.map((p) => fullPoolView(p, served.get(p.row.id) ?? [])),
  };
}
