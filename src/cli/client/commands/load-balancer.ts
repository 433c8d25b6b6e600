import type { Command } from 'commander';
import { renderOne } from '../output/formats.js';
import { findObject } from '../resolve.js';
import { FLAVOR, LOAD_BALANCER, NETWORK, PORT, QOS_POLICY, SUBNET } from '../resources.js';
import { CliError, type ClientRuntime } from '../runtime.js';
import { waitForActive } from '../wait.js';
import { addResourceCommands, type ResourceSpec } from './crud.js';
import { choice, enableDisable, listEnableDisable, ref, str, typed, type FieldOption } from './fields.js';
import { flatList, idList } from './formatters.js';
import { commandGroup, leafCommand, onAction } from './kit.js';

export const PROVISIONING_STATUSES = [
  'ACTIVE',
  'DELETED',
  'ERROR',
  'PENDING_CREATE',
  'PENDING_UPDATE',
  'PENDING_DELETE',
];
export const OPERATING_STATUSES = ['ONLINE', 'DRAINING', 'OFFLINE', 'DEGRADED', 'ERROR', 'NO_MONITOR'];

export const LOAD_BALANCER_ROWS = [
  'admin_state_up',
  'availability_zone',
  'created_at',
  'description',
  'flavor_id',
  'id',
  'listeners',
  'name',
  'operating_status',
  'pools',
  'project_id',
  'provider',
  'provisioning_status',
  'updated_at',
  'vip_address',
  'vip_network_id',
  'vip_port_id',
  'vip_qos_policy_id',
  'vip_subnet_id',
  'tags',
  'additional_vips',
] as const;

export const LOAD_BALANCER_COLUMNS = [
  'id',
  'name',
  'project_id',
  'vip_address',
  'provisioning_status',
  'operating_status',
  'provider',
] as const;

export const STATS_ROWS = [
  'active_connections',
  'bytes_in',
  'bytes_out',
  'request_errors',
  'total_connections',
] as const;

/** --additional-vip subnet-id=<name-or-uuid>[,ip-address=<ip>] */
function additionalVips(values: unknown): Array<Record<string, string>> {
  return (values as string[]).map((text) => {
    const vip: Record<string, string> = {};
    for (const part of text.split(',')) {
      const at = part.indexOf('=');
      const key = at > 0 ? part.slice(0, at) : '';
      if (key !== 'subnet-id' && key !== 'ip-address') {
        throw new CliError(`Invalid --additional-vip '${text}': expected subnet-id=<id>[,ip-address=<ip>]`);
      }
      vip[key.replace('-', '_')] = part.slice(at + 1);
    }
    if (!vip.subnet_id) throw new CliError(`Invalid --additional-vip '${text}': subnet-id is required`);
    return vip;
  });
}

const createOptions: FieldOption[] = [
  str('--name <name>', 'name', 'New load balancer name.'),
  str('--description <description>', 'description', 'Set load balancer description.'),
  str('--vip-address <vip_address>', 'vip_address', 'Set the VIP IP Address.'),
  ref('--vip-port-id <vip_port_id>', 'vip_port_id', PORT, 'Set Port for the load balancer (name or ID).'),
  ref('--vip-subnet-id <vip_subnet_id>', 'vip_subnet_id', SUBNET, 'Set subnet for the load balancer (name or ID).'),
  ref(
    '--vip-network-id <vip_network_id>',
    'vip_network_id',
    NETWORK,
    'Set network for the load balancer (name or ID).',
  ),
  typed(
    '--vip-qos-policy-id <vip_qos_policy_id>',
    'vip_qos_policy_id',
    { kind: 'nullable' },
    "Set QoS policy ID for VIP port. Unset with 'None'.",
  ),
  typed(
    '--additional-vip <subnet-id=<name-or-uuid>[,ip-address=<ip>]>',
    'additional_vips',
    { kind: 'list' },
    'Expose an additional VIP on the load balancer. This parameter can be provided more than once.',
  ),
  str('--project <project>', 'project_id', 'Project for the load balancer (ID).'),
  str('--provider <provider>', 'provider', 'Provider name for the load balancer.'),
  str('--availability-zone <availability_zone>', 'availability_zone', 'Availability zone for the load balancer.'),
  ...enableDisable('load balancer'),
  ref('--flavor <flavor>', 'flavor_id', FLAVOR, 'The name or ID of the flavor for the load balancer.'),
];

export const loadBalancerSpec: ResourceSpec = {
  kind: LOAD_BALANCER,
  noun: 'load balancer',
  arg: 'load_balancer',
  rows: LOAD_BALANCER_ROWS,
  columns: LOAD_BALANCER_COLUMNS,
  formatters: { listeners: idList, pools: idList, l7policies: idList, tags: flatList },
  tags: true,
  waits: true,
  create: {
    options: createOptions,
    check(body) {
      if (!('vip_subnet_id' in body) && !('vip_network_id' in body) && !('vip_port_id' in body)) {
        throw new CliError(
          'Missing required argument: Requires one of --vip-subnet-id, --vip-network-id or --vip-port-id',
        );
      }
      if ('vip_network_id' in body && 'vip_port_id' in body) {
        throw new CliError('Argument error: --vip-port-id can not be used with --vip-network-id');
      }
      if (body.additional_vips) body.additional_vips = additionalVips(body.additional_vips);
    },
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List load balancers according to their name.'),
      ...listEnableDisable('load balancers'),
      str('--project <project-id>', 'project_id', 'List load balancers according to their project (ID).'),
      ref(
        '--vip-network-id <vip_network_id>',
        'vip_network_id',
        NETWORK,
        'List load balancers according to their VIP network (name or ID).',
      ),
      ref(
        '--vip-subnet-id <vip_subnet_id>',
        'vip_subnet_id',
        SUBNET,
        'List load balancers according to their VIP subnet (name or ID).',
      ),
      ref(
        '--vip-qos-policy-id <vip_qos_policy_id>',
        'vip_qos_policy_id',
        QOS_POLICY,
        'List load balancers according to their VIP Qos policy (name or ID).',
      ),
      ref(
        '--vip-port-id <vip_port_id>',
        'vip_port_id',
        PORT,
        'List load balancers according to their VIP port (name or ID).',
      ),
      choice(
        '--provisioning-status <status>',
        'provisioning_status',
        PROVISIONING_STATUSES,
        'List load balancers according to their provisioning status.',
      ),
      choice(
        '--operating-status <status>',
        'operating_status',
        OPERATING_STATUSES,
        'List load balancers according to their operating status.',
      ),
      str('--provider <provider>', 'provider', 'List load balancers according to their provider.'),
      ref('--flavor <flavor>', 'flavor_id', FLAVOR, 'List load balancers according to their flavor.'),
      str(
        '--availability-zone <availability_zone>',
        'availability_zone',
        'List load balancers according to their availability zone.',
      ),
    ],
  },
  set: {
    options: [
      str('--name <name>', 'name', 'Set load balancer name.'),
      str('--description <description>', 'description', 'Set load balancer description.'),
      typed(
        '--vip-qos-policy-id <vip_qos_policy_id>',
        'vip_qos_policy_id',
        { kind: 'nullable' },
        "Set QoS policy ID for VIP port. Unset with 'None'.",
      ),
      ...enableDisable('load balancer'),
    ],
  },
  unset: {
    flags: [
      ['--name', 'name', 'Clear the load balancer name.'],
      ['--description', 'description', 'Clear the load balancer description.'],
      ['--vip-qos-policy-id', 'vip_qos_policy_id', 'Clear the load balancer QoS policy.'],
    ],
  },
  delete: {
    query: [
      typed(
        '--cascade',
        'cascade',
        { kind: 'const', value: 'True' },
        'Cascade the delete to all child elements of the load balancer.',
      ),
    ],
  },
};

/** `loadbalancer failover`, `loadbalancer stats show`, `loadbalancer status show`. */
export function addLoadBalancerActions(group: Command, runtime: ClientRuntime): void {
  const failover = leafCommand(group, 'failover', 'Trigger load balancer failover', runtime, 'none')
    .argument('<load_balancer>', 'Name or UUID of the load balancer.')
    .option('--wait', 'Wait for action to complete.');
  onAction(failover, runtime, async (ctx) => {
    const session = await ctx.session();
    const lb = await findObject(session, LOAD_BALANCER, ctx.args[0]!);
    const path = `${LOAD_BALANCER.collection()}/${lb.id}`;
    await session.loadBalancer.put(`${path}/failover`);
    if (ctx.opts.wait) {
      await waitForActive(
        { client: session.loadBalancer, path, itemKey: 'loadbalancer', description: `load balancer ${lb.id}` },
        ctx.io,
      );
    }
  });

  const stats = commandGroup(group, 'stats', 'Load balancer statistics', runtime);
  const statsShow = leafCommand(
    stats,
    'show',
    'Shows the current statistics for a load balancer',
    runtime,
    'show',
  ).argument('<load_balancer>', 'Name or UUID of the load balancer.');
  onAction(statsShow, runtime, async (ctx) => {
    const session = await ctx.session();
    const lb = await findObject(session, LOAD_BALANCER, ctx.args[0]!);
    const body = await session.loadBalancer.get<{ stats: Record<string, unknown> }>(
      `${LOAD_BALANCER.collection()}/${lb.id}/stats`,
    );
    ctx.print(
      renderOne(
        STATS_ROWS,
        STATS_ROWS.map((r) => body?.stats?.[r] ?? ''),
        ctx.output(),
      ),
    );
  });

  const status = commandGroup(group, 'status', 'Load balancer status tree', runtime);
  const statusShow = leafCommand(
    status,
    'show',
    'Display load balancer status tree in json format',
    runtime,
    'none',
  ).argument('<load_balancer>', 'Name or UUID of the load balancer.');
  onAction(statusShow, runtime, async (ctx) => {
    const session = await ctx.session();
    const lb = await findObject(session, LOAD_BALANCER, ctx.args[0]!);
    const body = await session.loadBalancer.get<{ statuses?: unknown }>(
      `${LOAD_BALANCER.collection()}/${lb.id}/status`,
    );
    // octaviaclient prints the tree itself as JSON with an indent of 4, whatever the format flags.
    ctx.print(JSON.stringify(body?.statuses ?? {}, null, 4) + '\n');
  });
}

export function addLoadBalancerCommands(group: Command, runtime: ClientRuntime): void {
  addResourceCommands(group, loadBalancerSpec, runtime);
  addLoadBalancerActions(group, runtime);
}
