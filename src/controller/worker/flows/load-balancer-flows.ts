import { nowTimestamp } from '../../../common/ids.js';
import { deleteResourceTree } from '../../../db/delete-resource.js';
import { releaseLocks, setProvisioningStatus } from '../../../db/provisioning.js';
import type { ResourceTable } from '../../../db/schema.js';
import type { Flow, FlowContext } from '../flow.js';
import { applyConfigStep, buildAmphoraStep, destroyAmphora, ensureId, startHealthClock } from './common-steps.js';

/** Every PENDING_* row of the load balancer's tree goes to `status` (graph create, failover end). */
async function settleTree(ctx: FlowContext, status: 'ACTIVE' | 'ERROR'): Promise<void> {
  const lbId = ctx.job.loadBalancerId!;
  const now = nowTimestamp();
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const ids = async (table: 'listener' | 'pool') =>
      (await trx.selectFrom(table).select('id').where('load_balancer_id', '=', lbId).execute()).map((r) => r.id);
    const listenerIds = await ids('listener');
    const poolIds = await ids('pool');
    const policyIds = listenerIds.length
      ? (await trx.selectFrom('l7policy').select('id').where('listener_id', 'in', listenerIds).execute()).map(
          (r) => r.id,
        )
      : [];
    const scopes: Array<[ResourceTable, string, string[]]> = [
      ['listener', 'id', listenerIds],
      ['pool', 'id', poolIds],
      ['member', 'pool_id', poolIds],
      ['health_monitor', 'pool_id', poolIds],
      ['l7policy', 'id', policyIds],
      ['l7rule', 'l7policy_id', policyIds],
    ];
    for (const [table, column, inIds] of scopes) {
      if (inIds.length === 0) continue;
      const rows = trx.updateTable(table).where(column as never, 'in', inIds as never);
      await rows
        .set({ provisioning_status: status, updated_at: now } as never)
        .where('provisioning_status', 'like', 'PENDING_%')
        .execute();
      // As Octavia: health monitors and L7 objects report ONLINE (OFFLINE when disabled) once provisioned.
      if (status === 'ACTIVE' && OPERATES_WHEN_ACTIVE.has(table)) {
        await rows
          .set({ operating_status: 'ONLINE' } as never)
          .where('admin_state_up', '=', true)
          .execute();
        await rows
          .set({ operating_status: 'OFFLINE' } as never)
          .where('admin_state_up', '=', false)
          .execute();
      }
    }
    await setProvisioningStatus(trx, 'load_balancer', lbId, status);
  });
}

const OPERATES_WHEN_ACTIVE = new Set<ResourceTable>(['health_monitor', 'l7policy', 'l7rule']);

/** The flow's working amphorae count as heard from the moment they serve (see startHealthClock). */
async function startHealthClocks(ctx: FlowContext): Promise<void> {
  const rows = await ctx.db.kysely
    .selectFrom('amphora')
    .select('id')
    .where('load_balancer_id', '=', ctx.job.loadBalancerId!)
    .where('status', '=', 'ALLOCATED')
    .execute();
  await startHealthClock(
    ctx,
    rows.map((r) => r.id),
  );
}

/** POST loadbalancer (with or without a graph of children): amphora, configuration, ACTIVE tree. */
export const createLoadBalancerFlow: Flow = {
  name: 'loadbalancer.create',
  steps: [
    {
      name: 'choose-amphora-id',
      async run(ctx) {
        ensureId(ctx, 'amphoraId');
      },
    },
    buildAmphoraStep('amphoraId'),
    applyConfigStep,
    {
      name: 'mark-tree-active',
      async run(ctx) {
        await settleTree(ctx, 'ACTIVE');
        await startHealthClocks(ctx);
      },
    },
  ],
  async onFailure(ctx) {
    await settleTree(ctx, 'ERROR');
    const amphoraId = ctx.payload.amphoraId;
    if (typeof amphoraId === 'string')
      await ctx.db.kysely.updateTable('amphora').set({ status: 'ERROR' }).where('id', '=', amphoraId).execute();
  },
};

/** DELETE loadbalancer (cascade or empty): amphorae down, VIP released, every row gone. */
export const deleteLoadBalancerFlow: Flow = {
  name: 'loadbalancer.delete',
  steps: [
    {
      name: 'destroy-amphorae',
      async run(ctx) {
        const amphorae = await ctx.db.kysely
          .selectFrom('amphora')
          .select('id')
          .where('load_balancer_id', '=', ctx.job.loadBalancerId!)
          .execute();
        for (const a of amphorae) await destroyAmphora(ctx, a.id);
      },
    },
    {
      name: 'release-vip',
      async run(ctx) {
        const lb = await ctx.db.kysely
          .selectFrom('load_balancer')
          .selectAll()
          .where('id', '=', ctx.job.loadBalancerId!)
          .executeTakeFirst();
        if (!lb || !lb.vip_address || !lb.vip_port_id) return;
        await ctx.drivers.network.deallocateVip(lb.id, {
          address: lb.vip_address,
          portId: lb.vip_port_id,
          subnetId: lb.vip_subnet_id,
          networkId: lb.vip_network_id,
        });
      },
    },
    {
      name: 'delete-rows',
      async run(ctx) {
        await ctx.db.kysely
          .transaction()
          .execute((trx) => deleteResourceTree(trx, 'load_balancer', ctx.job.loadBalancerId!));
      },
    },
  ],
  async onFailure(ctx) {
    await ctx.db.kysely
      .transaction()
      .execute((trx) => setProvisioningStatus(trx, 'load_balancer', ctx.job.loadBalancerId!, 'ERROR'));
  },
};

/**
 * Failover of a load balancer's amphorae (or of the one in `payload.amphoraToReplace`), queued by the
 * manual APIs and by the failover watch (src/health/failover-watch.ts) with the load balancer locked
 * PENDING_UPDATE. The replacement is built and configured first (same VIP: the VIP belongs to the load
 * balancer), and only then is the old amphora removed: with the process compute driver an old HAProxy that
 * still runs shares the VIP's ports with the new one (SO_REUSEPORT) until it goes, so a healthy amphora is
 * replaced without a refused connection. Then the tree is ACTIVE again. On failure: load balancer ERROR,
 * old amphorae ERROR, the replacement removed, as Octavia.
 */
export const failoverFlow: Flow = {
  name: 'loadbalancer.failover',
  steps: [
    {
      name: 'choose-replacement',
      async run(ctx) {
        if (!Array.isArray(ctx.payload.oldAmphorae)) {
          const only = ctx.payload.amphoraToReplace as string | undefined;
          const rows = await ctx.db.kysely
            .selectFrom('amphora')
            .select('id')
            .where('load_balancer_id', '=', ctx.job.loadBalancerId!)
            .execute();
          ctx.payload.oldAmphorae = rows.map((r) => r.id).filter((id) => !only || id === only);
        }
        ensureId(ctx, 'amphoraId');
      },
    },
    {
      name: 'mark-old-amphorae',
      async run(ctx) {
        const old = ctx.payload.oldAmphorae as string[];
        if (old.length === 0) return;
        await ctx.db.kysely.transaction().execute(async (trx) => {
          await trx
            .updateTable('amphora')
            .set({ status: 'PENDING_DELETE', updated_at: nowTimestamp() })
            .where('id', 'in', old)
            .execute();
          // Whoever queued the failover (API or watch), no watch starts another for these.
          await trx.updateTable('amphora_health').set({ busy: true }).where('amphora_id', 'in', old).execute();
        });
      },
    },
    buildAmphoraStep('amphoraId'),
    applyConfigStep,
    {
      name: 'destroy-old-amphorae',
      async run(ctx) {
        for (const id of ctx.payload.oldAmphorae as string[]) {
          try {
            await destroyAmphora(ctx, id, { viaAgent: false });
          } catch (err) {
            // The replacement serves already: keep it. The old one is left for an operator (DELETE of an
            // ERROR amphora); configuration pushes skip it.
            ctx.log.error({ err, amphora: id }, 'old amphora could not be removed; marked ERROR');
            await ctx.db.kysely
              .updateTable('amphora')
              .set({ status: 'ERROR', updated_at: nowTimestamp() })
              .where('id', '=', id)
              .execute();
          }
        }
      },
    },
    {
      name: 'mark-tree-active',
      async run(ctx) {
        await ctx.db.kysely.transaction().execute((trx) => releaseLocks(trx, ctx.payload.locked, 'ACTIVE'));
        await settleTree(ctx, 'ACTIVE');
        await startHealthClocks(ctx);
      },
    },
  ],
  async onFailure(ctx) {
    await settleTree(ctx, 'ERROR');
    // A build that failed half-way (still BOOTING) is not reverted by its own step: remove what it left.
    const replacement = ctx.payload.amphoraId;
    const booting =
      typeof replacement === 'string' &&
      (await ctx.db.kysely.selectFrom('amphora').select('status').where('id', '=', replacement).executeTakeFirst())
        ?.status === 'BOOTING';
    if (booting)
      await destroyAmphora(ctx, replacement).catch(async (err: unknown) => {
        ctx.log.error({ err, amphora: replacement }, 'failed replacement could not be removed; marked ERROR');
        await ctx.db.kysely.updateTable('amphora').set({ status: 'ERROR' }).where('id', '=', replacement).execute();
      });
    const old = ctx.payload.oldAmphorae;
    if (Array.isArray(old) && old.length)
      await ctx.db.kysely
        .updateTable('amphora')
        .set({ status: 'ERROR', updated_at: nowTimestamp() })
        .where('id', 'in', old as string[])
        .where('status', '=', 'PENDING_DELETE')
        .execute();
  },
};
