import { badRequest, validationFailure } from '../../../common/errors.js';
import { toBool, type MemberRow } from '../../../db/schema.js';
import { validateNested, type Clean } from '../../validation/fields.js';
import { pyStr } from '../../validation/py-repr.js';
import { DEFAULT_WEIGHT, MEMBER_POST_FIELDS, memberKey } from './member-model.js';

/**
 * Octavia's member batch update (PUT /pools/{id}/members) as a pure plan: the request lists the members
 * the pool should have, matched to existing ones on (address, protocol_port).
 */

/** An existing member with the changes the request makes to it. */
export interface MemberUpdate {
  row: MemberRow;
  changes: Partial<
    Pick<MemberRow, 'name' | 'admin_state_up' | 'weight' | 'backup' | 'monitor_address' | 'monitor_port'>
  >;
  /** The new tag list, when the request changes it. */
  tags?: string[];
}

export interface MemberBatchPlan {
  creates: Clean[];
  updates: MemberUpdate[];
  deletes: MemberRow[];
}

export const isEmptyPlan = (p: MemberBatchPlan) => p.creates.length + p.updates.length + p.deletes.length === 0;

/** How many members the plan adds to the project's count (what the quota is checked against). */
export const netGrowth = (p: MemberBatchPlan) => p.creates.length - p.deletes.length;

const sameTags = (a: string[], b: string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((t, i) => t === y[i]);
};

/**
 * What a listed entry asks of an existing member. The entry is a full description: fields it leaves out
 * go back to their defaults (weight 1, not backup, enabled, no monitor address/port), as in Octavia;
 * name and tags change only when given. Address, port and subnet cannot change.
 */
function updateFor(row: MemberRow & { tags: string[] }, entry: Clean): MemberUpdate | undefined {
  const wanted = {
    admin_state_up: (entry.admin_state_up as boolean | null | undefined) ?? true,
    weight: (entry.weight as number | null | undefined) ?? DEFAULT_WEIGHT,
    backup: (entry.backup as boolean | null | undefined) ?? false,
    monitor_address: (entry.monitor_address as string | null | undefined) ?? null,
    monitor_port: (entry.monitor_port as number | null | undefined) ?? null,
  };
  const changes: MemberUpdate['changes'] = {};
  if (wanted.admin_state_up !== toBool(row.admin_state_up)) changes.admin_state_up = wanted.admin_state_up;
  if (wanted.weight !== row.weight) changes.weight = wanted.weight;
  if (wanted.backup !== toBool(row.backup)) changes.backup = wanted.backup;
  if (wanted.monitor_address !== row.monitor_address) changes.monitor_address = wanted.monitor_address;
  if (wanted.monitor_port !== row.monitor_port) changes.monitor_port = wanted.monitor_port;
  if ('name' in entry && ((entry.name as string | null) ?? '') !== (row.name ?? ''))
    changes.name = entry.name as string | null;
  const tags = 'tags' in entry ? ((entry.tags as string[] | null) ?? []) : undefined;
  const tagsChange = tags !== undefined && !sameTags(tags, row.tags);
  if (Object.keys(changes).length === 0 && !tagsChange) return undefined;
  return { row, changes, ...(tagsChange ? { tags } : {}) };
}

/**
 * Match the requested members against the pool's: unknown keys are created, known ones updated when
 * something differs, and existing members the request leaves out are deleted unless `additiveOnly`.
 * Two entries with the same key are a 400.
 */
export function planMemberBatch(
  existing: Array<MemberRow & { tags: string[] }>,
  requested: Clean[],
  additiveOnly: boolean,
): MemberBatchPlan {
  const byKey = new Map(existing.map((m) => [memberKey(m.address, m.protocol_port), m]));
  const seen = new Set<string>();
  const plan: MemberBatchPlan = { creates: [], updates: [], deletes: [] };
  for (const entry of requested) {
    const address = entry.address as string;
    const port = entry.protocol_port as number;
    const key = memberKey(address, port);
    if (seen.has(key))
      throw validationFailure(`Duplicate member address ${address} and protocol_port ${port} in the request.`);
    seen.add(key);
    const row = byKey.get(key);
    if (!row) {
      plan.creates.push(entry);
      continue;
    }
    const update = updateFor(row, entry);
    if (update) plan.updates.push(update);
  }
  if (!additiveOnly) plan.deletes = existing.filter((m) => !seen.has(memberKey(m.address, m.protocol_port)));
  return plan;
}

/** Python's class name of a JSON value, for the "Wrong type" fault. */
const pyType = (v: unknown) =>
  Array.isArray(v)
    ? 'list'
    : typeof v === 'object'
      ? 'dict'
      : typeof v === 'boolean'
        ? 'bool'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'int'
            : 'float'
          : 'str';

/**
 * Check a batch body `{"members": [<member create objects>]}` (Octavia's argument `members_`) and return
 * its entries, each checked like a member POST.
 */
export function validateBatchBody(body: unknown): Clean[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(`Invalid input for field/attribute members. Value: '${pyStr(body)}'. Mandatory field missing.`);
  const root = body as Record<string, unknown>;
  const unknown = Object.keys(root).filter((k) => k !== 'members');
  if (unknown.length > 0) throw badRequest(`Unknown attribute for argument members_: ${unknown.join(', ')}`);
  const list = root.members;
  if (list === undefined || list === null)
    throw badRequest(`Invalid input for field/attribute members. Value: 'None'. Mandatory field missing.`);
  if (!Array.isArray(list))
    throw badRequest(
      `Invalid input for field/attribute members. Value: '${pyStr(list)}'. Wrong type. Expected '<class 'list'>', got '<class '${pyType(list)}'>'`,
    );
  return list.map((entry) =>
    validateNested(entry, 'members', 'members_.members', MEMBER_POST_FIELDS, 'members_', body),
  );
}
