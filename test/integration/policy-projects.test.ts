import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { TestService, type ApiResponse } from '../helpers/service.js';
import { FakeTokens } from '../helpers/tokens.js';

const POLICY_FAULT = {
  faultcode: 'Client',
  faultstring: 'Policy does not allow this request to be performed.',
  debuginfo: null,
};
const VIP = { vip_subnet_id: '11111111-2222-3333-4444-555555555555' };
const A = 'project-a';
const B = 'project-b';

/** B's load balancer with one of every child: listener, pool, member, health monitor, L7 policy and rule. */
const B_GRAPH = {
  loadbalancer: {
    ...VIP,
    name: 'b-lb',
    pools: [
      {
        name: 'web',
        protocol: 'HTTP',
        lb_algorithm: 'ROUND_ROBIN',
        members: [{ address: '10.0.0.5', protocol_port: 80 }],
        healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
      },
    ],
    listeners: [
      {
        protocol: 'HTTP',
        protocol_port: 80,
        default_pool: { name: 'web' },
        l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' }] }],
      },
    ],
  },
};

interface Objects {
  lb: string;
  listener: string;
  pool: string;
  member: string;
  hm: string;
  l7policy: string;
  l7rule: string;
}

describe('policy: projects and roles (keystone mode)', () => {
  let svc: TestService;
  const tokens = new FakeTokens();
  const token = {
    admin: tokens.issue({ projectId: 'project-admin', roles: ['admin', 'member', 'reader'] }),
    memberA: tokens.issue({ projectId: A, roles: ['member', 'reader'] }),
    memberB: tokens.issue({ projectId: B, roles: ['member', 'reader'] }),
    readerA: tokens.issue({ projectId: A, roles: ['reader'] }),
    lbObserverA: tokens.issue({ projectId: A, roles: ['load-balancer_observer'] }),
    lbMemberA: tokens.issue({ projectId: A, roles: ['load-balancer_member'] }),
    globalObserver: tokens.issue({ projectId: 'project-g', roles: ['load-balancer_global_observer'] }),
    quotaAdmin: tokens.issue({ projectId: 'project-q', roles: ['load-balancer_quota_admin'] }),
  };
  const as = (t: string) => {
    const call = <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> =>
      svc.request<T>(method, path, body, { 'x-auth-token': t });
    return {
      get: <T = any>(path: string) => call<T>('GET', path),
      post: <T = any>(path: string, body: unknown) => call<T>('POST', path, body),
      put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
      del: <T = any>(path: string) => call<T>('DELETE', path),
    };
  };
  let b: Objects;
  let aLb: string;

  const refused = (res: ApiResponse, what: string) => {
    assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(res.body, POLICY_FAULT, what);
  };

  before(async () => {
    svc = await TestService.start({ api: { port: 0, authStrategy: 'keystone' } }, { tokens });
    const bApi = as(token.memberB);
    const created = await bApi.post('/v2/lbaas/loadbalancers', B_GRAPH);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.loadbalancer.project_id, B);
    const a = await as(token.memberA).post('/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, name: 'a-lb' } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    aLb = a.body.loadbalancer.id;
    await svc.settle();
    const lb = created.body.loadbalancer.id as string;
    const [listener] = (await bApi.get(`/v2/lbaas/listeners?loadbalancer_id=${lb}`)).body.listeners;
    const [pool] = (await bApi.get(`/v2/lbaas/pools?loadbalancer_id=${lb}`)).body.pools;
    const [member] = (await bApi.get(`/v2/lbaas/pools/${pool.id}/members`)).body.members;
    const [policy] = (await bApi.get(`/v2/lbaas/l7policies?listener_id=${listener.id}`)).body.l7policies;
    const [rule] = (await bApi.get(`/v2/lbaas/l7policies/${policy.id}/rules`)).body.rules;
    b = {
      lb,
      listener: listener.id,
      pool: pool.id,
      member: member.id,
      hm: pool.healthmonitor_id,
      l7policy: policy.id,
      l7rule: rule.id,
    };
    for (const [name, id] of Object.entries(b)) assert.ok(id, name);
  });
  after(() => svc.stop());

  /** Show path, update path and body of each of B's objects. */
  const bObjects = () => [
    { path: `/v2/lbaas/loadbalancers/${b.lb}`, body: { loadbalancer: { name: 'x' } } },
    { path: `/v2/lbaas/listeners/${b.listener}`, body: { listener: { name: 'x' } } },
    { path: `/v2/lbaas/pools/${b.pool}`, body: { pool: { name: 'x' } } },
    { path: `/v2/lbaas/pools/${b.pool}/members/${b.member}`, body: { member: { name: 'x' } } },
    { path: `/v2/lbaas/healthmonitors/${b.hm}`, body: { healthmonitor: { name: 'x' } } },
    { path: `/v2/lbaas/l7policies/${b.l7policy}`, body: { l7policy: { name: 'x' } } },
    { path: `/v2/lbaas/l7policies/${b.l7policy}/rules/${b.l7rule}`, body: { rule: { value: '/y' } } },
  ];

  it("a member of A cannot show, update or delete any of B's objects (403), and nothing changes", async () => {
    const api = as(token.memberA);
    const before = await takeDbSnapshot(svc.node.db);
    for (const { path, body } of bObjects()) {
      refused(await api.get(path), `GET ${path}`);
      refused(await api.put(path, body), `PUT ${path}`);
      refused(await api.del(path), `DELETE ${path}`);
    }
    for (const path of [
      `/v2/lbaas/loadbalancers/${b.lb}/status`,
      `/v2/lbaas/loadbalancers/${b.lb}/stats`,
      `/v2/lbaas/listeners/${b.listener}/stats`,
      `/v2/lbaas/pools/${b.pool}/members`,
      `/v2/lbaas/l7policies/${b.l7policy}/rules`,
    ])
      refused(await api.get(path), `GET ${path}`);
    refused(await api.put(`/v2/lbaas/loadbalancers/${b.lb}/failover`, undefined), 'failover');
    refused(await api.put(`/v2/lbaas/pools/${b.pool}/members`, { members: [] }), 'member batch update');
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, "A's refused calls on B's objects");
  });

  it('a member of A cannot create anything in B (403), and nothing changes', async () => {
    const api = as(token.memberA);
    const before = await takeDbSnapshot(svc.node.db);
    refused(await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, project_id: B } }), 'LB in B');
    refused(await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, tenant_id: B } }), 'LB in B');
    refused(
      await api.post('/v2/lbaas/listeners', {
        listener: { loadbalancer_id: b.lb, protocol: 'HTTP', protocol_port: 81 },
      }),
      'listener on B',
    );
    refused(
      await api.post('/v2/lbaas/pools', {
        pool: { loadbalancer_id: b.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
      }),
      'pool on B',
    );
    refused(
      await api.post(`/v2/lbaas/pools/${b.pool}/members`, { member: { address: '10.0.0.6', protocol_port: 80 } }),
      'member in B',
    );
    refused(
      await api.post('/v2/lbaas/healthmonitors', {
        healthmonitor: { pool_id: b.pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 },
      }),
      'health monitor in B',
    );
    refused(
      await api.post('/v2/lbaas/l7policies', { l7policy: { listener_id: b.listener, action: 'REJECT' } }),
      'L7 policy in B',
    );
    refused(
      await api.post(`/v2/lbaas/l7policies/${b.l7policy}/rules`, {
        rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/z' },
      }),
      'L7 rule in B',
    );
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, "A's refused creates in B");
  });

  it("lists show only the caller's project; ?project_id= of another project is 403", async () => {
    const api = as(token.memberA);
    for (const plural of ['loadbalancers', 'listeners', 'pools', 'healthmonitors', 'l7policies']) {
      const res = await api.get(`/v2/lbaas/${plural}`);
      assert.equal(res.status, 200, plural);
      const items = res.body[plural] as Array<{ id: string; project_id: string }>;
      assert.ok(
        items.every((i) => i.project_id === A),
        plural,
      );
      assert.ok(!items.some((i) => Object.values(b).includes(i.id)), plural);
      refused(await api.get(`/v2/lbaas/${plural}?project_id=${B}`), `${plural}?project_id=B`);
      assert.equal((await api.get(`/v2/lbaas/${plural}?project_id=${A}`)).status, 200, plural);
    }
    const lbs = (await api.get('/v2/lbaas/loadbalancers')).body.loadbalancers as Array<{ id: string }>;
    assert.deepEqual(
      lbs.map((l) => l.id),
      [aLb],
    );
    const bLbs = (await as(token.memberB).get('/v2/lbaas/loadbalancers')).body.loadbalancers as Array<{ id: string }>;
    assert.deepEqual(
      bLbs.map((l) => l.id),
      [b.lb],
    );
  });

  it('readers (reader, load-balancer_observer) read their project and cannot write (403), changing nothing', async () => {
    for (const t of [token.readerA, token.lbObserverA]) {
      const api = as(t);
      assert.equal((await api.get(`/v2/lbaas/loadbalancers/${aLb}`)).status, 200);
      assert.equal((await api.get(`/v2/lbaas/loadbalancers/${aLb}/status`)).status, 200);
      assert.equal((await api.get('/v2/lbaas/loadbalancers')).body.loadbalancers.length, 1);
      refused(await api.get(`/v2/lbaas/loadbalancers/${b.lb}`), "reader on B's LB");
      const before = await takeDbSnapshot(svc.node.db);
      refused(await api.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP }), 'reader create');
      refused(await api.put(`/v2/lbaas/loadbalancers/${aLb}`, { loadbalancer: { name: 'r' } }), 'reader update');
      refused(await api.del(`/v2/lbaas/loadbalancers/${aLb}`), 'reader delete');
      refused(
        await api.post('/v2/lbaas/listeners', {
          listener: { loadbalancer_id: aLb, protocol: 'TCP', protocol_port: 9 },
        }),
        'reader listener create',
      );
      assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'refused writes of a reader');
    }
  });

  it('load-balancer_member (the deprecated role) writes in its own project', async () => {
    const api = as(token.lbMemberA);
    const res = await api.put(`/v2/lbaas/loadbalancers/${aLb}`, { loadbalancer: { name: 'renamed' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await svc.settle();
    refused(await api.put(`/v2/lbaas/loadbalancers/${b.lb}`, { loadbalancer: { name: 'no' } }), 'lb member on B');
  });

  it('a global observer reads every project, filters with ?project_id=, and cannot write', async () => {
    const api = as(token.globalObserver);
    const all = (await api.get('/v2/lbaas/loadbalancers')).body.loadbalancers as Array<{ id: string }>;
    assert.deepEqual(new Set(all.map((l) => l.id)), new Set([aLb, b.lb]));
    const onlyB = (await api.get(`/v2/lbaas/loadbalancers?project_id=${B}`)).body.loadbalancers as Array<{
      id: string;
    }>;
    assert.deepEqual(
      onlyB.map((l) => l.id),
      [b.lb],
    );
    for (const { path } of bObjects()) assert.equal((await api.get(path)).status, 200, path);
    assert.equal((await api.get(`/v2/lbaas/pools/${b.pool}/members`)).status, 200);
    const before = await takeDbSnapshot(svc.node.db);
    refused(await api.put(`/v2/lbaas/loadbalancers/${b.lb}`, { loadbalancer: { name: 'g' } }), 'observer update');
    refused(await api.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP }), 'observer create');
    refused(await api.get('/v2/octavia/amphorae'), 'observer amphorae');
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'refused writes of a global observer');
  });

  it('amphora, flavor profile, zone profile and provider capability endpoints are admin-only', async () => {
    const adminApi = as(token.admin);
    const amphorae = await adminApi.get('/v2/octavia/amphorae');
    assert.equal(amphorae.status, 200);
    // B's amphora: its load balancer has a listener, so it has stats to show.
    const amphora = (amphorae.body.amphorae as Array<{ id: string; loadbalancer_id: string }>).find(
      (a) => a.loadbalancer_id === b.lb,
    );
    assert.ok(amphora, 'B has an amphora');
    const profile = await adminApi.post('/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'fp', provider_name: 'amphora', flavor_data: '{}' },
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    const adminOnly = [
      '/v2/octavia/amphorae',
      `/v2/octavia/amphorae/${amphora.id}`,
      `/v2/octavia/amphorae/${amphora.id}/stats`,
      '/v2/lbaas/flavorprofiles',
      `/v2/lbaas/flavorprofiles/${profile.body.flavorprofile.id}`,
      '/v2/lbaas/availabilityzoneprofiles',
      '/v2/lbaas/providers/amphora/flavor_capabilities',
      '/v2/lbaas/providers/amphora/availability_zone_capabilities',
    ];
    for (const t of [token.memberA, token.globalObserver, token.readerA]) {
      const api = as(t);
      for (const path of adminOnly) refused(await api.get(path), path);
      const before = await takeDbSnapshot(svc.node.db);
      refused(
        await api.post('/v2/lbaas/flavors', {
          flavor: { name: 'f', flavor_profile_id: profile.body.flavorprofile.id },
        }),
        'flavor create',
      );
      refused(await api.del(`/v2/lbaas/flavorprofiles/${profile.body.flavorprofile.id}`), 'profile delete');
      refused(await api.put(`/v2/octavia/amphorae/${amphora.id}/config`, undefined), 'amphora config');
      assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'refused admin calls');
      // Readers may see what they can choose from.
      for (const path of ['/v2/lbaas/flavors', '/v2/lbaas/availabilityzones', '/v2/lbaas/providers'])
        assert.equal((await api.get(path)).status, 200, path);
    }
    for (const path of adminOnly) assert.equal((await adminApi.get(path)).status, 200, path);
    const flavor = await adminApi.post('/v2/lbaas/flavors', {
      flavor: { name: 'f', flavor_profile_id: profile.body.flavorprofile.id },
    });
    assert.equal(flavor.status, 201);
  });

  it("an administrator reads, changes and fails over another project's load balancer", async () => {
    const api = as(token.admin);
    assert.equal((await api.get('/v2/lbaas/loadbalancers')).body.loadbalancers.length, 2);
    assert.equal((await api.get(`/v2/lbaas/listeners/${b.listener}`)).status, 200);
    const renamed = await api.put(`/v2/lbaas/loadbalancers/${b.lb}`, { loadbalancer: { name: 'by-admin' } });
    assert.equal(renamed.status, 200);
    await svc.settle();
    assert.equal((await api.put(`/v2/lbaas/loadbalancers/${b.lb}/failover`, undefined)).status, 202);
    await svc.settle();
    assert.equal((await as(token.memberB).get(`/v2/lbaas/loadbalancers/${b.lb}`)).body.loadbalancer.name, 'by-admin');
  });

  it("the owning project is the token's; only an administrator creates in a project it names", async () => {
    const own = await as(token.memberA).post('/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, project_id: A } });
    assert.equal(own.status, 201);
    assert.equal(own.body.loadbalancer.project_id, A);
    const forB = await as(token.admin).post('/v2/lbaas/loadbalancers', { loadbalancer: { ...VIP, project_id: B } });
    assert.equal(forB.status, 201);
    assert.equal(forB.body.loadbalancer.project_id, B);
    const adminOwn = await as(token.admin).post('/v2/lbaas/loadbalancers', { loadbalancer: VIP });
    assert.equal(adminOwn.body.loadbalancer.project_id, 'project-admin');
    await svc.settle();
    // The member of A sees its new load balancer, not the one the administrator made for B.
    const ids = ((await as(token.memberA).get('/v2/lbaas/loadbalancers')).body.loadbalancers as Array<{ id: string }>)
      .map((l) => l.id)
      .sort();
    assert.deepEqual(ids, [aLb, own.body.loadbalancer.id].sort());
  });

  it('a member of B reads, changes and deletes each of its own objects', async () => {
    const api = as(token.memberB);
    for (const path of [
      `/v2/lbaas/loadbalancers/${b.lb}/status`,
      `/v2/lbaas/loadbalancers/${b.lb}/stats`,
      `/v2/lbaas/listeners/${b.listener}/stats`,
    ])
      assert.equal((await api.get(path)).status, 200, path);
    for (const { path, body } of bObjects()) {
      assert.equal((await api.get(path)).status, 200, `GET ${path}`);
      const res = await api.put(path, body);
      assert.equal(res.status, 200, `PUT ${path}: ${JSON.stringify(res.body)}`);
      await svc.settle();
    }
    const batch = await api.put(`/v2/lbaas/pools/${b.pool}/members`, {
      members: [{ address: '10.0.0.5', protocol_port: 80 }],
    });
    assert.equal(batch.status, 202);
    await svc.settle();
    // Children first, then the load balancer (which cascades nothing: it is empty by then).
    for (const path of [
      `/v2/lbaas/l7policies/${b.l7policy}/rules/${b.l7rule}`,
      `/v2/lbaas/l7policies/${b.l7policy}`,
      `/v2/lbaas/pools/${b.pool}/members/${b.member}`,
      `/v2/lbaas/healthmonitors/${b.hm}`,
      `/v2/lbaas/pools/${b.pool}`,
      `/v2/lbaas/listeners/${b.listener}`,
      `/v2/lbaas/loadbalancers/${b.lb}`,
    ]) {
      const res = await api.del(path);
      assert.equal(res.status, 204, `DELETE ${path}: ${JSON.stringify(res.body)}`);
      await svc.settle();
      assert.equal((await api.get(path)).status, 404, path);
    }
  });

  it('quotas: members read their own, quota admins set any; A and B are counted apart', async () => {
    const memberA = as(token.memberA);
    const quotaAdmin = as(token.quotaAdmin);
    assert.equal((await memberA.get(`/v2/lbaas/quotas/${A}`)).status, 200);
    assert.equal((await memberA.get(`/v2/lbaas/quotas/${A}/default`)).status, 200);
    assert.equal((await memberA.get('/v2/lbaas/quotas/defaults')).status, 200);
    refused(await memberA.get(`/v2/lbaas/quotas/${B}`), "A reads B's quota");
    refused(await memberA.get(`/v2/lbaas/quotas/${B}/default`), "A reads B's defaults");
    refused(await memberA.get(`/v2/lbaas/quotas?project_id=${B}`), 'A lists B');
    let before = await takeDbSnapshot(svc.node.db);
    refused(await memberA.put(`/v2/lbaas/quotas/${A}`, { quota: { loadbalancer: 100 } }), 'member sets quota');
    refused(await memberA.del(`/v2/lbaas/quotas/${A}`), 'member resets quota');
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'refused quota writes');

    // A may have one more load balancer than it has now; B is unlimited.
    const aCount = (await memberA.get('/v2/lbaas/loadbalancers')).body.loadbalancers.length as number;
    const set = await quotaAdmin.put(`/v2/lbaas/quotas/${A}`, { quota: { loadbalancer: aCount + 1 } });
    assert.equal(set.status, 202);
    assert.equal(set.body.quota.load_balancer, aCount + 1);
    assert.equal((await quotaAdmin.put(`/v2/lbaas/quotas/${B}`, { quota: { listener: 50 } })).status, 202);
    const rows = (await quotaAdmin.get('/v2/lbaas/quotas')).body.quotas as Array<{ project_id: string }>;
    assert.deepEqual(rows.map((r) => r.project_id).sort(), [A, B]);
    const ownRows = (await memberA.get('/v2/lbaas/quotas')).body.quotas as Array<{ project_id: string }>;
    assert.deepEqual(
      ownRows.map((r) => r.project_id),
      [A],
    );

    for (let i = 0; i < 2; i++) {
      const res = await as(token.memberB).post('/v2/lbaas/loadbalancers', { loadbalancer: VIP });
      assert.equal(res.status, 201, "B's creates do not count against A");
    }
    assert.equal((await memberA.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP })).status, 201);
    await svc.settle();
    before = await takeDbSnapshot(svc.node.db);
    const over = await memberA.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP });
    assert.equal(over.status, 403);
    assert.equal(over.body.faultstring, 'Quota has been met for resources: load_balancer');
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'a create over quota');
    assert.equal((await as(token.memberB).post('/v2/lbaas/loadbalancers', { loadbalancer: VIP })).status, 201);
    await svc.settle();
  });
});
