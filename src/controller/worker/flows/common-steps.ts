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
      if (amphora.status === 'DELETED' || amphora.status === 'PENDING_DELETE') continue;
      await ctx.drivers.amphora.applyConfig(amphora, graph);
    }
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
    },
    async revert(ctx) {
      await destroyAmphora(ctx, ctx.payload[payloadKey] as string);
    },
  };
}

/** Stop an amphora's compute instance and forget it; nothing left behind if it never fully came up. */
export async function destroyAmphora(ctx: FlowContext, amphoraId: string): Promise<void> {
  const amphora = await ctx.db.kysely.selectFrom('amphora').selectAll().where('id', '=', amphoraId).executeTakeFirst();
  if (!amphora) return;
  if (amphora.load_balancer_id)
    await ctx.drivers.amphora.removeConfig(amphora, amphora.load_balancer_id).catch(() => {});
  if (amphora.compute_id) await ctx.drivers.compute.destroy(amphora.compute_id);
  await ctx.db.kysely.deleteFrom('amphora').where('id', '=', amphoraId).execute();
}

/** Make sure the payload names a fresh id under `key` before the steps that use it run. */
export function ensureId(ctx: FlowContext, key: string): string {
  if (typeof ctx.payload[key] !== 'string') ctx.payload[key] = newId();
  return ctx.payload[key] as string;
}
