import type { FastifyInstance } from 'fastify';
import { newId, nowTimestamp } from '../../common/ids.js';
import type { Tx } from '../../db/provisioning.js';
import { ipv4ToNumber } from '../ipv4.js';
import { deletePortIn, insertPortWithAddress, SubnetExhausted } from '../ports.js';
import { ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER } from '../routers.js';
import { ensureDefaultSecurityGroup } from '../security-groups.js';
import { subnetHolds, subnetsOfNetwork } from '../subnets.js';
import { boolField, checkFields, resourceBody, stringField } from './body.js';
import { owningProject, owns, type Caller } from './caller.js';
import { callerOf, findOwned, findVisible, type NetworkApiContext } from './context.js';
import { defined } from './network-routes.js';
import { badRequest, conflict, NeutronError, notFound } from './neutron-error.js';
import { registerReadRoutes } from './read-routes.js';
import { loadNetworks, loadPorts, loadSecurityGroups } from './views.js';

/** Ports: list, show, create (one fixed IP), update (name, groups, port security, device), delete. */

const PORT_FIELDS = {
  name: 'string',
  description: 'string',
  admin_state_up: 'bool',
  device_id: 'string',
  device_owner: 'string',
  security_groups: 'list',
  port_security_enabled: 'bool',
  project_id: 'id',
  tenant_id: 'id',
} as const;

const portSecurityNeeded = () =>
  new NeutronError(
    400,
    'PortSecurityAndIPRequiredForSecurityGroups',
    'Port security must be enabled and port must have an IP address in order to use security groups.',
  );

export async function portRoutes(app: FastifyInstance, ctx: NetworkApiContext): Promise<void> {
  const db = ctx.db.kysely;
  const load = (id?: string) => loadPorts(db, id);
  registerReadRoutes(app, ctx, {
    kind: 'port',
    singular: 'port',
    collection: 'ports',
    path: 'ports',
    load: (_c, id) => load(id),
  });

  /** The ids of the groups named, each visible to the caller, else the group's 404. */
  const visibleGroups = async (caller: Caller, ids: unknown[]): Promise<string[]> => {
    const out: string[] = [];
    for (const id of ids) {
      if (typeof id !== 'string')
        throw badRequest(`Invalid input for security_groups. Reason: ${JSON.stringify(id)} is not a valid UUID.`);
      await findVisible((i) => loadSecurityGroups(db, i), 'security_group', caller, id);
      if (!out.includes(id)) out.push(id);
    }
    return out;
  };

  app.post('/v2.0/ports', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'port'), {
      ...PORT_FIELDS,
      network_id: 'id',
      fixed_ips: 'list',
    });
    const networkId = stringField(body, 'network_id');
    if (!networkId) throw badRequest("Failed to parse request. Required attribute 'network_id' not specified");
    const network = await findVisible((i) => loadNetworks(db, i), 'network', caller, networkId);
    const projectId = owningProject(caller, body, 'create_port');
    if (!owns(caller, network) && !network.view.shared) throw notFound.network(networkId);
    const portSecurity = boolField(body, 'port_security_enabled', network.view.port_security_enabled === true);
    let groups: string[] = [];
    if (body.security_groups !== undefined) groups = await visibleGroups(caller, body.security_groups as unknown[]);
    else if (portSecurity) groups = [await ensureDefaultSecurityGroup(ctx.db, projectId)];
    if (!portSecurity && groups.length > 0) throw portSecurityNeeded();

    const requested = (body.fixed_ips as unknown[] | undefined) ?? [];
    if (requested.length > 1) throw badRequest('Only one fixed IP per port is supported by this network service.');
    const wanted = (requested[0] ?? {}) as { subnet_id?: unknown; ip_address?: unknown };
    const subnets = await subnetsOfNetwork(db, networkId);
    let subnet = subnets.find((s) => s.cidr !== null);
    if (wanted.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === wanted.subnet_id);
      if (!subnet) throw notFound.subnet(String(wanted.subnet_id));
    } else if (wanted.ip_address !== undefined) {
      const n = ipv4ToNumber(String(wanted.ip_address));
      subnet = subnets.find((s) => subnetHolds(s, n));
      if (!subnet)
        throw badRequest(
          `Invalid input for operation: IP address ${String(wanted.ip_address)} is not a valid IP for any subnet on network ${networkId}.`,
        );
    }
    let address: number | undefined;
    if (wanted.ip_address !== undefined) {
      const n = ipv4ToNumber(String(wanted.ip_address));
      if (!subnet || !subnetHolds(subnet, n))
        throw badRequest(
          `Invalid input for operation: IP address ${String(wanted.ip_address)} is not a valid IP for the specified subnet.`,
        );
      address = n;
    }
    const id = newId();
    const owner = {
      projectId,
      name: stringField(body, 'name') ?? '',
      deviceOwner: stringField(body, 'device_owner') ?? '',
      deviceId: stringField(body, 'device_id') ?? '',
    };
    const options = {
      id,
      description: stringField(body, 'description') ?? '',
      portSecurityEnabled: portSecurity,
      adminStateUp: boolField(body, 'admin_state_up', true),
    };
    await ctx.db.kysely.transaction().execute(async (trx) => {
      if (subnet) {
        try {
          await insertPortWithAddress(trx, subnet, owner, address, options);
        } catch (err) {
          if (err instanceof SubnetExhausted)
            throw conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
          throw err;
        }
      } else {
        await insertBarePort(trx, networkId, owner, options);
      }
      for (const group of groups)
        await trx.insertInto('port_security_group').values({ port_id: id, security_group_id: group }).execute();
    });
    reply.code(201);
    return { port: (await load(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/ports/:id', async (req) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'port'), PORT_FIELDS);
    if (body.project_id !== undefined || body.tenant_id !== undefined)
      throw badRequest('Cannot update read-only attribute project_id');
    const port = await findOwned(load, 'port', caller, req.params.id, 'update_port');
    const groups =
      body.security_groups === undefined ? undefined : await visibleGroups(caller, body.security_groups as unknown[]);
    const portSecurity = boolField(body, 'port_security_enabled') ?? port.view.port_security_enabled === true;
    const finalGroups = groups ?? (port.view.security_groups as string[]);
    if (!portSecurity && finalGroups.length > 0) throw portSecurityNeeded();
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const changes = {
        name: stringField(body, 'name'),
        description: stringField(body, 'description'),
        admin_state_up: boolField(body, 'admin_state_up'),
        device_id: stringField(body, 'device_id'),
        device_owner: stringField(body, 'device_owner'),
        port_security_enabled: boolField(body, 'port_security_enabled'),
      };
      await trx
        .updateTable('port')
        .set({
          ...defined(changes),
          updated_at: nowTimestamp(),
          revision_number: (eb) => eb('revision_number', '+', 1),
        })
        .where('id', '=', req.params.id)
        .execute();
      if (groups) {
        await trx.deleteFrom('port_security_group').where('port_id', '=', req.params.id).execute();
        for (const group of groups)
          await trx
            .insertInto('port_security_group')
            .values({ port_id: req.params.id, security_group_id: group })
            .execute();
      }
    });
    return { port: (await load(req.params.id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/ports/:id', async (req, reply) => {
    const id = req.params.id;
    const port = await findOwned(load, 'port', callerOf(req), id, 'delete_port');
    const owner = String(port.view.device_owner);
    if (owner === ROUTER_INTERFACE_OWNER || owner === ROUTER_GATEWAY_OWNER || owner === 'network:floatingip')
      throw conflict(
        'ServicePortInUse',
        `Port ${id} cannot be deleted directly via the port API: has device owner ${owner}.`,
      );
    const deviceId = String(port.view.device_id);
    if (deviceId.startsWith('lb-')) {
      const lb = await db
        .selectFrom('load_balancer')
        .select('id')
        .where('id', '=', deviceId.slice(3))
        .executeTakeFirst();
      if (lb)
        throw conflict(
          'PortInUse',
          `Port ${id} is the VIP port of load balancer ${lb.id}; delete the load balancer instead.`,
        );
    }
    await ctx.db.kysely.transaction().execute((trx) => deletePortIn(trx, id));
    await ctx.forwarding?.sync();
    reply.code(204);
  });
}

async function insertBarePort(
  trx: Tx,
  networkId: string,
  owner: { projectId: string; name: string; deviceOwner: string; deviceId: string },
  options: { id: string; description: string; portSecurityEnabled: boolean; adminStateUp: boolean },
): Promise<void> {
  const mac = [
    'fa',
    '16',
    '3e',
    ...Array.from({ length: 3 }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ),
  ].join(':');
  await trx
    .insertInto('port')
    .values({
      id: options.id,
      network_id: networkId,
      project_id: owner.projectId,
      name: owner.name,
      device_owner: owner.deviceOwner,
      device_id: owner.deviceId,
      mac_address: mac,
      admin_state_up: options.adminStateUp,
      status: 'ACTIVE',
      description: options.description,
      port_security_enabled: options.portSecurityEnabled,
      created_at: nowTimestamp(),
      updated_at: null,
    })
    .execute();
}
