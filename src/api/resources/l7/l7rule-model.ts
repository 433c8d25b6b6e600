import { L7RULE_COMPARE_TYPES, L7RULE_TYPES } from '../../../common/constants.js';
import { newId, nowTimestamp } from '../../../common/ids.js';
import { toBool, type L7RuleRow } from '../../../db/schema.js';
import { bool, enumOf, required, str, type Clean, type FieldMap } from '../../validation/fields.js';
import { validateRuleData } from './l7rule-validate.js';
import { tagsField } from '../tags.js';

/** The attributes of a rule embedded in a policy POST (`rules: [...]`). */
export const RULE_CREATE_FIELDS: FieldMap = {
  type: required(enumOf(L7RULE_TYPES)),
  compare_type: required(enumOf(L7RULE_COMPARE_TYPES)),
  key: str(),
  value: required(str()),
  invert: bool(),
  admin_state_up: bool(),
  tags: tagsField(),
};

/** POST .../rules: the embedded attributes plus the deprecated project_id (the load balancer's project wins). */
export const RULE_POST_FIELDS: FieldMap = {
  ...RULE_CREATE_FIELDS,
  project_id: str(36),
  tenant_id: str(36),
};

export const RULE_PUT_FIELDS: FieldMap = {
  type: enumOf(L7RULE_TYPES),
  compare_type: enumOf(L7RULE_COMPARE_TYPES),
  key: str(),
  value: str(),
  invert: bool(),
  admin_state_up: bool(),
  tags: tagsField(),
};

/** L7 objects go ONLINE once provisioned, OFFLINE when disabled (Octavia's rule for policies and rules). */
export const provisionedOperatingStatus = (adminStateUp: boolean) => (adminStateUp ? 'ONLINE' : 'OFFLINE');

/** A new rule row (PENDING_CREATE / OFFLINE) from a validated create body; its data is checked first. */
export function newRuleRow(body: Clean, policyId: string, projectId: string | null): L7RuleRow {
  const row: L7RuleRow = {
    id: newId(),
    project_id: projectId,
    l7policy_id: policyId,
    type: body.type as string,
    compare_type: body.compare_type as string,
    key: (body.key as string | null | undefined) ?? null,
    value: body.value as string,
    invert: (body.invert as boolean | null | undefined) ?? false,
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    admin_state_up: (body.admin_state_up as boolean | null | undefined) ?? true,
    created_at: nowTimestamp(),
    updated_at: null,
  };
  validateRuleData(row);
  return row;
}

/** A rule in the field order of Octavia's L7RuleResponse, tenant_id last. */
export function serializeL7Rule(r: L7RuleRow, tags: string[]): Record<string, unknown> {
  return {
    id: r.id,
    type: r.type,
    compare_type: r.compare_type,
    key: r.key,
    value: r.value,
    invert: toBool(r.invert),
    provisioning_status: r.provisioning_status,
    operating_status: r.operating_status,
    created_at: r.created_at,
    updated_at: r.updated_at,
    project_id: r.project_id,
    admin_state_up: toBool(r.admin_state_up),
    tags,
    tenant_id: r.project_id,
  };
}
