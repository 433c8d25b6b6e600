import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { newId, nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import type { Tx } from '../db/provisioning.js';
import type { Database, PortFixedIpRow, PortRow } from '../db/schema.js';
import { findFreeAddress } from './free-address.js';
import { numberToIpv4 } from './ipv4.js';
import type { Subnet } from './subnets.js';
import { vipFaults } from './vip-faults.js';

/** Ports and their fixed IPs in the stored network model. */

export interface PortWithIps extends Selectable<PortRow> {
  fixedIps: PortFixedIpRow[];
}

export interface NewPort {
  projectId: string | null;
  name: string;
  deviceOwner: string;
  deviceId: string;
}

/** Thrown inside the creating transaction (so the port row is rolled back) when a subnet's pools are full. */
export class SubnetExhausted extends Error {
  constructor(readonly subnetId: string) {
    super(`no free address in subnet ${subnetId}`);
  }
}

/**
 * How many times one allocation may lose its candidate to another process before giving up. Every loss
 * means another allocation succeeded, so only a burst of more concurrent allocations than this can hit it.
 */
const MAX_ATTEMPTS = 200;

export async function findPort(db: Kysely<Database>, id: string): Promise<PortWithIps | undefined> {
  const port = await db.selectFrom('port').selectAll().where('id', '=', id).executeTakeFirst();
  if (!port) return undefined;
  const fixedIps = await db
    .selectFrom('port_fixed_ip')
    .selectAll()
    .where('port_id', '=', id)
    .orderBy('subnet_id')
    .orderBy('ip_address')
    .execute();
  return { ...port, fixedIps };
}

/**
 * Create a port on the subnet's network holding `address`, or a free address of the subnet's pools when
 * none is asked for. Port and address are written in one transaction (see insertPortWithAddress).
 */
export async function createPortWithAddress(
  db: Db,
  subnet: Subnet,
  port: NewPort,
  address?: number,
): Promise<{ portId: string; address: string }> {
  return db.kysely.transaction().execute((trx) => insertPortWithAddress(trx, subnet, port, address));
}

/** What a port may carry beyond NewPort when the network API or a router makes it. */
export interface PortOptions {
  id?: string;
  description?: string;
  portSecurityEnabled?: boolean;
  adminStateUp?: boolean;
  /** Let the port hold the subnet's gateway address (a router interface does). */
  allowGateway?: boolean;
}

/**
 * Insert a port holding `address`, or a free pool address, inside the caller's transaction. The address
 * is claimed with an insert that does nothing on a (subnet_id, ip_address) conflict: an asked-for address
 * already held is a 409; a picked one that another process took in the meantime is picked again.
 */
export async function insertPortWithAddress(
  trx: Tx,
  subnet: Subnet,
  port: NewPort,
  address?: number,
  options: PortOptions = {},
): Promise<{ portId: string; address: string }> {
  const portId = options.id ?? newId();
  const now = nowTimestamp();
  await trx
    .insertInto('port')
    .values({
      id: portId,
      network_id: subnet.networkId,
      project_id: port.projectId,
      name: port.name,
      device_owner: port.deviceOwner,
      device_id: port.deviceId,
      mac_address: randomMac(),
      admin_state_up: options.adminStateUp ?? true,
      // No agent binds a loopback address: the port is as up as it will get.
      status: 'ACTIVE',
      description: options.description ?? '',
      port_security_enabled: options.portSecurityEnabled ?? true,
      created_at: now,
      updated_at: null,
    })
    .execute();
  if (address !== undefined) {
    const gatewayRefused = address === subnet.gateway && !options.allowGateway;
    if (gatewayRefused || !(await claimAddress(trx, portId, subnet.id, address)))
      throw vipFaults.addressInUse(numberToIpv4(address), subnet.id);
    return { portId, address: numberToIpv4(address) };
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidate = await findFreeAddress(trx, subnet);
    if (candidate === null) throw new SubnetExhausted(subnet.id);
    if (await claimAddress(trx, portId, subnet.id, candidate)) return { portId, address: numberToIpv4(candidate) };
  }
  throw vipFaults.contended(subnet.id);
}

/** Insert the fixed IP unless the address is already held; false when it is (another port, maybe just now). */
async function claimAddress(trx: Tx, portId: string, subnetId: string, address: number): Promise<boolean> {
  const inserted = await trx
    .insertInto('port_fixed_ip')
    .values({ port_id: portId, subnet_id: subnetId, ip_address: numberToIpv4(address), ip_number: address })
    .onConflict((oc) => oc.columns(['subnet_id', 'ip_address']).doNothing())
    .returning('ip_address')
    .execute();
  return inserted.length === 1;
}

/** Give a free port to a device (`device_id` was ''); false when the port is in use, maybe since a moment ago. */
export async function attachPort(db: Kysely<Database>, portId: string, deviceId: string): Promise<boolean> {
  const result = await db
    .updateTable('port')
    .set({ device_id: deviceId, updated_at: nowTimestamp() })
    .where('id', '=', portId)
    .where('device_id', '=', '')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Take a port back from a device, leaving the port and its addresses in place. */
export async function detachPort(db: Kysely<Database>, portId: string, deviceId: string): Promise<void> {
  await db
    .updateTable('port')
    .set({ device_id: '', updated_at: nowTimestamp() })
    .where('id', '=', portId)
    .where('device_id', '=', deviceId)
    .execute();
}

/** Delete a port and free its addresses. */
export async function deletePort(db: Db, portId: string): Promise<void> {
  await db.kysely.transaction().execute((trx) => deletePortIn(trx, portId));
}

/**
 * Delete a port inside the caller's transaction: its addresses are freed, its security group bindings go,
 * and floating IPs associated with it are disassociated (Neutron does the same when a port is deleted).
 */
export async function deletePortIn(trx: Tx, portId: string): Promise<void> {
  await trx
    .updateTable('floating_ip')
    .set({ port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', updated_at: nowTimestamp() })
    .where('port_id', '=', portId)
    .execute();
  await trx.deleteFrom('port_security_group').where('port_id', '=', portId).execute();
  await trx.deleteFrom('port_fixed_ip').where('port_id', '=', portId).execute();
  await trx.deleteFrom('port').where('id', '=', portId).execute();
}

/** A MAC address with OpenStack's fa:16:3e prefix, as Neutron hands out. */
function randomMac(): string {
  return ['fa', '16', '3e', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
