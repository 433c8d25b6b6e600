import type { Command } from 'commander';
import { ApiFault, type ApiClient } from '../api-client.js';
import type { Session } from '../auth/session.js';
import { renderList, renderOne, type OutputOptions } from '../output/formats.js';
import { isUuidLike } from '../resolve.js';
import { FLOATING_IP, NETWORK, PORT, SUBNET, type ResourceKind } from '../resources.js';
import { CliError, type ClientRuntime } from '../runtime.js';
import { leafCommand, onAction, type ActionContext } from './kit.js';

/**
 * `tavia floating ip|subnet|network ...`: the network steps of the Octavia walkthrough, with the flags,
 * columns and output of python-openstackclient's network commands, against the catalog's network service.
 */

/** A list column: its heading and the attribute it shows. */
type ListColumn = readonly [heading: string, attribute: string];

const FLOATING_IP_LIST: readonly ListColumn[] = [
  ['ID', 'id'],
  ['Floating IP Address', 'floating_ip_address'],
  ['Fixed IP Address', 'fixed_ip_address'],
  ['Port', 'port_id'],
  ['Floating Network', 'floating_network_id'],
  ['Project', 'project_id'],
];
const SUBNET_LIST: readonly ListColumn[] = [
  ['ID', 'id'],
  ['Name', 'name'],
  ['Network', 'network_id'],
  ['Subnet', 'cidr'],
];
const NETWORK_LIST: readonly ListColumn[] = [
  ['ID', 'id'],
  ['Name', 'name'],
  ['Subnets', 'subnets'],
];

// The fields openstack shows: the SDK resource's attributes, sorted (absent ones print None).
const FLOATING_IP_FIELDS = [
  'created_at',
  'description',
  'dns_domain',
  'dns_name',
  'fixed_ip_address',
  'floating_ip_address',
  'floating_network_id',
  'id',
  'name',
  'port_details',
  'port_id',
  'project_id',
  'qos_policy_id',
  'revision_number',
  'router_id',
  'status',
  'subnet_id',
  'tags',
  'updated_at',
] as const;
const NETWORK_FIELDS = [
  'admin_state_up',
  'availability_zone_hints',
  'availability_zones',
  'created_at',
  'description',
  'dns_domain',
  'id',
  'ipv4_address_scope',
  'ipv6_address_scope',
  'is_default',
  'is_vlan_transparent',
  'mtu',
  'name',
  'port_security_enabled',
  'project_id',
  'provider:network_type',
  'provider:physical_network',
  'provider:segmentation_id',
  'qos_policy_id',
  'revision_number',
  'router:external',
  'segments',
  'shared',
  'status',
  'subnets',
  'tags',
  'updated_at',
] as const;
const SUBNET_FIELDS = [
  'allocation_pools',
  'cidr',
  'created_at',
  'description',
  'dns_nameservers',
  'dns_publish_fixed_ip',
  'enable_dhcp',
  'gateway_ip',
  'host_routes',
  'id',
  'ip_version',
  'ipv6_address_mode',
  'ipv6_ra_mode',
  'name',
  'network_id',
  'project_id',
  'revision_number',
  'segment_id',
  'service_types',
  'subnetpool_id',
  'tags',
  'updated_at',
] as const;

/** Value (and the human form table/value/csv/shell print) of one attribute, as osc's column classes do. */
type Humanizer = (value: unknown) => unknown;

const joined: Humanizer = (v) => (Array.isArray(v) ? v.map(String).join(', ') : v);
/** Networks' and subnets' column classes; floating IPs have none (their tags print as []). */
const NETWORK_HUMANIZERS: Record<string, Humanizer> = {
  subnets: joined,
  tags: joined,
  availability_zone_hints: joined,
  availability_zones: joined,
  dns_nameservers: joined,
  service_types: joined,
  admin_state_up: (v) => (v === true ? 'UP' : v === false ? 'DOWN' : v),
  'router:external': (v) => (v === true ? 'External' : v === false ? 'Internal' : v),
  allocation_pools: (v) =>
    Array.isArray(v) ? v.map((p: { start?: string; end?: string }) => `${p.start}-${p.end}`).join(', ') : v,
  host_routes: (v) =>
    Array.isArray(v)
      ? v
          .map(
            (r: { destination?: string; nexthop?: string }) => `destination='${r.destination}', gateway='${r.nexthop}'`,
          )
          .join('\n')
      : v,
};

/** Only the table prints osc's human-readable forms; every other format gets the API's values. */
function valueOf(
  item: Record<string, unknown>,
  attribute: string,
  out: OutputOptions,
  humanizers: Record<string, Humanizer>,
): unknown {
  let value = item[attribute] ?? null;
  if (attribute === 'name' && !('name' in item)) value = item.floating_ip_address ?? null; // the SDK's alias
  if (attribute === 'tags' && value === null) value = [];
  if (out.format !== 'table') return value;
  const human = humanizers[attribute];
  return human ? human(value) : value;
}

function printList(
  ctx: ActionContext,
  columns: readonly ListColumn[],
  items: Array<Record<string, unknown>>,
  humanizers: Record<string, Humanizer> = NETWORK_HUMANIZERS,
): void {
  const out = ctx.output();
  ctx.print(
    renderList(
      columns.map(([heading]) => heading),
      items.map((item) => columns.map(([, attribute]) => valueOf(item, attribute, out, humanizers))),
      out,
    ),
  );
}

function printOne(
  ctx: ActionContext,
  fields: readonly string[],
  item: Record<string, unknown>,
  humanizers: Record<string, Humanizer> = NETWORK_HUMANIZERS,
): void {
  const out = ctx.output();
  ctx.print(
    renderOne(
      fields,
      fields.map((f) => valueOf(item, f, out, humanizers)),
      out,
    ),
  );
}

/** osc_lib's format_dict: "key='value', ..." with sorted keys and Python's str of each value. */
export function formatDict(value: Record<string, unknown>): string {
  const pyText = (v: unknown): string =>
    v === null || v === undefined
      ? 'None'
      : v === true
        ? 'True'
        : v === false
          ? 'False'
          : typeof v === 'object' && !Array.isArray(v)
            ? `{${formatDict(v as Record<string, unknown>)}}`
            : String(v);
  return Object.keys(value)
    .sort()
    .map((k) => `${k}='${pyText(value[k])}'`)
    .join(', ');
}

/** openstack formats a floating IP's port_details in every output format, JSON included. */
function floatingIpView(fip: Record<string, unknown>): Record<string, unknown> {
  const details = fip.port_details;
  if (!details || typeof details !== 'object') return fip;
  return { ...fip, port_details: formatDict(details as Record<string, unknown>) };
}

/** The network service of the session; noauth sessions (and catalogs without one) have none. */
export async function networkClient(ctx: ActionContext): Promise<ApiClient> {
  const session: Session = await ctx.session();
  if (!session.network) {
    throw new CliError(
      "No 'network' endpoint in the service catalog: the network commands need a Keystone session whose catalog has a network service (OS_AUTH_TYPE none has no catalog)",
    );
  }
  return session.network;
}

/** openstack's name in "No <Name> found for ...". */
const SDK_NAMES = new Map<ResourceKind, string>([
  [FLOATING_IP, 'FloatingIP'],
  [NETWORK, 'Network'],
  [SUBNET, 'Subnet'],
  [PORT, 'Port'],
]);

/**
 * Find one network-service object as the SDK's find does: by ID first, then by its name (a floating IP's
 * "name" is its address); none or several are errors.
 */
export async function findNetworkObject(
  client: ApiClient,
  kind: ResourceKind,
  nameOrId: string,
): Promise<Record<string, any>> {
  try {
    const body = await client.get<Record<string, any>>(`${kind.collection()}/${encodeURIComponent(nameOrId)}`);
    if (body?.[kind.itemKey]) return body[kind.itemKey];
  } catch (err) {
    if (!(err instanceof ApiFault && (err.status === 404 || err.status === 400))) throw err;
  }
  const nameKey = kind === FLOATING_IP ? 'floating_ip_address' : 'name';
  const matches = (await client.list<Record<string, any>>(kind.collection(), kind.listKey, { [nameKey]: nameOrId }))
    // The filter is the server's; keep only exact matches in case it ignored it.
    .filter((m) => m[nameKey] === nameOrId);
  const sdkName = SDK_NAMES.get(kind) ?? kind.label;
  if (matches.length > 1) throw new CliError(`More than one ${sdkName} exists with the name '${nameOrId}'.`);
  if (matches.length === 0) throw new CliError(`No ${sdkName} found for ${nameOrId}`);
  return matches[0]!;
}

const findId = async (client: ApiClient, kind: ResourceKind, nameOrId: string) =>
  String((await findNetworkObject(client, kind, nameOrId)).id);

/** UUIDs as they are; anything else resolved (saves a request when scripts pass IDs). */
const idOf = async (client: ApiClient, kind: ResourceKind, nameOrId: string) =>
  isUuidLike(nameOrId) ? nameOrId : findId(client, kind, nameOrId);

export function addFloatingIpCommands(group: Command, runtime: ClientRuntime): void {
  const create = leafCommand(group, 'create', 'Create floating IP', runtime, 'show')
    .argument('<network>', 'Network to allocate floating IP from (name or ID)')
    .option('--subnet <subnet>', 'Subnet on which you want to create the floating IP (name or ID)')
    .option('--port <port>', 'Port to be associated with the floating IP (name or ID)')
    .option('--floating-ip-address <ip-address>', 'Floating IP address')
    .option('--fixed-ip-address <ip-address>', 'Fixed IP address mapped to the floating IP')
    .option('--description <description>', 'Set floating IP description');
  onAction(create, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const o = ctx.opts as Record<string, string | undefined>;
    const body: Record<string, unknown> = {
      floating_network_id: await findId(client, NETWORK, ctx.args[0]!),
    };
    if (o.subnet !== undefined) body.subnet_id = await findId(client, SUBNET, o.subnet);
    if (o.port !== undefined) body.port_id = await findId(client, PORT, o.port);
    if (o.floatingIpAddress !== undefined) body.floating_ip_address = o.floatingIpAddress;
    if (o.fixedIpAddress !== undefined) body.fixed_ip_address = o.fixedIpAddress;
    if (o.description !== undefined) body.description = o.description;
    const created = await client.post<{ floatingip: Record<string, unknown> }>('/v2.0/floatingips', {
      floatingip: body,
    });
    printOne(ctx, FLOATING_IP_FIELDS, floatingIpView(created.floatingip), {});
  });

  const list = leafCommand(group, 'list', 'List floating IP(s)', runtime, 'list')
    .option('--network <network>', 'List floating IP(s) according to given network (name or ID)')
    .option('--port <port>', 'List floating IP(s) according to given port (name or ID)')
    .option('--fixed-ip-address <ip-address>', 'List floating IP(s) according to given fixed IP address')
    .option('--floating-ip-address <ip-address>', 'List floating IP(s) according to given floating IP address')
    .option('--status <status>', 'List floating IP(s) according to given status (ACTIVE, DOWN)')
    .option('--project <project>', 'List floating IP(s) according to given project (ID)');
  onAction(list, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const o = ctx.opts as Record<string, string | undefined>;
    const query = {
      floating_network_id: o.network === undefined ? undefined : await idOf(client, NETWORK, o.network),
      port_id: o.port === undefined ? undefined : await idOf(client, PORT, o.port),
      fixed_ip_address: o.fixedIpAddress,
      floating_ip_address: o.floatingIpAddress,
      status: o.status,
      project_id: o.project,
    };
    printList(ctx, FLOATING_IP_LIST, await client.list('/v2.0/floatingips', 'floatingips', query), {});
  });

  const show = leafCommand(group, 'show', 'Display floating IP details', runtime, 'show').argument(
    '<floating-ip>',
    'Floating IP to display (IP address or ID)',
  );
  onAction(show, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    printOne(ctx, FLOATING_IP_FIELDS, floatingIpView(await findNetworkObject(client, FLOATING_IP, ctx.args[0]!)), {});
  });

  const set = leafCommand(group, 'set', 'Set floating IP Properties', runtime, 'none')
    .argument('<floating-ip>', 'Floating IP to modify (IP address or ID)')
    .option('--port <port>', 'Associate the floating IP with port (name or ID)')
    .option('--fixed-ip-address <ip-address>', 'Fixed IP of the port (required only if port has multiple IPs)')
    .option('--description <description>', 'Set floating IP description');
  onAction(set, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const o = ctx.opts as Record<string, string | undefined>;
    const fip = await findNetworkObject(client, FLOATING_IP, ctx.args[0]!);
    const body: Record<string, unknown> = {};
    if (o.port !== undefined) body.port_id = await findId(client, PORT, o.port);
    if (o.fixedIpAddress !== undefined) body.fixed_ip_address = o.fixedIpAddress;
    if (o.description !== undefined) body.description = o.description;
    // Like openstack, nothing to change sends nothing.
    if (Object.keys(body).length > 0) await client.put(`/v2.0/floatingips/${fip.id}`, { floatingip: body });
  });

  const unset = leafCommand(group, 'unset', 'Unset floating IP Properties', runtime, 'none')
    .argument('<floating-ip>', 'Floating IP to disassociate (IP address or ID)')
    .option('--port', 'Disassociate any port associated with the floating IP');
  onAction(unset, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const fip = await findNetworkObject(client, FLOATING_IP, ctx.args[0]!);
    if (ctx.opts.port) await client.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
  });

  const remove = leafCommand(group, 'delete', 'Delete floating IP(s)', runtime, 'none').argument(
    '<floating-ip...>',
    'Floating IP(s) to delete (IP address or ID)',
  );
  onAction(remove, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    // ctx.args keeps one string per declared argument; the variadic one's full list is here.
    const wanted = (remove.processedArgs[0] as string[] | undefined) ?? [];
    let failed = 0;
    // Each one on its own, as openstack does: one failure does not stop the rest.
    for (const target of wanted) {
      try {
        const fip = await findNetworkObject(client, FLOATING_IP, target);
        await client.delete(`/v2.0/floatingips/${fip.id}`);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        failed++;
        ctx.io.stderr.write(`Failed to delete floating_ip with name or ID '${target}': ${err.message}\n`);
      }
    }
    if (failed > 0) throw new CliError(`${failed} of ${wanted.length} floating_ips failed to delete.`);
  });
}

export function addSubnetCommands(group: Command, runtime: ClientRuntime): void {
  const list = leafCommand(group, 'list', 'List subnets', runtime, 'list')
    .option('--network <network>', 'List only subnets which belong to a given network (name or ID)')
    .option('--name <name>', 'List only subnets of given name in output')
    .option('--project <project>', 'List only subnets which belong to a given project (ID)');
  onAction(list, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const o = ctx.opts as Record<string, string | undefined>;
    const query = {
      network_id: o.network === undefined ? undefined : await idOf(client, NETWORK, o.network),
      name: o.name,
      project_id: o.project,
    };
    printList(ctx, SUBNET_LIST, await client.list('/v2.0/subnets', 'subnets', query));
  });

  const show = leafCommand(group, 'show', 'Display subnet details', runtime, 'show').argument(
    '<subnet>',
    'Subnet to display (name or ID)',
  );
  onAction(show, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    printOne(ctx, SUBNET_FIELDS, await findNetworkObject(client, SUBNET, ctx.args[0]!));
  });
}

export function addNetworkCommands(group: Command, runtime: ClientRuntime): void {
  const list = leafCommand(group, 'list', 'List networks', runtime, 'list')
    .option('--external', 'List external networks')
    .option('--internal', 'List internal networks')
    .option('--name <name>', 'List only networks of given name in output')
    .option('--project <project>', 'List only networks which belong to a given project (ID)');
  onAction(list, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    const o = ctx.opts as Record<string, string | boolean | undefined>;
    const query = {
      'router:external': o.external ? true : o.internal ? false : undefined,
      name: o.name as string | undefined,
      project_id: o.project as string | undefined,
    };
    printList(ctx, NETWORK_LIST, await client.list('/v2.0/networks', 'networks', query));
  });

  const show = leafCommand(group, 'show', 'Show network details', runtime, 'show').argument(
    '<network>',
    'Network to display (name or ID)',
  );
  onAction(show, runtime, async (ctx) => {
    const client = await networkClient(ctx);
    printOne(ctx, NETWORK_FIELDS, await findNetworkObject(client, NETWORK, ctx.args[0]!));
  });
}
