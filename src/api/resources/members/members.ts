import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound, validationFailure } from '../../../common/errors.js';
import { nowTimestamp } from '../../../common/ids.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import type { ChangeTarget } from '../../../controller/worker/flows/apply-changes.js';
import { lockTarget, type Tx } from '../../../db/provisioning.js';
import type { MemberRow, PoolRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { listResource, showResource } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkMemberSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import { validateBody, type Clean } from '../../validation/fields.js';
import { isEmptyPlan, netGrowth, planMemberBatch, validateBatchBody } from './member-batch.js';
import {
  checkMemberAddresses,
  DEFAULT_WEIGHT,
  duplicateMember,
  MEMBER_POST_FIELDS,
  MEMBER_PUT_FIELDS,
  memberDef,
  newMemberRow,
  serializeMember,
} from './member-model.js';
import { findPool, isUniqueViolation, lockPoolParents, memberSriovAllowed } from './member-pool.js';
import { writeTags } from '../tags.js';

type PoolParams = { Params: { pool_id: string } };
type MemberParams = { Params: { pool_id: string; member_id: string } };

/** A member of the URL's pool; one of another pool is "not found", as in Octavia. */
async function findMemberOfPool(services: ApiServices, poolId: string, id: string): Promise<MemberRow> {
  const row = await services.db.kysely.selectFrom('member').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.pool_id !== poolId) throw notFound(`Member ${id} not found.`);
  return row;
}

/** The pool of the URL (404 when unknown), then the route's policy on its project (403). */
async function findOwnedPool(req: FastifyRequest, services: ApiServices, poolId: string): Promise<PoolRow> {
  const pool = await findPool(services, poolId);
  authorize(req, pool.project_id);
  return pool;
}

/** Insert a member, answering 409 for an (address, port) the pool already has, whether seen first or by the index. */
async function insertMember(trx: Tx, row: MemberRow): Promise<void> {
  const existing = await trx
    .selectFrom('member')
    .select('id')
    .where('pool_id', '=', row.pool_id)
    .where('address', '=', row.address)
    .where('protocol_port', '=', row.protocol_port)
    .executeTakeFirst();
  if (existing) throw duplicateMember(row.address, row.protocol_port);
  try {
    await trx.insertInto('member').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateMember(row.address, row.protocol_port);
    throw err;
  }
}

async function poolHasMonitor(trx: Tx, poolId: string): Promise<boolean> {
  return (
    (await trx.selectFrom('health_monitor').select('id').where('pool_id', '=', poolId).executeTakeFirst()) !== undefined
  );
}

/** The vnic type of each new member: `direct` for those asking for SR-IOV, which the flavor must allow. */
async function vnicTypes(services: ApiServices, pool: PoolRow, entries: Clean[]): Promise<string[]> {
  const wantsSriov = entries.map((e) => e.request_sriov === true);
  if (wantsSriov.some(Boolean) && !(await memberSriovAllowed(services.db.kysely, pool.load_balancer_id)))
    throw validationFailure('The load balancer flavor does not allow SR-IOV member ports.');
  return wantsSriov.map((sriov) => (sriov ? 'direct' : 'normal'));
}

/** Octavia's lenient reading of `additive_only` (oslo bool_from_string): anything unrecognised is false. */
const isTrue = (v: string | undefined) =>
  ['1', 't', 'true', 'on', 'y', 'yes'].includes(
    String(v ?? '')
      .trim()
      .toLowerCase(),
  );

/** Routes of `/v2/lbaas/pools/{pool_id}/members`: list, show, create, update, delete and the batch update. */
export async function memberRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);
  const collection = '/v2/lbaas/pools/:pool_id/members';
  const item = `${collection}/:member_id`;

  app.get<PoolParams>(collection, async (req) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    return listResource(req, memberDef, services, (q) => q.where('pool_id', '=', pool.id));
  });

  app.get<MemberParams>(item, async (req) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    await findMemberOfPool(services, pool.id, req.params.member_id);
    return showResource(req, memberDef, services, req.params.member_id);
  });

  app.post<PoolParams>(collection, async (req, reply) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    const body = validateBody(req.body, 'member', 'member_', MEMBER_POST_FIELDS, true);
    checkMemberAddresses(body);
    checkMemberSupport(plane, pool.protocol, body);
    const [vnicType] = await vnicTypes(services, pool, [body]);
    const row = await db.kysely.transaction().execute(async (trx) => {
      if (pool.project_id) await enforceQuotas(trx, db, config, pool.project_id, { member: 1 });
      const locked = await lockPoolParents(trx, pool);
      const member = newMemberRow(pool, body, {
        hasMonitor: await poolHasMonitor(trx, pool.id),
        now: nowTimestamp(),
        vnicType: vnicType!,
      });
      await insertMember(trx, member);
      await writeTags(trx, member.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: member.id,
        payload: { locked, targets: [{ table: 'member', id: member.id, action: 'create' }] },
      });
      return member;
    });
    notifyJobsQueued();
    reply.code(201);
    return { member: serializeMember(row, [...new Set((body.tags as string[] | null | undefined) ?? [])]) };
  });

  app.put<MemberParams>(item, async (req) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    const body = validateBody(req.body, 'member', 'member_', MEMBER_PUT_FIELDS, false);
    checkMemberAddresses(body);
    checkMemberSupport(plane, pool.protocol, body);
    const member = await findMemberOfPool(services, pool.id, req.params.member_id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPoolParents(trx, pool);
      await lockTarget(trx, 'member', member.id, 'PENDING_UPDATE');
      const changes: Partial<MemberRow> = {};
      if ('name' in body) changes.name = body.name as string | null;
      if ('admin_state_up' in body) changes.admin_state_up = body.admin_state_up === true;
      if ('weight' in body) changes.weight = (body.weight as number | null) ?? DEFAULT_WEIGHT;
      if ('backup' in body) changes.backup = body.backup === true;
      if ('monitor_address' in body) changes.monitor_address = body.monitor_address as string | null;
      if ('monitor_port' in body) changes.monitor_port = body.monitor_port as number | null;
      if (Object.keys(changes).length > 0)
        await trx.updateTable('member').set(changes).where('id', '=', member.id).execute();
      await writeTags(trx, member.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: member.id,
        payload: { locked, targets: [{ table: 'member', id: member.id, action: 'update' }] },
      });
    });
    notifyJobsQueued();
    return showResource(req, memberDef, services, member.id);
  });

  app.delete<MemberParams>(item, async (req, reply) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    const member = await findMemberOfPool(services, pool.id, req.params.member_id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPoolParents(trx, pool);
      await lockTarget(trx, 'member', member.id, 'PENDING_DELETE');
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: member.id,
        payload: { locked, targets: [{ table: 'member', id: member.id, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });

  app.put<PoolParams & { Querystring: { additive_only?: string } }>(collection, async (req, reply) => {
    const pool = await findOwnedPool(req, services, req.params.pool_id);
    const entries = validateBatchBody(req.body);
    entries.forEach(checkMemberAddresses);
    for (const entry of entries) checkMemberSupport(plane, pool.protocol, entry);
    const additiveOnly = isTrue(req.query.additive_only);
    const vnics = await vnicTypes(services, pool, entries);
    const vnicOf = new Map(entries.map((e, i) => [e, vnics[i]!]));
    const queued = await db.kysely.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('member').selectAll().where('pool_id', '=', pool.id).execute();
      const tagRows = rows.length
        ? await trx
            .selectFrom('tag')
            .select(['resource_id', 'tag'])
            .where(
              'resource_id',
              'in',
              rows.map((r) => r.id),
            )
            .execute()
        : [];
      const existing = rows.map((r) => ({
        ...r,
        tags: tagRows.filter((t) => t.resource_id === r.id).map((t) => t.tag),
      }));
      const plan = planMemberBatch(existing, entries, additiveOnly);
      // Octavia locks and calls the driver even when nothing changes; a no-op is better left alone.
      if (isEmptyPlan(plan)) return false;
      if (pool.project_id) await enforceQuotas(trx, db, config, pool.project_id, { member: netGrowth(plan) });
      const locked = await lockPoolParents(trx, pool);
      const hasMonitor = await poolHasMonitor(trx, pool.id);
      const now = nowTimestamp();
      const targets: ChangeTarget[] = [];
      for (const entry of plan.creates) {
        const member = newMemberRow(pool, entry, { hasMonitor, now, vnicType: vnicOf.get(entry)! });
        await insertMember(trx, member);
        await writeTags(trx, member.id, entry.tags);
        targets.push({ table: 'member', id: member.id, action: 'create' });
      }
      for (const update of plan.updates) {
        await trx
          .updateTable('member')
          .set({ ...update.changes, provisioning_status: 'PENDING_UPDATE', updated_at: now })
          .where('id', '=', update.row.id)
          .execute();
        if (update.tags) await writeTags(trx, update.row.id, update.tags);
        targets.push({ table: 'member', id: update.row.id, action: 'update' });
      }
      for (const row of plan.deletes) {
        await trx
          .updateTable('member')
          .set({ provisioning_status: 'PENDING_DELETE', updated_at: now })
          .where('id', '=', row.id)
          .execute();
        targets.push({ table: 'member', id: row.id, action: 'delete' });
      }
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: pool.id,
        payload: { locked, targets },
      });
      return true;
    });
    if (queued) notifyJobsQueued();
    return reply.code(202).send();
  });
}
