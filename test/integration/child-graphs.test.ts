import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EMBEDDED_HM_KEYS, MEMBER_KEYS } from '../helpers/octavia-keys.js';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { TestService } from '../helpers/service.js';

// A pool created with children answers as a load balancer graph's pool does, keeping its `loadbalancers`.
const POOL_KEYS = [
  'members',
  'healthmonitor',
  'id',
  'name',
  'description',
  'provisioning_status',
  'operating_status',
  'admin_state_up',
  'protocol',
  'lb_algorithm',
  'session_persistence',
  'project_id',
  'loadbalancers',
  'listeners',
  'created_at',
  'updated_at',
  'tags',
  'tls_container_ref',
  'ca_tls_container_ref',
  'crl_container_ref',
  'tls_enabled',
  'tls_ciphers',
  'tls_versions',
  'alpn_protocols',
  'tenant_id',
];

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const HM = { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 };
const members = (...addresses: string[]) => addresses.map((address) => ({ address, protocol_port: 80 }));

describe('single-create graphs below a load balancer (POST pools, POST listeners)', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  type Table = 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule';
  const statusOf = async (table: Table, id: string) =>
    svc.node.db.kysely
      .selectFrom(table)
      .select(['provisioning_status', 'operating_status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const statuses = async (table: Table, ids: string[]) =>
    Promise.all(ids.map(async (id) => Object.values(await statusOf(table, id)).join('/')));

  /** POST and expect `status` and `faultstring`, with the database exactly as before. */
  const refused = async (
    path: string,
    body: unknown,
    status: number,
    faultstring: string,
    headers: Record<string, string> = {},
  ) => {
    await svc.settle();
    const before = await takeDbSnapshot(svc.node.db);
    const res = await svc.request('POST', path, body, headers);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, `a refused graph (${faultstring})`);
  };

  describe('POST pools with healthmonitor and members', () => {
    it('creates the pool, its monitor and members as PENDING_CREATE under the locks of a pool create, then ACTIVE', async () => {
      const lb = await svc.createLoadBalancer();
      const listener = (
        await svc.post('/v2/lbaas/listeners', {
          listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 },
        })
      ).body.listener;
      await svc.settle();
      await svc.node.worker!.stop();
      let pool: any;
      try {
        const res = await svc.post('/v2/lbaas/pools', {
          pool: {
            listener_id: listener.id,
            name: 'web',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            healthmonitor: { ...HM, name: 'check', tags: ['h'] },
            members: [{ address: '10.0.0.5', protocol_port: 80, weight: 3, tags: ['m', 'm'] }, ...members('10.0.0.6')],
          },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        pool = res.body.pool;
        assert.deepEqual(Object.keys(pool), POOL_KEYS);
        assert.deepEqual(Object.keys(pool.members[0]), MEMBER_KEYS);
        assert.deepEqual(Object.keys(pool.healthmonitor), EMBEDDED_HM_KEYS);
        assert.deepEqual(
          [pool.name, pool.provisioning_status, pool.loadbalancers, pool.listeners, pool.project_id],
          ['web', 'PENDING_CREATE', [{ id: lb.id }], [{ id: listener.id }], lb.project_id],
        );
        assert.deepEqual(
          pool.members.map((m: any) => [m.address, m.weight, m.tags, m.provisioning_status, m.operating_status]),
          [
            ['10.0.0.5', 3, ['m'], 'PENDING_CREATE', 'OFFLINE'],
            ['10.0.0.6', 1, [], 'PENDING_CREATE', 'OFFLINE'],
          ],
        );
        const hm = pool.healthmonitor;
        assert.deepEqual(
          [hm.name, hm.type, hm.tags, hm.provisioning_status, hm.operating_status],
          ['check', 'HTTP', ['h'], 'PENDING_CREATE', 'OFFLINE'],
        );
        // The plain pool create's locks: the load balancer and the listener are PENDING_UPDATE.
        assert.equal((await statusOf('load_balancer', lb.id)).provisioning_status, 'PENDING_UPDATE');
        assert.equal((await statusOf('listener', listener.id)).provisioning_status, 'PENDING_UPDATE');
        const blocked = await svc.post(`/v2/lbaas/pools/${pool.id}/members`, {
          member: { address: '10.0.0.9', protocol_port: 80 },
        });
        assert.deepEqual(
          [blocked.status, blocked.body],
          [409, fault(`Pool ${pool.id} is immutable and cannot be updated.`)],
        );
      } finally {
        await svc.node.worker!.start();
      }
      await svc.settle();
      assert.deepEqual(await statuses('pool', [pool.id]), ['ACTIVE/OFFLINE']);
      assert.deepEqual(await statuses('health_monitor', [pool.healthmonitor.id]), ['ACTIVE/ONLINE']);
      assert.deepEqual(
        await statuses(
          'member',
          pool.members.map((m: any) => m.id),
        ),
        ['ACTIVE/OFFLINE', 'ACTIVE/OFFLINE'],
      );
      assert.equal((await statusOf('load_balancer', lb.id)).provisioning_status, 'ACTIVE');
      assert.equal((await statusOf('listener', listener.id)).provisioning_status, 'ACTIVE');
      const shown = (await svc.get(`/v2/lbaas/pools/${pool.id}`)).body.pool;
      // Members created in one request share a timestamp, so a listing orders them by id.
      const ids = (list: Array<{ id: string }>) => list.map((m) => m.id).sort();
      assert.deepEqual([shown.healthmonitor_id, ids(shown.members)], [pool.healthmonitor.id, ids(pool.members)]);
      assert.equal((await svc.get(`/v2/lbaas/listeners/${listener.id}`)).body.listener.default_pool_id, pool.id);
    });

    it('settles a disabled monitor OFFLINE, members without one NO_MONITOR, and keeps the plain answer without children', async () => {
      const lb = await svc.createLoadBalancer();
      const base = { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' };
      const withHm = await svc.post('/v2/lbaas/pools', {
        pool: { ...base, healthmonitor: { ...HM, type: 'TCP', admin_state_up: false } },
      });
      assert.equal(withHm.status, 201, JSON.stringify(withHm.body));
      assert.deepEqual(withHm.body.pool.members, []);
      await svc.settle();
      assert.deepEqual(await statuses('health_monitor', [withHm.body.pool.healthmonitor.id]), ['ACTIVE/OFFLINE']);
      const withMembers = await svc.post('/v2/lbaas/pools', { pool: { ...base, members: members('10.0.1.1') } });
      assert.equal(withMembers.status, 201, JSON.stringify(withMembers.body));
      assert.deepEqual(
        [withMembers.body.pool.healthmonitor, withMembers.body.pool.members[0].operating_status],
        [null, 'NO_MONITOR'],
      );
      await svc.settle();
      assert.deepEqual(await statuses('member', [withMembers.body.pool.members[0].id]), ['ACTIVE/NO_MONITOR']);
      const plain = await svc.post('/v2/lbaas/pools', { pool: base });
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
      assert.deepEqual(plain.body.pool.members, []);
      assert.equal('healthmonitor' in plain.body.pool, false);
    });

    it('refuses a bad embedded object, a locked load balancer or a quota, leaving the database unchanged', async () => {
      const lb = await svc.createLoadBalancer();
      const base = { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, healthmonitor: { ...HM, pool_id: lb.id } } },
        400,
        'Unknown attribute for argument pool_.pool.healthmonitor: pool_id',
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, members: [{ address: '10.0.0.1', protocol_port: 80, bogus: 1 }] } },
        400,
        'Unknown attribute for argument pool_.pool.members: bogus',
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, members: [{ address: '10.0.0.999', protocol_port: 80 }] } },
        400,
        "Invalid input for field/attribute address. Value: '10.0.0.999'. Value should be IPv4 or IPv6 format",
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, healthmonitor: { ...HM, type: 'UDP-CONNECT' } } },
        400,
        'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.',
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, members: members('10.0.0.1', '10.0.0.1') } },
        409,
        'Another member on this pool is already using ip 10.0.0.1 on protocol_port 80',
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, members: [{ address: '10.0.0.1', protocol_port: 80, request_sriov: true }] } },
        400,
        'Validation failure: The load balancer flavor does not allow SR-IOV member ports.',
      );

      // A pending load balancer refuses the whole graph with the plain create's 409.
      await svc.node.worker!.stop();
      try {
        assert.equal(
          (await svc.put(`/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status,
          200,
        );
        const busy = await svc.post('/v2/lbaas/pools', {
          pool: { ...base, healthmonitor: HM, members: members('10.0.0.1') },
        });
        assert.deepEqual(
          [busy.status, busy.body],
          [409, fault(`Load Balancer ${lb.id} is immutable and cannot be updated.`)],
        );
      } finally {
        await svc.node.worker!.start();
      }
      await svc.settle();
      assert.equal(
        (await svc.node.db.kysely.selectFrom('pool').select('id').where('load_balancer_id', '=', lb.id).execute())
          .length,
        0,
      );
    });

    it('counts the monitor and every member against the quotas', async () => {
      const project = { 'x-project-id': 'project-p' };
      const lbRes = await svc.request(
        'POST',
        '/v2/lbaas/loadbalancers',
        { loadbalancer: { vip_subnet_id: '11111111-2222-3333-4444-555555555555' } },
        project,
      );
      assert.equal(lbRes.status, 201);
      await svc.settle();
      assert.equal(
        (await svc.request('PUT', '/v2/lbaas/quotas/project-p', { quota: { member: 2, healthmonitor: 0 } })).status,
        202,
      );
      const base = { loadbalancer_id: lbRes.body.loadbalancer.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, members: members('10.0.0.1', '10.0.0.2', '10.0.0.3') } },
        403,
        'Quota has been met for resources: member',
        project,
      );
      await refused(
        '/v2/lbaas/pools',
        { pool: { ...base, healthmonitor: HM } },
        403,
        'Quota has been met for resources: health_monitor',
        project,
      );
      const ok = await svc.request(
        'POST',
        '/v2/lbaas/pools',
        { pool: { ...base, members: members('10.0.0.1', '10.0.0.2') } },
        project,
      );
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });
  });

  describe('POST listeners with default_pool and l7policies', () => {
    it('creates the listener, its pools, policies and rules in one job, answering the listener with ids', async () => {
      const lb = await svc.createLoadBalancer();
      await svc.node.worker!.stop();
      let listener: any;
      try {
        const res = await svc.post('/v2/lbaas/listeners', {
          listener: {
            loadbalancer_id: lb.id,
            protocol: 'HTTP',
            protocol_port: 80,
            name: 'front',
            default_pool: {
              name: 'web',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: HM,
              members: members('10.0.0.7'),
            },
            l7policies: [
              {
                name: 'to-api',
                action: 'REDIRECT_TO_POOL',
                redirect_pool: {
                  name: 'api',
                  protocol: 'HTTP',
                  lb_algorithm: 'LEAST_CONNECTIONS',
                  members: members('10.0.0.8'),
                },
                rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
              },
              {
                name: 'back-to-web',
                action: 'REDIRECT_TO_POOL',
                redirect_pool: { name: 'web' },
                admin_state_up: false,
              },
              {
                name: 'deny',
                action: 'REJECT',
                position: 1,
                rules: [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'bad.example', admin_state_up: false }],
              },
            ],
          },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        listener = res.body.listener;
        assert.deepEqual(
          [listener.name, listener.provisioning_status, listener.loadbalancers],
          ['front', 'PENDING_CREATE', [{ id: lb.id }]],
        );
        assert.equal(listener.l7policies.length, 3);
        assert.deepEqual(Object.keys(listener.l7policies[0]), ['id']);
        assert.equal((await statusOf('load_balancer', lb.id)).provisioning_status, 'PENDING_UPDATE');
      } finally {
        await svc.node.worker!.start();
      }
      const pools = await svc.node.db.kysely
        .selectFrom('pool')
        .selectAll()
        .where('load_balancer_id', '=', lb.id)
        .orderBy('name')
        .execute();
      assert.deepEqual(
        pools.map((p) => [p.name, p.lb_algorithm]),
        [
          ['api', 'LEAST_CONNECTIONS'],
          ['web', 'ROUND_ROBIN'],
        ],
      );
      const [api, web] = pools;
      assert.equal(listener.default_pool_id, web!.id);
      const policies = await svc.node.db.kysely
        .selectFrom('l7policy')
        .selectAll()
        .where('listener_id', '=', listener.id)
        .orderBy('position')
        .execute();
      assert.deepEqual(
        policies.map((p) => [p.name, p.position, p.redirect_pool_id]),
        [
          ['deny', 1, null],
          ['to-api', 2, api!.id],
          ['back-to-web', 3, web!.id],
        ],
      );
      assert.deepEqual(
        listener.l7policies,
        policies.map((p) => ({ id: p.id })),
      );

      await svc.settle();
      assert.equal((await statusOf('load_balancer', lb.id)).provisioning_status, 'ACTIVE');
      assert.deepEqual(await statuses('listener', [listener.id]), ['ACTIVE/OFFLINE']);
      assert.deepEqual(await statuses('pool', [api!.id, web!.id]), ['ACTIVE/OFFLINE', 'ACTIVE/OFFLINE']);
      assert.deepEqual(
        await statuses(
          'l7policy',
          policies.map((p) => p.id),
        ),
        ['ACTIVE/ONLINE', 'ACTIVE/ONLINE', 'ACTIVE/OFFLINE'],
      );
      const rules = await svc.node.db.kysely.selectFrom('l7rule').select(['id', 'value']).orderBy('value').execute();
      const ruleStatuses = await statuses(
        'l7rule',
        rules.filter((r) => ['/api', 'bad.example'].includes(r.value)).map((r) => r.id),
      );
      assert.deepEqual(ruleStatuses, ['ACTIVE/ONLINE', 'ACTIVE/OFFLINE']);
      const monitors = await svc.node.db.kysely
        .selectFrom('health_monitor')
        .select('id')
        .where('pool_id', '=', web!.id)
        .execute();
      assert.deepEqual(
        await statuses(
          'health_monitor',
          monitors.map((m) => m.id),
        ),
        ['ACTIVE/ONLINE'],
      );
      const memberOf = async (poolId: string) =>
        (await svc.node.db.kysely.selectFrom('member').select('id').where('pool_id', '=', poolId).execute()).map(
          (m) => m.id,
        );
      // Only the default pool has a monitor.
      assert.deepEqual(await statuses('member', [...(await memberOf(api!.id)), ...(await memberOf(web!.id))]), [
        'ACTIVE/NO_MONITOR',
        'ACTIVE/OFFLINE',
      ]);
      const shownWeb = (await svc.get(`/v2/lbaas/pools/${web!.id}`)).body.pool;
      assert.deepEqual(shownWeb.listeners, [{ id: listener.id }]);
    });

    it('takes an unnamed default pool, and still a default_pool_id of an existing pool', async () => {
      const lb = await svc.createLoadBalancer();
      const res = await svc.post('/v2/lbaas/listeners', {
        listener: {
          loadbalancer_id: lb.id,
          protocol: 'TCP',
          protocol_port: 22,
          default_pool: { protocol: 'TCP', lb_algorithm: 'SOURCE_IP' },
        },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await svc.settle();
      const pool = (await svc.get(`/v2/lbaas/pools/${res.body.listener.default_pool_id}`)).body.pool;
      assert.deepEqual(
        [pool.name, pool.lb_algorithm, pool.provisioning_status, pool.listeners],
        ['', 'SOURCE_IP', 'ACTIVE', [{ id: res.body.listener.id }]],
      );
      const other = await svc.post('/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 23, default_pool_id: pool.id },
      });
      assert.equal(other.status, 201, JSON.stringify(other.body));
      assert.equal(other.body.listener.default_pool_id, pool.id);
      await svc.settle();
    });

    it('refuses a bad graph, a port clash, a locked load balancer or a quota, leaving the database unchanged', async () => {
      const lb = await svc.createLoadBalancer();
      const base = { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 };
      const post = (extra: Record<string, unknown>) => ({ listener: { ...base, ...extra } });
      const web = { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      await refused(
        '/v2/lbaas/listeners',
        post({ default_pool: { ...web, loadbalancer_id: lb.id } }),
        400,
        'Unknown attribute for argument listener_.listener.default_pool: loadbalancer_id',
      );
      await refused(
        '/v2/lbaas/listeners',
        post({ l7policies: [{ action: 'REJECT', listener_id: lb.id }] }),
        400,
        'Unknown attribute for argument listener_.listener.l7policies: listener_id',
      );
      await refused(
        '/v2/lbaas/listeners',
        post({ default_pool: { name: 'web', protocol: 'HTTP' } }),
        400,
        "Validation failure: Pool definition for 'web' missing required attribute: lb_algorithm",
      );
      await refused(
        '/v2/lbaas/listeners',
        post({ default_pool: { ...web, protocol: 'UDP' } }),
        400,
        "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
      );
      await refused(
        '/v2/lbaas/listeners',
        post({ l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'nope' } }] }),
        400,
        "Validation failure: Pool 'nope' was referenced but no full definition was found.",
      );
      await refused(
        '/v2/lbaas/listeners',
        post({ default_pool: { ...web, members: members('10.0.0.1', '10.0.0.1') } }),
        409,
        'Another member on this pool is already using ip 10.0.0.1 on protocol_port 80',
      );

      await svc.node.worker!.stop();
      try {
        const first = await svc.post('/v2/lbaas/listeners', post({}));
        assert.equal(first.status, 201);
        const before = await takeDbSnapshot(svc.node.db);
        const busy = await svc.post(
          '/v2/lbaas/listeners',
          post({ protocol_port: 81, default_pool: web, l7policies: [{ action: 'REJECT' }] }),
        );
        assert.deepEqual(
          [busy.status, busy.body],
          [409, fault(`Load Balancer ${lb.id} is immutable and cannot be updated.`)],
        );
        assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'a graph refused by the lock');
      } finally {
        await svc.node.worker!.start();
      }
      await svc.settle();
      await refused(
        '/v2/lbaas/listeners',
        post({ default_pool: web }),
        409,
        'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
      );

      const project = { 'x-project-id': 'project-l' };
      const lbRes = await svc.request(
        'POST',
        '/v2/lbaas/loadbalancers',
        { loadbalancer: { vip_subnet_id: '11111111-2222-3333-4444-555555555555' } },
        project,
      );
      await svc.settle();
      assert.equal(
        (await svc.request('PUT', '/v2/lbaas/quotas/project-l', { quota: { pool: 1, l7policy: 1 } })).status,
        202,
      );
      const mine = { ...base, loadbalancer_id: lbRes.body.loadbalancer.id };
      const api = { name: 'api', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      await refused(
        '/v2/lbaas/listeners',
        { listener: { ...mine, default_pool: web, l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: api }] } },
        403,
        'Quota has been met for resources: pool',
        project,
      );
      await refused(
        '/v2/lbaas/listeners',
        { listener: { ...mine, l7policies: [{ action: 'REJECT' }, { action: 'REJECT' }] } },
        403,
        'Quota has been met for resources: l7policy',
        project,
      );
      const ok = await svc.request(
        'POST',
        '/v2/lbaas/listeners',
        {
          listener: {
            ...mine,
            default_pool: web,
            l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'web' } }],
          },
        },
        project,
      );
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      await svc.settle();
    });
  });
});
