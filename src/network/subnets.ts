import type { Kysely, Selectable } from 'kysely';
import type { Database, SubnetRow } from '../db/schema.js';
import { ipv4ToNumber, isHostAddress, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.js';

/** An inclusive range of IPv4 addresses, as numbers. */
export interface AddressRange {
  start: number;
  end: number;
}

/** A stored subnet with its CIDR, gateway and allocation pools parsed for address arithmetic. */
export interface Subnet {
  id: string;
  networkId: string;
  /** Null for a subnet this driver cannot allocate from (IPv6, or a CIDR it cannot read). */
  cidr: Ipv4Cidr | null;
  gateway: number | null;
  /** The pools clipped to the host addresses of the CIDR, without the gateway: what may be handed out. */
  pools: AddressRange[];
}

export function toSubnet(row: Selectable<SubnetRow>): Subnet {
  const cidr = row.ip_version === 4 ? parseIpv4Cidr(row.cidr) : null;
  const gateway = row.gateway_ip === null ? null : ipv4ToNumber(row.gateway_ip);
  const pools: AddressRange[] = [];
  if (cidr) {
    const lowest = cidr.prefix >= 31 ? cidr.network : cidr.network + 1;
    const highest = cidr.prefix >= 31 ? cidr.broadcast : cidr.broadcast - 1;
    for (const pool of JSON.parse(row.allocation_pools) as Array<{ start: string; end: string }>) {
      const start = Math.max(ipv4ToNumber(pool.start) ?? Infinity, lowest);
      const end = Math.min(ipv4ToNumber(pool.end) ?? -Infinity, highest);
      // Neutron keeps the gateway out of the pools; split around it should a stored pool hold it anyway.
      if (gateway !== null && gateway >= start && gateway <= end) {
        if (gateway > start) pools.push({ start, end: gateway - 1 });
        if (gateway < end) pools.push({ start: gateway + 1, end });
      } else if (start <= end) pools.push({ start, end });
    }
  }
  return { id: row.id, networkId: row.network_id, cidr, gateway, pools };
}

/** True when `address` lies in the subnet's CIDR (Octavia's test when it picks a network's subnet for an address). */
export function subnetContains(subnet: Subnet, address: number | null): boolean {
  return address !== null && subnet.cidr !== null && address >= subnet.cidr.network && address <= subnet.cidr.broadcast;
}

/** True when `address` is a host address of the subnet's CIDR (inside it, not its network or broadcast address). */
export function subnetHolds(subnet: Subnet, address: number | null): address is number {
  return address !== null && subnet.cidr !== null && isHostAddress(subnet.cidr, address);
}

export async function findSubnet(db: Kysely<Database>, id: string): Promise<Subnet | undefined> {
  const row = await db.selectFrom('subnet').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toSubnet(row);
}

/** The subnets of a network, IPv4 first (Octavia prefers them), then oldest first. */
export async function subnetsOfNetwork(db: Kysely<Database>, networkId: string): Promise<Subnet[]> {
  const rows = await db
    .selectFrom('subnet')
    .selectAll()
    .where('network_id', '=', networkId)
    .orderBy('ip_version')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toSubnet);
}
