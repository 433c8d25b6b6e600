import { badRequest, conflict } from '../../../common/errors.js';
import { newId } from '../../../common/ids.js';
import { toBool, type MemberRow, type PoolRow } from '../../../db/schema.js';
import { loadTags, type ResourceDef } from '../../resource.js';
import { bool, int, ip, required, str, uuid, type Clean, type FieldMap } from '../../validation/fields.js';
import { tagsField } from '../tags.js';

/** The member resource: its fields, its response shape and the rules every way of creating one shares. */

/** Addresses no member may use (Octavia's `[networking] reserved_ips` default: the metadata service). */
const RESERVED_MEMBER_ADDRESSES = new Set(['169.254.169.254']);

/** Longest address the `member.address` column holds (IPv6 with a zone id can be longer than a real address). */
const MAX_ADDRESS_LENGTH = 64;

const port = () => int(1, 65535);

/** Body of POST .../members, and of each entry of the batch PUT. */
export const MEMBER_POST_FIELDS: FieldMap = {
  name: str(),
  admin_state_up: bool(),
  address: required(ip()),
  protocol_port: required(port()),
  weight: int(0, 256),
  backup: bool(),
  subnet_id: uuid(),
  project_id: str(36),
  tenant_id: str(36),
  monitor_port: port(),
  monitor_address: ip(),
  tags: tagsField(),
  request_sriov: bool(),
};

/** Body of PUT .../members/{id}: address, port and subnet are fixed at creation. */
export const MEMBER_PUT_FIELDS: FieldMap = {
  name: str(),
  admin_state_up: bool(),
  weight: int(0, 256),
  backup: bool(),
  monitor_port: port(),
  monitor_address: ip(),
  tags: tagsField(),
};

export const DEFAULT_WEIGHT = 1;

export const memberDef: ResourceDef<'member'> = {
  table: 'member',
  singular: 'member',
  plural: 'members',
  label: 'Member',
  list: {
    columns: Object.fromEntries(
      [
        'id',
        'name',
        'operating_status',
        'provisioning_status',
        'admin_state_up',
        'address',
        'protocol_port',
        'weight',
        'backup',
        'subnet_id',
        'project_id',
        'created_at',
        'updated_at',
        'monitor_address',
        'monitor_port',
      ].map((c) => [c, c]),
    ),
    kinds: { admin_state_up: 'bool', backup: 'bool', protocol_port: 'int', weight: 'int', monitor_port: 'int' },
    tagged: true,
  },
  async serialize(rows, services) {
    const tags = await loadTags(
      services,
      rows.map((r) => r.id),
    );
    return rows.map((r) => serializeMember(r, tags.get(r.id) ?? []));
  },
};

/** A member in the field order Octavia answers with. */
export function serializeMember(r: MemberRow, tags: string[]): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name ?? '',
    operating_status: r.operating_status,
    provisioning_status: r.provisioning_status,
    admin_state_up: toBool(r.admin_state_up),
    address: r.address,
    protocol_port: r.protocol_port,
    weight: r.weight,
    backup: toBool(r.backup),
    subnet_id: r.subnet_id,
    project_id: r.project_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
    monitor_address: r.monitor_address,
    monitor_port: r.monitor_port,
    tags,
    tenant_id: r.project_id,
  };
}

/**
 * Checks on a member's addresses beyond their syntax: the reserved address gets Octavia's 400
 * "169.254.169.254 is not a valid option for member address"; over-long ones (zone ids) are refused
 * as malformed rather than failing in the database.
 */
export function checkMemberAddresses(body: Clean): void {
  for (const field of ['address', 'monitor_address']) {
    const value = body[field];
    if (typeof value === 'string' && value.length > MAX_ADDRESS_LENGTH)
      throw badRequest(
        `Invalid input for field/attribute ${field}. Value: '${value}'. Value should be IPv4 or IPv6 format`,
      );
  }
  const address = body.address;
  if (typeof address === 'string' && RESERVED_MEMBER_ADDRESSES.has(address))
    throw badRequest(`${address} is not a valid option for member address`);
}

/** Octavia's 409 for a second member on the same address and port of a pool. */
export function duplicateMember(address: string, protocolPort: number) {
  return conflict(`Another member on this pool is already using ip ${address} on protocol_port ${protocolPort}`);
}

/** The key that makes a member unique in its pool (Octavia's batch update matches on it too). */
export const memberKey = (address: string, protocolPort: number) => `${address}\u0000${protocolPort}`;

/**
 * The row of a new member: PENDING_CREATE, with Octavia's defaults for what the body left out (or null).
 * Members start NO_MONITOR when their pool has no health monitor, else OFFLINE until heartbeats say more.
 */
export function newMemberRow(
  pool: PoolRow,
  body: Clean,
  opts: { hasMonitor: boolean; now: string; vnicType: string },
): MemberRow {
  return {
    id: newId(),
    project_id: pool.project_id,
    pool_id: pool.id,
    name: (body.name as string | null | undefined) ?? null,
    provisioning_status: 'PENDING_CREATE',
    operating_status: opts.hasMonitor ? 'OFFLINE' : 'NO_MONITOR',
    admin_state_up: (body.admin_state_up as boolean | null | undefined) ?? true,
    address: body.address as string,
    protocol_port: body.protocol_port as number,
    weight: (body.weight as number | null | undefined) ?? DEFAULT_WEIGHT,
    backup: (body.backup as boolean | null | undefined) ?? false,
    subnet_id: (body.subnet_id as string | null | undefined) ?? null,
    monitor_address: (body.monitor_address as string | null | undefined) ?? null,
    monitor_port: (body.monitor_port as number | null | undefined) ?? null,
    vnic_type: opts.vnicType,
    created_at: opts.now,
    updated_at: null,
  };
}
