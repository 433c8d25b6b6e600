import type { FastifyInstance } from 'fastify';
import { conflict, notFound } from '../../../common/errors.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import { lockLoadBalancerForChild, lockTarget, type LockedRef, type Tx } from '../../../db/provisioning.js';
import type { ListenerRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { findOrFail, findOwnedOrFail, listOwnedResource, showOwnedResource } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkListenerSupport, haproxyDataPlane, type HaproxyDataPlane } from '../../validation/data-plane-support.js';
import { validateBody } from '../../validation/fields.js';
import { hasVipSecurityGroups, vipsOf } from '../load-balancers/load-balancer-vips.js';
import { checkPlanAgainstLoadBalancer, graphTargets, insertGraph } from '../graph/graph-insert.js';
import { countPlan, planListenerGraph } from '../graph/graph-plan.js';
import { checkGraphSupport } from '../graph/graph-support.js';
import { readListenerGraph } from '../graph/graph-shape.js';
import { LISTENER_POST_FIELDS, LISTENER_PUT_FIELDS, listenerChanges } from './listener-fields.js';
import { checkAllowedCidrs, checkListenerUpdate, checkPoolProtocol, l4Family } from './listener-rules.js';
import { listenerDef, listenerViews } from './listener-view.js';
import { listenerStats } from './listener-stats.js';
import { writeTags } from '../tags.js';

const LOAD_BALANCER = { table: 'load_balancer', label: 'Load Balancer' } as const;

/**
 * A default pool must be a pool of the same load balancer whose protocol the listener can forward to,
 * and whose backend the HAProxy data plane (when there is one) can run behind this listener.
 */
async function checkDefaultPool(
  trx: Tx,
  lbId: string,
  poolId: string,
  listenerProtocol: string,
  plane: HaproxyDataPlane | undefined,
): Promise<void> {
  const pool = await trx
    .selectFrom('pool')
    .select(['protocol', 'session_persistence'])
    .where('id', '=', poolId)
    .where('load_balancer_id', '=', lbId)
    .executeTakeFirst();
  if (!pool) throw notFound(`Pool ${poolId} not found.`);
  checkPoolProtocol(listenerProtocol, pool.protocol);
  const persistence =
    pool.session_persistence === null ? null : (JSON.parse(pool.session_persistence) as { type: string });
  checkListenerSupport(plane, listenerProtocol, {}, { protocol: pool.protocol, persistenceType: persistence?.type });
}

/** Two listeners of one load balancer may not share a port within one L4 family (409, as Octavia). */
async function checkPortFree(trx: Tx, lbId: string, protocol: string, port: number): Promise<void> {
  const others = await trx
    .selectFrom('listener')
    .select('protocol')
    .where('load_balancer_id', '=', lbId)
    .where('protocol_port', '=', port)
    .execute();
  const clash = others.find((o) => l4Family(o.protocol) === l4Family(protocol));
  if (clash)
    throw conflict(
      `Another Listener on this Load Balancer is already using protocol ${clash.protocol} and protocol_port ${port}`,
    );
}

async function readListener(trx: Tx, id: string): Promise<ListenerRow> {
  return trx.selectFrom('listener').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The listener collection and its objects: `/v2/lbaas/listeners[/{id}[/stats]]`. */
export async function listenerRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);

  app.get('/v2/lbaas/listeners', (req) => listOwnedResource(req, listenerDef, services));
  app.get<{ Params: { id: string } }>('/v2/lbaas/listeners/:id', (req) =>
    showOwnedResource(req, listenerDef, services, req.params.id),
  );

  app.get<{ Params: { id: string } }>('/v2/lbaas/listeners/:id/stats', async (req) => {
    await findOwnedOrFail(req, listenerDef, services, req.params.id);
    return { stats: await listenerStats(db.kysely, req.params.id) };
  });

  app.post('/v2/lbaas/listeners', async (req, reply) => {
    const body = validateBody(req.body, 'listener', 'listener_', LISTENER_POST_FIELDS, true);
    const lb = await findOrFail(LOAD_BALANCER, services, body.loadbalancer_id as string);
    // A listener belongs to its load balancer's project, whatever the body says.
    authorize(req, lb.project_id);
    // The listener's own rules, and those of the default pool and L7 policies its body may embed.
    const graph = planListenerGraph(readListenerGraph(body, req.body), req.body);
    const plan = graph.listeners[0]!;
    const protocol = plan.fields.protocol as string;
    checkGraphSupport(plane, graph);
    const view = await db.kysely.transaction().execute(async (trx) => {
      // Everything belongs to the load balancer's project, whatever the body says.
      if (lb.project_id) await enforceQuotas(trx, db, config, lb.project_id, countPlan(graph));
      if (!plan.defaultPool && typeof plan.fields.default_pool_id === 'string')
        await checkDefaultPool(trx, lb.id, plan.fields.default_pool_id, protocol, plane);
      const lbLock = await lockLoadBalancerForChild(trx, lb.id);
      await checkPortFree(trx, lb.id, protocol, plan.fields.protocol_port as number);
      await checkPlanAgainstLoadBalancer(trx, graph, lb);
      const tree = await insertGraph(trx, lb, graph);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: lb.id,
        resourceId: plan.id,
        payload: { locked: [lbLock], targets: graphTargets(tree) },
      });
      return (await listenerViews(trx, [tree.listeners[0]!.row]))[0]!;
    });
    notifyJobsQueued();
    reply.code(201);
    return { listener: view };
  });

  app.put<{ Params: { id: string } }>('/v2/lbaas/listeners/:id', async (req) => {
    const current = await findOwnedOrFail(req, listenerDef, services, req.params.id);
    const body = validateBody(req.body, 'listener', 'listener_', LISTENER_PUT_FIELDS, false);
    checkListenerUpdate(body, current);
    checkListenerSupport(plane, current.protocol, body);
    const lbId = current.load_balancer_id;
    const view = await db.kysely.transaction().execute(async (trx) => {
      if ('allowed_cidrs' in body) {
        const lb = await trx.selectFrom('load_balancer').selectAll().where('id', '=', lbId).executeTakeFirstOrThrow();
        checkAllowedCidrs(body.allowed_cidrs, vipsOf(lb), hasVipSecurityGroups(lb));
      }
      if (typeof body.default_pool_id === 'string')
        await checkDefaultPool(trx, lbId, body.default_pool_id, current.protocol, plane);
      const locked: LockedRef[] = [await lockLoadBalancerForChild(trx, lbId)];
      await lockTarget(trx, 'listener', current.id, 'PENDING_UPDATE');
      const changes = listenerChanges(body, current.protocol);
      if (Object.keys(changes).length > 0)
        await trx.updateTable('listener').set(changes).where('id', '=', current.id).execute();
      await writeTags(trx, current.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: lbId,
        resourceId: current.id,
        payload: { locked, targets: [{ table: 'listener', id: current.id, action: 'update' }] },
      });
      return (await listenerViews(trx, [await readListener(trx, current.id)]))[0]!;
    });
    notifyJobsQueued();
    return { listener: view };
  });

  app.delete<{ Params: { id: string } }>('/v2/lbaas/listeners/:id', async (req, reply) => {
    const current = await findOwnedOrFail(req, listenerDef, services, req.params.id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = [await lockLoadBalancerForChild(trx, current.load_balancer_id)];
      await lockTarget(trx, 'listener', current.id, 'PENDING_DELETE');
      // The flow removes the listener with its L7 policies and rules; its pools stay with the load balancer.
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: current.load_balancer_id,
        resourceId: current.id,
        payload: { locked, targets: [{ table: 'listener', id: current.id, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });
}
