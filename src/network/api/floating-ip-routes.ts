import type { FastifyInstance } from 'fastify';
import { newId, nowTimestamp } from '../../common/ids.js';
import type { Tx } from '../../db/provisioning.js';
import { ipv4ToNumber } from '../ipv4.js';
import { deletePortIn, findPort, insertPortWithAddress, SubnetExhausted } from '../ports.js';
import { routerJoining } from '../routers.js';
import { subnetHolds, subnetsOfNetwork } from '../subnets.js';
import { checkFields, resourceBody, stringField } from './body.js';
import { owningProject, owns, type Caller } from './caller.js';
import { callerOf, findOwned, findVisible, isUniqueViolation, type NetworkApiContext } from './context.js';
import { conflict, forbidden, NeutronError, notFound } from './neutron-error.js';
import { registerReadRoutes } from './read-routes.js';
import { loadFloatingIps, loadNetworks } from './views.js';

/**
 * Floating IPs: an address of an external network's subnet (held by a `network:floatingip` port) that
 * forwards to a fixed IP of a port, through a router joining the two networks. After every change the
 * forwarding (nftables) is synced, so the kernel follows at once.
 */

export const FLOATING_IP_OWNER = 'network:floatingip';

const badFloatingIp = (msg: string) => new NeutronError(400, 'BadRequest', `Bad floatingip request: ${msg}`);

/** Where a floating IP is to point: a port and one of its IPv4 fixed IPs, and the router on the way. */
interface Association {
  portId: string;
  fixedIp: string;
  routerId: string;
}

export async function floatingIpRoutes(app: FastifyInstance, ctx: NetworkApiContext): Promise<void> {
  const db = ctx.db.kysely;
  const load = (id?: string) => loadFloatingIps(db, id);
  registerReadRoutes(app, ctx, {
    kind: 'floatingip',
    singular: 'floatingip',
    collection: 'floatingips',
    path: 'floatingips',
    load: (_c, id) => load(id),
  });

  /** Check an association request as Neutron does; its 400/404/409 on a bad one. */
  const associationFor = async (
    trx: Tx,
    caller: Caller,
    floatingNetworkId: string,
    portId: string,
    fixedIp: string | undefined,
    fipId: string | undefined,
  ): Promise<Association> => {
    const port = await findPort(trx, portId);
    if (!port || !owns(caller, { projectId: port.project_id })) throw notFound.port(portId);
    if (port.device_owner.startsWith('network:'))
      throw badFloatingIp(
        `Port ${portId} has owner ${port.device_owner} and therefore cannot be associated with a floating IP.`,
      );
    if (port.network_id === floatingNetworkId)
      throw badFloatingIp(`Port ${portId} is on the external network ${floatingNetworkId}.`);
    const v4 = port.fixedIps.filter((ip) => ipv4ToNumber(ip.ip_address) !== null);
    let chosen = v4[0];
    if (fixedIp !== undefined) {
      chosen = v4.find((ip) => ip.ip_address === fixedIp);
      if (!chosen) throw badFloatingIp(`Port ${portId} does not have fixed ip ${fixedIp}.`);
    } else if (v4.length > 1) {
      throw badFloatingIp(
        `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP.`,
      );
    }
    if (!chosen) throw badFloatingIp(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses.`);
    const routerId = await routerJoining(trx, floatingNetworkId, chosen.subnet_id);
    if (!routerId)
      throw new NeutronError(
        404,
        'ExternalGatewayForFloatingIPNotFound',
        `External network ${floatingNetworkId} is not reachable from subnet ${chosen.subnet_id}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
      );
    const other = await trx
      .selectFrom('floating_ip')
      .select(['id', 'floating_ip_address'])
      .where('floating_network_id', '=', floatingNetworkId)
      .where('port_id', '=', portId)
      .where('fixed_ip_address', '=', chosen.ip_address)
      .executeTakeFirst();
    if (other && other.id !== fipId)
      throw alreadyAssociated(other.floating_ip_address, fipId ?? '', portId, chosen.ip_address, floatingNetworkId);
    return { portId, fixedIp: chosen.ip_address, routerId };
  };

  const alreadyAssociated = (address: string, fipId: string, portId: string, fixedIp: string, netId: string) =>
    conflict(
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${address} (${fipId}) with port ${portId} using fixed IP ${fixedIp}, as that fixed IP already has a floating IP on external network ${netId}.`,
    );

  /** Run a write; a unique violation (a second floating IP for one fixed IP, raced in) is Neutron's 409. */
  const guarded = async <T>(write: () => Promise<T>, portId: string | undefined, networkId: string): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      if (isUniqueViolation(err) && portId)
        throw conflict(
          'FloatingIPPortAlreadyAssociated',
          `Cannot associate a floating IP with port ${portId}, as that fixed IP already has a floating IP on external network ${networkId}.`,
        );
      throw err;
    }
  };

  app.post('/v2.0/floatingips', async (req, reply) => {
    const caller = callerOf(req);
    const body = checkFields(resourceBody(req.body, 'floatingip'), {
      floating_network_id: 'id',
      floating_ip_address: 'string',
      subnet_id: 'id',
      port_id: 'nullable-id',
      fixed_ip_address: 'nullable-string',
      description: 'string',
      project_id: 'id',
      tenant_id: 'id',
    });
    const networkId = stringField(body, 'floating_network_id');
    if (!networkId)
      throw new NeutronError(
        400,
        'HTTPBadRequest',
        "Failed to parse request. Required attribute 'floating_network_id' not specified",
      );
    const network = await findVisible((i) => loadNetworks(db, i), 'network', caller, networkId);
    if (network.view['router:external'] !== true)
      throw badFloatingIp(`Network ${networkId} is not a valid external network.`);
    const projectId = owningProject(caller, body, 'create_floatingip');
    const wantedAddress = stringField(body, 'floating_ip_address');
    if (wantedAddress !== undefined && !caller.isAdmin) throw forbidden('create_floatingip:floating_ip_address');
    let subnets = (await subnetsOfNetwork(db, networkId)).filter((s) => s.cidr !== null);
    const subnetId = stringField(body, 'subnet_id');
    if (subnetId !== undefined) {
      subnets = subnets.filter((s) => s.id === subnetId);
      if (subnets.length === 0) throw badFloatingIp(`Subnet ${subnetId} is not on network ${networkId}.`);
    }
    let address: number | undefined;
    if (wantedAddress !== undefined) {
      const n = ipv4ToNumber(wantedAddress);
      subnets = subnets.filter((s) => subnetHolds(s, n));
      if (subnets.length === 0)
        throw badFloatingIp(`IP address ${wantedAddress} is not a valid IP for the network ${networkId}.`);
      address = n!;
    }
    const portId = stringField(body, 'port_id');
    const id = newId();
    await guarded(
      () =>
        ctx.db.kysely.transaction().execute(async (trx) => {
          const association = portId
            ? await associationFor(trx, caller, networkId, portId, stringField(body, 'fixed_ip_address'), id)
            : undefined;
          let held: { portId: string; address: string } | undefined;
          for (const subnet of subnets) {
            try {
              held = await insertPortWithAddress(
                trx,
                subnet,
                { projectId: '', name: '', deviceOwner: FLOATING_IP_OWNER, deviceId: id },
                address,
                { portSecurityEnabled: false },
              );
              break;
            } catch (err) {
              if (!(err instanceof SubnetExhausted)) throw err;
            }
          }
          if (!held)
            throw conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
          const now = nowTimestamp();
          await trx
            .insertInto('floating_ip')
            .values({
              id,
              project_id: projectId,
              description: stringField(body, 'description') ?? '',
              floating_network_id: networkId,
              floating_port_id: held.portId,
              floating_ip_address: held.address,
              port_id: association?.portId ?? null,
              fixed_ip_address: association?.fixedIp ?? null,
              router_id: association?.routerId ?? null,
              status: association ? 'ACTIVE' : 'DOWN',
              revision_number: 0,
              created_at: now,
              updated_at: null,
            })
            .execute();
        }),
      portId,
      networkId,
    );
    await ctx.forwarding?.sync();
    reply.code(201);
    return { floatingip: (await load(id))[0]!.view };
  });

  app.put<{ Params: { id: string } }>('/v2.0/floatingips/:id', async (req) => {
    const caller = callerOf(req);
    const id = req.params.id;
    const body = checkFields(resourceBody(req.body, 'floatingip'), {
      port_id: 'nullable-id',
      fixed_ip_address: 'nullable-string',
      description: 'string',
    });
    const fip = await findOwned(load, 'floatingip', caller, id, 'update_floatingip');
    const networkId = String(fip.view.floating_network_id);
    const portId = body.port_id as string | null | undefined;
    await guarded(
      () =>
        ctx.db.kysely.transaction().execute(async (trx) => {
          const set: Record<string, unknown> = {};
          if (body.description !== undefined) set.description = body.description;
          if (portId === null)
            Object.assign(set, { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
          else if (portId !== undefined) {
            const fixed = body.fixed_ip_address === null ? undefined : stringField(body, 'fixed_ip_address');
            const a = await associationFor(trx, caller, networkId, portId, fixed, id);
            Object.assign(set, {
              port_id: a.portId,
              fixed_ip_address: a.fixedIp,
              router_id: a.routerId,
              status: 'ACTIVE',
            });
          }
          await trx
            .updateTable('floating_ip')
            .set({ ...set, updated_at: nowTimestamp(), revision_number: (eb) => eb('revision_number', '+', 1) })
            .where('id', '=', id)
            .execute();
        }),
      portId ?? undefined,
      networkId,
    );
    await ctx.forwarding?.sync();
    return { floatingip: (await load(id))[0]!.view };
  });

  app.delete<{ Params: { id: string } }>('/v2.0/floatingips/:id', async (req, reply) => {
    const id = req.params.id;
    await findOwned(load, 'floatingip', callerOf(req), id, 'delete_floatingip');
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('floating_ip')
        .select('floating_port_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return;
      await trx.deleteFrom('floating_ip').where('id', '=', id).execute();
      await deletePortIn(trx, row.floating_port_id);
    });
    await ctx.forwarding?.sync();
    reply.code(204);
  });
}
