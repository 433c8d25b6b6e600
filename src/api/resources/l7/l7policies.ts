import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import {
  L7POLICY_ACTIONS,
  LISTENER_POOL_PROTOCOL_MAP,
  MAX_RULES_PER_POLICY,
  REDIRECT_HTTP_CODES,
  type ListenerProtocol,
} from '../../../common/constants.js';
import { conflict, notFound, validationFailure } from '../../../common/errors.js';
import { newId, nowTimestamp } from '../../../common/ids.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import type { ChangeTarget } from '../../../controller/worker/flows/apply-changes.js';
import { lockTarget, type Tx } from '../../../db/provisioning.js';
import { toBool, type Database, type L7PolicyRow, type ListenerRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { findOwnedOrFail, groupIds, listOwnedResource, showOwnedResource, type ResourceDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkL7RuleSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import {
  bool,
  enumOf,
  int,
  listOf,
  required,
  str,
  uuid,
  validateBody,
  validateNested,
  type Clean,
  type FieldMap,
} from '../../validation/fields.js';
import { loadPolicyParents, lockPolicyParents } from './l7policy-parents.js';
import { MAX_POLICY_POSITION, MIN_POLICY_POSITION, placePolicy } from './l7policy-positions.js';
import {
  checkPolicyListenerProtocol,
  checkRedirectUrls,
  resolveRedirect,
  sanitizeRedirectArgs,
} from './l7policy-sanitize.js';
import { newRuleRow, provisionedOperatingStatus, RULE_CREATE_FIELDS } from './l7rule-model.js';
import { tagsField, writeTags } from '../tags.js';

const REDIRECT_FIELDS: FieldMap = {
  action: enumOf(L7POLICY_ACTIONS),
  redirect_pool_id: uuid(),
  redirect_url: str(2048),
  redirect_prefix: str(2048),
  position: int(MIN_POLICY_POSITION, MAX_POLICY_POSITION),
};

const POST_FIELDS: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  project_id: str(36),
  tenant_id: str(36),
  ...REDIRECT_FIELDS,
  action: required(enumOf(L7POLICY_ACTIONS)),
  listener_id: required(uuid()),
  rules: listOf({ kind: 'raw' }),
  tags: tagsField(),
  redirect_http_code: enumOf(REDIRECT_HTTP_CODES),
};

const PUT_FIELDS: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  ...REDIRECT_FIELDS,
  tags: tagsField(),
  redirect_http_code: enumOf(REDIRECT_HTTP_CODES),
};

export const l7PolicyDef: ResourceDef<'l7policy'> = {
  table: 'l7policy',
  singular: 'l7policy',
  plural: 'l7policies',
  label: 'L7 Policy',
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
        'action',
        'listener_id',
        'redirect_pool_id',
        'redirect_url',
        'redirect_prefix',
        'position',
        'redirect_http_code',
        'created_at',
        'updated_at',
      ].map((c) => [c, c]),
    ),
    kinds: { admin_state_up: 'bool', position: 'int', redirect_http_code: 'int' },
    tagged: true,
  },
  serialize: (rows, services) => serializePolicies(services.db.kysely, rows),
};

/** Policies with their rule ids and tags, read through `db` (the pool, or a transaction). */
async function serializePolicies(db: Kysely<Database>, rows: L7PolicyRow[]): Promise<Array<Record<string, unknown>>> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [rules, tagRows] = await Promise.all([
    db
      .selectFrom('l7rule')
      .select(['id', 'l7policy_id'])
      .where('l7policy_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('tag').select(['resource_id', 'tag']).where('resource_id', 'in', ids).execute(),
  ]);
  const rulesByPolicy = groupIds(rules, 'l7policy_id');
  const tags = new Map<string, string[]>();
  for (const t of tagRows) tags.set(t.resource_id, [...(tags.get(t.resource_id) ?? []), t.tag]);
  return rows.map((r) => serializeL7Policy(r, rulesByPolicy.get(r.id) ?? [], tags.get(r.id) ?? []));
}

/** A policy in the field order of Octavia's L7PolicyResponse, tenant_id last. */
export function serializeL7Policy(
  r: L7PolicyRow,
  rules: Array<{ id: string }>,
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
    action: r.action,
    listener_id: r.listener_id,
    redirect_pool_id: r.redirect_pool_id,
    redirect_url: r.redirect_url,
    redirect_prefix: r.redirect_prefix,
    position: r.position,
    rules,
    created_at: r.created_at,
    updated_at: r.updated_at,
    tags,
    redirect_http_code: r.redirect_http_code,
    tenant_id: r.project_id,
  };
}

/**
 * A redirect pool must be a pool of the listener's load balancer (404 otherwise, as for a listener's
 * default pool) whose protocol the listener can forward to. Checked after the load balancer is
 * locked, so the pool cannot be deleted before the policy commits.
 */
async function checkRedirectPool(trx: Tx, listener: ListenerRow, poolId: string): Promise<void> {
  const pool = await trx
    .selectFrom('pool')
    .select(['protocol', 'load_balancer_id'])
    .where('id', '=', poolId)
    .executeTakeFirst();
  if (!pool || pool.load_balancer_id !== listener.load_balancer_id) throw notFound(`Pool ${poolId} not found.`);
  const allowed: readonly string[] = LISTENER_POOL_PROTOCOL_MAP[listener.protocol as ListenerProtocol] ?? [];
  if (!allowed.includes(pool.protocol))
    throw validationFailure(
      `The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${listener.protocol}'.`,
    );
}

/** The rules embedded in a policy POST, checked as a rule POST would be. */
function embeddedRules(body: Clean, rawBody: unknown): Clean[] {
  const items = (body.rules as unknown[] | null | undefined) ?? [];
  return items.map((item) =>
    validateNested(item, 'rules', 'l7policy_.l7policy.rules', RULE_CREATE_FIELDS, 'l7policy_', rawBody),
  );
}

const createTarget = (
  table: 'l7policy' | 'l7rule',
  row: { id: string; admin_state_up: boolean | number },
): ChangeTarget => ({
  table,
  id: row.id,
  action: 'create',
  operatingStatus: provisionedOperatingStatus(toBool(row.admin_state_up)),
});

export async function l7PolicyRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);

  app.get('/v2/lbaas/l7policies', (req) => listOwnedResource(req, l7PolicyDef, services));
  app.get<{ Params: { id: string } }>('/v2/lbaas/l7policies/:id', (req) =>
    showOwnedResource(req, l7PolicyDef, services, req.params.id),
  );

  app.post('/v2/lbaas/l7policies', async (req, reply) => {
    const body = validateBody(req.body, 'l7policy', 'l7policy_', POST_FIELDS, true);
    checkRedirectUrls(body);
    const parents = await loadPolicyParents(db.kysely, body.listener_id as string);
    authorize(req, parents.loadBalancer.project_id);
    checkPolicyListenerProtocol(parents.listener.protocol);
    const redirect = resolveRedirect(
      {
        action: body.action as string,
        redirect_pool_id: null,
        redirect_url: null,
        redirect_prefix: null,
        redirect_http_code: null,
      },
      sanitizeRedirectArgs(body, true),
    );
    const id = newId();
    const projectId = parents.loadBalancer.project_id;
    const rules = embeddedRules(body, req.body);
    if (rules.length > MAX_RULES_PER_POLICY) throw conflict(`Too many rules on L7 policy ${id}`);
    const ruleRows = rules.map((rule) => newRuleRow(rule, id, projectId));
    for (const rule of ruleRows) checkL7RuleSupport(plane, rule);
    const row: L7PolicyRow = {
      id,
      project_id: projectId,
      listener_id: parents.listener.id,
      name: (body.name as string | null | undefined) ?? '',
      description: (body.description as string | null | undefined) ?? '',
      ...redirect,
      // Placed at the end first, then moved to the requested position with the others renumbered.
      position: MAX_POLICY_POSITION,
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      admin_state_up: (body.admin_state_up as boolean | null | undefined) ?? true,
      created_at: nowTimestamp(),
      updated_at: null,
    };
    await db.kysely.transaction().execute(async (trx) => {
      if (projectId) await enforceQuotas(trx, db, config, projectId, { l7policy: 1, l7rule: ruleRows.length });
      const locked = await lockPolicyParents(trx, parents);
      if (row.redirect_pool_id) await checkRedirectPool(trx, parents.listener, row.redirect_pool_id);
      await trx.insertInto('l7policy').values(row).execute();
      row.position = await placePolicy(
        trx,
        row.listener_id,
        id,
        (body.position as number | null | undefined) ?? MAX_POLICY_POSITION,
      );
      await writeTags(trx, id, body.tags);
      for (const [i, ruleRow] of ruleRows.entries()) {
        await trx.insertInto('l7rule').values(ruleRow).execute();
        await writeTags(trx, ruleRow.id, rules[i]!.tags);
      }
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: id,
        payload: {
          locked,
          targets: [createTarget('l7policy', row), ...ruleRows.map((r) => createTarget('l7rule', r))],
        },
      });
    });
    notifyJobsQueued();
    reply.code(201);
    return {
      l7policy: serializeL7Policy(
        row,
        ruleRows.map((r) => ({ id: r.id })),
        uniqueTags(body.tags),
      ),
    };
  });

  app.put<{ Params: { id: string } }>('/v2/lbaas/l7policies/:id', async (req) => {
    const id = req.params.id;
    const current = await findOwnedOrFail(req, l7PolicyDef, services, id);
    const body = validateBody(req.body, 'l7policy', 'l7policy_', PUT_FIELDS, false);
    checkRedirectUrls(body);
    const redirect = resolveRedirect(current, sanitizeRedirectArgs(body, false));
    const parents = await loadPolicyParents(db.kysely, current.listener_id);
    const result = await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPolicyParents(trx, parents);
      const self = await lockTarget(trx, 'l7policy', id, 'PENDING_UPDATE');
      if (redirect.redirect_pool_id && redirect.redirect_pool_id !== current.redirect_pool_id)
        await checkRedirectPool(trx, parents.listener, redirect.redirect_pool_id);
      const changes: Partial<L7PolicyRow> = { ...redirect };
      if ('name' in body) changes.name = (body.name as string | null) ?? '';
      if ('description' in body) changes.description = (body.description as string | null) ?? '';
      if ('admin_state_up' in body) changes.admin_state_up = body.admin_state_up === true;
      await trx.updateTable('l7policy').set(changes).where('id', '=', id).execute();
      if (typeof body.position === 'number') await placePolicy(trx, current.listener_id, id, body.position);
      await writeTags(trx, id, body.tags);
      const updated = await trx.selectFrom('l7policy').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: id,
        payload: {
          locked,
          targets: [
            { ...self, action: 'update', operatingStatus: provisionedOperatingStatus(toBool(updated.admin_state_up)) },
          ],
        },
      });
      const [item] = await serializePolicies(trx, [updated]);
      return item!;
    });
    notifyJobsQueued();
    return { l7policy: result };
  });

  app.delete<{ Params: { id: string } }>('/v2/lbaas/l7policies/:id', async (req, reply) => {
    const id = req.params.id;
    const current = await findOwnedOrFail(req, l7PolicyDef, services, id);
    const parents = await loadPolicyParents(db.kysely, current.listener_id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockPolicyParents(trx, parents);
      const self = await lockTarget(trx, 'l7policy', id, 'PENDING_DELETE');
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: id,
        payload: { locked, targets: [{ ...self, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });
}

/** Tags as stored: duplicates dropped, order kept. */
function uniqueTags(tags: unknown): string[] {
  return [...new Set((tags as string[] | null | undefined) ?? [])];
}
export { POST_FIELDS as L7POLICY_POST_FIELDS, PUT_FIELDS as L7POLICY_PUT_FIELDS };
