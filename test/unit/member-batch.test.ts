import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isEmptyPlan,
  netGrowth,
  planMemberBatch,
  validateBatchBody,
} from '../../src/api/resources/members/member-batch.js';
import { ApiError } from '../../src/common/errors.js';
import type { MemberRow } from '../../src/db/schema.js';

function member(address: string, extra: Partial<MemberRow> = {}, tags: string[] = []): MemberRow & { tags: string[] } {
  return {
    id: `id-${address}`,
    project_id: 'p',
    pool_id: 'pool',
    name: null,
    provisioning_status: 'ACTIVE',
    operating_status: 'NO_MONITOR',
    admin_state_up: 1,
    address,
    protocol_port: 80,
    weight: 1,
    backup: 0,
    subnet_id: null,
    monitor_address: null,
    monitor_port: null,
    vnic_type: 'normal',
    created_at: '2026-01-01T00:00:00',
    updated_at: null,
    tags,
    ...extra,
  };
}

const entry = (address: string, extra: Record<string, unknown> = {}) => ({ address, protocol_port: 80, ...extra });

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 400);
    return err.message;
  }
  assert.fail('expected a fault');
}

describe('planMemberBatch', () => {
  it('creates unknown keys, updates changed ones, deletes unlisted ones', () => {
    const existing = [member('10.0.0.1'), member('10.0.0.2'), member('10.0.0.3')];
    const plan = planMemberBatch(
      existing,
      [entry('10.0.0.1'), entry('10.0.0.2', { weight: 7 }), entry('10.0.0.4')],
      false,
    );
    assert.deepEqual(plan.creates, [entry('10.0.0.4')]);
    assert.deepEqual(
      plan.updates.map((u) => [u.row.id, u.changes]),
      [['id-10.0.0.2', { weight: 7 }]],
    );
    assert.deepEqual(
      plan.deletes.map((m) => m.id),
      ['id-10.0.0.3'],
    );
    assert.equal(netGrowth(plan), 0);
  });

  it('matches on address and port together', () => {
    const plan = planMemberBatch([member('10.0.0.1')], [entry('10.0.0.1', { protocol_port: 81 })], false);
    assert.equal(plan.creates.length, 1);
    assert.equal(plan.deletes.length, 1);
  });

  it('keeps unlisted members with additiveOnly', () => {
    const plan = planMemberBatch([member('10.0.0.1')], [entry('10.0.0.2')], true);
    assert.deepEqual(plan.deletes, []);
    assert.equal(netGrowth(plan), 1);
  });

  it('is empty when the list matches, tags in any order', () => {
    const existing = [member('10.0.0.1', { weight: 3, name: 'a' }, ['x', 'y'])];
    const plan = planMemberBatch(existing, [entry('10.0.0.1', { weight: 3, tags: ['y', 'x'] })], false);
    assert.ok(isEmptyPlan(plan));
    assert.ok(isEmptyPlan(planMemberBatch([], [], false)));
  });

  it('resets left-out fields to their defaults but keeps name and tags unless given', () => {
    const existing = [
      member(
        '10.0.0.1',
        { weight: 3, backup: 1, admin_state_up: 0, monitor_port: 9000, monitor_address: '10.1.1.1', name: 'keep' },
        ['t'],
      ),
    ];
    const [update] = planMemberBatch(existing, [entry('10.0.0.1')], false).updates;
    assert.deepEqual(update!.changes, {
      admin_state_up: true,
      weight: 1,
      backup: false,
      monitor_address: null,
      monitor_port: null,
    });
    assert.equal(update!.tags, undefined);
    const [renamed] = planMemberBatch(
      existing,
      [
        entry('10.0.0.1', {
          name: null,
          tags: [],
          weight: 3,
          backup: true,
          admin_state_up: false,
          monitor_port: 9000,
          monitor_address: '10.1.1.1',
        }),
      ],
      false,
    ).updates;
    assert.deepEqual(renamed!.changes, { name: null });
    assert.deepEqual(renamed!.tags, []);
  });

  it('treats a null name like an empty one', () => {
    assert.ok(
      isEmptyPlan(planMemberBatch([member('10.0.0.1', { name: '' })], [entry('10.0.0.1', { name: null })], false)),
    );
  });

  it('refuses the same key twice', () => {
    assert.equal(
      faultOf(() => planMemberBatch([], [entry('10.0.0.1'), entry('10.0.0.1', { weight: 2 })], false)),
      'Validation failure: Duplicate member address 10.0.0.1 and protocol_port 80 in the request.',
    );
  });
});

describe('validateBatchBody', () => {
  it('checks each entry like a member POST', () => {
    assert.deepEqual(validateBatchBody({ members: [{ address: '10.0.0.1', protocol_port: '80', weight: 2 }] }), [
      { address: '10.0.0.1', protocol_port: 80, weight: 2 },
    ]);
    assert.equal(
      faultOf(() => validateBatchBody({ members: [{ address: '10.0.0.1', protocol_port: 80, weight: 300 }] })),
      "Invalid input for field/attribute weight. Value: '300'. Value should be lower or equal to 256",
    );
  });

  it('refuses a body that is not {"members": [...]}', () => {
    assert.equal(
      faultOf(() => validateBatchBody([])),
      "Invalid input for field/attribute members. Value: '[]'. Mandatory field missing.",
    );
    assert.equal(
      faultOf(() => validateBatchBody({ members: 'x' })),
      "Invalid input for field/attribute members. Value: 'x'. Wrong type. Expected '<class 'list'>', got '<class 'str'>'",
    );
    assert.equal(
      faultOf(() => validateBatchBody({ members: [], extra: 1 })),
      'Unknown attribute for argument members_: extra',
    );
  });
});
