import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROVIDERS } from '../../../common/constants.js';
import { badRequest, validationFailure } from '../../../common/errors.js';
import { newId, nowTimestamp } from '../../../common/ids.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import { enqueueFailover } from '../../../health/failover-job.js';
import { loadLoadBalancerGraph } from '../../../db/load-balancer-graph.js';
import { lockLoadBalancerItself, type LockedRef } from '../../../db/provisioning.js';
import { toBool, type LoadBalancerRow } from '../../../db/schema.js';
import { owningProject, requestContext } from '../../context.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import {
  findOwnedOrFail,
  groupIds,
  listOwnedResource,
  loadTags,
  showOwnedResource,
  showResource,
  type ResourceDef,
} from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { bool, ip, listOf, str, uuid, validateBody, type FieldMap } from '../../validation/fields.js';
import { createGraphChildren, countGraph, type GraphResult } from '../graph/load-balancer-graph-create.js';
import { statusTree } from './status-tree.js';
import { loadBalancerStats } from '../listeners/listener-stats.js';
import { checkLoadBalancerSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import { tagsField, writeTags } from '../tags.js';

const POST_FIELDS: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  project_id: str(36),
  tenant_id: str(36),
  vip_subnet_id: uuid(),
  vip_network_id: uuid(),
  vip_port_id: uuid(),
  vip_address: ip(),
  vip_qos_policy_id: uuid(),
  vip_sg_ids: listOf({ kind: 'uuid' }),
  additional_vips: listOf({
    kind: 'object',
    fields: { subnet_id: { type: { kind: 'uuid' }, required: true }, ip_address: ip(), port_id: uuid() },
  }),
  provider: str(64),
  flavor_id: uuid(),
  availability_zone: str(),
  listeners: { type: { kind: 'raw' } },
  pools: { type: { kind: 'raw' } },
  tags: tagsField(),
};

const PUT_FIELDS: FieldMap = {
  name: str(),
  description: str(),
  vip_qos_policy_id: uuid(),
  admin_state_up: bool(),
  vip_sg_ids: listOf({ kind: 'uuid' }),
  tags: tagsField(),
};

export const loadBalancerDef: ResourceDef<'load_balancer'> = {
  table: 'load_balancer',
  singular: 'loadbalancer',
  plural: 'loadbalancers',
  label: 'Load Balancer',
  list: {
    columns: Object.fromEntries(
      [
        'id',
        'name',
        'description',
        'provisioning_status',
        'operating_status',
        'admin_state_up',
        'project_id',
        'created_at',
        'updated_at',
        'vip_address',
        'vip_port_id',
        'vip_subnet_id',
        'vip_network_id',
        'vip_qos_policy_id',
        'provider',
        'flavor_id',
        'availability_zone',
      ].map((c) => [c, c]),
    ),
    kinds: { admin_state_up: 'bool' },
    tagged: true,
  },
  async serialize(rows, services) {
    const ids = rows.map((r) => r.id);
    const kysely = services.db.kysely;
    const [listeners, pools, tags] = await Promise.all([
      ids.length
        ? kysely
            .selectFrom('listener')
            .select(['id', 'load_balancer_id'])
            .where('load_balancer_id', 'in', ids)
            .orderBy('created_at')
            .orderBy('id')
            .execute()
        : [],
      ids.length
        ? kysely
            .selectFrom('pool')
            .select(['id', 'load_balancer_id'])
            .where('load_balancer_id', 'in', ids)
            .orderBy('created_at')
            .orderBy('id')
            .execute()
        : [],
      loadTags(services, ids),
    ]);
    const byLbListeners = groupIds(listeners, 'load_balancer_id');
    const byLbPools = groupIds(pools, 'load_balancer_id');
    return rows.map((r) =>
      serializeLoadBalancer(r, byLbListeners.get(r.id) ?? [], byLbPools.get(r.id) ?? [], tags.get(r.id) ?? []),
    );
  },
};

/** A load balancer in the field order Octavia answers with. */
export function serializeLoadBalancer(
  r: LoadBalancerRow,
  listeners: unknown[],
  pools: unknown[],
  tags: string[],
): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name ?? '',
    description: r.description ?? '',
    provisioning_status: r.provisioning_status,
    operating_status: r.operating_status,
    admin_state_up: toBool(r.admin_state_up),
    project_id: r.project_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
    vip_address: r.vip_address,
    vip_port_id: r.vip_port_id,
    vip_subnet_id: r.vip_subnet_id,
    vip_network_id: r.vip_network_id,
    additional_vips: JSON.parse(r.additional_vips) as unknown[],
    listeners,
    pools,
    provider: r.provider,
    flavor_id: r.flavor_id,
    vip_qos_policy_id: r.vip_qos_policy_id,
    tags,
    availability_zone: r.availability_zone,
    tenant_id: r.project_id,
  };
}

async function checkFlavorAndZone(
  services: ApiServices,
  body: Record<string, unknown>,
  provider: string,
): Promise<void> {
  const kysely = services.db.kysely;
  if (typeof body.flavor_id === 'string') {
    const flavor = await kysely
      .selectFrom('flavor')
      .innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
      .select(['flavor.enabled', 'flavor_profile.provider_name'])
      .where('flavor.id', '=', body.flavor_id)
      .executeTakeFirst();
    if (!flavor) throw validationFailure(`Invalid flavor_id.`);
    if (!toBool(flavor.enabled))
      throw badRequest(`The selected flavor is not allowed in this deployment: ${body.flavor_id}`);
    if (flavor.provider_name !== provider)
      throw badRequest(`Flavor ${body.flavor_id} is not compatible with provider ${provider}`);
  }
  if (typeof body.availability_zone === 'string') {
    const zone = await kysely
      .selectFrom('availability_zone')
      .select('enabled')
      .where('name', '=', body.availability_zone)
      .executeTakeFirst();
    if (!zone) throw validationFailure(`Invalid availability zone.`);
    if (!toBool(zone.enabled))
      throw badRequest(`The selected availability_zone is not allowed in this deployment: ${body.availability_zone}`);
  }
}

export async function loadBalancerRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config, drivers } = services;
  const plane = haproxyDataPlane(config);

  app.get('/v2/lbaas/loadbalancers', (req) => listOwnedResource(req, loadBalancerDef, services));
  app.get<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id', (req) =>
    showOwnedResource(req, loadBalancerDef, services, req.params.id),
  );

  app.post('/v2/lbaas/loadbalancers', async (req, reply) => {
    const body = validateBody(req.body, 'loadbalancer', 'load_balancer', POST_FIELDS, true);
    const ctx = requestContext(req);
    const projectId = owningProject(ctx, body);
    // A member creates in its own project only; an administrator in any (before a VIP is taken).
    authorize(req, projectId);
    if (!body.vip_port_id && !body.vip_network_id && !body.vip_subnet_id)
      throw validationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
    const provider = (body.provider as string | null | undefined) ?? 'amphora';
    if (!PROVIDERS.some((p) => p.name === provider)) throw badRequest(`Provider '${provider}' is not enabled.`);
    await checkFlavorAndZone(services, body, provider);
    // Check an embedded graph before a VIP is allocated, so its 4xx comes first, as in Octavia.
    const graphCounts = countGraph(body, req.body, plane);
    checkLoadBalancerSupport(plane, body);

    const id = newId();
    const vip = await drivers.network.allocateVip({
      loadBalancerId: id,
      projectId,
      subnetId: (body.vip_subnet_id as string | undefined) ?? undefined,
      networkId: (body.vip_network_id as string | undefined) ?? undefined,
      portId: (body.vip_port_id as string | undefined) ?? undefined,
      address: (body.vip_address as string | undefined) ?? undefined,
    });
    const now = nowTimestamp();
    const row: LoadBalancerRow = {
      id,
      project_id: projectId,
      name: (body.name as string | null | undefined) ?? '',
      description: (body.description as string | null | undefined) ?? '',
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      admin_state_up: (body.admin_state_up as boolean | null | undefined) ?? true,
      created_at: now,
      updated_at: null,
      vip_address: vip.address,
      vip_port_id: vip.portId,
      vip_subnet_id: vip.subnetId,
      vip_network_id: vip.networkId,
      vip_qos_policy_id: (body.vip_qos_policy_id as string | null | undefined) ?? null,
      vip_sg_ids: body.vip_sg_ids ? JSON.stringify(body.vip_sg_ids) : null,
      additional_vips: JSON.stringify(body.additional_vips ?? []),
      provider,
      flavor_id: (body.flavor_id as string | null | undefined) ?? null,
      availability_zone: (body.availability_zone as string | null | undefined) ?? null,
      topology: 'SINGLE',
    };
    let graph: GraphResult | undefined;
    try {
      await db.kysely.transaction().execute(async (trx) => {
        await enforceQuotas(trx, db, config, projectId, { loadbalancer: 1, ...graphCounts });
        await trx.insertInto('load_balancer').values(row).execute();
        await writeTags(trx, id, body.tags);
        graph = await createGraphChildren(trx, row, body, req.body);
        await enqueueJob(trx, {
          flow: 'loadbalancer.create',
          loadBalancerId: id,
          resourceId: id,
          payload: { locked: [] },
        });
      });
    } catch (err) {
      await drivers.network.deallocateVip(id, vip).catch(() => {});
      throw err;
    }
    notifyJobsQueued();
    reply.code(201);
    const view = serializeLoadBalancer(
      row,
      graph?.listeners ?? [],
      graph?.pools ?? [],
      (body.tags as string[] | null | undefined) ?? [],
    );
    // Octavia puts the (full) listeners and pools first in this one response.
    return { loadbalancer: { listeners: view.listeners, pools: view.pools, ...view } };
  });

  app.put<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id', async (req) => {
    const id = req.params.id;
    await findOwnedOrFail(req, loadBalancerDef, services, id);
    const body = validateBody(req.body, 'loadbalancer', 'load_balancer', PUT_FIELDS, false);
    checkLoadBalancerSupport(plane, body);
    await db.kysely.transaction().execute(async (trx) => {
      const lock = await lockLoadBalancerItself(trx, id, 'PENDING_UPDATE');
      const changes: Partial<LoadBalancerRow> = {};
      if ('name' in body) changes.name = (body.name as string | null) ?? '';
      if ('description' in body) changes.description = (body.description as string | null) ?? '';
      if ('admin_state_up' in body) changes.admin_state_up = body.admin_state_up === true;
      if ('vip_qos_policy_id' in body) changes.vip_qos_policy_id = body.vip_qos_policy_id as string | null;
      if ('vip_sg_ids' in body) changes.vip_sg_ids = body.vip_sg_ids ? JSON.stringify(body.vip_sg_ids) : null;
      if (Object.keys(changes).length > 0)
        await trx.updateTable('load_balancer').set(changes).where('id', '=', id).execute();
      await writeTags(trx, id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: id,
        resourceId: id,
        payload: { locked: [], targets: [{ ...lock, action: 'update' }] },
      });
    });
    notifyJobsQueued();
    return showResource(req, loadBalancerDef, services, id);
  });

  app.delete<{ Params: { id: string }; Querystring: { cascade?: string } }>(
    '/v2/lbaas/loadbalancers/:id',
    async (req, reply) => {
      const id = req.params.id;
      await findOwnedOrFail(req, loadBalancerDef, services, id);
      const cascade = ['true', '1', 'yes', 't', 'on', 'y'].includes(String(req.query.cascade ?? '').toLowerCase());
      await db.kysely.transaction().execute(async (trx) => {
        await lockLoadBalancerItself(trx, id, 'PENDING_DELETE', ['ACTIVE', 'ERROR']);
        const children = await trx
          .selectFrom('listener')
          .select('id')
          .where('load_balancer_id', '=', id)
          .union(trx.selectFrom('pool').select('id').where('load_balancer_id', '=', id))
          .execute();
        if (children.length > 0 && !cascade)
          throw validationFailure(`Cannot delete Load Balancer ${id} - it has children`);
        await markTreePendingDelete(trx, id);
        await enqueueJob(trx, {
          flow: 'loadbalancer.delete',
          loadBalancerId: id,
          resourceId: id,
          payload: { locked: [] },
        });
      });
      notifyJobsQueued();
      reply.code(204);
    },
  );

  const status = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    await findOwnedOrFail(req, loadBalancerDef, services, req.params.id);
    const graph = await loadLoadBalancerGraph(db.kysely, req.params.id);
    return { statuses: { loadbalancer: statusTree(graph!) } };
  };
  app.get<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id/status', status);
  app.get<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id/statuses', status);

  app.get<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id/stats', async (req) => {
    await findOwnedOrFail(req, loadBalancerDef, services, req.params.id);
    return { stats: await loadBalancerStats(db.kysely, req.params.id) };
  });

  app.put<{ Params: { id: string } }>('/v2/lbaas/loadbalancers/:id/failover', async (req, reply) => {
    const id = req.params.id;
    await findOwnedOrFail(req, loadBalancerDef, services, id);
    await db.kysely.transaction().execute(async (trx) => {
      const lock: LockedRef = await lockLoadBalancerItself(trx, id, 'PENDING_UPDATE', ['ACTIVE', 'ERROR']);
      // Every amphora of the load balancer is replaced, by the flow the failover watch also queues.
      await enqueueFailover(trx, { lock, loadBalancerId: id });
    });
    notifyJobsQueued();
    reply.code(202);
  });
}

/** A cascade delete shows every object of the tree as PENDING_DELETE, as Octavia does. */
async function markTreePendingDelete(trx: Parameters<typeof lockLoadBalancerItself>[0], lbId: string): Promise<void> {
  const now = nowTimestamp();
  const set = { provisioning_status: 'PENDING_DELETE', updated_at: now };
  const listenerIds = trx.selectFrom('listener').select('id').where('load_balancer_id', '=', lbId);
  const poolIds = trx.selectFrom('pool').select('id').where('load_balancer_id', '=', lbId);
  await trx
    .updateTable('l7rule')
    .set(set)
    .where('l7policy_id', 'in', trx.selectFrom('l7policy').select('id').where('listener_id', 'in', listenerIds))
    .execute();
  await trx.updateTable('l7policy').set(set).where('listener_id', 'in', listenerIds).execute();
  await trx.updateTable('member').set(set).where('pool_id', 'in', poolIds).execute();
  await trx.updateTable('health_monitor').set(set).where('pool_id', 'in', poolIds).execute();
  await trx.updateTable('listener').set(set).where('load_balancer_id', '=', lbId).execute();
  await trx.updateTable('pool').set(set).where('load_balancer_id', '=', lbId).execute();
}
export { POST_FIELDS as LOAD_BALANCER_POST_FIELDS, PUT_FIELDS as LOAD_BALANCER_PUT_FIELDS };
