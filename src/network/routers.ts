import type { Kysely } from 'kysely';
import { nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import type { Tx } from '../db/provisioning.js';
import type { Database } from '../db/schema.js';
import { DEFAULT_NETWORK_IDS } from './default-ids.js';
import { insertPortWithAddress } from './ports.js';
import { findSubnet, type Subnet } from './subnets.js';

/**
 * Routers in the stored model, as Neutron keeps them: a row, a `network:router_gateway` port on the
 * external network, and one `network:router_interface` port per attached subnet holding that subnet's
 * gateway address. A floating IP may reach a fixed IP only through a router joining both networks.
 */

export const ROUTER_GATEWAY_OWNER = 'network:router_gateway';
export const ROUTER_INTERFACE_OWNER = 'network:router_interface';

/** devstack's `router1` (private-subnet to public), with fixed ids so every start agrees on it. */
export const DEFAULT_ROUTER = {
  id: 'f6a1b1e4-3f0c-4d6e-9a35-0b7c2d5e8a11',
  gatewayPortId: 'c3d2a9e0-7b1f-4e2a-8f64-1d9e5b7a3c20',
  interfacePortId: '5e8f0a7c-2d4b-4c61-b9a3-7f1e6d2c0b35',
} as const;

/**
 * Create `router1` when it is missing: gateway on `public`, interface on `private-subnet`. The router row
 * is inserted first with "do nothing" on its fixed id, and the ports only by the transaction that inserted
 * it, so two nodes starting at once make one router; a router deleted by hand comes back at the next start.
 */
export async function ensureDefaultRouter(db: Db): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('router')
      .values({
        id: DEFAULT_ROUTER.id,
        project_id: null,
        name: 'router1',
        description: '',
        admin_state_up: true,
        status: 'ACTIVE',
        gateway_network_id: DEFAULT_NETWORK_IDS.public,
        enable_snat: true,
        revision_number: 0,
        created_at: nowTimestamp(),
        updated_at: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    if (inserted.length === 0) return;
    const publicSubnet = await findSubnet(trx, DEFAULT_NETWORK_IDS.publicSubnet);
    const privateSubnet = await findSubnet(trx, DEFAULT_NETWORK_IDS.privateSubnet);
    if (!publicSubnet || !privateSubnet) throw new Error('the default networks must exist before router1');
    // A stale port of an earlier router1 (deleted by hand, its ports left behind) would hold the fixed ids.
    await removePortsOf(trx, DEFAULT_ROUTER.id);
    await addGatewayPort(trx, DEFAULT_ROUTER.id, publicSubnet, DEFAULT_ROUTER.gatewayPortId);
    await addInterfacePort(trx, DEFAULT_ROUTER.id, null, privateSubnet, DEFAULT_ROUTER.interfacePortId);
  });
}

/** The gateway port of a router: a free address of the external network's subnet. */
export async function addGatewayPort(
  trx: Tx,
  routerId: string,
  externalSubnet: Subnet,
  portId?: string,
): Promise<string> {
  const port = await insertPortWithAddress(
    trx,
    externalSubnet,
    { projectId: '', name: '', deviceOwner: ROUTER_GATEWAY_OWNER, deviceId: routerId },
    undefined,
    { id: portId, portSecurityEnabled: false },
  );
  return port.portId;
}

/**
 * An interface of the router on `subnet`: a port holding the subnet's gateway address (a 409 when another
 * port holds it already, e.g. another router's interface). Returns the port id.
 */
export async function addInterfacePort(
  trx: Tx,
  routerId: string,
  projectId: string | null,
  subnet: Subnet,
  portId?: string,
): Promise<string> {
  const port = await insertPortWithAddress(
    trx,
    subnet,
    { projectId, name: '', deviceOwner: ROUTER_INTERFACE_OWNER, deviceId: routerId },
    subnet.gateway ?? undefined,
    { id: portId, portSecurityEnabled: false, allowGateway: true },
  );
  return port.portId;
}

/** Delete every port a router owns (its gateway and interfaces). */
export async function removePortsOf(trx: Tx, routerId: string): Promise<void> {
  const ports = await trx
    .selectFrom('port')
    .select('id')
    .where('device_id', '=', routerId)
    .where('device_owner', 'in', [ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER])
    .execute();
  const ids = ports.map((p) => p.id);
  if (ids.length === 0) return;
  await trx.deleteFrom('port_fixed_ip').where('port_id', 'in', ids).execute();
  await trx.deleteFrom('port').where('id', 'in', ids).execute();
}

/** The gateway port of a router, if it has one. */
export async function gatewayPortOf(db: Kysely<Database>, routerId: string) {
  return db
    .selectFrom('port')
    .selectAll()
    .where('device_id', '=', routerId)
    .where('device_owner', '=', ROUTER_GATEWAY_OWNER)
    .executeTakeFirst();
}

/** The subnets a router has interfaces on, with the interface port of each. */
export async function interfacesOf(
  db: Kysely<Database>,
  routerId: string,
): Promise<Array<{ portId: string; subnetId: string; networkId: string }>> {
  return db
    .selectFrom('port')
    .innerJoin('port_fixed_ip', 'port_fixed_ip.port_id', 'port.id')
    .select(['port.id as portId', 'port_fixed_ip.subnet_id as subnetId', 'port.network_id as networkId'])
    .where('port.device_id', '=', routerId)
    .where('port.device_owner', '=', ROUTER_INTERFACE_OWNER)
    .execute();
}

/**
 * A router with its gateway on `externalNetworkId` and an interface on `subnetId`: the one a floating IP
 * of that network forwards through to a fixed IP of that subnet. Undefined when none joins them.
 */
export async function routerJoining(
  db: Kysely<Database>,
  externalNetworkId: string,
  subnetId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('router')
    .innerJoin('port', 'port.device_id', 'router.id')
    .innerJoin('port_fixed_ip', 'port_fixed_ip.port_id', 'port.id')
    .select('router.id')
    .where('router.gateway_network_id', '=', externalNetworkId)
    .where('port.device_owner', '=', ROUTER_INTERFACE_OWNER)
    .where('port_fixed_ip.subnet_id', '=', subnetId)
    .orderBy('router.created_at')
    .orderBy('router.id')
    .executeTakeFirst();
  return row?.id;
}
