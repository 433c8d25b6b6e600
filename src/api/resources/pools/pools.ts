import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, validationFailure } from '../../../common/errors.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import {
  lockListenersIfActive,
  lockLoadBalancerForChild,
  lockTarget,
  type LockedRef,
  type Tx,
} from '../../../db/provisioning.js';
import type { ListenerRow, PoolRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { findOrFail, findOwnedOrFail, listOwnedResource, showOwnedResource } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkPoolSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import { validateBody } from '../../validation/fields.js';
import type { SessionPersistence } from '../../validation/session-persistence.js';
import { checkPoolProtocol } from '../listeners/listener-rules.js';
import { checkPlanAgainstLoadBalancer, graphTargets, insertGraph } from '../graph/graph-insert.js';
import { countPlan, planPool } from '../graph/graph-plan.js';
import { readPoolGraph } from '../graph/graph-shape.js';
import { checkPoolPlanSupport } from '../graph/graph-support.js';
import { fullPoolView } from '../graph/graph-views.js';
import { POOL_POST_FIELDS, POOL_PUT_FIELDS, poolChanges } from './pool-fields.js';
import { checkPoolUpdate, resolveSessionPersistence } from './pool-rules.js';
import { poolDef, poolListenerIds, poolViews } from './pool-view.js';
import { writeTags } from '../tags.js';

const LOAD_BALANCER = { table: 'load_balancer', label: 'Load Balancer' } as const;
const LISTENER = { table: 'listener', label: 'Listener' } as const;

/** Lock what a pool change touches: its load balancer, then the listeners it serves that are ACTIVE. */
async function lockPoolParents(trx: Tx, lbId: string, listenerIds: string[]): Promise<LockedRef[]> {
  const lbLock = await lockLoadBalancerForChild(trx, lbId);
  return [lbLock, ...(await lockListenersIfActive(trx, listenerIds))];
}

async function readPool(trx: Tx, id: string): Promise<PoolRow> {
  return trx.selectFrom('pool').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The pool collection and its objects: `/v2/lbaas/pools[/{id}]`. */
export async function poolRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);

  app.get('/v2/lbaas/pools', (req) => listOwnedResource(req, poolDef, services));
  app.get<{ Params: { id: string } }>('/v2/lbaas/pools/:id', (req) =>
    showOwnedResource(req, poolDef, services, req.params.id),
  );

  app.post('/v2/lbaas/pools', async (req, reply) => {
    const body = validateBody(req.body, 'pool', 'pool_', POOL_POST_FIELDS, true);
    // The pool's own rules, and those of the health monitor and members its body may embed.
    const plan = planPool(readPoolGraph(body, req.body), req.body);
    let listener: ListenerRow | undefined;
    if (typeof body.listener_id === 'string') {
      listener = await findOrFail(LISTENER, services, body.listener_id);
      authorize(req, listener.project_id);
      // Octavia skips this check when loadbalancer_id is given too; a pool the listener cannot use is refused either way.
      checkPoolProtocol(listener.protocol, body.protocol as string);
    }
    const lbId = (body.loadbalancer_id as string | null | undefined) ?? listener?.load_balancer_id;
    if (!lbId) throw validationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    const lb = await findOrFail(LOAD_BALANCER, services, lbId);
    authorize(req, lb.project_id);
    if (listener && listener.load_balancer_id !== lb.id)
      throw validationFailure(`Listener ${listener.id} does not belong to Load Balancer ${lb.id}.`);
    checkPoolPlanSupport(plane, plan, listener ? [listener.protocol] : []);
    const graph = { pools: [plan], listeners: [] };

    const view = await db.kysely.transaction().execute(async (trx) => {
      if (lb.project_id) await enforceQuotas(trx, db, config, lb.project_id, countPlan(graph));
      if (listener) {
        const current = await trx
          .selectFrom('listener')
          .select('default_pool_id')
          .where('id', '=', listener.id)
          .executeTakeFirst();
        if (current?.default_pool_id) throw conflict('This listener already has a default pool');
      }
      const locked = await lockPoolParents(trx, lb.id, listener ? [listener.id] : []);
      await checkPlanAgainstLoadBalancer(trx, graph, lb);
      const tree = await insertGraph(trx, lb, graph);
      const pool = tree.pools[0]!;
      // With listener_id the new pool becomes that listener's default pool, in the same transaction.
      if (listener)
        await trx.updateTable('listener').set({ default_pool_id: pool.row.id }).where('id', '=', listener.id).execute();
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: lb.id,
        resourceId: pool.row.id,
        payload: { locked, targets: graphTargets(tree) },
      });
      // A pool given a health monitor or members answers with them in full, as in a load balancer's graph.
      if (!plan.healthMonitor && plan.members.length === 0) return (await poolViews(trx, [pool.row]))[0]!;
      return fullPoolView(pool, listener ? [listener.id] : [], true);
    });
    notifyJobsQueued();
    reply.code(201);
    return { pool: view };
  });

  app.put<{ Params: { id: string } }>('/v2/lbaas/pools/:id', async (req) => {
    const current = await findOwnedOrFail(req, poolDef, services, req.params.id);
    const body = validateBody(req.body, 'pool', 'pool_', POOL_PUT_FIELDS, false);
    if (body.lb_algorithm === null)
      throw badRequest(`Invalid input for field/attribute lb_algorithm. Value: 'None'. Mandatory field missing.`);
    const storedSp =
      current.session_persistence === null ? null : (JSON.parse(current.session_persistence) as SessionPersistence);
    const sp = resolveSessionPersistence(body, req.body, current.protocol, storedSp, false) ?? null;
    checkPoolUpdate(body, current);
    const view = await db.kysely.transaction().execute(async (trx) => {
      const listenerIds = (await poolListenerIds(trx, [current.id])).get(current.id) ?? [];
      if (plane) {
        // A persistence the request sets must suit the backends of the listeners that use the pool.
        const listeners =
          sp && listenerIds.length
            ? await trx.selectFrom('listener').select('protocol').where('id', 'in', listenerIds).execute()
            : [];
        checkPoolSupport(
          plane,
          current.protocol,
          body,
          sp?.type,
          listeners.map((l) => l.protocol),
        );
      }
      const locked = await lockPoolParents(trx, current.load_balancer_id, listenerIds);
      await lockTarget(trx, 'pool', current.id, 'PENDING_UPDATE');
      await trx
        .updateTable('pool')
        .set(poolChanges(body, current, sp))
        .where('id', '=', current.id)
        .execute();
      await writeTags(trx, current.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: current.load_balancer_id,
        resourceId: current.id,
        payload: { locked, targets: [{ table: 'pool', id: current.id, action: 'update' }] },
      });
      return (await poolViews(trx, [await readPool(trx, current.id)]))[0]!;
    });
    notifyJobsQueued();
    return { pool: view };
  });

  app.delete<{ Params: { id: string } }>('/v2/lbaas/pools/:id', async (req, reply) => {
    const current = await findOwnedOrFail(req, poolDef, services, req.params.id);
    await db.kysely.transaction().execute(async (trx) => {
      const policy = await trx
        .selectFrom('l7policy')
        .select('id')
        .where('redirect_pool_id', '=', current.id)
        .orderBy('created_at')
        .executeTakeFirst();
      if (policy) throw conflict(`Pool ${current.id} is in use by L7 policy ${policy.id}`);
      const listenerIds = (await poolListenerIds(trx, [current.id])).get(current.id) ?? [];
      const locked = await lockPoolParents(trx, current.load_balancer_id, listenerIds);
      await lockTarget(trx, 'pool', current.id, 'PENDING_DELETE');
      // The flow removes the pool with its members and health monitor, and clears listeners' default_pool_id.
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: current.load_balancer_id,
        resourceId: current.id,
        payload: { locked, targets: [{ table: 'pool', id: current.id, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });
}
