import type { FastifyInstance } from 'fastify';
import type { TaviaConfig } from '../../../common/config.js';
import { MAX_QUOTA } from '../../../common/constants.js';
import { badRequest, notFound } from '../../../common/errors.js';
import type { QuotaRow } from '../../../db/schema.js';
import type { QuotaName } from '../../quota-check.js';
import { listProjectScope, ownedBy } from '../../policy/enforcement.js';
import { listCollection, type CollectionDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { int, validateBody, type Clean, type FieldMap } from '../../validation/fields.js';

/**
 * Per-project quotas. A row holds the project's own limits; a null column means "the configured default".
 * Octavia 11 answers a project's quota with the Rocky-era names only (`load_balancer`, `health_monitor`),
 * as 26_quota_defaults shows, and lists rows with both spellings.
 */

const QUOTA_NAMES: readonly QuotaName[] = [
  'loadbalancer',
  'listener',
  'pool',
  'healthmonitor',
  'member',
  'l7policy',
  'l7rule',
];

/** The deprecated spellings the API still accepts, and the column each one sets. */
const DEPRECATED: Partial<Record<string, QuotaName>> = {
  load_balancer: 'loadbalancer',
  health_monitor: 'healthmonitor',
};

const PUT_FIELDS: FieldMap = Object.fromEntries(
  [...QUOTA_NAMES, ...Object.keys(DEPRECATED)].map((name) => [name, int(-1, MAX_QUOTA)]),
);

type Limits = Record<QuotaName, number | null>;

/** A row with every limit at the configured default. */
const ALL_DEFAULT = Object.fromEntries(QUOTA_NAMES.map((n) => [n, null])) as Limits;

/** One project's quota, as GET /quotas/{project_id}, PUT and the defaults answer it. */
function quotaBody(q: Limits): Record<string, number | null> {
  return {
    load_balancer: q.loadbalancer,
    listener: q.listener,
    member: q.member,
    pool: q.pool,
    health_monitor: q.healthmonitor,
    l7policy: q.l7policy,
    l7rule: q.l7rule,
  };
}

/** A stored row, as GET /quotas lists it: raw values (null = default), both spellings, tenant_id last. */
function listItem(r: QuotaRow): Record<string, unknown> {
  return {
    project_id: r.project_id,
    loadbalancer: r.loadbalancer,
    load_balancer: r.loadbalancer,
    listener: r.listener,
    member: r.member,
    pool: r.pool,
    healthmonitor: r.healthmonitor,
    health_monitor: r.healthmonitor,
    l7policy: r.l7policy,
    l7rule: r.l7rule,
    tenant_id: r.project_id,
  };
}

const quotaList: CollectionDef<'quota'> = {
  table: 'quota',
  key: 'project_id',
  plural: 'quotas',
  list: {
    columns: {
      project_id: 'project_id',
      ...Object.fromEntries(QUOTA_NAMES.map((n) => [n, n])),
      ...Object.fromEntries(Object.entries(DEPRECATED).map(([alias, n]) => [alias, n!])),
    },
    kinds: Object.fromEntries([...QUOTA_NAMES, ...Object.keys(DEPRECATED)].map((n) => [n, 'int' as const])),
  },
};

/** A project's stored row with every null replaced by the configured default. */
function effective(row: QuotaRow | undefined, config: TaviaConfig): Limits {
  return Object.fromEntries(QUOTA_NAMES.map((n) => [n, row?.[n] ?? config.quotas[n]])) as Limits;
}

/** The columns a PUT body sets; the current spelling wins over the deprecated one when both are sent. */
function columnsOf(body: Clean): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [alias, name] of Object.entries(DEPRECATED)) if (alias in body) out[name!] = body[alias] as number | null;
  for (const name of QUOTA_NAMES) if (name in body) out[name] = body[name] as number | null;
  return out;
}

/** `/v2/lbaas/quotas`: list, show, set (202), reset (202) and the defaults; written directly, no job. */
export async function quotaRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { config } = services;
  const kysely = () => services.db.kysely;
  const rowOf = (projectId: string) =>
    kysely().selectFrom('quota').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  const defaults = async () => ({ quota: quotaBody(effective(undefined, config)) });
  type ByProject = { Params: { project_id: string } };

  // Quota readers see their own project's row; global quota readers every row (policy in route-policies.ts).
  app.get('/v2/lbaas/quotas', (req) =>
    listCollection(req, quotaList, services, (rows) => rows.map(listItem), ownedBy('quota', listProjectScope(req))),
  );
  app.get('/v2/lbaas/quotas/defaults', defaults);
  app.get<ByProject>('/v2/lbaas/quotas/:project_id/default', defaults);
  app.get<ByProject>('/v2/lbaas/quotas/:project_id', async (req) => ({
    quota: quotaBody(effective(await rowOf(req.params.project_id), config)),
  }));

  app.put<ByProject>('/v2/lbaas/quotas/:project_id', async (req, reply) => {
    const projectId = req.params.project_id;
    if (projectId.length > 36)
      throw badRequest(
        `Invalid input for field/attribute project_id. Value: '${projectId}'. Value should have a maximum character requirement of 36`,
      );
    const changes = columnsOf(validateBody(req.body, 'quota', 'quotas', PUT_FIELDS, false));
    // One upsert: a new project starts from all-defaults, an existing one keeps what the body leaves out.
    await kysely()
      .insertInto('quota')
      .values({ project_id: projectId, ...ALL_DEFAULT, ...changes })
      .onConflict((oc) =>
        Object.keys(changes).length > 0
          ? oc.column('project_id').doUpdateSet(changes)
          : oc.column('project_id').doNothing(),
      )
      .execute();
    reply.code(202);
    return { quota: quotaBody(effective(await rowOf(projectId), config)) };
  });

  // As Octavia: the row stays (listed with nulls) and every limit goes back to the default; 404 without a row.
  app.delete<ByProject>('/v2/lbaas/quotas/:project_id', async (req, reply) => {
    const projectId = req.params.project_id;
    const result = await kysely()
      .updateTable('quota')
      .set(ALL_DEFAULT)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`Quotas ${projectId} not found.`);
    reply.code(202);
  });
}
export { PUT_FIELDS as QUOTA_PUT_FIELDS };
