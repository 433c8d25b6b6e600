import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nowTimestamp } from '../../src/common/ids.js';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

/** 08_pool_create.json with the ids, project and timestamps of this run left out. */
const REFERENCE_CREATE = {
  name: 'p1',
  description: '',
  provisioning_status: 'PENDING_CREATE',
  operating_status: 'OFFLINE',
  admin_state_up: true,
  protocol: 'HTTP',
  lb_algorithm: 'ROUND_ROBIN',
  session_persistence: null,
  updated_at: null,
  members: [],
  tags: [],
  tls_container_ref: null,
  ca_tls_container_ref: null,
  crl_container_ref: null,
  tls_enabled: false,
  tls_ciphers: null,
  tls_versions: null,
  alpn_protocols: null,
};
const KEYS_BEFORE_HM = [
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
];
const KEYS_AFTER_HM = [
  'members',
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

describe('pools', () => {
  let svc: TestService;
  let lb: { id: string };
  let port = 2000;

  before(async () => {
    svc = await TestService.start();
    lb = await svc.createLoadBalancer({ name: 'pool-lb' });
  });
  after(() => svc.stop());

  const create = (fields: Record<string, unknown>) =>
    svc.post('/v2/lbaas/pools', {
      pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...fields },
    });

  async function createActive(fields: Record<string, unknown> = {}): Promise<any> {
    const res = await create(fields);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.pool;
  }

  async function listener(fields: Record<string, unknown> = {}, lbId = lb.id): Promise<any> {
    const res = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: ++port, ...fields },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.listener;
  }

  const kysely = () => svc.node.db.kysely;
  const setStatus = (table: 'load_balancer' | 'listener' | 'pool', id: string, status: string) =>
    kysely().updateTable(table).set({ provisioning_status: status }).where('id', '=', id).execute();
  const statusOf = async (table: 'load_balancer' | 'listener' | 'pool', id: string) =>
    (await kysely().selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirstOrThrow())
      .provisioning_status;
  /** What the API locked for the last job about `resourceId`. */
  const lockedBy = async (resourceId: string) => {
    const job = await kysely()
      .selectFrom('job')
      .select('payload')
      .where('resource_id', '=', resourceId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    return (JSON.parse(job.payload) as { locked: Array<{ table: string; id: string }> }).locked
      .map((r) => `${r.table}:${r.id}`)
      .sort();
  };
  const row = (id: string) => ({
    id,
    project_id: 'project-a',
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
    admin_state_up: true,
    created_at: nowTimestamp(),
    updated_at: null,
  });
  const insertPolicy = (id: string, listenerId: string, redirectPoolId: string) =>
    kysely()
      .insertInto('l7policy')
      .values({
        ...row(id),
        listener_id: listenerId,
        name: null,
        description: null,
        action: 'REDIRECT_TO_POOL',
        position: 1,
        redirect_pool_id: redirectPoolId,
        redirect_url: null,
        redirect_prefix: null,
        redirect_http_code: null,
      })
      .execute();

  it('creates as a listener default pool with the reference shape, locking the load balancer and the listener', async () => {
    const l = await listener({ name: 'l1' });
    const res = await svc.post('/v2/lbaas/pools', {
      pool: { name: 'p1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l.id },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.pool;
    assert.deepEqual(
      Object.keys(p),
      [...KEYS_BEFORE_HM, ...KEYS_AFTER_HM],
      'no healthmonitor_id key without a health monitor',
    );
    for (const [key, value] of Object.entries(REFERENCE_CREATE)) assert.deepEqual(p[key], value, key);
    assert.deepEqual(p.loadbalancers, [{ id: lb.id }]);
    assert.deepEqual(p.listeners, [{ id: l.id }]);
    assert.equal(p.project_id, 'project-a');
    assert.equal(p.tenant_id, 'project-a');
    assert.deepEqual(await lockedBy(p.id), [`listener:${l.id}`, `load_balancer:${lb.id}`].sort());
    await svc.settle();
    const shown = (await svc.get(`/v2/lbaas/pools/${p.id}`)).body.pool;
    assert.equal(shown.provisioning_status, 'ACTIVE');
    assert.equal(shown.operating_status, 'OFFLINE');
    const shownListener = (await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener;
    assert.equal(shownListener.default_pool_id, p.id);
    assert.equal(shownListener.provisioning_status, 'ACTIVE');
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE');
    assert.deepEqual(
      (await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.pools.map((x: any) => x.id).includes(p.id),
      true,
    );
  });

  it('creates on a load balancer alone, as 63_pool2_create', async () => {
    const p = await createActive({ name: 'p2', protocol: 'TCP', lb_algorithm: 'LEAST_CONNECTIONS' });
    assert.deepEqual(p.listeners, []);
    assert.equal(p.lb_algorithm, 'LEAST_CONNECTIONS');
    assert.equal(p.protocol, 'TCP');
    // SOURCE_IP_PORT passes the API (the amphora driver refuses it later in Octavia).
    const sip = await createActive({ lb_algorithm: 'SOURCE_IP_PORT' });
    assert.equal(sip.lb_algorithm, 'SOURCE_IP_PORT');
    for (const protocol of ['HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'])
      assert.equal((await createActive({ protocol })).protocol, protocol);
  });

  it('refuses bad bodies with Octavia fault strings', async () => {
    const missing = '00000000-0000-0000-0000-000000000000';
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [
        { lb_algorithm: 'RANDOM' },
        400,
        "Invalid input for field/attribute lb_algorithm. Value: 'RANDOM'. Value should be one of: SOURCE_IP, ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP_PORT",
      ],
      [
        { protocol: 'FOO' },
        400,
        "Invalid input for field/attribute protocol. Value: 'FOO'. Value should be one of: SCTP, PROXYV2, HTTPS, UDP, HTTP, PROXY, TCP",
      ],
      [
        { loadbalancer_id: null },
        400,
        'Validation failure: Must provide at least one of: loadbalancer_id, listener_id',
      ],
      [{ loadbalancer_id: missing }, 404, `Load Balancer ${missing} not found.`],
      [{ loadbalancer_id: null, listener_id: missing }, 404, `Listener ${missing} not found.`],
      [{ bogus: true }, 400, 'Unknown attribute for argument pool_.pool: bogus'],
      [
        { lb_algorithm: null },
        400,
        "Invalid input for field/attribute lb_algorithm. Value: 'None'. Mandatory field missing.",
      ],
    ];
    for (const [fields, status, message] of cases) {
      const res = await create(fields);
      assert.equal(res.status, status, message);
      assert.deepEqual(res.body, fault(message));
    }
  });

  it('checks the pool protocol against the listener and refuses a second default pool', async () => {
    const l = await listener();
    let res = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: l.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body,
      fault("Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."),
    );
    const prometheus = await listener({ protocol: 'PROMETHEUS' });
    res = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: prometheus.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    });
    assert.deepEqual(
      res.body,
      fault("Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'PROMETHEUS'."),
    );
    const first = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: l.id, protocol: 'PROXY', lb_algorithm: 'ROUND_ROBIN' },
    });
    assert.equal(first.status, 201);
    await svc.settle();
    res = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: l.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault('This listener already has a default pool'));
    const other = await svc.createLoadBalancer({ name: 'other' });
    const foreign = await listener({}, other.id);
    res = await create({ listener_id: foreign.id });
    assert.deepEqual(
      res.body,
      fault(`Validation failure: Listener ${foreign.id} does not belong to Load Balancer ${lb.id}.`),
    );
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE');
  });

  it('answers 409 while the load balancer is not ACTIVE', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'busy' });
    await setStatus('load_balancer', lb2.id, 'PENDING_UPDATE');
    const res = await create({ loadbalancer_id: lb2.id });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault(`Load Balancer ${lb2.id} is immutable and cannot be updated.`));
    assert.equal((await svc.get(`/v2/lbaas/pools?loadbalancer_id=${lb2.id}`)).body.pools.length, 0);
    await setStatus('load_balancer', lb2.id, 'ACTIVE');
  });

  it('validates session persistence by type and protocol', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { session_persistence: { cookie_name: 'c' } },
        "Invalid input for field/attribute type. Value: 'None'. Mandatory field missing.",
      ],
      [
        { session_persistence: { type: 'FOO' } },
        "Invalid input for field/attribute type. Value: 'FOO'. Value should be one of: APP_COOKIE, HTTP_COOKIE, SOURCE_IP",
      ],
      [
        { session_persistence: { type: 'SOURCE_IP', bogus: 1 } },
        'Unknown attribute for argument pool_.pool.session_persistence: bogus',
      ],
      [
        { session_persistence: { type: 'APP_COOKIE' } },
        'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.',
      ],
      [
        { session_persistence: { type: 'HTTP_COOKIE', cookie_name: 'c' } },
        'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".',
      ],
      [
        { session_persistence: { type: 'APP_COOKIE', cookie_name: 'bad name' } },
        'Validation failure: Supplied "cookie_name" is invalid.',
      ],
      [
        { session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60 } },
        'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.',
      ],
      [
        { protocol: 'UDP', session_persistence: { type: 'HTTP_COOKIE' } },
        'Validation failure: Session persistence of type HTTP_COOKIE is not supported for UDP protocol pools.',
      ],
      [
        { protocol: 'SCTP', session_persistence: { type: 'APP_COOKIE', cookie_name: 'c' } },
        'Validation failure: Cookie names are not supported for SCTP pools.',
      ],
      [
        { protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', cookie_name: 'c' } },
        'Validation failure: session_persistence SOURCE_IP type for UDP protocol only accepts: type, persistence_timeout, persistence_granularity.',
      ],
      [
        { session_persistence: 'SOURCE_IP' },
        "Invalid input for field/attribute session_persistence. Value: 'SOURCE_IP'. Wrong type. Expected '<class 'dict'>', got '<class 'str'>'",
      ],
    ];
    for (const [fields, message] of cases) {
      const res = await create(fields);
      assert.equal(res.status, 400, message);
      assert.deepEqual(res.body, fault(message));
    }
    const app = await createActive({ session_persistence: { type: 'APP_COOKIE', cookie_name: 'SESSION' } });
    assert.deepEqual(app.session_persistence, {
      type: 'APP_COOKIE',
      cookie_name: 'SESSION',
      persistence_timeout: null,
      persistence_granularity: null,
    });
    const udp = await createActive({
      protocol: 'UDP',
      session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' },
    });
    assert.deepEqual(udp.session_persistence, {
      type: 'SOURCE_IP',
      cookie_name: null,
      persistence_timeout: 60,
      persistence_granularity: '255.255.255.0',
    });
  });

  it('fills TLS defaults for TLS-enabled pools and refuses certificates (no certificate store yet)', async () => {
    const tls = await createActive({ tls_enabled: true });
    assert.equal(tls.tls_enabled, true);
    assert.deepEqual(tls.tls_versions, ['TLSv1.2', 'TLSv1.3']);
    assert.deepEqual(tls.alpn_protocols, ['http/1.1', 'http/1.0']);
    assert.match(tls.tls_ciphers, /^TLS_AES_256_GCM_SHA384:/);
    const custom = await createActive({
      tls_enabled: true,
      tls_versions: ['TLSv1.3'],
      alpn_protocols: ['h2'],
      tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    assert.deepEqual(
      [custom.tls_versions, custom.alpn_protocols, custom.tls_ciphers],
      [['TLSv1.3'], ['h2'], 'ECDHE-RSA-AES128-GCM-SHA256'],
    );
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { tls_container_ref: 'https://barbican/containers/x' },
        "Could not retrieve certificate: ['https://barbican/containers/x']",
      ],
      [{ ca_tls_container_ref: 'ca-ref' }, 'Could not retrieve certificate: ca-ref'],
      [
        { crl_container_ref: 'crl-ref' },
        'Validation failure: A CA certificate reference is required to specify a revocation list.',
      ],
      [
        { tls_enabled: true, tls_versions: [] },
        'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.',
      ],
      [{ alpn_protocols: ['bogus'] }, 'Validation failure: Invalid ALPN protocol: bogus'],
    ];
    for (const [fields, message] of cases) {
      const res = await create(fields);
      assert.equal(res.status, 400, message);
      assert.deepEqual(res.body, fault(message));
    }
  });

  it('updates as 87_pool_update, locking the load balancer and the pool listeners', async () => {
    const l = await listener();
    const created = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: l.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name: 'p1' },
    });
    await svc.settle();
    const id = created.body.pool.id;
    const res = await svc.put(`/v2/lbaas/pools/${id}`, {
      pool: { lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'HTTP_COOKIE' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const p = res.body.pool;
    assert.equal(p.provisioning_status, 'PENDING_UPDATE');
    assert.equal(p.lb_algorithm, 'LEAST_CONNECTIONS');
    assert.deepEqual(p.session_persistence, {
      type: 'HTTP_COOKIE',
      cookie_name: null,
      persistence_timeout: null,
      persistence_granularity: null,
    });
    assert.equal(p.name, 'p1', 'omitted fields stay');
    assert.deepEqual(await lockedBy(id), [`listener:${l.id}`, `load_balancer:${lb.id}`].sort());
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/pools/${id}`)).body.pool.provisioning_status, 'ACTIVE');
    assert.equal(await statusOf('listener', l.id), 'ACTIVE');
  });

  it('inherits the stored persistence type, clears it with null, and refuses create-only attributes', async () => {
    const p = await createActive({ session_persistence: { type: 'APP_COOKIE', cookie_name: 'A' }, name: 'sp' });
    let res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { session_persistence: { cookie_name: 'B' } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.pool.session_persistence, {
      type: 'APP_COOKIE',
      cookie_name: 'B',
      persistence_timeout: null,
      persistence_granularity: null,
    });
    await svc.settle();
    res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { session_persistence: { type: 'SOURCE_IP' } } });
    assert.deepEqual(res.body.pool.session_persistence, {
      type: 'SOURCE_IP',
      cookie_name: null,
      persistence_timeout: null,
      persistence_granularity: null,
    });
    await svc.settle();
    res = await svc.put(`/v2/lbaas/pools/${p.id}`, {
      pool: { session_persistence: null, name: null, admin_state_up: null, tls_enabled: true },
    });
    assert.equal(res.body.pool.session_persistence, null);
    assert.equal(res.body.pool.name, '');
    assert.equal(res.body.pool.admin_state_up, false);
    assert.deepEqual(res.body.pool.tls_versions, ['TLSv1.2', 'TLSv1.3'], 'turning TLS on fills the defaults');
    await svc.settle();
    res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { session_persistence: { cookie_name: 'C' } } });
    assert.deepEqual(res.body, fault('Validation failure: Invalid session_persistence provided.'));
    for (const key of ['protocol', 'loadbalancer_id', 'listener_id', 'project_id']) {
      res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { [key]: 'x' } });
      assert.equal(res.status, 400, key);
      assert.deepEqual(res.body, fault(`Unknown attribute for argument pool_.pool: ${key}`));
    }
    res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { lb_algorithm: null } });
    assert.deepEqual(
      res.body,
      fault("Invalid input for field/attribute lb_algorithm. Value: 'None'. Mandatory field missing."),
    );
    res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { crl_container_ref: 'crl' } });
    assert.deepEqual(
      res.body,
      fault('Validation failure: A CA reference is required to specify a certificate revocation list.'),
    );
    assert.equal(await statusOf('pool', p.id), 'ACTIVE');
  });

  it('answers 409 to an update while the pool is not ACTIVE, and leaves its parents unlocked', async () => {
    const p = await createActive({ name: 'stuck' });
    await setStatus('pool', p.id, 'PENDING_UPDATE');
    const res = await svc.put(`/v2/lbaas/pools/${p.id}`, { pool: { name: 'x' } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault(`Pool ${p.id} is immutable and cannot be updated.`));
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE');
    await setStatus('pool', p.id, 'ACTIVE');
  });

  it('shows its health monitor id and members when it has them', async () => {
    const p = await createActive({ name: 'with-children' });
    const hmId = '44444444-0000-0000-0000-000000000001';
    await kysely()
      .insertInto('health_monitor')
      .values({
        ...row(hmId),
        pool_id: p.id,
        name: null,
        type: 'HTTP',
        delay: 5,
        timeout: 3,
        max_retries: 3,
        max_retries_down: 3,
        http_method: 'GET',
        url_path: '/',
        expected_codes: '200',
        http_version: null,
        domain_name: null,
      })
      .execute();
    const members = ['55555555-0000-0000-0000-000000000001', '55555555-0000-0000-0000-000000000002'];
    await kysely()
      .insertInto('member')
      .values(
        members.map((id, i) => ({
          ...row(id),
          operating_status: 'NO_MONITOR',
          pool_id: p.id,
          name: null,
          address: `10.0.0.${i + 1}`,
          protocol_port: 80,
          weight: 1,
          backup: false,
          subnet_id: null,
          monitor_address: null,
          monitor_port: null,
          vnic_type: 'normal',
        })),
      )
      .execute();
    const shown = (await svc.get(`/v2/lbaas/pools/${p.id}`)).body.pool;
    assert.deepEqual(Object.keys(shown), [...KEYS_BEFORE_HM, 'healthmonitor_id', ...KEYS_AFTER_HM]);
    assert.equal(shown.healthmonitor_id, hmId);
    assert.deepEqual(shown.members.map((m: any) => m.id).sort(), members);

    // Deleting the pool takes its members and health monitor with it.
    assert.equal((await svc.del(`/v2/lbaas/pools/${p.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/pools/${p.id}`)).status, 404);
    assert.equal((await kysely().selectFrom('member').select('id').where('pool_id', '=', p.id).execute()).length, 0);
    assert.equal((await kysely().selectFrom('health_monitor').select('id').where('id', '=', hmId).execute()).length, 0);
  });

  it('counts listeners that redirect to it through an enabled L7 policy with rules', async () => {
    const p = await createActive({ name: 'redirect-target' });
    const l = await listener();
    const policyId = '66666666-0000-0000-0000-000000000001';
    await insertPolicy(policyId, l.id, p.id);
    assert.deepEqual(
      (await svc.get(`/v2/lbaas/pools/${p.id}`)).body.pool.listeners,
      [],
      'a policy without rules does not count',
    );
    await kysely()
      .insertInto('l7rule')
      .values({
        ...row('66666666-0000-0000-0000-0000000000aa'),
        l7policy_id: policyId,
        type: 'PATH',
        compare_type: 'STARTS_WITH',
        key: null,
        value: '/a',
        invert: false,
      })
      .execute();
    assert.deepEqual((await svc.get(`/v2/lbaas/pools/${p.id}`)).body.pool.listeners, [{ id: l.id }]);

    const res = await svc.del(`/v2/lbaas/pools/${p.id}`);
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault(`Pool ${p.id} is in use by L7 policy ${policyId}`));
    assert.equal(await statusOf('pool', p.id), 'ACTIVE');
  });

  it('deletes a default pool, clearing the listener default_pool_id, then answers 404', async () => {
    const l = await listener();
    const created = await svc.post('/v2/lbaas/pools', {
      pool: { listener_id: l.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    });
    await svc.settle();
    const id = created.body.pool.id;
    const res = await svc.del(`/v2/lbaas/pools/${id}`);
    assert.equal(res.status, 204);
    assert.deepEqual(await lockedBy(id), [`listener:${l.id}`, `load_balancer:${lb.id}`].sort());
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/pools/${id}`);
    assert.equal(shown.status, 404);
    assert.deepEqual(shown.body, fault(`Pool ${id} not found.`));
    const shownListener = (await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener;
    assert.equal(shownListener.default_pool_id, null);
    assert.equal(shownListener.provisioning_status, 'ACTIVE');
    assert.equal((await svc.del(`/v2/lbaas/pools/${id}`)).status, 404);
    assert.deepEqual((await svc.get('/v2/lbaas/pools/not-a-uuid')).body, fault('Pool not-a-uuid not found.'));
  });

  it('lists with filters', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'list-lb' });
    const a = await createActive({ loadbalancer_id: lb2.id, name: 'alpha' });
    const b = await createActive({ loadbalancer_id: lb2.id, name: 'beta', protocol: 'TCP', tags: ['t1'] });
    let res = await svc.get(`/v2/lbaas/pools?loadbalancer_id=${lb2.id}&sort=name:asc`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.pools.map((p: any) => p.id),
      [a.id, b.id],
    );
    assert.deepEqual(res.body.pools_links, []);
    res = await svc.get('/v2/lbaas/pools?name=beta');
    assert.deepEqual(
      res.body.pools.map((p: any) => p.id),
      [b.id],
    );
    res = await svc.get(`/v2/pools?loadbalancer_id=${lb2.id}&protocol=TCP&fields=id,name`);
    assert.deepEqual(res.body.pools, [{ id: b.id, name: 'beta' }]);
    res = await svc.get(`/v2/lbaas/pools?loadbalancer_id=${lb2.id}&not-tags=t1`);
    assert.deepEqual(
      res.body.pools.map((p: any) => p.id),
      [a.id],
    );
    res = await svc.get(`/v2/lbaas/pools?loadbalancer_id=${lb2.id}&limit=1`);
    assert.equal(res.body.pools.length, 1);
    assert.equal(res.body.pools_links[0].rel, 'next');
  });

  it('enforces the pool quota', async () => {
    const quotaLb = await svc.createLoadBalancer({ project_id: 'project-q' });
    await kysely()
      .insertInto('quota')
      .values({
        project_id: 'project-q',
        loadbalancer: null,
        listener: null,
        pool: 0,
        healthmonitor: null,
        member: null,
        l7policy: null,
        l7rule: null,
      })
      .execute();
    const res = await create({ loadbalancer_id: quotaLb.id });
    assert.equal(res.status, 403);
    assert.equal(await statusOf('load_balancer', quotaLb.id), 'ACTIVE');
  });
});
