import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_RULES_PER_POLICY } from '../../../common/constants.js';
import { conflict, notFound } from '../../../common/errors.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import { lockTarget } from '../../../db/provisioning.js';
import { toBool, type L7PolicyRow, type L7RuleRow } from '../../../db/schema.js';
import { enforceQuotas } from '../../quota-check.js';
import { authorize } from '../../policy/enforcement.js';
import { listResource, loadTags, showResource, type ResourceDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { checkL7RuleSupport, haproxyDataPlane } from '../../validation/data-plane-support.js';
import { validateBody } from '../../validation/fields.js';
import { loadPolicyParents, lockRuleParents } from './l7policy-parents.js';
import {
  newRuleRow,
  provisionedOperatingStatus,
  RULE_POST_FIELDS,
  RULE_PUT_FIELDS,
  serializeL7Rule,
} from './l7rule-model.js';
import { validateRuleData } from './l7rule-validate.js';
import { writeTags } from '../tags.js';

export const l7RuleDef: ResourceDef<'l7rule'> = {
  table: 'l7rule',
  singular: 'rule',
  plural: 'rules',
  label: 'L7 Rule',
  list: {
    columns: Object.fromEntries(
      [
        'id',
        'type',
        'compare_type',
        'key',
        'value',
        'invert',
        'provisioning_status',
        'operating_status',
        'admin_state_up',
        'project_id',
        'created_at',
        'updated_at',
      ].map((c) => [c, c]),
    ),
    kinds: { invert: 'bool', admin_state_up: 'bool' },
    tagged: true,
  },
  async serialize(rows, services) {
    const tags = await loadTags(
      services,
      rows.map((r) => r.id),
    );
    return rows.map((r) => serializeL7Rule(r, tags.get(r.id) ?? []));
  },
};

type PolicyParams = { policyId: string };
type RuleParams = { policyId: string; ruleId: string };

/** The policy of a `.../l7policies/{id}/rules` path, or Octavia's 404 for that path ("L7Policy X not found."). */
async function findPolicy(services: ApiServices, policyId: string): Promise<L7PolicyRow> {
  const policy = await services.db.kysely
    .selectFrom('l7policy')
    .selectAll()
    .where('id', '=', policyId)
    .executeTakeFirst();
  if (!policy) throw notFound(`L7Policy ${policyId} not found.`);
  return policy;
}

/** The policy of the URL, then the route's policy on its project (403 for another project's). */
async function findOwnedPolicy(req: FastifyRequest, services: ApiServices, policyId: string): Promise<L7PolicyRow> {
  const policy = await findPolicy(services, policyId);
  authorize(req, policy.project_id);
  return policy;
}

/** A rule of the URL's policy; a rule of another policy is not found here. */
async function findRule(services: ApiServices, policy: L7PolicyRow, ruleId: string): Promise<L7RuleRow> {
  const rule = await services.db.kysely
    .selectFrom('l7rule')
    .selectAll()
    .where('id', '=', ruleId)
    .where('l7policy_id', '=', policy.id)
    .executeTakeFirst();
  if (!rule) throw notFound(`L7 Rule ${ruleId} not found.`);
  return rule;
}

export async function l7RuleRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  const { db, config } = services;
  const plane = haproxyDataPlane(config);
  const collection = '/v2/lbaas/l7policies/:policyId/rules';
  const item = `${collection}/:ruleId`;

  app.get<{ Params: PolicyParams }>(collection, async (req) => {
    const policy = await findOwnedPolicy(req, services, req.params.policyId);
    return listResource(req, l7RuleDef, services, (q) => q.where('l7policy_id', '=', policy.id));
  });

  app.get<{ Params: RuleParams }>(item, async (req) => {
    const policy = await findOwnedPolicy(req, services, req.params.policyId);
    await findRule(services, policy, req.params.ruleId);
    return showResource(req, l7RuleDef, services, req.params.ruleId);
  });

  app.post<{ Params: PolicyParams }>(collection, async (req, reply) => {
    const policy = await findOwnedPolicy(req, services, req.params.policyId);
    const body = validateBody(req.body, 'rule', 'rule_', RULE_POST_FIELDS, true);
    const parents = await loadPolicyParents(db.kysely, policy.listener_id);
    const projectId = parents.loadBalancer.project_id;
    const row = newRuleRow(body, policy.id, projectId);
    checkL7RuleSupport(plane, row);
    await db.kysely.transaction().execute(async (trx) => {
      if (projectId) await enforceQuotas(trx, db, config, projectId, { l7rule: 1 });
      const locked = await lockRuleParents(trx, parents, policy.id);
      const existing = await trx
        .selectFrom('l7rule')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('l7policy_id', '=', policy.id)
        .executeTakeFirstOrThrow();
      if (Number(existing.n) >= MAX_RULES_PER_POLICY) throw conflict(`Too many rules on L7 policy ${policy.id}`);
      await trx.insertInto('l7rule').values(row).execute();
      await writeTags(trx, row.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: row.id,
        payload: {
          locked,
          targets: [
            {
              table: 'l7rule',
              id: row.id,
              action: 'create',
              operatingStatus: provisionedOperatingStatus(toBool(row.admin_state_up)),
            },
          ],
        },
      });
    });
    notifyJobsQueued();
    reply.code(201);
    return { rule: serializeL7Rule(row, [...new Set((body.tags as string[] | null | undefined) ?? [])]) };
  });

  app.put<{ Params: RuleParams }>(item, async (req) => {
    const policy = await findOwnedPolicy(req, services, req.params.policyId);
    const current = await findRule(services, policy, req.params.ruleId);
    const body = validateBody(req.body, 'rule', 'rule_', RULE_PUT_FIELDS, false);
    const changes: Partial<L7RuleRow> = {};
    for (const key of ['type', 'compare_type', 'key', 'value'] as const)
      if (key in body) changes[key] = body[key] as string;
    // Octavia's PUT null semantics: invert resets to false, admin_state_up reads as false.
    if ('invert' in body) changes.invert = body.invert === true;
    if ('admin_state_up' in body) changes.admin_state_up = body.admin_state_up === true;
    const merged = { ...current, ...changes };
    validateRuleData(merged);
    checkL7RuleSupport(plane, merged);
    const parents = await loadPolicyParents(db.kysely, policy.listener_id);
    const result = await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockRuleParents(trx, parents, policy.id);
      const self = await lockTarget(trx, 'l7rule', current.id, 'PENDING_UPDATE');
      if (Object.keys(changes).length > 0)
        await trx.updateTable('l7rule').set(changes).where('id', '=', current.id).execute();
      await writeTags(trx, current.id, body.tags);
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: current.id,
        payload: {
          locked,
          targets: [
            { ...self, action: 'update', operatingStatus: provisionedOperatingStatus(toBool(merged.admin_state_up)) },
          ],
        },
      });
      const updated = await trx.selectFrom('l7rule').selectAll().where('id', '=', current.id).executeTakeFirstOrThrow();
      const tags = await trx.selectFrom('tag').select('tag').where('resource_id', '=', current.id).execute();
      return serializeL7Rule(
        updated,
        tags.map((t) => t.tag),
      );
    });
    notifyJobsQueued();
    return { rule: result };
  });

  app.delete<{ Params: RuleParams }>(item, async (req, reply) => {
    const policy = await findOwnedPolicy(req, services, req.params.policyId);
    const current = await findRule(services, policy, req.params.ruleId);
    const parents = await loadPolicyParents(db.kysely, policy.listener_id);
    await db.kysely.transaction().execute(async (trx) => {
      const locked = await lockRuleParents(trx, parents, policy.id);
      const self = await lockTarget(trx, 'l7rule', current.id, 'PENDING_DELETE');
      await enqueueJob(trx, {
        flow: 'apply-changes',
        loadBalancerId: parents.loadBalancer.id,
        resourceId: current.id,
        payload: { locked, targets: [{ ...self, action: 'delete' }] },
      });
    });
    notifyJobsQueued();
    reply.code(204);
  });
}
