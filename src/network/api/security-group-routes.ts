import type { FastifyInstance } from 'fastify';
import { nowTimestamp } from '../../common/ids.js';
import { parseIpv4Cidr } from '../ipv4.js';
import { ensureDefaultSecurityGroup, insertRule, insertSecurityGroup } from '../security-groups.js';
import { boolField, checkFields, intField, resourceBody, stringField } from './body.js';
import { owningProject } from './caller.js';
import { callerOf, findOwned, findVisible, type NetworkApiContext } from './context.js';
import { defined } from './network-routes.js';
import { badRequest, conflict, NeutronError } from './neutron-error.js';
import { registerReadRoutes } from './read-routes.js';
import { loadRules, loadSecurityGroups } from './views.js';

/** Security groups and their rules (records: nothing enforces them on loopback). */

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'sctp', 'icmpv6', 'any']);

export async function securityGroupRoutes(app: FastifyInstance, ctx: NetworkApiContext): Promise<void> {
  const db = ctx.db.kysely;
  const loadGroups = (id?: string) => loadSecurityGroups(db, id);
  const loadRule = (id?: string) => loadRules(db, id);
  // As Neutron: listing makes the caller's project its `default` group if it has none yet.
  const beforeList = async (_c: NetworkApiContext, caller: { projectId: string | undefined }) => {
    if (caller.projectId) await ensureDefaultSecurityGroup(ctx.db, caller.projectId);
  };
  registerReadRoutes(app, ctx, {
    kind: 'security_group',
    singular: 'security_group',
    collection: 'security_groups',
    path: 'security-groups',
    load: (_c, id) => loadGroups(id),
    beforeList,
  });
  registerReadRoutes(app, ctx, {
    kind: 'security_group_rule',
    singular: 'security_group_rule',
    collection: 'security_group_rules',
    path: 'security-group-rules',
    load: (_c, id) => loadRule(id),
    beforeList,
  });

  app.post('/v2.0/security-groups', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'security_group'), {
      name: 'string',
      description: 'string',
      stateful: 'bool',
      project_id: 'id',
      tenant_id: 'id',
    });
    const projectId = owningProject(caller, body, 'create_security_group');
    const name = stringField(body, 'name') ?? '';
    if (name === 'default') {
      // Neutron allows one `default` per project, the one it makes itself.
      await ensureDefaultSecurityGroup(ctx.db, projectId);
      throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    }
    await ensureDefaultSecurityGroup(ctx.db, projectId);
    const id = await ctx.db.kysely.transaction().execute((trx) =>
      insertSecurityGroup(
        trx,
        {
          projectId,
          name,
          description: stringField(body, 'description') ?? '',
          stateful: boolField(body, 'stateful', true),
        },
        ['IPv4', 'IPv6'].map((ethertype) => ({
          direction: 'egress',
          ethertype,
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          remote_group_id: null,
        })),
      ),
    );
    reply.code(201);
    return { security_group: (await loadGroups(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/security-groups/:id', async (req) => {
    const body = checkFields(resourceBody(req.body, 'security_group'), { name: 'string', description: 'string' });
    const group = await findOwned(loadGroups, 'security_group', callerOf(req), req.params.id, 'update_security_group');
    if (group.view.name === 'default' && body.name !== undefined && body.name !== 'default')
      throw conflict('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    await db
      .updateTable('security_group')
      .set({
        ...defined({ name: stringField(body, 'name'), description: stringField(body, 'description') }),
        updated_at: nowTimestamp(),
        revision_number: (eb) => eb('revision_number', '+', 1),
      })
      .where('id', '=', req.params.id)
      .execute();
    return { security_group: (await loadGroups(req.params.id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/security-groups/:id', async (req, reply) => {
    const id = req.params.id;
    const caller = callerOf(req);
    await findOwned(loadGroups, 'security_group', caller, id, 'delete_security_group');
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const isDefault = await trx
        .selectFrom('default_security_group')
        .select('project_id')
        .where('security_group_id', '=', id)
        .executeTakeFirst();
      if (isDefault && !caller.isAdmin)
        throw conflict('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
      const used = await trx
        .selectFrom('port_security_group')
        .select('port_id')
        .where('security_group_id', '=', id)
        .limit(1)
        .execute();
      if (used.length > 0) throw conflict('SecurityGroupInUse', `Security Group ${id} in use.`);
      await trx.deleteFrom('default_security_group').where('security_group_id', '=', id).execute();
      await trx.deleteFrom('security_group_rule').where('security_group_id', '=', id).execute();
      await trx.deleteFrom('security_group').where('id', '=', id).execute();
    });
    reply.code(204);
  });

  app.post('/v2.0/security-group-rules', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'security_group_rule'), {
      security_group_id: 'id',
      direction: 'string',
      ethertype: 'string',
      protocol: 'nullable-string',
      port_range_min: 'any',
      port_range_max: 'any',
      remote_ip_prefix: 'nullable-string',
      remote_group_id: 'nullable-id',
      description: 'string',
      project_id: 'id',
      tenant_id: 'id',
    });
    const groupId = stringField(body, 'security_group_id');
    if (!groupId) throw badRequest("Failed to parse request. Required attribute 'security_group_id' not specified");
    const group = await findOwned(loadGroups, 'security_group', caller, groupId, 'create_security_group_rule');
    const direction = stringField(body, 'direction');
    if (direction !== 'ingress' && direction !== 'egress')
      throw badRequest(
        `Invalid input for direction. Reason: ${JSON.stringify(direction ?? null)} is not in [ingress, egress].`,
      );
    const ethertype = stringField(body, 'ethertype') ?? 'IPv4';
    if (ethertype !== 'IPv4' && ethertype !== 'IPv6')
      throw badRequest(`Invalid input for ethertype. Reason: '${ethertype}' is not in ['IPv4', 'IPv6'].`);
    let protocol = (body.protocol as string | null | undefined) ?? null;
    if (protocol !== null) {
      protocol = protocol.toLowerCase();
      if (!PROTOCOLS.has(protocol) && !(/^\d{1,3}$/.test(protocol) && Number(protocol) <= 255))
        throw new NeutronError(
          400,
          'SecurityGroupRuleInvalidProtocol',
          `Security group rule protocol ${protocol} not supported.`,
        );
      if (protocol === 'any') protocol = null;
    }
    const min = body.port_range_min === null ? undefined : intField(body, 'port_range_min');
    const max = body.port_range_max === null ? undefined : intField(body, 'port_range_max');
    for (const [name, v] of [
      ['port_range_min', min],
      ['port_range_max', max],
    ] as const)
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535))
        throw badRequest(`Invalid input for ${name}. Reason: ${String(body[name])} is not a valid port number.`);
    if (
      (min !== undefined || max !== undefined) &&
      protocol !== 'tcp' &&
      protocol !== 'udp' &&
      protocol !== 'sctp' &&
      protocol !== 'icmp'
    )
      throw new NeutronError(
        400,
        'SecurityGroupProtocolRequiredWithPorts',
        'Must also specify protocol if port range is given.',
      );
    if (min !== undefined && max !== undefined && min > max && protocol !== 'icmp')
      throw new NeutronError(
        400,
        'SecurityGroupInvalidPortRange',
        'For TCP/UDP protocols, port_range_min must be <= port_range_max',
      );
    const prefix = (body.remote_ip_prefix as string | null | undefined) ?? null;
    if (prefix !== null && ethertype === 'IPv4' && !parseIpv4Cidr(prefix.includes('/') ? prefix : `${prefix}/32`))
      throw badRequest(`Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`);
    const remoteGroup = (body.remote_group_id as string | null | undefined) ?? null;
    if (remoteGroup !== null && prefix !== null)
      throw new NeutronError(
        400,
        'SecurityGroupRemoteGroupAndRemoteIpPrefix',
        'Only remote_ip_prefix or remote_group_id may be provided.',
      );
    if (remoteGroup !== null) await findVisible(loadGroups, 'security_group', caller, remoteGroup);
    const rule = {
      direction,
      ethertype,
      protocol,
      port_range_min: min ?? (max !== undefined ? max : null),
      port_range_max: max ?? (min !== undefined ? min : null),
      remote_ip_prefix: prefix,
      remote_group_id: remoteGroup,
      description: stringField(body, 'description') ?? '',
    };
    const existing = (group.view.security_group_rules as Array<Record<string, unknown>>).find((r) =>
      (
        [
          'direction',
          'ethertype',
          'protocol',
          'port_range_min',
          'port_range_max',
          'remote_ip_prefix',
          'remote_group_id',
        ] as const
      ).every((k) => r[k] === rule[k]),
    );
    if (existing)
      throw conflict(
        'SecurityGroupRuleExists',
        `Security group rule already exists. Rule id is ${String(existing.id)}.`,
      );
    const id = await ctx.db.kysely.transaction().execute((trx) => insertRule(trx, groupId, group.projectId, rule));
    reply.code(201);
    return { security_group_rule: (await loadRule(id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/security-group-rules/:id', async (req, reply) => {
    await findOwned(loadRule, 'security_group_rule', callerOf(req), req.params.id, 'delete_security_group_rule');
    await db.deleteFrom('security_group_rule').where('id', '=', req.params.id).execute();
    reply.code(204);
  });
}
