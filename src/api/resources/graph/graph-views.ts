import type { HealthMonitorRow, L7PolicyRow, L7RuleRow, ListenerRow, MemberRow, PoolRow } from '../../../db/schema.js';
import { serializeHealthMonitor } from '../health-monitors/health-monitor-model.js';
import { serializeL7Policy } from '../l7/l7policies.js';
import { serializeL7Rule } from '../l7/l7rule-model.js';
import { serializeListener } from '../listeners/listener-view.js';
import { serializeMember } from '../members/member-model.js';
import { serializePool } from '../pools/pool-view.js';

/**
 * The "full" objects a graph create answers with (Octavia's *FullResponse types, 94_lb_create_full_tree):
 * children embedded whole instead of as `[{id}]`, placed first, and the back references to the parent
 * (`loadbalancers`, `pools`, `healthmonitor_id`) left out.
 */

type View = Record<string, unknown>;

function without(view: View, ...keys: string[]): View {
  return Object.fromEntries(Object.entries(view).filter(([key]) => !keys.includes(key)));
}

/** A created object with the tags it was given. */
export interface Tagged<R> {
  row: R;
  tags: string[];
}

export interface PoolTree extends Tagged<PoolRow> {
  healthMonitor: Tagged<HealthMonitorRow> | null;
  members: Array<Tagged<MemberRow>>;
}

export interface PolicyTree extends Tagged<L7PolicyRow> {
  rules: Array<Tagged<L7RuleRow>>;
}

export interface ListenerTree extends Tagged<ListenerRow> {
  /** In position order. */
  policies: PolicyTree[];
}

/**
 * A pool with its members and health monitor (or null) in full; `listeners` are the ones it serves.
 * A pool created on its own (POST pools) keeps its `loadbalancers`, as no parent object encloses it.
 */
export function fullPoolView(pool: PoolTree, listeners: string[], standalone = false): View {
  const hm = pool.healthMonitor;
  return {
    members: pool.members.map((m) => serializeMember(m.row, m.tags)),
    healthmonitor: hm ? without(serializeHealthMonitor(hm.row, hm.tags), 'pools') : null,
    ...without(
      serializePool(pool.row, { listeners, healthMonitorId: undefined, members: [], tags: pool.tags }),
      ...(standalone ? [] : ['loadbalancers']),
      'members',
    ),
  };
}

/** A listener with its L7 policies, and their rules, in full. */
export function fullListenerView(listener: ListenerTree): View {
  return {
    l7policies: listener.policies.map((p) => ({
      rules: p.rules.map((r) => serializeL7Rule(r.row, r.tags)),
      ...without(serializeL7Policy(p.row, [], p.tags), 'rules'),
    })),
    ...without(serializeListener(listener.row, [], listener.tags), 'l7policies', 'loadbalancers'),
  };
}
