import type { Command } from 'commander';
import { ApiFault } from '../api-client.js';
import type { Session } from '../auth/session.js';
import { renderOne } from '../output/formats.js';
import { findId, findObject } from '../resolve.js';
import { AMPHORA, LISTENER, LOAD_BALANCER } from '../resources.js';
import { CliError, type ClientIo, type ClientRuntime } from '../runtime.js';
import { waitForActive } from '../wait.js';
import { addResourceCommands, type ResourceSpec } from './crud.js';
import { choice, ref, str } from './fields.js';
import { commandGroup, leafCommand, onAction } from './kit.js';
import { STATS_ROWS } from './load-balancer.js';

export const AMPHORA_ROLES = ['MASTER', 'BACKUP', 'STANDALONE'];
export const AMPHORA_STATUSES = [
  'BOOTING',
  'ALLOCATED',
  'DELETED',
  'ERROR',
  'PENDING_CREATE',
  'PENDING_DELETE',
  'READY',
];

export const AMPHORA_ROWS = [
  'id',
  'loadbalancer_id',
  'compute_id',
  'lb_network_ip',
  'vrrp_ip',
  'ha_ip',
  'vrrp_port_id',
  'ha_port_id',
  'cert_expiration',
  'cert_busy',
  'role',
  'status',
  'vrrp_interface',
  'vrrp_id',
  'vrrp_priority',
  'cached_zone',
  'created_at',
  'updated_at',
  'image_id',
  'compute_flavor',
] as const;

export const AMPHORA_COLUMNS = ['id', 'loadbalancer_id', 'status', 'role', 'lb_network_ip', 'ha_ip'] as const;
const AMPHORA_COLUMNS_LONG = [...AMPHORA_COLUMNS, 'compute_id', 'cached_zone', 'image_id'] as const;

export const amphoraSpec: ResourceSpec = {
  kind: AMPHORA,
  noun: 'amphora',
  arg: 'amphora-id',
  rows: AMPHORA_ROWS,
  columns: AMPHORA_COLUMNS,
  formatters: {},
  tags: false,
  waits: false,
  list: {
    options: [
      ref('--loadbalancer <loadbalancer>', 'loadbalancer_id', LOAD_BALANCER, 'Filter by load balancer (name or ID).'),
      str('--compute-id <compute-id>', 'compute_id', 'Filter by compute ID.'),
      choice('--role <role>', 'role', AMPHORA_ROLES, 'Filter by role.'),
      choice('--status <status>', 'status', AMPHORA_STATUSES, 'Filter by amphora provisioning status.'),
    ],
    columnsLong: AMPHORA_COLUMNS_LONG,
  },
};

/** Wait for the load balancer an amphora serves to be ACTIVE again (octaviaclient does the same). */
async function waitForItsLoadBalancer(session: Session, amphora: Record<string, any>, io: ClientIo): Promise<void> {
  if (!amphora.loadbalancer_id) return;
  const path = `${LOAD_BALANCER.collection()}/${amphora.loadbalancer_id}`;
  await waitForActive(
    {
      client: session.loadBalancer,
      path,
      itemKey: 'loadbalancer',
      description: `load balancer ${amphora.loadbalancer_id}`,
    },
    io,
  );
}

function amphoraAction(
  group: Command,
  runtime: ClientRuntime,
  name: string,
  description: string,
  action: string,
): void {
  const cmd = leafCommand(group, name, description, runtime, 'none')
    .argument('<amphora-id>', 'UUID of the amphora.')
    .option('--wait', 'Wait for action to complete.');
  onAction(cmd, runtime, async (ctx) => {
    const session = await ctx.session();
    const amphora = await findObject(session, AMPHORA, ctx.args[0]!);
    await session.loadBalancer.put(`${AMPHORA.collection()}/${amphora.id}/${action}`);
    if (ctx.opts.wait) await waitForItsLoadBalancer(session, amphora, ctx.io);
  });
}

export function addAmphoraCommands(group: Command, runtime: ClientRuntime): void {
  addResourceCommands(group, amphoraSpec, runtime);
  amphoraAction(group, runtime, 'configure', 'Update the amphora agent configuration', 'config');
  amphoraAction(group, runtime, 'failover', 'Force failover an amphora', 'failover');

  const del = leafCommand(group, 'delete', 'Delete an amphora', runtime, 'none')
    .argument('<amphora-id>', 'UUID of the amphora to delete.')
    .option('--wait', 'Wait for action to complete.');
  onAction(del, runtime, async (ctx) => {
    const session = await ctx.session();
    const amphora = await findObject(session, AMPHORA, ctx.args[0]!);
    const path = `${AMPHORA.collection()}/${amphora.id}`;
    await session.loadBalancer.delete(path);
    if (!ctx.opts.wait) return;
    // Amphorae carry `status`, not provisioning_status: gone (404) or DELETED ends the wait.
    const deadline = Date.now() + 30 * 60 * 1000;
    const interval = Number(ctx.io.env.TAVIA_WAIT_INTERVAL_MS ?? 500);
    while (Date.now() < deadline) {
      try {
        const body = await session.loadBalancer.get<{ amphora?: { status?: string } }>(path);
        if (body?.amphora?.status === 'DELETED') return;
        if (body?.amphora?.status === 'ERROR')
          throw new CliError(`The amphora ${amphora.id} went to ERROR instead of being deleted`);
      } catch (err) {
        if (err instanceof ApiFault && err.status === 404) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, Number.isFinite(interval) ? interval : 500));
    }
    throw new CliError(`Timed out waiting for amphora ${amphora.id} to be deleted`);
  });

  const stats = commandGroup(group, 'stats', 'Amphora statistics', runtime);
  const show = leafCommand(stats, 'show', 'Shows the current statistics for an amphora.', runtime, 'show')
    .argument('<amphora-id>', 'UUID of the amphora.')
    .option('--listener <listener>', 'Filter by listener (name or ID).')
    .option('--loadbalancer <loadbalancer>', 'Filter by load balancer (name or ID).');
  onAction(show, runtime, async (ctx) => {
    const session = await ctx.session();
    const amphora = await findObject(session, AMPHORA, ctx.args[0]!);
    const listenerId = ctx.opts.listener ? await findId(session, LISTENER, String(ctx.opts.listener)) : undefined;
    const lbId = ctx.opts.loadbalancer
      ? await findId(session, LOAD_BALANCER, String(ctx.opts.loadbalancer))
      : undefined;
    const body = await session.loadBalancer.get<{ amphora_stats?: Array<Record<string, any>> }>(
      `${AMPHORA.collection()}/${amphora.id}/stats`,
    );
    // One row per listener in the answer; the command shows their sum (for the listener asked, if any).
    const rows = (body?.amphora_stats ?? []).filter(
      (s) => (!listenerId || s.listener_id === listenerId) && (!lbId || s.loadbalancer_id === lbId),
    );
    const totals = STATS_ROWS.map((field) => rows.reduce((sum, s) => sum + (Number(s[field]) || 0), 0));
    ctx.print(renderOne(STATS_ROWS, totals, ctx.output()));
  });
}
