import type { Kysely } from 'kysely';
import { newId, nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import type { Tx } from '../db/provisioning.js';
import type { Database } from '../db/schema.js';
import type { SecurityGroupRuleRow } from '../db/schema-neutron.js';

/**
 * Security groups as records: a project's `default` group (made on first need, as Neutron does) and the
 * group Octavia puts on a load balancer's VIP port, `lb-<id>`, whose ingress rules open the listener ports.
 * Nothing enforces them on loopback: every address is local and reachable whatever the rules say.
 */

export type NewRule = Pick<
  SecurityGroupRuleRow,
  'direction' | 'ethertype' | 'protocol' | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix' | 'remote_group_id'
> & { description?: string };

/** Insert a group with its rules in the caller's transaction; returns its id. */
export async function insertSecurityGroup(
  trx: Tx,
  group: { id?: string; projectId: string | null; name: string; description: string; stateful?: boolean },
  rules: NewRule[],
): Promise<string> {
  const id = group.id ?? newId();
  const now = nowTimestamp();
  await trx
    .insertInto('security_group')
    .values({
      id,
      project_id: group.projectId,
      name: group.name,
      description: group.description,
      stateful: group.stateful ?? true,
      revision_number: 0,
      created_at: now,
      updated_at: null,
    })
    .execute();
  for (const rule of rules) await insertRule(trx, id, group.projectId, rule);
  return id;
}

export async function insertRule(trx: Tx, groupId: string, projectId: string | null, rule: NewRule): Promise<string> {
  const id = newId();
  await trx
    .insertInto('security_group_rule')
    .values({
      id,
      security_group_id: groupId,
      project_id: projectId,
      direction: rule.direction,
      ethertype: rule.ethertype,
      protocol: rule.protocol,
      port_range_min: rule.port_range_min,
      port_range_max: rule.port_range_max,
      remote_ip_prefix: rule.remote_ip_prefix,
      remote_group_id: rule.remote_group_id,
      description: rule.description ?? '',
      revision_number: 0,
      created_at: nowTimestamp(),
      updated_at: null,
    })
    .execute();
  return id;
}

const open = { protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null };

/**
 * The id of the project's `default` group, created when missing with Neutron's rules: all egress, and
 * ingress from members of the group itself. The `default_security_group` row is claimed first, so two
 * requests racing make one group (the loser's insert does nothing and it reads the winner's).
 */
export async function ensureDefaultSecurityGroup(db: Db, projectId: string): Promise<string> {
  const existing = await defaultGroupOf(db.kysely, projectId);
  if (existing) return existing;
  return db.kysely.transaction().execute(async (trx) => {
    const id = newId();
    const claimed = await trx
      .insertInto('default_security_group')
      .values({ project_id: projectId, security_group_id: id })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .returning('security_group_id')
      .execute();
    if (claimed.length === 0) return (await defaultGroupOf(trx, projectId))!;
    const rules: NewRule[] = [];
    for (const ethertype of ['IPv4', 'IPv6']) {
      rules.push({ direction: 'egress', ethertype, ...open, remote_group_id: null });
      rules.push({ direction: 'ingress', ethertype, ...open, remote_group_id: id });
    }
    return insertSecurityGroup(trx, { id, projectId, name: 'default', description: 'Default security group' }, rules);
  });
}

async function defaultGroupOf(db: Kysely<Database>, projectId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('default_security_group')
    .select('security_group_id')
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.security_group_id;
}

/** Octavia's name for the group on a load balancer's VIP port. */
export const vipSecurityGroupName = (loadBalancerId: string) => `lb-${loadBalancerId}`;

/** The rule protocol of a listener protocol (Octavia: UDP and SCTP listeners open their own protocol). */
function ruleProtocol(listenerProtocol: string): string {
  if (listenerProtocol === 'UDP') return 'udp';
  if (listenerProtocol === 'SCTP') return 'sctp';
  return 'tcp';
}

/** The ingress rules a load balancer's listeners need: one per port, protocol and allowed CIDR. */
export function listenerRules(
  listeners: Array<{ protocol: string; protocol_port: number; allowed_cidrs: string | null }>,
): NewRule[] {
  const seen = new Set<string>();
  const rules: NewRule[] = [];
  for (const l of listeners) {
    const protocol = ruleProtocol(l.protocol);
    const cidrs = parseCidrs(l.allowed_cidrs);
    for (const cidr of cidrs.length > 0 ? cidrs : ['0.0.0.0/0']) {
      const key = `${protocol}/${l.protocol_port}/${cidr}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push({
        direction: 'ingress',
        ethertype: cidr.includes(':') ? 'IPv6' : 'IPv4',
        protocol,
        port_range_min: l.protocol_port,
        port_range_max: l.protocol_port,
        remote_ip_prefix: cidr,
        remote_group_id: null,
      });
    }
  }
  return rules;
}

function parseCidrs(text: string | null): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

const ruleKey = (r: NewRule) =>
  [r.direction, r.ethertype, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix].join('|');

/**
 * Make the VIP port's `lb-<id>` group hold exactly the rules of the load balancer's listeners (those not
 * on their way out), creating the group and binding it to the port when needed, as Octavia's network
 * driver does on every listener change. Rules are added and removed one by one, so unchanged ones keep
 * their ids. Does nothing when the load balancer or its VIP port is gone.
 */
export async function syncVipSecurityGroup(db: Db, loadBalancerId: string): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    const lb = await trx
      .selectFrom('load_balancer')
      .select(['id', 'project_id', 'vip_port_id'])
      .where('id', '=', loadBalancerId)
      .executeTakeFirst();
    if (!lb?.vip_port_id) return;
    const port = await trx.selectFrom('port').select('id').where('id', '=', lb.vip_port_id).executeTakeFirst();
    if (!port) return;
    const listeners = await trx
      .selectFrom('listener')
      .select(['protocol', 'protocol_port', 'allowed_cidrs'])
      .where('load_balancer_id', '=', loadBalancerId)
      .where('provisioning_status', '!=', 'PENDING_DELETE')
      .execute();
    const wanted = listenerRules(listeners);
    const name = vipSecurityGroupName(loadBalancerId);
    let group = await trx.selectFrom('security_group').select('id').where('name', '=', name).executeTakeFirst();
    if (!group) {
      const id = await insertSecurityGroup(trx, { projectId: lb.project_id, name, description: '' }, []);
      group = { id };
    }
    const present = await trx
      .selectFrom('security_group_rule')
      .selectAll()
      .where('security_group_id', '=', group.id)
      .execute();
    const wantedKeys = new Set(wanted.map(ruleKey));
    const presentKeys = new Set(present.map(ruleKey));
    const stale = present.filter((r) => !wantedKeys.has(ruleKey(r))).map((r) => r.id);
    if (stale.length > 0) await trx.deleteFrom('security_group_rule').where('id', 'in', stale).execute();
    for (const rule of wanted)
      if (!presentKeys.has(ruleKey(rule))) await insertRule(trx, group.id, lb.project_id, rule);
    // Octavia replaces the VIP port's groups with its own.
    await trx.deleteFrom('port_security_group').where('port_id', '=', port.id).execute();
    await trx.insertInto('port_security_group').values({ port_id: port.id, security_group_id: group.id }).execute();
  });
}

/** Remove the `lb-<id>` group (and its bindings): the load balancer's VIP is released. */
export async function deleteVipSecurityGroup(db: Db, loadBalancerId: string): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    const groups = await trx
      .selectFrom('security_group')
      .select('id')
      .where('name', '=', vipSecurityGroupName(loadBalancerId))
      .execute();
    const ids = groups.map((g) => g.id);
    if (ids.length === 0) return;
    await trx.deleteFrom('port_security_group').where('security_group_id', 'in', ids).execute();
    await trx.deleteFrom('security_group_rule').where('security_group_id', 'in', ids).execute();
    await trx.deleteFrom('security_group').where('id', 'in', ids).execute();
  });
}
