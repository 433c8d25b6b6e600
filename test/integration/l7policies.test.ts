import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { listenerRow, poolRow } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

const POLICY_KEYS = [
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
  'rules',
  'created_at',
  'updated_at',
  'tags',
  'redirect_http_code',
  'tenant_id',
];
const MISSING_ID = '00000000-0000-0000-0000-000000000000';
const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

/**
 * Listeners and pools made directly in the database (ACTIVE / OFFLINE), so these tests do not depend on
 * the listener and pool APIs.
 */
function fixture(svc: TestService) {
  const db = svc.node.db.kysely;
  let port = 1000;
  return {
    async listener(lbId: string, protocol = 'HTTP'): Promise<string> {
      const id = randomUUID();
      await db
        .insertInto('listener')
        .values(listenerRow(lbId, { id, name: null, description: null, protocol, protocol_port: port++ }))
        .execute();
      return id;
    },
    async pool(lbId: string, protocol = 'HTTP'): Promise<string> {
      const id = randomUUID();
      await db
        .insertInto('pool')
        .values(poolRow(lbId, { id, name: null, description: null, protocol }))
        .execute();
      return id;
    },
    async status(table: 'load_balancer' | 'listener' | 'l7policy' | 'l7rule', id: string): Promise<string | undefined> {
      const row = await db.selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirst();
      return row?.provisioning_status;
    },
    async setStatus(table: 'load_balancer' | 'listener' | 'l7policy', id: string, status: string): Promise<void> {
      await db.updateTable(table).set({ provisioning_status: status }).where('id', '=', id).execute();
    },
  };
}

describe('l7 policies', () => {
  let svc: TestService;
  let fx: ReturnType<typeof fixture>;
  let lbId: string;

  before(async () => {
    svc = await TestService.start();
    fx = fixture(svc);
    lbId = (await svc.createLoadBalancer({ name: 'l7-lb' })).id;
  });
  after(() => svc.stop());

  async function expectFault(res: { status: number; body: unknown }, status: number, faultstring: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
  }

  /** Create a policy, wait for the worker, and return it as shown afterwards. */
  async function createPolicy(body: Record<string, unknown>): Promise<any> {
    const res = await svc.post('/v2/lbaas/l7policies', { l7policy: body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return (await svc.get(`/v2/lbaas/l7policies/${res.body.l7policy.id}`)).body.l7policy;
  }

  async function positionsOf(listenerId: string): Promise<Array<[string, number]>> {
    const res = await svc.get(`/v2/lbaas/l7policies?listener_id=${listenerId}&sort=position:asc`);
    assert.equal(res.status, 200);
    return res.body.l7policies.map((p: any) => [p.name, p.position]);
  }

  it('creates PENDING_CREATE in Octavia field order; the worker makes it ACTIVE / ONLINE and releases its parents', async () => {
    const listenerId = await fx.listener(lbId);
    const res = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'deny', description: 'no entry', tags: ['a', 'b'] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const policy = res.body.l7policy;
    assert.deepEqual(Object.keys(policy), POLICY_KEYS);
    assert.deepEqual(
      { ...policy, id: undefined, created_at: undefined },
      {
        ...Object.fromEntries(POLICY_KEYS.map((k) => [k, undefined])),
        name: 'deny',
        description: 'no entry',
        provisioning_status: 'PENDING_CREATE',
        operating_status: 'OFFLINE',
        admin_state_up: true,
        project_id: 'project-a',
        action: 'REJECT',
        listener_id: listenerId,
        redirect_pool_id: null,
        redirect_url: null,
        redirect_prefix: null,
        position: 1,
        rules: [],
        updated_at: null,
        tags: ['a', 'b'],
        redirect_http_code: null,
        tenant_id: 'project-a',
      },
    );
    assert.match(policy.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/l7policies/${policy.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.l7policy.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.l7policy.operating_status, 'ONLINE');
    assert.deepEqual(shown.body.l7policy.tags.sort(), ['a', 'b']);
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
    assert.equal(await fx.status('listener', listenerId), 'ACTIVE');
  });

  it('provisions a disabled policy OFFLINE', async () => {
    const listenerId = await fx.listener(lbId);
    const policy = await createPolicy({ listener_id: listenerId, action: 'REJECT', admin_state_up: false });
    assert.equal(policy.provisioning_status, 'ACTIVE');
    assert.equal(policy.operating_status, 'OFFLINE');
    assert.equal(policy.admin_state_up, false);
    const res = await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { admin_state_up: true } });
    assert.equal(res.status, 200);
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/l7policies/${policy.id}`)).body.l7policy.operating_status, 'ONLINE');
  });

  it('lists with filters and fields, updates in place and deletes', async () => {
    const listenerId = await fx.listener(lbId);
    const a = await createPolicy({ listener_id: listenerId, action: 'REJECT', name: 'list-a' });
    const b = await createPolicy({
      listener_id: listenerId,
      action: 'REDIRECT_TO_URL',
      redirect_url: 'http://b.example/',
      name: 'list-b',
    });

    const listed = await svc.get(`/v2/lbaas/l7policies?listener_id=${listenerId}&sort=position`);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.l7policies.map((p: any) => p.id),
      [a.id, b.id],
    );
    assert.deepEqual(listed.body.l7policies_links, []);
    const filtered = await svc.get(
      `/v2/lbaas/l7policies?listener_id=${listenerId}&action=REDIRECT_TO_URL&fields=id&fields=action`,
    );
    assert.deepEqual(filtered.body.l7policies, [{ id: b.id, action: 'REDIRECT_TO_URL' }]);
    const shownFields = await svc.get(`/v2/lbaas/l7policies/${a.id}?fields=name`);
    assert.deepEqual(shownFields.body, { l7policy: { name: 'list-a' } });

    const updated = await svc.put(`/v2/lbaas/l7policies/${a.id}`, {
      l7policy: { name: 'renamed', description: null, tags: ['x'] },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(Object.keys(updated.body.l7policy), POLICY_KEYS);
    assert.equal(updated.body.l7policy.provisioning_status, 'PENDING_UPDATE');
    assert.equal(updated.body.l7policy.name, 'renamed');
    assert.equal(updated.body.l7policy.description, '');
    assert.deepEqual(updated.body.l7policy.tags, ['x']);
    assert.notEqual(updated.body.l7policy.updated_at, null);
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/l7policies/${a.id}`)).body.l7policy.provisioning_status, 'ACTIVE');
    assert.equal(await fx.status('listener', listenerId), 'ACTIVE');

    const deleted = await svc.del(`/v2/lbaas/l7policies/${a.id}`);
    assert.equal(deleted.status, 204);
    await svc.settle();
    await expectFault(await svc.get(`/v2/lbaas/l7policies/${a.id}`), 404, `L7 Policy ${a.id} not found.`);
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
    assert.deepEqual(await positionsOf(listenerId), [['list-b', 1]]);
  });

  it('lets the redirect attribute sent decide the action, keeping only what that action uses', async () => {
    const listenerId = await fx.listener(lbId);
    const poolId = await fx.pool(lbId);
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [
        { action: 'REDIRECT_TO_URL', redirect_url: 'https://u.example/x' },
        {
          action: 'REDIRECT_TO_URL',
          redirect_url: 'https://u.example/x',
          redirect_prefix: null,
          redirect_pool_id: null,
          redirect_http_code: 302,
        },
      ],
      [
        { action: 'REDIRECT_PREFIX', redirect_prefix: 'http://p.example', redirect_http_code: 308 },
        {
          action: 'REDIRECT_PREFIX',
          redirect_url: null,
          redirect_prefix: 'http://p.example',
          redirect_pool_id: null,
          redirect_http_code: 308,
        },
      ],
      [
        { action: 'REJECT', redirect_prefix: 'http://p.example' },
        {
          action: 'REDIRECT_PREFIX',
          redirect_url: null,
          redirect_prefix: 'http://p.example',
          redirect_pool_id: null,
          redirect_http_code: 302,
        },
      ],
      [
        { action: 'REDIRECT_TO_URL', redirect_url: 'http://u.example', redirect_pool_id: poolId },
        {
          action: 'REDIRECT_TO_URL',
          redirect_url: 'http://u.example',
          redirect_prefix: null,
          redirect_pool_id: null,
          redirect_http_code: 302,
        },
      ],
      [
        { action: 'REDIRECT_TO_POOL', redirect_pool_id: poolId, redirect_http_code: 301 },
        {
          action: 'REDIRECT_TO_POOL',
          redirect_url: null,
          redirect_prefix: null,
          redirect_pool_id: poolId,
          redirect_http_code: null,
        },
      ],
      [
        { action: 'REDIRECT_TO_POOL', redirect_pool_id: poolId, redirect_url: 'http://dropped.example' },
        {
          action: 'REDIRECT_TO_POOL',
          redirect_url: null,
          redirect_prefix: null,
          redirect_pool_id: poolId,
          redirect_http_code: null,
        },
      ],
      [
        { action: 'REJECT', redirect_pool_id: poolId, redirect_http_code: 301 },
        {
          action: 'REJECT',
          redirect_url: null,
          redirect_prefix: null,
          redirect_pool_id: null,
          redirect_http_code: null,
        },
      ],
    ];
    for (const [body, expected] of cases) {
      const res = await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, ...body } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const p = res.body.l7policy;
      const got = {
        action: p.action,
        redirect_url: p.redirect_url,
        redirect_prefix: p.redirect_prefix,
        redirect_pool_id: p.redirect_pool_id,
        redirect_http_code: p.redirect_http_code,
      };
      assert.deepEqual(got, expected, JSON.stringify(body));
      await svc.settle();
    }

    // PUT: a pool turns a URL redirect into a pool redirect; a URL turns it back with the 302 default.
    const policy = await createPolicy({
      listener_id: listenerId,
      action: 'REDIRECT_TO_URL',
      redirect_url: 'http://a.example',
      redirect_http_code: 307,
    });
    const toPool = await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { redirect_pool_id: poolId } });
    assert.equal(toPool.status, 200, JSON.stringify(toPool.body));
    assert.deepEqual(
      [
        toPool.body.l7policy.action,
        toPool.body.l7policy.redirect_pool_id,
        toPool.body.l7policy.redirect_url,
        toPool.body.l7policy.redirect_http_code,
      ],
      ['REDIRECT_TO_POOL', poolId, null, null],
    );
    await svc.settle();
    const toUrl = await svc.put(`/v2/lbaas/l7policies/${policy.id}`, {
      l7policy: { redirect_url: 'http://back.example' },
    });
    assert.deepEqual(
      [
        toUrl.body.l7policy.action,
        toUrl.body.l7policy.redirect_pool_id,
        toUrl.body.l7policy.redirect_url,
        toUrl.body.l7policy.redirect_http_code,
      ],
      ['REDIRECT_TO_URL', null, 'http://back.example', 302],
    );
    await svc.settle();
    const code = await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { redirect_http_code: 303 } });
    assert.equal(code.body.l7policy.redirect_http_code, 303);
    assert.equal(code.body.l7policy.redirect_url, 'http://back.example');
    await svc.settle();
    const reject = await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { action: 'REJECT' } });
    assert.deepEqual(
      [reject.body.l7policy.action, reject.body.l7policy.redirect_url, reject.body.l7policy.redirect_http_code],
      ['REJECT', null, null],
    );
    await svc.settle();
  });

  it("refuses contradictory or incomplete redirects with Octavia's faults, changing nothing", async () => {
    const listenerId = await fx.listener(lbId);
    const poolId = await fx.pool(lbId);
    const post = (body: Record<string, unknown>) =>
      svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, ...body } });
    await expectFault(
      await post({ action: 'REDIRECT_PREFIX', redirect_pool_id: poolId, redirect_prefix: 'http://x.example' }),
      400,
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
    );
    await expectFault(
      await post({ action: 'REDIRECT_TO_URL' }),
      400,
      'Invalid L7 Policy arguments: redirect_url must not be None',
    );
    await expectFault(
      await post({ action: 'REDIRECT_TO_POOL' }),
      400,
      'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None',
    );
    await expectFault(
      await post({ action: 'REDIRECT_PREFIX', redirect_url: null }),
      400,
      'Invalid L7 Policy arguments: redirect_prefix must not be None',
    );
    await expectFault(
      await post({ action: 'FOO' }),
      400,
      "Invalid input for field/attribute action. Value: 'FOO'. Value should be one of: REJECT, REDIRECT_TO_URL, REDIRECT_TO_POOL, REDIRECT_PREFIX",
    );
    assert.deepEqual(await positionsOf(listenerId), []);
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');

    const policy = await createPolicy({
      listener_id: listenerId,
      action: 'REDIRECT_TO_URL',
      redirect_url: 'http://a.example',
    });
    const put = (body: Record<string, unknown>) => svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: body });
    await expectFault(await put({}), 400, 'Invalid L7 Policy arguments: Invalid update options');
    await expectFault(await put({ action: null }), 400, 'Invalid L7 Policy action specified: None');
    await expectFault(
      await put({ action: 'REDIRECT_PREFIX' }),
      400,
      'Invalid L7 Policy arguments: redirect_prefix must not be None',
    );
    await expectFault(
      await put({ redirect_url: null }),
      400,
      'Invalid L7 Policy arguments: redirect_url must not be None',
    );
    await expectFault(
      await put({ redirect_pool_id: poolId, redirect_url: 'http://u.example' }),
      400,
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
    );
    await expectFault(
      await put({ redirect_pool_id: poolId, redirect_prefix: 'http://p.example' }),
      400,
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
    );
    await expectFault(
      await put({ listener_id: listenerId }),
      400,
      'Unknown attribute for argument l7policy_.l7policy: listener_id',
    );
    const unchanged = (await svc.get(`/v2/lbaas/l7policies/${policy.id}`)).body.l7policy;
    assert.equal(unchanged.provisioning_status, 'ACTIVE');
    assert.equal(unchanged.redirect_url, 'http://a.example');
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
  });

  it('refuses redirect URLs that are not http(s) URLs with a host, and unknown redirect codes', async () => {
    const listenerId = await fx.listener(lbId);
    for (const bad of [
      'ftp://x.example/',
      'not a url',
      'http://',
      'http:///path',
      'http://x.example/a b',
      'http://x.example/\u0007',
      '/relative',
      'http://x.example/%zz',
    ]) {
      for (const key of ['redirect_url', 'redirect_prefix']) {
        const action = key === 'redirect_url' ? 'REDIRECT_TO_URL' : 'REDIRECT_PREFIX';
        const res = await svc.post('/v2/lbaas/l7policies', {
          l7policy: { listener_id: listenerId, action, [key]: bad },
        });
        await expectFault(
          res,
          400,
          `Invalid input for field/attribute ${key}. Value: '${bad}'. Value must be a valid URL string`,
        );
      }
    }
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', {
        l7policy: {
          listener_id: listenerId,
          action: 'REDIRECT_TO_URL',
          redirect_url: 'http://x.example',
          redirect_http_code: 304,
        },
      }),
      400,
      "Invalid input for field/attribute redirect_http_code. Value: '304'. Value should be one of: 301, 302, 303, 307, 308",
    );
    const ok = await svc.post('/v2/lbaas/l7policies', {
      l7policy: {
        listener_id: listenerId,
        action: 'REDIRECT_TO_URL',
        redirect_url: 'https://user@[2001:db8::1]:8443/p?q=1#f',
      },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    await svc.settle();
  });

  it('keeps positions 1..n: append by default, insert before the holder, move on update, close gaps on delete', async () => {
    const listenerId = await fx.listener(lbId);
    const other = await fx.listener(lbId);
    const p1 = await createPolicy({ listener_id: listenerId, action: 'REJECT', name: 'one' });
    const p2 = await createPolicy({ listener_id: listenerId, action: 'REJECT', name: 'two' });
    await createPolicy({ listener_id: other, action: 'REJECT', name: 'elsewhere' });
    assert.deepEqual(await positionsOf(listenerId), [
      ['one', 1],
      ['two', 2],
    ]);

    const first = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'first', position: 1 },
    });
    assert.equal(first.status, 201);
    assert.equal(first.body.l7policy.position, 1);
    await svc.settle();
    assert.deepEqual(await positionsOf(listenerId), [
      ['first', 1],
      ['one', 2],
      ['two', 3],
    ]);

    const far = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'far', position: 99 },
    });
    assert.equal(far.body.l7policy.position, 4);
    await svc.settle();
    const mid = await createPolicy({ listener_id: listenerId, action: 'REJECT', name: 'mid', position: 3 });
    assert.equal(mid.position, 3);
    assert.deepEqual(await positionsOf(listenerId), [
      ['first', 1],
      ['one', 2],
      ['mid', 3],
      ['two', 4],
      ['far', 5],
    ]);
    assert.deepEqual(await positionsOf(other), [['elsewhere', 1]]);

    const moved = await svc.put(`/v2/lbaas/l7policies/${p2.id}`, { l7policy: { position: 1 } });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.l7policy.position, 1);
    await svc.settle();
    assert.deepEqual(await positionsOf(listenerId), [
      ['two', 1],
      ['first', 2],
      ['one', 3],
      ['mid', 4],
      ['far', 5],
    ]);
    await svc.put(`/v2/lbaas/l7policies/${p2.id}`, { l7policy: { position: 2147483647 } });
    await svc.settle();
    assert.deepEqual(await positionsOf(listenerId), [
      ['first', 1],
      ['one', 2],
      ['mid', 3],
      ['far', 4],
      ['two', 5],
    ]);

    assert.equal((await svc.del(`/v2/lbaas/l7policies/${p1.id}`)).status, 204);
    await svc.settle();
    assert.deepEqual(await positionsOf(listenerId), [
      ['first', 1],
      ['mid', 2],
      ['far', 3],
      ['two', 4],
    ]);

    for (const position of [0, 2147483648]) {
      const bound = position === 0 ? 'greater or equal to 1' : 'lower or equal to 2147483647';
      await expectFault(
        await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT', position } }),
        400,
        `Invalid input for field/attribute position. Value: '${position}'. Value should be ${bound}`,
      );
    }
  });

  it('checks the listener: it must exist and speak HTTP', async () => {
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: MISSING_ID, action: 'REJECT' } }),
      404,
      `Listener ${MISSING_ID} not found.`,
    );
    for (const protocol of ['TCP', 'HTTPS', 'UDP', 'SCTP']) {
      const listenerId = await fx.listener(lbId, protocol);
      await expectFault(
        await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT' } }),
        400,
        'Validation failure: L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners.',
      );
    }
    const prometheus = await fx.listener(lbId, 'PROMETHEUS');
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: prometheus, action: 'REJECT' } }),
      400,
      'Protocol PROMETHEUS listeners cannot have child objects.',
    );
    const terminated = await fx.listener(lbId, 'TERMINATED_HTTPS');
    const ok = await createPolicy({ listener_id: terminated, action: 'REJECT' });
    assert.equal(ok.provisioning_status, 'ACTIVE');
  });

  it('checks redirect pools: on the same load balancer, known, and protocol-compatible', async () => {
    const listenerId = await fx.listener(lbId);
    const otherLb = await svc.createLoadBalancer({ name: 'other' });
    const foreignPool = await fx.pool(otherLb.id);
    const udpPool = await fx.pool(lbId, 'UDP');
    const proxyPool = await fx.pool(lbId, 'PROXY');
    const post = (poolId: string) =>
      svc.post('/v2/lbaas/l7policies', {
        l7policy: { listener_id: listenerId, action: 'REDIRECT_TO_POOL', redirect_pool_id: poolId },
      });
    await expectFault(await post(MISSING_ID), 404, `Pool ${MISSING_ID} not found.`);
    await expectFault(await post(foreignPool), 404, `Pool ${foreignPool} not found.`);
    await expectFault(
      await post(udpPool),
      400,
      "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
    );
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE', 'a refused create releases its locks');
    assert.equal(await fx.status('listener', listenerId), 'ACTIVE');
    const ok = await post(proxyPool);
    assert.equal(ok.status, 201);
    await svc.settle();
    await expectFault(
      await svc.put(`/v2/lbaas/l7policies/${ok.body.l7policy.id}`, { l7policy: { redirect_pool_id: udpPool } }),
      400,
      "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
    );
    assert.equal(
      (await svc.get(`/v2/lbaas/l7policies/${ok.body.l7policy.id}`)).body.l7policy.redirect_pool_id,
      proxyPool,
    );
  });

  it('answers body faults as Octavia does', async () => {
    const listenerId = await fx.listener(lbId);
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT', bogus: 1 } }),
      400,
      'Unknown attribute for argument l7policy_.l7policy: bogus',
    );
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { listener_id: listenerId }),
      400,
      'Unknown attribute for argument l7policy_: listener_id',
    );
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { action: 'REJECT' } }),
      400,
      "Invalid input for field/attribute listener_id. Value: 'None'. Mandatory field missing.",
    );
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId } }),
      400,
      "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing.",
    );
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: 'nope', action: 'REJECT' } }),
      400,
      "Invalid input for field/attribute listener_id. Value: 'nope'. Value should be UUID format",
    );
    assert.deepEqual(await positionsOf(listenerId), []);
  });

  it('creates the rules of a policy body in the same transaction', async () => {
    const listenerId = await fx.listener(lbId);
    const res = await svc.post('/v2/lbaas/l7policies', {
      l7policy: {
        listener_id: listenerId,
        action: 'REJECT',
        name: 'graph',
        rules: [
          { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', tags: ['r'] },
          {
            type: 'HEADER',
            compare_type: 'EQUAL_TO',
            key: 'X-Env',
            value: 'prod',
            invert: true,
            admin_state_up: false,
          },
        ],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const ruleIds = res.body.l7policy.rules.map((r: any) => r.id);
    assert.equal(ruleIds.length, 2);
    assert.deepEqual(Object.keys(res.body.l7policy.rules[0]), ['id']);
    await svc.settle();
    const listed = await svc.get(`/v2/lbaas/l7policies/${res.body.l7policy.id}/rules?sort=type:asc`);
    assert.deepEqual(
      listed.body.rules.map((r: any) => [r.type, r.provisioning_status, r.operating_status, r.invert, r.tags]),
      [
        ['HEADER', 'ACTIVE', 'OFFLINE', true, []],
        ['PATH', 'ACTIVE', 'ONLINE', false, ['r']],
      ],
    );
    assert.deepEqual(
      listed.body.rules.map((r: any) => [r.project_id, r.key, r.value]),
      [
        ['project-a', 'X-Env', 'prod'],
        ['project-a', null, '/api'],
      ],
    );
    const shown = await svc.get(`/v2/lbaas/l7policies/${res.body.l7policy.id}`);
    assert.deepEqual(shown.body.l7policy.rules.map((r: any) => r.id).sort(), [...ruleIds].sort());

    // A bad embedded rule refuses the whole policy.
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', {
        l7policy: {
          listener_id: listenerId,
          action: 'REJECT',
          name: 'bad',
          rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }],
        },
      }),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
    );
    await expectFault(
      await svc.post('/v2/lbaas/l7policies', {
        l7policy: { listener_id: listenerId, action: 'REJECT', rules: [{ type: 'PATH', value: '/x' }] },
      }),
      400,
      "Invalid input for field/attribute compare_type. Value: 'None'. Mandatory field missing.",
    );
    const tooMany = await svc.post('/v2/lbaas/l7policies', {
      l7policy: {
        listener_id: listenerId,
        action: 'REJECT',
        rules: Array.from({ length: 51 }, (_, i) => ({ type: 'PATH', compare_type: 'EQUAL_TO', value: `/p${i}` })),
      },
    });
    assert.equal(tooMany.status, 409);
    assert.match(tooMany.body.faultstring, /^Too many rules on L7 policy [0-9a-f-]{36}$/);
    assert.deepEqual(await positionsOf(listenerId), [['graph', 1]]);
  });

  it("enforces the l7policy and l7rule quotas of the load balancer's project", async () => {
    const listenerId = await fx.listener(lbId);
    const db = svc.node.db.kysely;
    const used = async (table: 'l7policy' | 'l7rule') =>
      Number(
        (
          await db
            .selectFrom(table)
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
        l7policy: await used('l7policy'),
        l7rule: (await used('l7rule')) + 1,
      })
      .execute();
    try {
      await expectFault(
        await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT' } }),
        403,
        'Quota has been met for resources: l7policy',
      );
      await db
        .updateTable('quota')
        .set({ l7policy: (await used('l7policy')) + 1 })
        .where('project_id', '=', 'project-a')
        .execute();
      const rules = [
        { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' },
        { type: 'PATH', compare_type: 'EQUAL_TO', value: '/b' },
      ];
      await expectFault(
        await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT', rules } }),
        403,
        'Quota has been met for resources: l7rule',
      );
      assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
      const ok = await svc.post('/v2/lbaas/l7policies', {
        l7policy: { listener_id: listenerId, action: 'REJECT', rules: rules.slice(1) },
      });
      assert.equal(ok.status, 201);
      await svc.settle();
    } finally {
      await db.deleteFrom('quota').where('project_id', '=', 'project-a').execute();
    }
  });

  it('answers 409 while the load balancer or the policy is pending, and deletes a policy in ERROR', async () => {
    const listenerId = await fx.listener(lbId);
    const policy = await createPolicy({ listener_id: listenerId, action: 'REJECT', name: 'locked' });

    await fx.setStatus('load_balancer', lbId, 'PENDING_UPDATE');
    try {
      const immutable = `Load Balancer ${lbId} is immutable and cannot be updated.`;
      await expectFault(
        await svc.post('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT' } }),
        409,
        immutable,
      );
      await expectFault(
        await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { name: 'x' } }),
        409,
        immutable,
      );
      await expectFault(await svc.del(`/v2/lbaas/l7policies/${policy.id}`), 409, immutable);
    } finally {
      await fx.setStatus('load_balancer', lbId, 'ACTIVE');
    }
    assert.equal(await fx.status('listener', listenerId), 'ACTIVE', 'a refused change leaves the listener alone');

    await fx.setStatus('l7policy', policy.id, 'PENDING_UPDATE');
    await expectFault(
      await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { name: 'x' } }),
      409,
      `L7 Policy ${policy.id} is immutable and cannot be updated.`,
    );
    await expectFault(
      await svc.del(`/v2/lbaas/l7policies/${policy.id}`),
      409,
      `L7 Policy ${policy.id} is immutable and cannot be updated.`,
    );
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE', 'the load balancer lock was rolled back');
    assert.equal((await svc.get(`/v2/lbaas/l7policies/${policy.id}`)).body.l7policy.name, 'locked');

    await fx.setStatus('l7policy', policy.id, 'ERROR');
    await expectFault(
      await svc.put(`/v2/lbaas/l7policies/${policy.id}`, { l7policy: { name: 'x' } }),
      409,
      `L7 Policy ${policy.id} is immutable and cannot be updated.`,
    );
    assert.equal((await svc.del(`/v2/lbaas/l7policies/${policy.id}`)).status, 204);
    await svc.settle();
    assert.equal(await fx.status('l7policy', policy.id), undefined);
  });

  it('leaves a listener in ERROR in ERROR after a policy change', async () => {
    const listenerId = await fx.listener(lbId);
    await fx.setStatus('listener', listenerId, 'ERROR');
    const policy = await createPolicy({ listener_id: listenerId, action: 'REJECT' });
    assert.equal(policy.provisioning_status, 'ACTIVE');
    assert.equal(await fx.status('listener', listenerId), 'ERROR');
    assert.equal(await fx.status('load_balancer', lbId), 'ACTIVE');
  });

  it('answers 404 for unknown and malformed ids', async () => {
    for (const id of [MISSING_ID, 'not-a-uuid']) {
      const msg = `L7 Policy ${id} not found.`;
      await expectFault(await svc.get(`/v2/lbaas/l7policies/${id}`), 404, msg);
      await expectFault(await svc.put(`/v2/lbaas/l7policies/${id}`, { l7policy: { name: 'x' } }), 404, msg);
      await expectFault(await svc.del(`/v2/lbaas/l7policies/${id}`), 404, msg);
    }
    const alias = await svc.get('/v2.0/l7policies.json?limit=1');
    assert.equal(alias.status, 200);
    assert.equal(alias.body.l7policies.length, 1);
  });
});

describe('l7 policies with a slow worker', () => {
  let svc: TestService;
  let fx: ReturnType<typeof fixture>;
  before(async () => {
    svc = await TestService.start({ worker: { pollIntervalMs: 100, stepDelayMs: 300 } });
    fx = fixture(svc);
  });
  after(() => svc.stop());

  it('refuses a second change while the first is being applied, then applies both in turn', async () => {
    const lb = await svc.createLoadBalancer({ name: 'slow' });
    const listenerId = await fx.listener(lb.id);
    const first = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'first' },
    });
    assert.equal(first.status, 201);
    const id = first.body.l7policy.id;
    assert.deepEqual(
      [
        await fx.status('load_balancer', lb.id),
        await fx.status('listener', listenerId),
        await fx.status('l7policy', id),
      ],
      ['PENDING_UPDATE', 'PENDING_UPDATE', 'PENDING_CREATE'],
    );
    const second = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'second' },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
    const put = await svc.put(`/v2/lbaas/l7policies/${first.body.l7policy.id}`, { l7policy: { name: 'x' } });
    assert.equal(put.status, 409);
    await svc.settle();
    assert.equal(await fx.status('l7policy', first.body.l7policy.id), 'ACTIVE');
    assert.deepEqual(
      [await fx.status('load_balancer', lb.id), await fx.status('listener', listenerId)],
      ['ACTIVE', 'ACTIVE'],
    );
    const again = await svc.post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listenerId, action: 'REJECT', name: 'second' },
    });
    assert.equal(again.status, 201);
    await svc.settle();
    assert.equal(await fx.status('l7policy', again.body.l7policy.id), 'ACTIVE');

    const update = await svc.put(`/v2/lbaas/l7policies/${id}`, { l7policy: { name: 'renamed' } });
    assert.equal(update.body.l7policy.provisioning_status, 'PENDING_UPDATE');
    assert.deepEqual(
      [await fx.status('load_balancer', lb.id), await fx.status('listener', listenerId)],
      ['PENDING_UPDATE', 'PENDING_UPDATE'],
    );
    await svc.settle();
    assert.deepEqual([await fx.status('load_balancer', lb.id), await fx.status('l7policy', id)], ['ACTIVE', 'ACTIVE']);

    assert.equal((await svc.del(`/v2/lbaas/l7policies/${id}`)).status, 204);
    assert.deepEqual(
      [await fx.status('load_balancer', lb.id), await fx.status('l7policy', id)],
      ['PENDING_UPDATE', 'PENDING_DELETE'],
    );
    await svc.settle();
    assert.equal(await fx.status('l7policy', id), undefined);
    const left = await svc.get(`/v2/lbaas/l7policies?listener_id=${listenerId}`);
    assert.deepEqual(
      left.body.l7policies.map((p: any) => [p.name, p.position]),
      [['second', 1]],
    );
  });
});
