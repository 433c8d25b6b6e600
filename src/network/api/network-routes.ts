import type { FastifyInstance } from 'fastify';
import { newId, nowTimestamp } from '../../common/ids.js';
import { ipv4ToNumber, numberToIpv4, parseIpv4Cidr } from '../ipv4.js';
import { boolField, checkFields, intField, resourceBody, stringField } from './body.js';
import { owningProject, owns } from './caller.js';
import { callerOf, findOwned, findVisible, type NetworkApiContext } from './context.js';
import { badRequest, conflict, forbidden, invalidInput } from './neutron-error.js';
import { registerReadRoutes } from './read-routes.js';
import { loadNetworks, loadSubnets } from './views.js';

/** Networks and subnets: list, show, create, update, delete. */

const NETWORK_FIELDS = {
  name: 'string',
  description: 'string',
  admin_state_up: 'bool',
  shared: 'bool',
  'router:external': 'bool',
  port_security_enabled: 'bool',
  mtu: 'int',
  project_id: 'id',
  tenant_id: 'id',
} as const;

/** Every loopback address routes to `lo`: a subnet elsewhere could never hold a VIP this host answers on. */
const LOOPBACK = parseIpv4Cidr('127.0.0.0/8')!;

export async function networkRoutes(app: FastifyInstance, ctx: NetworkApiContext): Promise<void> {
  const db = ctx.db.kysely;
  const loadNet = (id?: string) => loadNetworks(db, id);
  const loadSub = (id?: string) => loadSubnets(db, id);
  registerReadRoutes(app, ctx, {
    kind: 'network',
    singular: 'network',
    collection: 'networks',
    path: 'networks',
    load: (_c, id) => loadNet(id),
  });
  registerReadRoutes(app, ctx, {
    kind: 'subnet',
    singular: 'subnet',
    collection: 'subnets',
    path: 'subnets',
    load: (_c, id) => loadSub(id),
  });

  app.post('/v2.0/networks', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'network'), NETWORK_FIELDS);
    const shared = boolField(body, 'shared', false);
    const external = boolField(body, 'router:external', false);
    if ((shared || external) && !caller.isAdmin) throw forbidden('create_network:shared');
    const mtu = intField(body, 'mtu') ?? 1500;
    if (mtu < 68 || mtu > 9000) throw badRequest(`Invalid input for mtu. Reason: ${mtu} is not in the range 68-9000.`);
    const id = newId();
    await db
      .insertInto('network')
      .values({
        id,
        project_id: owningProject(caller, body, 'create_network'),
        name: stringField(body, 'name') ?? '',
        description: stringField(body, 'description') ?? '',
        admin_state_up: boolField(body, 'admin_state_up', true),
        status: 'ACTIVE',
        shared,
        router_external: external,
        port_security_enabled: boolField(body, 'port_security_enabled', true),
        mtu,
        created_at: nowTimestamp(),
        updated_at: null,
      })
      .execute();
    reply.code(201);
    return { network: (await loadNet(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/networks/:id', async (req) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'network'), NETWORK_FIELDS);
    if (body.project_id !== undefined || body.tenant_id !== undefined)
      throw badRequest('Cannot update read-only attribute project_id');
    await findOwned(loadNet, 'network', caller, req.params.id, 'update_network');
    if ((body.shared !== undefined || body['router:external'] !== undefined) && !caller.isAdmin)
      throw forbidden('update_network:shared');
    const changes = {
      name: stringField(body, 'name'),
      description: stringField(body, 'description'),
      admin_state_up: boolField(body, 'admin_state_up'),
      shared: boolField(body, 'shared'),
      router_external: boolField(body, 'router:external'),
      port_security_enabled: boolField(body, 'port_security_enabled'),
      mtu: intField(body, 'mtu'),
    };
    await db
      .updateTable('network')
      .set({ ...defined(changes), updated_at: nowTimestamp(), revision_number: (eb) => eb('revision_number', '+', 1) })
      .where('id', '=', req.params.id)
      .execute();
    return { network: (await loadNet(req.params.id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/networks/:id', async (req, reply) => {
    const id = req.params.id;
    await findOwned(loadNet, 'network', callerOf(req), id, 'delete_network');
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const ports = await trx.selectFrom('port').select('id').where('network_id', '=', id).limit(1).execute();
      if (ports.length > 0)
        throw conflict(
          'NetworkInUse',
          `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
        );
      const inUse = await trx.selectFrom('router').select('id').where('gateway_network_id', '=', id).limit(1).execute();
      if (inUse.length > 0)
        throw conflict(
          'NetworkInUse',
          `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
        );
      await trx.deleteFrom('subnet').where('network_id', '=', id).execute();
      await trx.deleteFrom('network').where('id', '=', id).execute();
    });
    reply.code(204);
  });

  app.post('/v2.0/subnets', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'subnet'), {
      name: 'string',
      description: 'string',
      network_id: 'id',
      cidr: 'string',
      ip_version: 'int',
      gateway_ip: 'nullable-string',
      allocation_pools: 'list',
      enable_dhcp: 'bool',
      dns_nameservers: 'list',
      host_routes: 'list',
      project_id: 'id',
      tenant_id: 'id',
    });
    const networkId = stringField(body, 'network_id');
    if (!networkId) throw badRequest("Failed to parse request. Required attribute 'network_id' not specified");
    const network = await findVisible(loadNet, 'network', caller, networkId);
    if (!owns(caller, network)) throw forbidden('create_subnet');
    const ipVersion = intField(body, 'ip_version') ?? 4;
    if (ipVersion !== 4)
      throw badRequest(
        'Invalid input for ip_version. Reason: only IPv4 subnets are supported by this network service.',
      );
    const cidrText = stringField(body, 'cidr');
    if (!cidrText) throw badRequest("Failed to parse request. Required attribute 'cidr' not specified");
    const cidr = parseIpv4Cidr(cidrText);
    if (!cidr) throw badRequest(`Invalid input for cidr. Reason: '${cidrText}' is not a valid IP subnet.`);
    if (cidr.network < LOOPBACK.network || cidr.broadcast > LOOPBACK.broadcast)
      throw invalidInput(
        `Subnet ${cidrText} is outside 127.0.0.0/8; this single-host network service keeps every address on the loopback device.`,
      );
    if (cidr.prefix > 30) throw invalidInput(`Subnet ${cidrText} is too small (the largest prefix is /30).`);
    const normalized = `${numberToIpv4(cidr.network)}/${cidr.prefix}`;
    const inside = (n: number | null): n is number => n !== null && n > cidr.network && n < cidr.broadcast;
    let gateway: string | null = numberToIpv4(cidr.network + 1);
    if (body.gateway_ip !== undefined) {
      gateway = body.gateway_ip as string | null;
      if (gateway !== null && !inside(ipv4ToNumber(gateway)))
        throw badRequest(
          `Invalid input for gateway_ip. Reason: '${gateway}' is not a valid IP address in ${normalized}.`,
        );
    }
    const pools = body.allocation_pools
      ? (body.allocation_pools as unknown[]).map((p) => readPool(p, inside))
      : defaultPool(cidr.network, cidr.broadcast, gateway);
    const gatewayNumber = gateway === null ? null : ipv4ToNumber(gateway);
    if (gatewayNumber !== null)
      for (const p of pools)
        if (gatewayNumber >= ipv4ToNumber(p.start)! && gatewayNumber <= ipv4ToNumber(p.end)!)
          throw conflict(
            'GatewayConflictWithAllocationPools',
            `Gateway ip ${gateway} conflicts with allocation pool ${p.start}-${p.end}.`,
          );
    if ((body.dns_nameservers as unknown[] | undefined)?.length || (body.host_routes as unknown[] | undefined)?.length)
      throw badRequest('dns_nameservers and host_routes are not supported by this network service.');
    const id = newId();
    await ctx.db.kysely.transaction().execute(async (trx) => {
      // Addresses are global on loopback: a subnet may not overlap any other, in any network.
      const others = await trx.selectFrom('subnet').select(['cidr', 'network_id']).execute();
      for (const other of others) {
        const o = parseIpv4Cidr(other.cidr);
        if (o && o.network <= cidr.broadcast && cidr.network <= o.broadcast)
          throw invalidInput(
            `Requested subnet with cidr: ${normalized} for network: ${networkId} overlaps with another subnet.`,
          );
      }
      await trx
        .insertInto('subnet')
        .values({
          id,
          network_id: networkId,
          project_id: owningProject(caller, body, 'create_subnet'),
          name: stringField(body, 'name') ?? '',
          description: stringField(body, 'description') ?? '',
          cidr: normalized,
          ip_version: 4,
          gateway_ip: gateway,
          allocation_pools: JSON.stringify(pools),
          enable_dhcp: boolField(body, 'enable_dhcp', true),
          created_at: nowTimestamp(),
          updated_at: null,
        })
        .execute();
    });
    reply.code(201);
    return { subnet: (await loadSub(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req) => {
    const body = checkFields(resourceBody(req.body, 'subnet'), {
      name: 'string',
      description: 'string',
      enable_dhcp: 'bool',
    });
    await findOwned(loadSub, 'subnet', callerOf(req), req.params.id, 'update_subnet');
    const changes = {
      name: stringField(body, 'name'),
      description: stringField(body, 'description'),
      enable_dhcp: boolField(body, 'enable_dhcp'),
    };
    await db
      .updateTable('subnet')
      .set({ ...defined(changes), updated_at: nowTimestamp(), revision_number: (eb) => eb('revision_number', '+', 1) })
      .where('id', '=', req.params.id)
      .execute();
    return { subnet: (await loadSub(req.params.id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req, reply) => {
    const id = req.params.id;
    await findOwned(loadSub, 'subnet', callerOf(req), id, 'delete_subnet');
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const held = await trx
        .selectFrom('port_fixed_ip')
        .innerJoin('port', 'port.id', 'port_fixed_ip.port_id')
        .select('port.id')
        .where('port_fixed_ip.subnet_id', '=', id)
        .limit(1)
        .execute();
      if (held.length > 0)
        throw conflict(
          'SubnetInUse',
          `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
        );
      await trx.deleteFrom('subnet').where('id', '=', id).execute();
    });
    reply.code(204);
  });
}

/** The attributes that were given (an update changes only those). */
export function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function readPool(value: unknown, inside: (n: number | null) => boolean): { start: string; end: string } {
  const pool = value as { start?: unknown; end?: unknown } | null;
  const start = typeof pool?.start === 'string' ? pool.start : '';
  const end = typeof pool?.end === 'string' ? pool.end : '';
  const s = ipv4ToNumber(start);
  const e = ipv4ToNumber(end);
  if (!inside(s) || !inside(e) || s! > e!)
    throw badRequest(`The allocation pool ${start}-${end} spans beyond the subnet cidr or is not valid.`);
  return { start, end };
}

/** Every host address but the gateway, as Neutron's default pool (split around the gateway). */
function defaultPool(
  network: number,
  broadcast: number,
  gateway: string | null,
): Array<{ start: string; end: string }> {
  const first = network + 1;
  const last = broadcast - 1;
  const g = gateway === null ? null : ipv4ToNumber(gateway);
  if (g === null || g < first || g > last) return [{ start: numberToIpv4(first), end: numberToIpv4(last) }];
  const pools = [];
  if (g > first) pools.push({ start: numberToIpv4(first), end: numberToIpv4(g - 1) });
  if (g < last) pools.push({ start: numberToIpv4(g + 1), end: numberToIpv4(last) });
  return pools;
}
