import type { FastifyInstance } from 'fastify';
import { conflict } from '../../../common/errors.js';
import { nowTimestamp } from '../../../common/ids.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import { lockTarget } from '../../../db/provisioning.js';
import { toBool, type HealthMonitorRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { findOwnedOrFail, listOwnedResource, showOwnedResource, showResource } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkHealthMonitorSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import { validateBody } from '../../validation/fields.js';
import {
  HM_POST_FIELDS,
  HM_PUT_FIELDS,
  healthMonitorDef,
  newHealthMonitorRow,
  serializeHealthMonitor,
} from './health-monitor-model.js';
import {
  checkDomainName,
  checkHmPatterns,
  checkHttpOnlyFields,
  checkTimingNotCleared,
  checkTypeForPool,
  HM_DEFAULTS,
} from './health-monitor-rules.js';
import { findPool, isUniqueViolation, lockPoolParents } from '../members/member-pool.js';
import { writeTags } from '../tags.js';

type ItemParams = { Params: { id: string } };

const alreadyMonitored = () => conflict('This pool already has a health monitor');

/** What the worker sets when the monitor is provisioned: ONLINE when enabled, else OFFLINE (as Octavia). */
const provisionedStatus = (adminStateUp: boolean) => (adminStateUp ? 'ONLINE' : 'OFFLINE');

/** The columns a PUT body changes; null puts Octavia's defaults back (HTTP settings, max_retries_down). */
function updateChanges(body: Record<string, unknown>): Partial<HealthMonitorRow> {
  const changes: Partial<HealthMonitorRow> = {};
  if ('name' in body) changes.name = body.name as string | null;
  if ('delay' in body) changes.delay = body.delay as number;
  if ('timeout' in body) changes.timeout = body.timeout as number;
  if ('max_retries' in body) changes.max_retries = body.max_retries as number;
  if ('max_retries_down' in body)
    changes.max_retries_down = (body.max_retries_down as number | null) ?? HM_DEFAULTS.max_retries_down;
  if ('http_method' in body) changes.http_method = (body.http_method as string | null) ?? HM_DEFAULTS.http_method;
  if ('url_path' in body) changes.url_path = (body.url_path as string | null) ?? HM_DEFAULTS.url_path;
  if ('expected_codes' in body)
    changes.expected_codes = (body.expected_codes as string | null) ?? HM_DEFAULTS.expected_codes;
  if ('admin_state_up' in body) changes.admin_state_up = body.admin_state_up === true;
  if ('http_version' in body) changes.http_version = body.http_version as number | null;
  if ('domain_name' in body) changes.domain_name = body.domain_name as string | null;
  return changes;
}

/** Routes of `/v2/lbaas/healthmonitors`: list, show, create, update, delete. */
export async function healthMonitorRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);

  app.get('/v2/lbaas/healthmonitors', (req) => listOwnedResource(req, healthMonitorDef, services));
  app.get<ItemParams>('/v2/lbaas/healthmonitors/:id', (req) =>
    showOwnedResource(req, healthMonitorDef, services, req.params.id),
  );

  app.post('/v2/lbaas/healthmonitors', async (req, reply) => {
    const body = checkHmPatterns(validateBody(req.body, 'healthmonitor', 'health_monitor_', HM_POST_FIELDS, true));
    const pool = await findPool(services, body.pool_id as string);
    authorize(req, pool.project_id);
    const type = body.type as string;
    checkTypeForPool(pool.protocol, type, body.delay as number);
    checkHttpOnlyFields(type, body, false);
    checkDomainName(
      (body.http_version as number | null | undefined) ?? null,
      (body.domain_name as string | null | undefined) ?? null,
    );
    checkHealthMonitorSupport(plane, pool.protocol, type, body);
    const row = await db.kysely.transaction().execute(async (trx) => {
      if (pool.project_id) await enforceQuotas(trx, db, config, pool.project_id, { healthmonitor: 1 });
      const locked = await lockPoolParents(trx, pool);
      if (await trx.selectFrom('health_monitor').select('id').where('pool_id', '=', pool.id).executeTakeFirst())
        throw alreadyMonitored();
      const hm = newHealthMonitorRow(pool, body, nowTimestamp());
      try {
        await trx.insertInto('health_monitor').values(hm).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyMonitored();
        throw err;
      }
      await writeTags(trx, hm.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: hm.id,
        payload: {
          locked,
          targets: [
            {
              table: 'health_monitor',
              id: hm.id,
              action: 'create',
              operatingStatus: provisionedStatus(toBool(hm.admin_state_up)),
            },
          ],
        },
      });
      return hm;
    });
    notifyJobsQueued();
    reply.code(201);
    return {
      healthmonitor: serializeHealthMonitor(row, [...new Set((body.tags as string[] | null | undefined) ?? [])]),
    };
  });

  app.put<ItemParams>('/v2/lbaas/healthmonitors/:id', async (req) => {
    const body = checkHmPatterns(validateBody(req.body, 'healthmonitor', 'health_monitor_', HM_PUT_FIELDS, false));
    const hm = await findOwnedOrFail(req, healthMonitorDef, services, req.params.id);
    const pool = await findPool(services, hm.pool_id);
    checkHttpOnlyFields(hm.type, body, true);
    checkTimingNotCleared(body);
    checkDomainName(
      'http_version' in body ? (body.http_version as number | null) : hm.http_version,
      'domain_name' in body ? (body.domain_name as string | null) : hm.domain_name,
    );
    checkTypeForPool(pool.protocol, hm.type, body.delay as number | undefined);
    checkHealthMonitorSupport(plane, pool.protocol, hm.type, body);
    const changes = updateChanges(body);
    const enabled = changes.admin_state_up ?? toBool(hm.admin_state_up);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPoolParents(trx, pool);
      await lockTarget(trx, 'health_monitor', hm.id, 'PENDING_UPDATE');
      if (Object.keys(changes).length > 0)
        await trx.updateTable('health_monitor').set(changes).where('id', '=', hm.id).execute();
      await writeTags(trx, hm.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: hm.id,
        payload: {
          locked,
          targets: [
            {
              table: 'health_monitor',
              id: hm.id,
              action: 'update',
              operatingStatus: provisionedStatus(toBool(enabled)),
            },
          ],
        },
      });
    });
    notifyJobsQueued();
    return showResource(req, healthMonitorDef, services, hm.id);
  });

  app.delete<ItemParams>('/v2/lbaas/healthmonitors/:id', async (req, reply) => {
    const hm = await findOwnedOrFail(req, healthMonitorDef, services, req.params.id);
    const pool = await findPool(services, hm.pool_id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPoolParents(trx, pool);
      await lockTarget(trx, 'health_monitor', hm.id, 'PENDING_DELETE');
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: pool.load_balancer_id,
        resourceId: hm.id,
        payload: { locked, targets: [{ table: 'health_monitor', id: hm.id, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });
}
