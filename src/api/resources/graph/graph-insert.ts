import { validationFailure } from '../../../common/errors.js';
import { nowTimestamp } from '../../../common/ids.js';
import type { ChangeTarget } from '../../../controller/worker/flows/apply-changes.js';
import { memberSriovAllowed } from '../members/member-pool.js';
import type { Tx } from '../../../db/provisioning.js';
import { toBool, type L7PolicyRow, type L7RuleRow, type LoadBalancerRow } from '../../../db/schema.js';
import type { GraphPlan, ListenerPlan, PoolPlan } from './graph-plan.js';
import type { ListenerTree, PoolTree, Tagged } from './graph-views.js';
import { newHealthMonitorRow } from '../health-monitors/health-monitor-model.js';
import { newRuleRow, provisionedOperatingStatus } from '../l7/l7rule-model.js';
import { newListenerRow } from '../listeners/listener-fields.js';
import { checkAllowedCidrs } from '../listeners/listener-rules.js';
import { hasVipSecurityGroups, vipsOf } from '../load-balancers/load-balancer-vips.js';
import { newMemberRow } from '../members/member-model.js';
import { newPoolRow } from '../pools/pool-fields.js';
import { writeTags } from '../tags.js';

/**
 * Writing a planned graph (graph-plan.ts) below a load balancer: every object a PENDING_CREATE row of
 * the load balancer's project, in the caller's transaction. One code path for the graph of POST
 * loadbalancers and the smaller ones of POST listeners and POST pools.
 */

/** What a graph created, with the tags each object was given. */
export interface GraphTree {
  pools: PoolTree[];
  listeners: ListenerTree[];
}

const uniqueTags = (tags: unknown) => [...new Set((tags as string[] | null | undefined) ?? [])];

/**
 * The rules that depend on the load balancer itself: listeners' allowed CIDRs against its VIPs and
 * security groups, and members' SR-IOV ports against its flavor (`allow_member_sriov`).
 */
export async function checkPlanAgainstLoadBalancer(trx: Tx, plan: GraphPlan, lb: LoadBalancerRow): Promise<void> {
  for (const l of plan.listeners) checkAllowedCidrs(l.fields.allowed_cidrs, vipsOf(lb), hasVipSecurityGroups(lb));
  if (!plan.pools.some((p) => p.members.some((m) => m.request_sriov === true))) return;
  if (!(await memberSriovAllowed(trx, lb.id)))
    throw validationFailure('The load balancer flavor does not allow SR-IOV member ports.');
}

type Owner = Pick<LoadBalancerRow, 'id' | 'project_id'>;

async function insertPool(trx: Tx, lb: Owner, plan: PoolPlan, now: string): Promise<PoolTree> {
  const row = newPoolRow(plan.fields, plan.sessionPersistence, {
    id: plan.id,
    loadBalancerId: lb.id,
    projectId: lb.project_id,
    now,
  });
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

async function insertListener(trx: Tx, lb: Owner, plan: ListenerPlan, now: string): Promise<ListenerTree> {
  const fields = { ...plan.fields, default_pool_id: plan.defaultPool?.id ?? plan.fields.default_pool_id ?? null };
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
 * Insert a planned graph below `lb`. Pools go first, so listeners and L7 policies can point at them.
 * Checks nothing: the caller has planned the graph and run `checkPlanAgainstLoadBalancer`.
 */
export async function insertGraph(trx: Tx, lb: Owner, plan: GraphPlan): Promise<GraphTree> {
  const now = nowTimestamp();
  const pools: PoolTree[] = [];
  for (const p of plan.pools) pools.push(await insertPool(trx, lb, p, now));
  const listeners: ListenerTree[] = [];
  for (const l of plan.listeners) listeners.push(await insertListener(trx, lb, l, now));
  return { pools, listeners };
}

/**
 * The `apply-changes` targets that settle a created graph: every object ACTIVE, health monitors, L7
 * policies and rules ONLINE (OFFLINE when disabled), as their own creates leave them.
 */
export function graphTargets(tree: GraphTree): ChangeTarget[] {
  const create = (table: ChangeTarget['table'], id: string): ChangeTarget => ({ table, id, action: 'create' });
  const online = (
    table: ChangeTarget['table'],
    row: { id: string; admin_state_up: boolean | number },
  ): ChangeTarget => ({
    ...create(table, row.id),
    operatingStatus: provisionedOperatingStatus(toBool(row.admin_state_up)),
  });
  return [
    ...tree.pools.flatMap((p) => [
      create('pool', p.row.id),
      ...(p.healthMonitor ? [online('health_monitor', p.healthMonitor.row)] : []),
      ...p.members.map((m) => create('member', m.row.id)),
    ]),
    ...tree.listeners.flatMap((l) => [
      create('listener', l.row.id),
      ...l.policies.flatMap((p) => [online('l7policy', p.row), ...p.rules.map((r) => online('l7rule', r.row))]),
    ]),
  ];
}
