import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { L7RULE_KEYS } from '../helpers/octavia-keys.js';
import { listenerRow } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

const MISSING_ID = '00000000-0000-0000-0000-000000000000';
const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

type Table = 'load_balancer' | 'listener' | 'l7policy' | 'l7rule';

/**
 * An HTTP listener made directly in the database (ACTIVE / OFFLINE), so these tests do not depend on
 * the listener API; policies are made through the policy API.
 */
function fixture(svc: TestService) {
  const db = svc.node.db.kysely;
  let port = 2000;
  return {
    async listener(lbId: string): Promise<string> {
      const id = randomUUID();
      await db
        .insertInto('listener')
        .values(listenerRow(lbId, { id, name: null, description: null, protocol_port: port++ }))
        .execute();
      return id;
    },
    /** A REJECT policy on a new listener, ACTIVE. */
    async policy(lbId: string): Promise<{ policyId: string; listenerId: string }> {
      const listenerId = await this.listener(lbId);
      const res = await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await svc.settle();
      return { policyId: res.body.l7policy.id, listenerId };
    },
    async status(table: Table, id: string): Promise<string | undefined> {
      const row = await db.selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirst();
      return row?.provisioning_status;
    },
    async setStatus(table: Table, id: string, status: string): Promise<void> {
      await db.updateTable(table).set({ provisioning_status: status }).where('id', '=', id).execute();
    },
  };
}

describe('l7 rules', () => {
  let svc: TestService;
  let fx: ReturnType<typeof fixture>;
  let lbId: string;

  before(async () => {
    svc = await TestService.start();
    fx = fixture(svc);
    lbId = (await svc.createLoadBalancer({ name: 'rules-lb' })).id;
  });
  after(() => svc.stop());

  async function expectFault(res: { status: number; body: unknown }, status: number, faultstring: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
  }
  const rulesPath = (policyId: string) => `/v2/lbaas/l7policies/${policyId}/rules`;

  async function createRule(policyId: string, rule: Record<string, unknown>): Promise<any> {
    const res = await svc.post(rulesPath(policyId), { rule });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.rule;
  }

  it('creates, shows, lists, updates and deletes a rule; the worker settles every step', async () => {
    const { policyId, listenerId } = await fx.policy(lbId);
    const res = await svc.post(rulesPath(policyId), {
      rule: { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www.example.com', tags: ['t'] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const rule = res.body.rule;
    assert.deepEqual(Object.keys(rule), L7RULE_KEYS);
    assert.deepEqual(
      { ...rule, id: undefined, created_at: undefined },
      {
        ...Object.fromEntries(L7RULE_KEYS.map((k) => [k, undefined])),
        type: 'HOST_NAME',
        compare_type: 'EQUAL_TO',
        key: null,
        value: 'www.example.com',
        invert: false,
        provisioning_status: 'PENDING_CREATE',
        operating_status: 'OFFLINE',
        updated_at: null,
        project_id: 'project-a',
        admin_state_up: true,
        tags: ['t'],
        tenant_id: 'project-a',
      },
    );
    await svc.settle();
    const shown = await svc.get(`${rulesPath(policyId)}/${rule.id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(Object.keys(shown.body), ['rule']);
    assert.equal(shown.body.rule.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.rule.operating_status, 'ONLINE');
    assert.deepEqual(
      [
        await fx.status('load_balancer', lbId),
        await fx.status('listener', listenerId),
        await fx.status('l7policy', policyId),
      ],
      ['ACTIVE', 'ACTIVE', 'ACTIVE'],
    );
    const policy = await svc.get(`/v2/lbaas/l7policies/${policyId}`);
    assert.deepEqual(policy.body.l7policy.rules, [{ id: rule.id }]);

    const second = await createRule(policyId, {
      type: 'PATH',
      compare_type: 'STARTS_WITH',
      value: '/api',
      invert: true,
      admin_state_up: false,
    });
    const listed = await svc.get(`${rulesPath(policyId)}?sort=type:asc`);
    assert.equal(listed.status, 200);
    assert.deepEqual(Object.keys(listed.body), ['rules', 'rules_links']);
    assert.deepEqual(
      listed.body.rules.map((r: any) => r.id),
      [rule.id, second.id],
    );
    const filtered = await svc.get(`${rulesPath(policyId)}?invert=true&fields=id&fields=operating_status`);
    assert.deepEqual(filtered.body.rules, [{ id: second.id, operating_status: 'OFFLINE' }]);
    const paged = await svc.get(`${rulesPath(policyId)}?limit=1&sort=type:asc`);
    assert.equal(paged.body.rules.length, 1);
    assert.equal(paged.body.rules_links[0].rel, 'next');

    const updated = await svc.put(`${rulesPath(policyId)}/${second.id}`, {
      rule: { value: '/v2', invert: null, admin_state_up: true, tags: ['u'] },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(Object.keys(updated.body.rule), L7RULE_KEYS);
    assert.equal(updated.body.rule.provisioning_status, 'PENDING_UPDATE');
    assert.equal(updated.body.rule.value, '/v2');
    assert.equal(updated.body.rule.invert, false);
    assert.deepEqual(updated.body.rule.tags, ['u']);
    await svc.settle();
    const after = (await svc.get(`${rulesPath(policyId)}/${second.id}`)).body.rule;
    assert.deepEqual([after.provisioning_status, after.operating_status, after.value], ['ACTIVE', 'ONLINE', '/v2']);

    assert.equal((await svc.del(`${rulesPath(policyId)}/${rule.id}`)).status, 204);
    await svc.settle();
    await expectFault(await svc.get(`${rulesPath(policyId)}/${rule.id}`), 404, `L7 Rule ${rule.id} not found.`);
    assert.deepEqual((await svc.get(`/v2/lbaas/l7policies/${policyId}`)).body.l7policy.rules, [{ id: second.id }]);
    assert.deepEqual(
      [
        await fx.status('load_balancer', lbId),
        await fx.status('listener', listenerId),
        await fx.status('l7policy', policyId),
      ],
      ['ACTIVE', 'ACTIVE', 'ACTIVE'],
    );
  });

  it('finds rules only under their own policy, and answers 404 for unknown policies and rules', async () => {
    const a = await fx.policy(lbId);
    const b = await fx.policy(lbId);
    const rule = await createRule(a.policyId, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' });
    const elsewhere = `${rulesPath(b.policyId)}/${rule.id}`;
    await expectFault(await svc.get(elsewhere), 404, `L7 Rule ${rule.id} not found.`);
    await expectFault(await svc.put(elsewhere, { rule: { value: '/b' } }), 404, `L7 Rule ${rule.id} not found.`);
    await expectFault(await svc.del(elsewhere), 404, `L7 Rule ${rule.id} not found.`);
    assert.deepEqual((await svc.get(rulesPath(b.policyId))).body.rules, []);

    for (const policyId of [MISSING_ID, 'not-a-uuid']) {
      const msg = `L7Policy ${policyId} not found.`;
      await expectFault(await svc.get(rulesPath(policyId)), 404, msg);
      await expectFault(
        await svc.post(rulesPath(policyId), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' } }),
        404,
        msg,
      );
      await expectFault(await svc.get(`${rulesPath(policyId)}/${rule.id}`), 404, msg);
      await expectFault(await svc.put(`${rulesPath(policyId)}/${rule.id}`, { rule: { value: '/b' } }), 404, msg);
      await expectFault(await svc.del(`${rulesPath(policyId)}/${rule.id}`), 404, msg);
    }
    await expectFault(await svc.get(`${rulesPath(a.policyId)}/not-a-uuid`), 404, 'L7 Rule not-a-uuid not found.');
    const alias = await svc.get(`/v2.0/l7policies/${a.policyId}/rules/${rule.id}.json`);
    assert.equal(alias.status, 200);
    assert.equal(alias.body.rule.id, rule.id);
  });

  it('accepts the rule shapes Octavia accepts', async () => {
    const { policyId } = await fx.policy(lbId);
    const good: Array<Record<string, unknown>> = [
      { type: 'PATH', compare_type: 'REGEX', value: '^/api/(v1|v2)/' },
      { type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com' },
      { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Forwarded-Proto', value: '"https only"' },
      { type: 'HEADER', compare_type: 'CONTAINS', key: 'User-Agent', value: 'curl/8' },
      { type: 'COOKIE', compare_type: 'STARTS_WITH', key: 'session', value: 'abc:def' },
      { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
      { type: 'FILE_TYPE', compare_type: 'REGEX', value: '(jpg|png)$' },
      { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True' },
      { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
      { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'CN', value: 'client' },
    ];
    for (const rule of good) await createRule(policyId, rule);
    assert.equal((await svc.get(rulesPath(policyId))).body.rules.length, good.length);
  });

  it("refuses rules whose type, compare type, key and value do not fit, with Octavia's faults", async () => {
    const { policyId } = await fx.policy(lbId);
    const parse = (msg: string) => `Error parsing L7Rule: ${msg}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }, parse('Invalid L7 Rule: L7 rule type requires a key')],
      [{ type: 'COOKIE', compare_type: 'EQUAL_TO', value: 'x' }, parse('Invalid L7 Rule: L7 rule type requires a key')],
      [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'Bad Key', value: 'x' }, parse('Invalid characters in key')],
      [
        { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'two words' },
        parse('Invalid characters in header value'),
      ],
      [
        { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' },
        parse('Invalid characters in cookie value'),
      ],
      [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a b' }, parse('Invalid characters in comparison value')],
      [
        { type: 'PATH', compare_type: 'REGEX', value: '(unclosed' },
        parse('Unable to parse regular expression: Invalid regular expression: /(unclosed/: Unterminated group'),
      ],
      [
        { type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'jpg' },
        parse('Invalid L7 Rule: invalid comparison type for rule type'),
      ],
      [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '' }, parse('Invalid L7 Rule: L7 rule type requires a value')],
      [{ type: 'PATH', compare_type: 'REGEX', value: 'a\nb' }, parse('Invalid characters in value')],
      [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'C\rN', value: 'x' }, parse('Invalid characters in key')],
      [
        { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'k', value: 'true' },
        parse('Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.'),
      ],
      [
        { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'false' },
        parse('Invalid L7 Rule: L7rule value false is not a boolean True string.'),
      ],
      [
        { type: 'SSL_CONN_HAS_CERT', compare_type: 'REGEX', value: 'true' },
        parse('Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT only supports the EQUAL_TO compare type.'),
      ],
      [
        { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' },
        parse('Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0'),
      ],
      [
        { type: 'SSL_VERIFY_RESULT', compare_type: 'CONTAINS', value: '1' },
        parse('Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT only supports the EQUAL_TO compare type.'),
      ],
      [
        { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', value: 'x' },
        parse('Invalid L7 Rule: L7rule type SSL_DN_FIELD needs to specify a key and a value.'),
      ],
      [
        { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' },
        parse('Invalid L7 Rule: Invalid L7rule distinguished name field.'),
      ],
      [
        { type: 'URL', compare_type: 'EQUAL_TO', value: 'x' },
        "Invalid input for field/attribute type. Value: 'URL'. Value should be one of: HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE, SSL_CONN_HAS_CERT, SSL_VERIFY_RESULT, SSL_DN_FIELD",
      ],
      [
        { type: 'PATH', compare_type: 'LIKE', value: 'x' },
        "Invalid input for field/attribute compare_type. Value: 'LIKE'. Value should be one of: REGEX, STARTS_WITH, ENDS_WITH, CONTAINS, EQUAL_TO",
      ],
      [
        { type: 'PATH', compare_type: 'EQUAL_TO' },
        "Invalid input for field/attribute value. Value: 'None'. Mandatory field missing.",
      ],
      [
        { type: 'PATH', compare_type: 'EQUAL_TO', value: `/${'x'.repeat(255)}` },
        `Invalid input for field/attribute value. Value: '/${'x'.repeat(255)}'. Value should have a maximum character requirement of 255`,
      ],
      [
        { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a', bogus: 1 },
        'Unknown attribute for argument rule_.rule: bogus',
      ],
    ];
    for (const [rule, msg] of cases) await expectFault(await svc.post(rulesPath(policyId), { rule }), 400, msg);
    await expectFault(
      await svc.post(rulesPath(policyId), { type: 'PATH' }),
      400,
      'Unknown attribute for argument rule_: type',
    );
    assert.deepEqual((await svc.get(rulesPath(policyId))).body.rules, []);
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
  });

  it('checks an update against the rule it produces', async () => {
    const { policyId } = await fx.policy(lbId);
    const rule = await createRule(policyId, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' });
    const put = (body: Record<string, unknown>) => svc.put(`${rulesPath(policyId)}/${rule.id}`, { rule: body });
    await expectFault(
      await put({ type: 'HEADER' }),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
    );
    await expectFault(
      await put({ type: 'FILE_TYPE' }),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: invalid comparison type for rule type',
    );
    await expectFault(
      await put({ value: null }),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value',
    );
    await expectFault(await put({ type: null }), 400, 'Error parsing L7Rule: Invalid L7 Rule: invalid rule type');
    await expectFault(
      await put({ l7policy_id: policyId }),
      400,
      'Unknown attribute for argument rule_.rule: l7policy_id',
    );
    assert.equal((await svc.get(`${rulesPath(policyId)}/${rule.id}`)).body.rule.provisioning_status, 'ACTIVE');

    const header = await put({ type: 'HEADER', key: 'X-Env', compare_type: 'EQUAL_TO', value: 'prod' });
    assert.equal(header.status, 200, JSON.stringify(header.body));
    assert.deepEqual(
      [header.body.rule.type, header.body.rule.key, header.body.rule.value],
      ['HEADER', 'X-Env', 'prod'],
    );
    await svc.settle();
    await expectFault(
      await put({ key: null }),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
    );
  });

  it('refuses a 51st rule on a policy', async () => {
    const { policyId } = await fx.policy(lbId);
    const now = new Date().toISOString().slice(0, 19);
    await svc.node.db.kysely
      .insertInto('l7rule')
      .values(
        Array.from({ length: 50 }, (_, i) => ({
          id: randomUUID(),
          project_id: 'project-a',
          provisioning_status: 'ACTIVE',
          operating_status: 'ONLINE',
          admin_state_up: true,
          created_at: now,
          updated_at: null,
          l7policy_id: policyId,
          type: 'PATH',
          compare_type: 'EQUAL_TO',
          key: null,
          value: `/p${i}`,
          invert: false,
        })),
      )
      .execute();
    await expectFault(
      await svc.post(rulesPath(policyId), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/51' } }),
      409,
      `Too many rules on L7 policy ${policyId}`,
    );
    assert.deepEqual(
      [await fx.status('load_balancer', lbId), await fx.status('l7policy', policyId)],
      ['ACTIVE', 'ACTIVE'],
    );
    assert.equal((await svc.get(`${rulesPath(policyId)}?limit=100`)).body.rules.length, 50);
  });

  it('enforces the l7rule quota', async () => {
    const { policyId } = await fx.policy(lbId);
    const db = svc.node.db.kysely;
    const used = Number(
      (
        await db
          .selectFrom('l7rule')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('project_id', '=', 'project-a')
          .executeTakeFirstOrThrow()
      ).n,
    );
    await db
      .insertInto('quota')
      .values({
        project_id: 'project-a',
        loadbalancer: null,
        listener: null,
        pool: null,
        healthmonitor: null,
        member: null,
        l7policy: null,
        l7rule: used + 1,
      })
      .execute();
    try {
      await createRule(policyId, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/in' });
      await expectFault(
        await svc.post(rulesPath(policyId), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/over' } }),
        403,
        'Quota has been met for resources: l7rule',
      );
    } finally {
      await db.deleteFrom('quota').where('project_id', '=', 'project-a').execute();
    }
  });

  it('answers 409 while the policy, the load balancer or the rule is not ACTIVE', async () => {
    const { policyId, listenerId } = await fx.policy(lbId);
    const rule = await createRule(policyId, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' });
    const post = () => svc.post(rulesPath(policyId), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/b' } });
    const put = () => svc.put(`${rulesPath(policyId)}/${rule.id}`, { rule: { value: '/c' } });
    const del = () => svc.del(`${rulesPath(policyId)}/${rule.id}`);

    for (const status of ['PENDING_UPDATE', 'ERROR']) {
      await fx.setStatus('l7policy', policyId, status);
      const msg = `L7Policy ${policyId} is immutable and cannot be updated.`;
      await expectFault(await post(), 409, msg);
      await expectFault(await put(), 409, msg);
      await expectFault(await del(), 409, msg);
    }
    await fx.setStatus('l7policy', policyId, 'ACTIVE');
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');

    await fx.setStatus('load_balancer', lbId, 'PENDING_UPDATE');
    try {
      const msg = `Load Balancer ${lbId} is immutable and cannot be updated.`;
      await expectFault(await post(), 409, msg);
      await expectFault(await put(), 409, msg);
      await expectFault(await del(), 409, msg);
    } finally {
      await fx.setStatus('load_balancer', lbId, 'ACTIVE');
    }
    assert.deepEqual(
      [await fx.status('listener', listenerId), await fx.status('l7policy', policyId)],
      ['ACTIVE', 'ACTIVE'],
    );

    await fx.setStatus('l7rule', rule.id, 'PENDING_CREATE');
    await expectFault(await put(), 409, `L7 Rule ${rule.id} is immutable and cannot be updated.`);
    await expectFault(await del(), 409, `L7 Rule ${rule.id} is immutable and cannot be updated.`);
    assert.deepEqual(
      [
        await fx.status('load_balancer', lbId),
        await fx.status('listener', listenerId),
        await fx.status('l7policy', policyId),
      ],
      ['ACTIVE', 'ACTIVE', 'ACTIVE'],
      'a refused change rolls back the parent locks',
    );
    await fx.setStatus('l7rule', rule.id, 'ERROR');
    await expectFault(await put(), 409, `L7 Rule ${rule.id} is immutable and cannot be updated.`);
    assert.equal((await del()).status, 204);
    await svc.settle();
    assert.equal(await fx.status('l7rule', rule.id), undefined);
  });
});

describe('l7 rules with a slow worker', () => {
  let svc: TestService;
  let fx: ReturnType<typeof fixture>;
  before(async () => {
    svc = await TestService.start({ worker: { pollIntervalMs: 100, stepDelayMs: 300 } });
    fx = fixture(svc);
  });
  after(() => svc.stop());

  it('holds the load balancer, listener and policy in PENDING_UPDATE until the rule is applied', async () => {
    const lb = await svc.createLoadBalancer({ name: 'slow-rules' });
    const { policyId, listenerId } = await fx.policy(lb.id);
    const parents = async () => [
      await fx.status('load_balancer', lb.id),
      await fx.status('listener', listenerId),
      await fx.status('l7policy', policyId),
    ];

    const res = await svc.post(`/v2/lbaas/l7policies/${policyId}/rules`, {
      rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' },
    });
    assert.equal(res.status, 201);
    const ruleId = res.body.rule.id;
    assert.deepEqual(await parents(), ['PENDING_UPDATE', 'PENDING_UPDATE', 'PENDING_UPDATE']);
    assert.equal(await fx.status('l7rule', ruleId), 'PENDING_CREATE');
    const second = await svc.post(`/v2/lbaas/l7policies/${policyId}/rules`, {
      rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/b' },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.faultstring, `L7Policy ${policyId} is immutable and cannot be updated.`);
    await svc.settle();
    assert.deepEqual(await parents(), ['ACTIVE', 'ACTIVE', 'ACTIVE']);
    assert.equal(await fx.status('l7rule', ruleId), 'ACTIVE');

    assert.equal(
      (await svc.put(`/v2/lbaas/l7policies/${policyId}/rules/${ruleId}`, { rule: { invert: true } })).status,
      200,
    );
    assert.deepEqual(
      [...(await parents()), await fx.status('l7rule', ruleId)],
      ['PENDING_UPDATE', 'PENDING_UPDATE', 'PENDING_UPDATE', 'PENDING_UPDATE'],
    );
    await svc.settle();
    assert.deepEqual(
      [...(await parents()), await fx.status('l7rule', ruleId)],
      ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE'],
    );

    assert.equal((await svc.del(`/v2/lbaas/l7policies/${policyId}/rules/${ruleId}`)).status, 204);
    assert.equal(await fx.status('l7rule', ruleId), 'PENDING_DELETE');
    await svc.settle();
    assert.equal(await fx.status('l7rule', ruleId), undefined);
    assert.deepEqual(await parents(), ['ACTIVE', 'ACTIVE', 'ACTIVE']);
  });
});
