import type { Kysely, Selectable } from 'kysely';
import type { Database, NetworkRow, PortRow, SubnetRow } from '../../db/schema.js';
import { toBool } from '../../db/schema.js';
import type { FloatingIpRow, RouterRow, SecurityGroupRow, SecurityGroupRuleRow } from '../../db/schema-neutron.js';
import { parseIpv4Cidr, numberToIpv4 } from '../ipv4.js';
import { ROUTER_GATEWAY_OWNER } from '../routers.js';
import type { Owned } from './caller.js';
import type { View } from './listing.js';

/**
 * Stored rows as Neutron shows them (its attribute names), each with what decides who sees it. Loaders
 * read one object (`id`) or all, with what their views need in a few queries.
 */

export interface Item extends Owned {
  view: View;
}

/** Neutron's timestamps: ISO 8601 with a Z; updated_at is the creation time until the first change. */
const stamps = (row: { created_at: string; updated_at: string | null; revision_number: number }) => ({
  created_at: `${row.created_at}Z`,
  updated_at: `${row.updated_at ?? row.created_at}Z`,
  revision_number: row.revision_number,
});
/** What every Neutron resource shows: its description, (no) tags and timestamps. */
const common = (row: {
  description: string;
  created_at: string;
  updated_at: string | null;
  revision_number: number;
}) => ({
  description: row.description,
  tags: [],
  ...stamps(row),
});
const owner = (projectId: string | null) => ({ tenant_id: projectId ?? '', project_id: projectId ?? '' });

const byKey = <T, K>(rows: T[], key: (r: T) => K) => {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
};

export function networkView(row: Selectable<NetworkRow>, subnetIds: string[]): View {
  return {
    id: row.id,
    name: row.name,
    ...owner(row.project_id),
    admin_state_up: toBool(row.admin_state_up),
    status: row.status,
    subnets: subnetIds,
    shared: toBool(row.shared),
    'router:external': toBool(row.router_external),
    port_security_enabled: toBool(row.port_security_enabled),
    mtu: row.mtu,
    availability_zone_hints: [],
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    ...common(row),
  };
}

export async function loadNetworks(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('network').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  let sq = db.selectFrom('subnet').select(['id', 'network_id']).orderBy('created_at').orderBy('id');
  if (id !== undefined) sq = sq.where('network_id', '=', id);
  const subnets = byKey(await sq.execute(), (s) => s.network_id);
  return rows.map((row) => ({
    view: networkView(
      row,
      (subnets.get(row.id) ?? []).map((s) => s.id),
    ),
    projectId: row.project_id,
    public: toBool(row.shared) || toBool(row.router_external),
  }));
}

export function subnetView(row: Selectable<SubnetRow>): View {
  return {
    id: row.id,
    name: row.name,
    ...owner(row.project_id),
    network_id: row.network_id,
    ip_version: row.ip_version,
    cidr: row.cidr,
    gateway_ip: row.gateway_ip,
    allocation_pools: JSON.parse(row.allocation_pools) as unknown,
    enable_dhcp: toBool(row.enable_dhcp),
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    service_types: [],
    ...common(row),
  };
}

export async function loadSubnets(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db
    .selectFrom('subnet')
    .innerJoin('network', 'network.id', 'subnet.network_id')
    .selectAll('subnet')
    .select(['network.shared as network_shared', 'network.router_external as network_external'])
    .orderBy('subnet.created_at')
    .orderBy('subnet.id');
  if (id !== undefined) q = q.where('subnet.id', '=', id);
  const rows = await q.execute();
  return rows.map(({ network_shared, network_external, ...row }) => ({
    view: subnetView(row),
    projectId: row.project_id,
    public: toBool(network_shared) || toBool(network_external),
  }));
}

export function portView(
  row: Selectable<PortRow>,
  fixedIps: Array<{ subnet_id: string; ip_address: string }>,
  securityGroups: string[],
): View {
  return {
    id: row.id,
    name: row.name,
    ...owner(row.project_id),
    network_id: row.network_id,
    mac_address: row.mac_address,
    admin_state_up: toBool(row.admin_state_up),
    status: row.status,
    device_id: row.device_id,
    device_owner: row.device_owner,
    fixed_ips: fixedIps.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    security_groups: securityGroups,
    port_security_enabled: toBool(row.port_security_enabled),
    'binding:vnic_type': 'normal',
    ...common(row),
  };
}

export async function loadPorts(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('port').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  let iq = db.selectFrom('port_fixed_ip').selectAll().orderBy('subnet_id').orderBy('ip_number');
  let gq = db.selectFrom('port_security_group').selectAll().orderBy('security_group_id');
  if (id !== undefined) {
    iq = iq.where('port_id', '=', id);
    gq = gq.where('port_id', '=', id);
  }
  const ips = byKey(await iq.execute(), (r) => r.port_id);
  const groups = byKey(await gq.execute(), (r) => r.port_id);
  return rows.map((row) => ({
    view: portView(
      row,
      ips.get(row.id) ?? [],
      (groups.get(row.id) ?? []).map((g) => g.security_group_id),
    ),
    projectId: row.project_id === '' ? null : row.project_id,
  }));
}

export async function loadRouters(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('router').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  let gq = db
    .selectFrom('port')
    .innerJoin('port_fixed_ip', 'port_fixed_ip.port_id', 'port.id')
    .select(['port.device_id', 'port_fixed_ip.subnet_id', 'port_fixed_ip.ip_address'])
    .where('port.device_owner', '=', ROUTER_GATEWAY_OWNER);
  if (id !== undefined) gq = gq.where('port.device_id', '=', id);
  const gateways = byKey(await gq.execute(), (r) => r.device_id);
  return rows.map((row) => ({ view: routerView(row, gateways.get(row.id) ?? []), projectId: row.project_id }));
}

export function routerView(row: RouterRow, gatewayIps: Array<{ subnet_id: string; ip_address: string }>): View {
  return {
    id: row.id,
    name: row.name,
    ...owner(row.project_id),
    admin_state_up: toBool(row.admin_state_up),
    status: row.status,
    external_gateway_info: row.gateway_network_id
      ? {
          network_id: row.gateway_network_id,
          enable_snat: toBool(row.enable_snat),
          external_fixed_ips: gatewayIps.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
        }
      : null,
    routes: [],
    availability_zone_hints: [],
    availability_zones: ['nova'],
    flavor_id: null,
    ...common(row),
  };
}

export async function loadFloatingIps(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('floating_ip').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const portIds = [...new Set(rows.map((r) => r.port_id).filter((p): p is string => p !== null))];
  const ports = portIds.length ? await db.selectFrom('port').selectAll().where('id', 'in', portIds).execute() : [];
  const portById = new Map(ports.map((p) => [p.id, p]));
  return rows.map((row) => ({
    view: floatingIpView(row, row.port_id ? portById.get(row.port_id) : undefined),
    projectId: row.project_id,
  }));
}

export function floatingIpView(row: FloatingIpRow, port: Selectable<PortRow> | undefined): View {
  return {
    id: row.id,
    ...owner(row.project_id),
    floating_ip_address: row.floating_ip_address,
    floating_network_id: row.floating_network_id,
    router_id: row.router_id,
    port_id: row.port_id,
    fixed_ip_address: row.fixed_ip_address,
    status: row.status,
    port_details: port
      ? {
          name: port.name,
          network_id: port.network_id,
          mac_address: port.mac_address,
          admin_state_up: toBool(port.admin_state_up),
          status: port.status,
          device_id: port.device_id,
          device_owner: port.device_owner,
        }
      : null,
    ...common(row),
  };
}

/** A rule's remote prefix with the host bits cleared, as Neutron shows it in `normalized_cidr`. */
function normalizedCidr(prefix: string | null): string | null {
  if (prefix === null) return null;
  const cidr = parseIpv4Cidr(prefix);
  return cidr ? `${numberToIpv4(cidr.network)}/${cidr.prefix}` : prefix;
}

export function ruleView(row: SecurityGroupRuleRow): View {
  return {
    id: row.id,
    ...owner(row.project_id),
    security_group_id: row.security_group_id,
    direction: row.direction,
    ethertype: row.ethertype,
    protocol: row.protocol,
    port_range_min: row.port_range_min,
    port_range_max: row.port_range_max,
    remote_ip_prefix: row.remote_ip_prefix,
    normalized_cidr: normalizedCidr(row.remote_ip_prefix),
    remote_group_id: row.remote_group_id,
    remote_address_group_id: null,
    ...common(row),
  };
}

export async function loadRules(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('security_group_rule').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  return (await q.execute()).map((row) => ({ view: ruleView(row), projectId: row.project_id }));
}

export function securityGroupView(row: SecurityGroupRow, rules: SecurityGroupRuleRow[]): View {
  return {
    id: row.id,
    name: row.name,
    ...owner(row.project_id),
    description: row.description,
    security_group_rules: rules.map(ruleView),
    stateful: toBool(row.stateful),
    shared: false,
    tags: [],
    ...stamps(row),
  };
}

export async function loadSecurityGroups(db: Kysely<Database>, id?: string): Promise<Item[]> {
  let q = db.selectFrom('security_group').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  let rq = db.selectFrom('security_group_rule').selectAll().orderBy('created_at').orderBy('id');
  if (id !== undefined) rq = rq.where('security_group_id', '=', id);
  const rules = byKey(await rq.execute(), (r) => r.security_group_id);
  return rows.map((row) => ({ view: securityGroupView(row, rules.get(row.id) ?? []), projectId: row.project_id }));
}
