import type { FastifyInstance } from 'fastify';
import { newId, nowTimestamp } from '../../common/ids.js';
import { deletePortIn, SubnetExhausted } from '../ports.js';
import {
  addGatewayPort,
  addInterfacePort,
  interfacesOf,
  removePortsOf,
  ROUTER_GATEWAY_OWNER,
  ROUTER_INTERFACE_OWNER,
} from '../routers.js';
import { findSubnet, subnetsOfNetwork } from '../subnets.js';
import { boolField, checkFields, resourceBody, stringField } from './body.js';
import { owningProject, type Caller } from './caller.js';
import { callerOf, findOwned, findVisible, type NetworkApiContext } from './context.js';
import { defined } from './network-routes.js';
import { badRequest, conflict, NeutronError } from './neutron-error.js';
import { registerReadRoutes } from './read-routes.js';
import { loadNetworks, loadPorts, loadRouters, loadSubnets } from './views.js';

/** Routers: list, show, create and update (with an external gateway), delete, add/remove interfaces. */

const ROUTER_FIELDS = {
  name: 'string',
  description: 'string',
  admin_state_up: 'bool',
  external_gateway_info: 'object',
  project_id: 'id',
  tenant_id: 'id',
} as const;

const badRouter = (msg: string) => new NeutronError(400, 'BadRequest', `Bad router request: ${msg}`);

export async function routerRoutes(app: FastifyInstance, ctx: NetworkApiContext): Promise<void> {
  const db = ctx.db.kysely;
  const load = (id?: string) => loadRouters(db, id);
  registerReadRoutes(app, ctx, {
    kind: 'router',
    singular: 'router',
    collection: 'routers',
    path: 'routers',
    load: (_c, id) => load(id),
  });

  /** The external network of a gateway request (null: no gateway), checked. */
  const gatewayNetwork = async (caller: Caller, info: unknown): Promise<{ id: string; snat: boolean } | null> => {
    if (info === null || info === undefined) return null;
    const gw = checkFields(info as Record<string, unknown>, {
      network_id: 'id',
      enable_snat: 'bool',
      external_fixed_ips: 'list',
    });
    const networkId = stringField(gw, 'network_id');
    if (!networkId) throw badRequest('Invalid input for external_gateway_info. Reason: network_id is required.');
    const network = await findVisible((i) => loadNetworks(db, i), 'network', caller, networkId);
    if (network.view['router:external'] !== true) throw badRouter(`Network ${networkId} is not an external network`);
    return { id: networkId, snat: boolField(gw, 'enable_snat', true) };
  };

  /** A free address of the external network's first subnet for the gateway port. */
  const setGateway = async (trx: Parameters<typeof addGatewayPort>[0], routerId: string, networkId: string) => {
    const subnets = (await subnetsOfNetwork(trx, networkId)).filter((s) => s.cidr !== null);
    for (const subnet of subnets) {
      try {
        return await addGatewayPort(trx, routerId, subnet);
      } catch (err) {
        if (!(err instanceof SubnetExhausted)) throw err;
      }
    }
    throw conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
  };

  app.post('/v2.0/routers', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'router'), ROUTER_FIELDS);
    const gateway = await gatewayNetwork(caller, body.external_gateway_info);
    const id = newId();
    await ctx.db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('router')
        .values({
          id,
          project_id: owningProject(caller, body, 'create_router'),
          name: stringField(body, 'name') ?? '',
          description: stringField(body, 'description') ?? '',
          admin_state_up: boolField(body, 'admin_state_up', true),
          status: 'ACTIVE',
          gateway_network_id: gateway?.id ?? null,
          enable_snat: gateway?.snat ?? true,
          revision_number: 0,
          created_at: nowTimestamp(),
          updated_at: null,
        })
        .execute();
      if (gateway) await setGateway(trx, id, gateway.id);
    });
    reply.code(201);
    return { router: (await load(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/routers/:id', async (req) => {
    const caller = callerOf(req);
    const id = req.params.id;
    const body = checkFields(resourceBody(req.body, 'router'), ROUTER_FIELDS);
    if (body.project_id !== undefined || body.tenant_id !== undefined)
      throw badRequest('Cannot update read-only attribute project_id');
    const router = await findOwned(load, 'router', caller, id, 'update_router');
    const changeGateway = body.external_gateway_info !== undefined;
    const gateway = changeGateway ? await gatewayNetwork(caller, body.external_gateway_info) : undefined;
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const current = (router.view.external_gateway_info as { network_id: string } | null)?.network_id ?? null;
      if (changeGateway && (gateway?.id ?? null) !== current) {
        if (current !== null) {
          const used = await trx.selectFrom('floating_ip').select('id').where('router_id', '=', id).limit(1).execute();
          if (used.length > 0)
            throw conflict(
              'RouterExternalGatewayInUseByFloatingIp',
              `Gateway cannot be updated for router ${id}, since a gateway to external network ${current} is required by one or more floating IPs.`,
            );
          const gwPorts = await trx
            .selectFrom('port')
            .select('id')
            .where('device_id', '=', id)
            .where('device_owner', '=', ROUTER_GATEWAY_OWNER)
            .execute();
          for (const p of gwPorts) {
            await trx.deleteFrom('port_fixed_ip').where('port_id', '=', p.id).execute();
            await trx.deleteFrom('port').where('id', '=', p.id).execute();
          }
        }
        if (gateway) await setGateway(trx, id, gateway.id);
      }
      const changes = {
        name: stringField(body, 'name'),
        description: stringField(body, 'description'),
        admin_state_up: boolField(body, 'admin_state_up'),
        ...(changeGateway ? { gateway_network_id: gateway?.id ?? null, enable_snat: gateway?.snat ?? true } : {}),
      };
      await trx
        .updateTable('router')
        .set({
          ...defined(changes),
          updated_at: nowTimestamp(),
          revision_number: (eb) => eb('revision_number', '+', 1),
        })
        .where('id', '=', id)
        .execute();
    });
    return { router: (await load(id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/routers/:id', async (req, reply) => {
    const id = req.params.id;
    await findOwned(load, 'router', callerOf(req), id, 'delete_router');
    await ctx.db.kysely.transaction().execute(async (trx) => {
      if ((await interfacesOf(trx, id)).length > 0) throw conflict('RouterInUse', `Router ${id} still has ports`);
      const used = await trx.selectFrom('floating_ip').select('id').where('router_id', '=', id).limit(1).execute();
      if (used.length > 0) throw conflict('RouterInUse', `Router ${id} still has ports`);
      await removePortsOf(trx, id);
      await trx.deleteFrom('router').where('id', '=', id).execute();
    });
    reply.code(204);
  });

  /** The body of an interface change: a subnet or a port (exactly one). */
  const interfaceRequest = (body: unknown) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('Body contains invalid data');
    const b = checkFields(body as Record<string, unknown>, { subnet_id: 'id', port_id: 'id' });
    const subnetId = stringField(b, 'subnet_id');
    const portId = stringField(b, 'port_id');
    if ((subnetId === undefined) === (portId === undefined))
      throw badRouter('Either subnet_id or port_id must be specified');
    return { subnetId, portId };
  };

  const interfaceInfo = (
    router: { id: string; projectId: string | null },
    portId: string,
    subnetId: string,
    networkId: string,
  ) => ({
    id: router.id,
    tenant_id: router.projectId ?? '',
    project_id: router.projectId ?? '',
    port_id: portId,
    subnet_id: subnetId,
    subnet_ids: [subnetId],
    network_id: networkId,
    tags: [],
  });

  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/add_router_interface', async (req) => {
    const caller = callerOf(req);
    const id = req.params.id;
    const { subnetId, portId } = interfaceRequest(req.body);
    const router = await findOwned(load, 'router', caller, id, 'add_router_interface');
    const owner = { id, projectId: router.projectId };
    if (portId !== undefined) {
      const port = await findOwned((i) => loadPorts(db, i), 'port', caller, portId, 'add_router_interface');
      const ips = port.view.fixed_ips as Array<{ subnet_id: string }>;
      if (port.view.device_id !== '')
        throw conflict('PortInUse', `Port ${portId} is in use by device ${String(port.view.device_id)}.`);
      if (ips.length !== 1) throw badRouter(`Router port must have exactly one fixed IP`);
      const taken = (await interfacesOf(db, id)).some((i) => i.subnetId === ips[0]!.subnet_id);
      if (taken) throw badRouter(`Router already has a port on subnet ${ips[0]!.subnet_id}.`);
      await db
        .updateTable('port')
        .set({ device_id: id, device_owner: ROUTER_INTERFACE_OWNER, updated_at: nowTimestamp() })
        .where('id', '=', portId)
        .execute();
      return interfaceInfo(owner, portId, ips[0]!.subnet_id, String(port.view.network_id));
    }
    const subnetItem = await findVisible((i) => loadSubnets(db, i), 'subnet', caller, subnetId!);
    const subnet = (await findSubnet(db, subnetId!))!;
    if (subnet.gateway === null) throw badRouter(`Subnet ${subnetId} does not have a gateway IP.`);
    if (
      subnetItem.view.network_id === (router.view.external_gateway_info as { network_id?: string } | null)?.network_id
    )
      throw badRouter(`Subnet ${subnetId} is on the router's external network.`);
    const newPort = await ctx.db.kysely.transaction().execute(async (trx) => {
      if ((await interfacesOf(trx, id)).some((i) => i.subnetId === subnetId))
        throw badRouter(`Router already has a port on subnet ${subnetId}.`);
      return addInterfacePort(trx, id, router.projectId, subnet);
    });
    return interfaceInfo(owner, newPort, subnet.id, subnet.networkId);
  });

  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/remove_router_interface', async (req) => {
    const caller = callerOf(req);
    const id = req.params.id;
    const { subnetId, portId } = interfaceRequest(req.body);
    const router = await findOwned(load, 'router', caller, id, 'remove_router_interface');
    const interfaces = await interfacesOf(db, id);
    const found =
      portId !== undefined
        ? interfaces.find((i) => i.portId === portId)
        : interfaces.find((i) => i.subnetId === subnetId);
    if (!found) {
      if (portId !== undefined)
        throw new NeutronError(
          404,
          'RouterInterfaceNotFound',
          `Router ${id} does not have an interface with id ${portId}`,
        );
      throw new NeutronError(
        404,
        'RouterInterfaceNotFoundForSubnet',
        `Router ${id} has no interface on subnet ${subnetId}`,
      );
    }
    await ctx.db.kysely.transaction().execute(async (trx) => {
      // A floating IP forwarding through this interface would lose its path.
      const used = await trx
        .selectFrom('floating_ip')
        .innerJoin('port_fixed_ip', 'port_fixed_ip.port_id', 'floating_ip.port_id')
        .select('floating_ip.id')
        .where('floating_ip.router_id', '=', id)
        .where('port_fixed_ip.subnet_id', '=', found.subnetId)
        .limit(1)
        .execute();
      if (used.length > 0)
        throw conflict(
          'RouterInterfaceInUseByFloatingIP',
          `Router interface for subnet ${found.subnetId} on router ${id} cannot be deleted, as it is required by one or more floating IPs.`,
        );
      await deletePortIn(trx, found.portId);
    });
    return interfaceInfo({ id, projectId: router.projectId }, found.portId, found.subnetId, found.networkId);
  });
}
