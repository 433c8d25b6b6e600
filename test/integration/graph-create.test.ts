import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EMBEDDED_HM_KEYS, L7RULE_KEYS, MEMBER_KEYS } from '../helpers/octavia-keys.js';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { TestService } from '../helpers/service.js';

const SUBNET = '11111111-2222-3333-4444-555555555555';

// Field orders of 94_lb_create_full_tree (and 11_hm_create for the embedded monitor, without `pools`).
const LB_KEYS = [
  'listeners',
  'pools',
  'id',
  'name',
  'description',
  'provisioning_status',
  'operating_status',
  'admin_state_up',
  'project_id',
  'created_at',
  'updated_at',
  'vip_address',
  'vip_port_id',
  'vip_subnet_id',
  'vip_network_id',
  'additional_vips',
  'provider',
  'flavor_id',
  'vip_qos_policy_id',
  'tags',
  'availability_zone',
  'tenant_id',
];
const LISTENER_KEYS = [
  'l7policies',
  'id',
  'name',
  'description',
  'provisioning_status',
  'operating_status',
  'admin_state_up',
  'protocol',
  'protocol_port',
  'connection_limit',
  'default_tls_container_ref',
  'sni_container_refs',
  'project_id',
  'default_pool_id',
  'insert_headers',
  'created_at',
  'updated_at',
  'timeout_client_data',
  'timeout_member_connect',
  'timeout_member_data',
  'timeout_tcp_inspect',
  'tags',
  'client_ca_tls_container_ref',
  'client_authentication',
  'client_crl_container_ref',
  'allowed_cidrs',
  'tls_ciphers',
  'tls_versions',
  'alpn_protocols',
  'tenant_id',
];
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
const POLICY_KEYS = [
  'rules',
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
  'created_at',
  'updated_at',
  'tags',
  'redirect_http_code',
  'tenant_id',
];

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const pool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  protocol: 'HTTP',
  lb_algorithm: 'ROUND_ROBIN',
  ...extra,
});
const listener = (port: number, extra: Record<string, unknown> = {}) => ({
  protocol: 'HTTP',
  protocol_port: port,
  ...extra,
});

/** The full tree of 94: a listener whose default pool has one member and an HTTP health monitor. */
const FULL_TREE = {
  name: 'tree',
  vip_subnet_id: SUBNET,
  listeners: [
    listener(80, {
      name: 'tl',
      default_pool: pool('tp', {
        members: [{ address: '10.0.0.7', protocol_port: 80 }],
        healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
      }),
    }),
  ],
};

describe('load balancer graph create', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  const create = (loadbalancer: Record<string, unknown>, headers: Record<string, string> = {}) =>
    svc.request(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET, ...loadbalancer } },
      headers,
    );
  const rows = (table: 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule') =>
    svc.node.db.kysely
      .selectFrom(table)
      .select(['id', 'provisioning_status', 'operating_status', 'project_id'])
      .execute();
  const statusTree = async (lbId: string) =>
    (await svc.get(`/v2/lbaas/loadbalancers/${lbId}/status`)).body.statuses.loadbalancer;

  /** POST `loadbalancer` and expect `status` and `faultstring`, with the database exactly as before. */
  const refused = async (
    loadbalancer: Record<string, unknown>,
    status: number,
    faultstring: string,
    headers: Record<string, string> = {},
  ) => {
    await svc.settle();
    const before = await takeDbSnapshot(svc.node.db);
    const res = await create(loadbalancer, headers);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, `a refused graph (${faultstring})`);
  };

  it('creates the full tree of 94 as PENDING_CREATE, then the worker makes it ACTIVE as 95', async () => {
    await svc.node.worker!.stop();
    let lb: any;
    try {
      const res = await create(FULL_TREE);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      lb = res.body.loadbalancer;
      assert.deepEqual(Object.keys(lb), LB_KEYS);
      assert.equal(lb.provisioning_status, 'PENDING_CREATE');
      assert.equal(lb.listeners.length, 1);
      assert.equal(lb.pools.length, 1);
      const [l] = lb.listeners;
      const [p] = lb.pools;
      assert.deepEqual(Object.keys(l), LISTENER_KEYS);
      assert.deepEqual(Object.keys(p), POOL_KEYS);
      assert.deepEqual(Object.keys(p.members[0]), MEMBER_KEYS);
      assert.deepEqual(Object.keys(p.healthmonitor), EMBEDDED_HM_KEYS);
      assert.deepEqual(
        {
          name: l.name,
          protocol: l.protocol,
          protocol_port: l.protocol_port,
          default_pool_id: l.default_pool_id,
          l7policies: l.l7policies,
        },
        { name: 'tl', protocol: 'HTTP', protocol_port: 80, default_pool_id: p.id, l7policies: [] },
      );
      assert.deepEqual(
        [l.provisioning_status, l.operating_status, l.project_id, l.tenant_id],
        ['PENDING_CREATE', 'OFFLINE', 'project-a', 'project-a'],
      );
      assert.deepEqual([l.connection_limit, l.insert_headers, l.allowed_cidrs, l.tls_versions], [-1, {}, null, null]);
      assert.deepEqual(
        [
          p.name,
          p.protocol,
          p.lb_algorithm,
          p.provisioning_status,
          p.operating_status,
          p.project_id,
          p.session_persistence,
          p.listeners,
        ],
        ['tp', 'HTTP', 'ROUND_ROBIN', 'PENDING_CREATE', 'OFFLINE', 'project-a', null, [{ id: l.id }]],
      );
      const m = p.members[0];
      assert.deepEqual(
        [m.name, m.address, m.protocol_port, m.weight, m.provisioning_status, m.operating_status, m.project_id],
        ['', '10.0.0.7', 80, 1, 'PENDING_CREATE', 'OFFLINE', 'project-a'],
      );
      const hm = p.healthmonitor;
      assert.deepEqual(
        [
          hm.type,
          hm.delay,
          hm.timeout,
          hm.max_retries,
          hm.max_retries_down,
          hm.http_method,
          hm.url_path,
          hm.expected_codes,
        ],
        ['HTTP', 5, 3, 2, 3, 'GET', '/', '200'],
      );
      assert.deepEqual(
        [hm.provisioning_status, hm.operating_status, hm.project_id],
        ['PENDING_CREATE', 'OFFLINE', 'project-a'],
      );
      for (const table of ['listener', 'pool', 'member', 'health_monitor'] as const) {
        const found = await rows(table);
        assert.equal(found.length, 1, table);
        assert.deepEqual([found[0]!.provisioning_status, found[0]!.project_id], ['PENDING_CREATE', 'project-a'], table);
      }
      // The tree is locked until the create flow has run.
      const blocked = await svc.post('/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 81 },
      });
      assert.deepEqual(
        [blocked.status, blocked.body],
        [409, fault(`Load Balancer ${lb.id} is immutable and cannot be updated.`)],
      );
      const member = await svc.post(`/v2/lbaas/pools/${p.id}/members`, {
        member: { address: '10.0.0.8', protocol_port: 80 },
      });
      assert.deepEqual([member.status, member.body], [409, fault(`Pool ${p.id} is immutable and cannot be updated.`)]);
    } finally {
      await svc.node.worker!.start();
    }
    await svc.settle();
    const [l] = lb.listeners;
    const [p] = lb.pools;
    assert.deepEqual(await statusTree(lb.id), {
      id: lb.id,
      name: 'tree',
      operating_status: 'OFFLINE',
      provisioning_status: 'ACTIVE',
      listeners: [
        {
          id: l.id,
          name: 'tl',
          operating_status: 'OFFLINE',
          provisioning_status: 'ACTIVE',
          pools: [
            {
              id: p.id,
              name: 'tp',
              provisioning_status: 'ACTIVE',
              operating_status: 'OFFLINE',
              health_monitor: {
                id: p.healthmonitor.id,
                name: '',
                type: 'HTTP',
                provisioning_status: 'ACTIVE',
                operating_status: 'ONLINE',
              },
              members: [
                {
                  id: p.members[0].id,
                  name: '',
                  operating_status: 'OFFLINE',
                  provisioning_status: 'ACTIVE',
                  address: '10.0.0.7',
                  protocol_port: 80,
                },
              ],
            },
          ],
        },
      ],
    });
    const shown = (await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer;
    assert.deepEqual([shown.listeners, shown.pools], [[{ id: l.id }], [{ id: p.id }]]);
    const shownPool = (await svc.get(`/v2/lbaas/pools/${p.id}`)).body.pool;
    assert.deepEqual([shownPool.healthmonitor_id, shownPool.members], [p.healthmonitor.id, [{ id: p.members[0].id }]]);
  });

  it('creates an L7 policy with rules that redirects to a second named pool', async () => {
    const res = await create({
      name: 'l7',
      tags: ['t'],
      pools: [pool('web', { tags: ['w', 'w'] })],
      listeners: [
        listener(80, {
          default_pool: { name: 'web' },
          l7policies: [
            {
              name: 'to-api',
              action: 'REDIRECT_TO_POOL',
              redirect_pool: pool('api', {
                protocol: 'PROXY',
                members: [{ address: '10.0.0.9', protocol_port: 8080, weight: 5 }],
              }),
              rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', tags: ['r'] }],
            },
            {
              name: 'deny',
              action: 'REJECT',
              position: 1,
              rules: [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'bad.example' }],
            },
          ],
        }),
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const lb = res.body.loadbalancer;
    assert.deepEqual(lb.tags, ['t']);
    const [web, api] = lb.pools;
    assert.deepEqual(
      [web.name, api.name],
      ['web', 'api'],
      'the top-level pools first, then those defined in listeners',
    );
    assert.deepEqual(web.tags, ['w']);
    assert.equal(api.protocol, 'PROXY');
    assert.deepEqual(
      [api.members.length, api.members[0].weight, api.members[0].operating_status],
      [1, 5, 'NO_MONITOR'],
    );
    assert.equal(api.healthmonitor, null);
    const [l] = lb.listeners;
    assert.equal(l.default_pool_id, web.id);
    assert.deepEqual(web.listeners, [{ id: l.id }]);
    assert.deepEqual(
      api.listeners,
      [{ id: l.id }],
      'a pool reached through an enabled policy with rules serves the listener',
    );
    const [deny, toApi] = l.l7policies;
    assert.deepEqual(Object.keys(toApi), POLICY_KEYS);
    assert.deepEqual(
      [deny.name, deny.position, toApi.name, toApi.position],
      ['deny', 1, 'to-api', 2],
      'position 1 goes before the first',
    );
    assert.deepEqual(
      [
        toApi.action,
        toApi.redirect_pool_id,
        toApi.redirect_url,
        toApi.redirect_http_code,
        toApi.listener_id,
        toApi.provisioning_status,
      ],
      ['REDIRECT_TO_POOL', api.id, null, null, l.id, 'PENDING_CREATE'],
    );
    assert.equal(toApi.rules.length, 1);
    assert.deepEqual(Object.keys(toApi.rules[0]), L7RULE_KEYS);
    assert.deepEqual(
      [
        toApi.rules[0].type,
        toApi.rules[0].value,
        toApi.rules[0].tags,
        toApi.rules[0].provisioning_status,
        toApi.rules[0].project_id,
      ],
      ['PATH', '/api', ['r'], 'PENDING_CREATE', 'project-a'],
    );
    await svc.settle();
    const tree = await statusTree(lb.id);
    assert.deepEqual(
      tree.listeners[0].pools.map((x: any) => [x.name, x.provisioning_status]),
      [
        ['web', 'ACTIVE'],
        ['api', 'ACTIVE'],
      ],
    );
    const policies = (await svc.get(`/v2/lbaas/l7policies?listener_id=${l.id}&sort=position`)).body.l7policies;
    assert.deepEqual(
      policies.map((x: any) => [x.name, x.position, x.provisioning_status, x.operating_status]),
      [
        ['deny', 1, 'ACTIVE', 'ONLINE'],
        ['to-api', 2, 'ACTIVE', 'ONLINE'],
      ],
    );
    const rule = (await svc.get(`/v2/lbaas/l7policies/${toApi.id}/rules/${toApi.rules[0].id}`)).body.rule;
    assert.deepEqual([rule.provisioning_status, rule.operating_status], ['ACTIVE', 'ONLINE']);
  });

  it('lets two listeners use one pool by name, creating it once', async () => {
    const res = await create({
      name: 'shared',
      pools: [pool('shared')],
      listeners: [
        listener(80, { default_pool: { name: 'shared' } }),
        listener(81, { protocol: 'TCP', default_pool: { name: 'shared' } }),
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const lb = res.body.loadbalancer;
    assert.equal(lb.pools.length, 1);
    const [p] = lb.pools;
    assert.deepEqual(
      lb.listeners.map((l: any) => l.default_pool_id),
      [p.id, p.id],
    );
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    assert.deepEqual([...p.listeners].sort(byId), lb.listeners.map((l: any) => ({ id: l.id })).sort(byId));
    await svc.settle();
    const pools = await svc.node.db.kysely
      .selectFrom('pool')
      .select('id')
      .where('load_balancer_id', '=', lb.id)
      .execute();
    assert.deepEqual(pools, [{ id: p.id }]);
  });

  it('refuses pool names and references that do not resolve, leaving nothing behind', async () => {
    await refused(
      { listeners: [listener(80, { default_pool: { name: 'nope' } })], pools: [pool('other')] },
      400,
      "Validation failure: Pool 'nope' was referenced but no full definition was found.",
    );
    await refused(
      { listeners: [listener(80, { default_pool: pool('dup') })], pools: [pool('dup')] },
      400,
      'Validation failure: Pool names must be unique when creating a fully populated loadbalancer.',
    );
    await refused(
      { listeners: [listener(80, { default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })] },
      400,
      'Validation failure: Pools must be named when creating a fully populated loadbalancer.',
    );
    await refused(
      { listeners: [listener(80, { default_pool: { name: 'half', protocol: 'HTTP' } })] },
      400,
      "Validation failure: Pool definition for 'half' missing required attribute: lb_algorithm",
    );
  });

  it("applies each resource's own rules to embedded objects", async () => {
    await refused(
      { listeners: [listener(80, { default_pool: pool('udp', { protocol: 'UDP' }) })] },
      400,
      "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
    );
    await refused(
      { listeners: [listener(80), listener(80, { protocol: 'TCP' })] },
      409,
      'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
    );
    await refused(
      {
        pools: [
          pool('p', {
            members: [
              { address: '10.0.0.4', protocol_port: 80 },
              { address: '10.0.0.4', protocol_port: 80 },
            ],
          }),
        ],
      },
      409,
      'Another member on this pool is already using ip 10.0.0.4 on protocol_port 80',
    );
    await refused(
      {
        pools: [
          pool('p', { protocol: 'TCP', healthmonitor: { type: 'UDP-CONNECT', delay: 5, timeout: 3, max_retries: 2 } }),
        ],
      },
      400,
      'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.',
    );
    await refused(
      { listeners: [listener(80, { protocol: 'TCP', l7policies: [{ action: 'REJECT' }] })] },
      400,
      'Validation failure: L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners.',
    );
    await refused(
      { listeners: [listener(80, { l7policies: [{ action: 'REDIRECT_TO_POOL' }] })] },
      400,
      'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None',
    );
    await refused(
      {
        listeners: [
          listener(80, {
            l7policies: [{ action: 'REJECT', rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }] }],
          }),
        ],
      },
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
    );
    await refused(
      { listeners: [listener(80, { default_pool_id: '00000000-0000-0000-0000-000000000001' })] },
      404,
      'Pool 00000000-0000-0000-0000-000000000001 not found.',
    );
  });

  it('names unknown attributes by their path and checks embedded types', async () => {
    await refused(
      {
        listeners: [
          listener(80, {
            default_pool: pool('p', { members: [{ address: '10.0.0.4', protocol_port: 80, bogus: 1 }] }),
          }),
        ],
      },
      400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool.members: bogus',
    );
    await refused(
      { listeners: [listener(80, { project_id: 'other' })] },
      400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners: project_id',
    );
    await refused(
      { pools: [pool('p', { session_persistence: { type: 'SOURCE_IP', sticky: true } })] },
      400,
      'Unknown attribute for argument load_balancer.loadbalancer.pools.session_persistence: sticky',
    );
    await refused(
      { listeners: [listener(80, { l7policies: [{ action: 'REJECT', redirect_pool: { name: 'x', pool_id: 'y' } }] })] },
      400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.l7policies.redirect_pool: pool_id',
    );
    await refused(
      { listeners: [{ protocol: 'HTTP' }] },
      400,
      "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing.",
    );
    await refused(
      { pools: 'p1' },
      400,
      "Invalid input for field/attribute pools. Value: 'p1'. Wrong type. Expected '<class 'list'>', got '<class 'str'>'",
    );
    await refused(
      { pools: [pool('p', { members: [{ address: '10.0.0.999', protocol_port: 80 }] })] },
      400,
      "Invalid input for field/attribute address. Value: '10.0.0.999'. Value should be IPv4 or IPv6 format",
    );
  });

  it('rolls back the load balancer when a check after its insert fails', async () => {
    await refused(
      { tags: ['gone'], listeners: [listener(80, { allowed_cidrs: ['2001:db8::/64'] })] },
      400,
      "Validation failure: CIDR 2001:db8::/64 IP version incompatible with all VIPs ['198.51.100.1'] IP version.",
    );
    await refused(
      { pools: [pool('p', { members: [{ address: '10.0.0.4', protocol_port: 80, request_sriov: true }] })] },
      400,
      'Validation failure: The load balancer flavor does not allow SR-IOV member ports.',
    );
  });

  it('counts every object of the graph against the quotas, creating nothing when one is exceeded', async () => {
    const project = { 'x-project-id': 'project-q' };
    const quota = await svc.request('PUT', '/v2/lbaas/quotas/project-q', { quota: { member: 2, l7rule: 1 } });
    assert.equal(quota.status, 202);
    const members = [
      { address: '10.0.0.1', protocol_port: 80 },
      { address: '10.0.0.2', protocol_port: 80 },
      { address: '10.0.0.3', protocol_port: 80 },
    ];
    await refused({ pools: [pool('p', { members })] }, 403, 'Quota has been met for resources: member', project);
    const rule = { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' };
    await refused(
      { listeners: [listener(80, { l7policies: [{ action: 'REJECT', rules: [rule, rule] }] })] },
      403,
      'Quota has been met for resources: l7rule',
      project,
    );
    const ok = await create({ pools: [pool('p', { members: members.slice(0, 2) })] }, project);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(
      ok.body.loadbalancer.pools[0].members.map((m: any) => m.project_id),
      ['project-q', 'project-q'],
    );
    await svc.settle();
    await refused(
      { pools: [pool('p', { members: members.slice(2) })] },
      403,
      'Quota has been met for resources: member',
      project,
    );
  });
});
