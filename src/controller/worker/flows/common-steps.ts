import { newId, nowTimestamp } from '../../../common/ids.js';
import { loadLoadBalancerGraph } from '../../../db/load-balancer-graph.js';
import type { FlowContext, FlowStep } from '../flow.js';

/** Steps several flows share. */

/** Push the load balancer's current model to every amphora it has. */
export const applyConfigStep: FlowStep = {
  name: 'apply-config',
  async run(ctx) {
    const lbId = ctx.job.loadBalancerId;
    if (!lbId) return;
    const graph = await loadLoadBalancerGraph(ctx.db.kysely, lbId);
    if (!graph) return;
    for (const amphora of graph.amphorae) {
      // Amphorae on their way out, and broken ones (a failover could not remove it), get nothing.
      if (amphora.status === 'DELETED' || amphora.status === 'PENDING_DELETE' || amphora.status === 'ERROR') continue;
      await ctx.drivers.amphora.applyConfig(amphora, graph);
    }
    // Octavia's update_vip: the VIP port's security group opens the listener ports.
    await ctx.drivers.network.updateVip?.(lbId);
  },
};

/**
 * Build one amphora for the job's load balancer. The id is chosen and saved before anything is built,
 * so a resumed step finds its own half-built amphora instead of starting a second one.
 */
export function buildAmphoraStep(payloadKey: string): FlowStep {
  return {
    name: `build-amphora:${payloadKey}`,
    async run(ctx) {
      const lbId = ctx.job.loadBalancerId!;
      const amphoraId = ctx.payload[payloadKey] as string;
      const lb = await ctx.db.kysely
        .selectFrom('load_balancer')
        .selectAll()
        .where('id', '=', lbId)
        .executeTakeFirstOrThrow();
      const existing = await ctx.db.kysely
        .selectFrom('amphora')
        .select('id')
        .where('id', '=', amphoraId)
        .executeTakeFirst();
      const now = nowTimestamp();
      if (!existing) {
        await ctx.db.kysely
          .insertInto('amphora')
          .values({
            id: amphoraId,
            load_balancer_id: lbId,
            compute_id: null,
            lb_network_ip: null,
            vrrp_ip: null,
            ha_ip: null,
            vrrp_port_id: null,
            ha_port_id: null,
            cert_expiration: null,
            cert_busy: false,
            role: null,
            status: 'BOOTING',
            vrrp_interface: null,
            vrrp_id: null,
            vrrp_priority: null,
            cached_zone: null,
            image_id: null,
            compute_flavor: null,
            created_at: now,
            updated_at: null,
          })
          .execute();
      }
      const built = await ctx.drivers.compute.build({ amphoraId, loadBalancerId: lbId });
      const certExpiry = built.certExpiration ?? new Date(Date.now() + 30 * 24 * 3600 * 1000);
      await ctx.db.kysely
        .updateTable('amphora')
        .set({
          compute_id: built.computeId,
          lb_network_ip: built.lbNetworkIp,
          vrrp_ip: lb.vip_address,
          ha_ip: lb.vip_address,
          vrrp_port_id: newId(),
          ha_port_id: lb.vip_port_id,
          cert_expiration: nowTimestamp(certExpiry),
          role: 'STANDALONE',
          vrrp_id: 1,
          status: 'ALLOCATED',
          updated_at: nowTimestamp(),
        })
        .where('id', '=', amphoraId)
        .execute();
      await startHealthClock(ctx, [amphoraId]);
    },
    async revert(ctx) {
      await destroyAmphora(ctx, ctx.payload[payloadKey] as string);
    },
  };
}

/**
 * Stop an amphora's compute instance and forget it (its row and its health row); nothing left behind if it
 * never fully came up. `viaAgent: false` skips asking the agent to remove its configuration first: a failover
 * presumes the amphora broken (a hung agent would hold the flow for the agent timeout), and removing the
 * compute instance stops its HAProxy anyway (the process driver stops it gracefully).
 */
export async function destroyAmphora(
  ctx: FlowContext,
  amphoraId: string,
  options: { viaAgent: boolean } = { viaAgent: true },
): Promise<void> {
  const amphora = await ctx.db.kysely.selectFrom('amphora').selectAll().where('id', '=', amphoraId).executeTakeFirst();
  if (!amphora) return;
  if (options.viaAgent && amphora.load_balancer_id)
    await ctx.drivers.amphora.removeConfig(amphora, amphora.load_balancer_id).catch(() => {});
  if (amphora.compute_id) await ctx.drivers.compute.destroy(amphora.compute_id);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('amphora_health').where('amphora_id', '=', amphoraId).execute();
    await trx.deleteFrom('amphora').where('id', '=', amphoraId).execute();
  });
}

/**
 * An amphora counts as heard now (its health row is created or brought forward): the failover watch gives
 * it one full heartbeat timeout from the moment it is built and configured, and fails it over if it never
 * speaks at all (Octavia watches an amphora only after its first heartbeat). The sequence number and the
 * busy flag of an existing row are kept.
 */
export async function startHealthClock(ctx: FlowContext, amphoraIds: string[]): Promise<void> {
  const now = Date.now();
  for (const amphoraId of amphoraIds) {
    await ctx.db.kysely
      .insertInto('amphora_health')
      .values({ amphora_id: amphoraId, last_update_ms: now, last_seq: 0, busy: false })
      .onConflict((oc) =>
        oc.column('amphora_id').doUpdateSet({ last_update_ms: now }).where('amphora_health.last_update_ms', '<', now),
      )
      .execute();
  }
}

/** Make sure the payload names a fresh id under `key` before the steps that use it run. */
export function ensureId(ctx: FlowContext, key: string): string {
  if (typeof ctx.payload[key] !== 'string') ctx.payload[key] = newId();
  return ctx.payload[key] as string;
}
