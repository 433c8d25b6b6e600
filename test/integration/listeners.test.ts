import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nowTimestamp } from '../../src/common/ids.js';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

/** 06_listener_create.json with the ids, project and timestamps of this run left out. */
const REFERENCE_CREATE = {
  name: 'l1',
  description: '',
  provisioning_status: 'PENDING_CREATE',
  operating_status: 'OFFLINE',
  admin_state_up: true,
  protocol: 'HTTP',
  protocol_port: 80,
  connection_limit: -1,
  default_tls_container_ref: null,
  sni_container_refs: [],
  default_pool_id: null,
  l7policies: [],
  insert_headers: {},
  updated_at: null,
  timeout_client_data: 50000,
  timeout_member_connect: 5000,
  timeout_member_data: 50000,
  timeout_tcp_inspect: 0,
  tags: [],
  client_ca_tls_container_ref: null,
  client_authentication: 'NONE',
  client_crl_container_ref: null,
  allowed_cidrs: null,
  tls_ciphers: null,
  tls_versions: null,
  alpn_protocols: null,
};
const REFERENCE_KEYS = [
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
  'l7policies',
  'insert_headers',
  'created_at',
  'updated_at',
  'loadbalancers',
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

describe('listeners', () => {
  let svc: TestService;
  let lb: { id: string };
  let port = 1000;
  const nextPort = () => ++port;

  before(async () => {
    svc = await TestService.start();
    lb = await svc.createLoadBalancer({ name: 'listener-lb' });
  });
  after(() => svc.stop());

  const create = (fields: Record<string, unknown>) =>
    svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: nextPort(), ...fields },
    });

  async function createActive(fields: Record<string, unknown> = {}, lbId = lb.id): Promise<any> {
    const res = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: nextPort(), ...fields },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.listener;
  }

  async function createPool(fields: Record<string, unknown>): Promise<any> {
    const res = await svc.post('/v2/lbaas/pools', {
      pool: { lb_algorithm: 'ROUND_ROBIN', protocol: 'HTTP', ...fields },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.pool;
  }

  const setStatus = (table: 'load_balancer' | 'listener', id: string, status: string) =>
    svc.node.db.kysely.updateTable(table).set({ provisioning_status: status }).where('id', '=', id).execute();
  const statusOf = async (table: 'load_balancer' | 'listener', id: string) =>
    (
      await svc.node.db.kysely
        .selectFrom(table)
        .select('provisioning_status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).provisioning_status;

  it('creates with the reference shape, locks the load balancer, and the worker makes it ACTIVE', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'shape-lb' });
    const res = await svc.post('/v2/lbaas/listeners', {
      listener: { name: 'l1', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb2.id },
    });
    assert.equal(res.status, 201);
    const l = res.body.listener;
    assert.deepEqual(Object.keys(l), REFERENCE_KEYS);
    for (const [key, value] of Object.entries(REFERENCE_CREATE)) assert.deepEqual(l[key], value, key);
    assert.deepEqual(l.loadbalancers, [{ id: lb2.id }]);
    assert.equal(l.project_id, 'project-a');
    assert.equal(l.tenant_id, 'project-a');
    assert.match(l.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/listeners/${l.id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(Object.keys(shown.body.listener), REFERENCE_KEYS);
    assert.equal(shown.body.listener.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.listener.operating_status, 'OFFLINE');
    assert.notEqual(shown.body.listener.updated_at, null);
    assert.equal((await svc.get(`/v2/lbaas/loadbalancers/${lb2.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
    const lbShown = await svc.get(`/v2/lbaas/loadbalancers/${lb2.id}`);
    assert.deepEqual(lbShown.body.loadbalancer.listeners, [{ id: l.id }]);
  });

  it('refuses bad protocols, ports and attributes with Octavia fault strings', async () => {
    const bad = async (listener: Record<string, unknown>, status: number, message: string) => {
      const res = await svc.post('/v2/lbaas/listeners', { listener });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.deepEqual(res.body, fault(message));
    };
    await bad(
      { loadbalancer_id: lb.id, protocol: 'FOO', protocol_port: 80 },
      400,
      "Invalid input for field/attribute protocol. Value: 'FOO'. Value should be one of: SCTP, HTTPS, UDP, HTTP, PROMETHEUS, TCP, TERMINATED_HTTPS",
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 0 },
      400,
      "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1",
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 65536 },
      400,
      "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535",
    );
    await bad(
      { protocol: 'HTTP', protocol_port: 80 },
      400,
      "Invalid input for field/attribute loadbalancer_id. Value: 'None'. Mandatory field missing.",
    );
    await bad(
      { loadbalancer_id: '00000000-0000-0000-0000-000000000000', protocol: 'HTTP', protocol_port: 80 },
      404,
      'Load Balancer 00000000-0000-0000-0000-000000000000 not found.',
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, bogus: 1 },
      400,
      'Unknown attribute for argument listener_.listener: bogus',
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81, connection_limit: -2 },
      400,
      "Invalid input for field/attribute connection_limit. Value: '-2'. Value should be greater or equal to -1",
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81, timeout_client_data: -1 },
      400,
      "Invalid input for field/attribute timeout_client_data. Value: '-1'. Value should be greater or equal to 0",
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81, timeout_member_data: 2073600001 },
      400,
      "Invalid input for field/attribute timeout_member_data. Value: '2073600001'. Value should be lower or equal to 2073600000",
    );
    await bad(
      { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81, client_authentication: 'SOMETIMES' },
      400,
      "Invalid input for field/attribute client_authentication. Value: 'SOMETIMES'. Value should be one of: NONE, OPTIONAL, MANDATORY",
    );
  });

  it('accepts the full range of settings and stores them', async () => {
    const l = await createActive({
      name: 'full',
      description: 'd',
      admin_state_up: false,
      connection_limit: 1000,
      timeout_client_data: 1,
      timeout_member_connect: 2,
      timeout_member_data: 3,
      timeout_tcp_inspect: 4,
      insert_headers: { 'X-Forwarded-For': 'true' },
      allowed_cidrs: ['10.0.0.0/8', '192.168.1.1', '10.0.0.0/8'],
      tags: ['a', 'b'],
      tls_versions: ['TLSv1.2'],
      alpn_protocols: ['h2'],
      tls_ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
    });
    const shown = (await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener;
    assert.equal(shown.admin_state_up, false);
    assert.equal(shown.connection_limit, 1000);
    assert.deepEqual(
      [shown.timeout_client_data, shown.timeout_member_connect, shown.timeout_member_data, shown.timeout_tcp_inspect],
      [1, 2, 3, 4],
    );
    assert.deepEqual(shown.insert_headers, { 'X-Forwarded-For': 'true' });
    assert.deepEqual(shown.allowed_cidrs, ['10.0.0.0/8', '192.168.1.1']);
    assert.deepEqual(shown.tags.sort(), ['a', 'b']);
    assert.deepEqual(shown.tls_versions, ['TLSv1.2']);
    assert.deepEqual(shown.alpn_protocols, ['h2']);
    assert.equal(shown.tls_ciphers, 'ECDHE-RSA-AES256-GCM-SHA384');
    const udp = await createActive({ protocol: 'UDP' });
    assert.equal(udp.protocol, 'UDP');
    const prometheus = await createActive({ protocol: 'PROMETHEUS' });
    assert.equal(prometheus.protocol, 'PROMETHEUS');
  });

  it('answers 409 when another listener of the same L4 family uses the port', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'ports' });
    await createActive({ protocol: 'HTTP', protocol_port: 80 }, lb2.id);
    for (const protocol of ['HTTP', 'TCP', 'HTTPS', 'PROMETHEUS']) {
      const res = await svc.post('/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb2.id, protocol, protocol_port: 80 },
      });
      assert.equal(res.status, 409, protocol);
      assert.deepEqual(
        res.body,
        fault('Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80'),
      );
    }
    assert.equal(
      await statusOf('load_balancer', lb2.id),
      'ACTIVE',
      'a refused create leaves the load balancer unlocked',
    );
    const udp = await createActive({ protocol: 'UDP', protocol_port: 80 }, lb2.id);
    const sctp = await createActive({ protocol: 'SCTP', protocol_port: 80 }, lb2.id);
    assert.equal(udp.protocol_port, 80);
    assert.equal(sctp.protocol_port, 80);
    const again = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb2.id, protocol: 'UDP', protocol_port: 80 },
    });
    assert.deepEqual(
      again.body,
      fault('Another Listener on this Load Balancer is already using protocol UDP and protocol_port 80'),
    );
    // Another load balancer has its own ports.
    await createActive({ protocol: 'HTTP', protocol_port: 80 });
  });

  it('answers 409 while the load balancer is not ACTIVE', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'busy' });
    await setStatus('load_balancer', lb2.id, 'PENDING_UPDATE');
    const res = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb2.id, protocol: 'HTTP', protocol_port: 80 },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault(`Load Balancer ${lb2.id} is immutable and cannot be updated.`));
    await setStatus('load_balancer', lb2.id, 'ERROR');
    assert.equal(
      (
        await svc.post('/v2/lbaas/listeners', {
          listener: { loadbalancer_id: lb2.id, protocol: 'HTTP', protocol_port: 80 },
        })
      ).status,
      409,
    );
    assert.equal((await svc.get(`/v2/lbaas/listeners?loadbalancer_id=${lb2.id}`)).body.listeners.length, 0);
  });

  it('checks header insertion against the protocol', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { protocol: 'TCP', insert_headers: { 'X-Forwarded-For': 'true' } },
        'insert-headers is not a valid option for a TCP protocol listener.',
      ],
      [
        { protocol: 'UDP', insert_headers: { 'X-Forwarded-For': 'true' } },
        'insert-headers is not a valid option for a UDP protocol listener.',
      ],
      [
        { insert_headers: { 'X-Forwarded-For': 'true', 'X-Bogus': 'true' } },
        "dict_keys(['X-Forwarded-For', 'X-Bogus']) is not a valid option for insert_headers",
      ],
      [
        { insert_headers: { 'X-SSL-Client-DN': 'true' } },
        "['X-SSL-Client-DN'] is not a valid option for HTTP protocol listener.",
      ],
      [
        { insert_headers: { 'X-Forwarded-For': true } },
        "Invalid input for field/attribute insert_headers. Value: 'True'. Wrong type. Expected '<class 'str'>', got '<class 'bool'>'",
      ],
    ];
    for (const [fields, message] of cases) {
      const res = await create(fields);
      assert.equal(res.status, 400, message);
      assert.deepEqual(res.body, fault(message));
    }
    const ok = await createActive({ protocol: 'TCP', insert_headers: {} });
    assert.deepEqual(ok.insert_headers, {});
  });

  it('checks allowed_cidrs against the VIP address family', async () => {
    let res = await create({ allowed_cidrs: ['10.0.0.0/33'] });
    assert.deepEqual(
      res.body,
      fault(
        "Invalid input for field/attribute allowed_cidrs. Value: '['10.0.0.0/33']'. Value should be IPv4 or IPv6 CIDR format",
      ),
    );
    res = await create({ allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body,
      fault(
        "Validation failure: CIDR 2001:db8::/32 IP version incompatible with all VIPs ['198.51.100.1'] IP version.",
      ),
    );
    const v6 = await svc.createLoadBalancer({ name: 'v6', vip_address: '2001:db8::10' });
    const l = await createActive({ allowed_cidrs: ['2001:db8::/32'] }, v6.id);
    assert.deepEqual(l.allowed_cidrs, ['2001:db8::/32']);
  });

  it('refuses certificates (there is no certificate store yet) and TLS options that do not fit', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { protocol: 'TERMINATED_HTTPS' },
        'Validation failure: An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.',
      ],
      [
        {
          protocol: 'TERMINATED_HTTPS',
          default_tls_container_ref: 'https://barbican/containers/a',
          sni_container_refs: ['https://barbican/containers/b'],
        },
        "Could not retrieve certificate: ['https://barbican/containers/b', 'https://barbican/containers/a']",
      ],
      [
        { default_tls_container_ref: 'ref' },
        'Validation failure: Certificate container references are only allowed on TERMINATED_HTTPS protocol listeners.',
      ],
      [
        { protocol: 'UDP', sni_container_refs: ['ref'] },
        'Validation failure: UDP protocol listener does not support TLS.',
      ],
      [
        { protocol: 'SCTP', default_tls_container_ref: 'ref' },
        'Validation failure: SCTP protocol listener does not support TLS.',
      ],
      [
        { client_authentication: 'MANDATORY' },
        'Validation failure: Client authentication setting MANDATORY requires a client CA container reference.',
      ],
      [
        { client_crl_container_ref: 'crl' },
        'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.',
      ],
      [
        { tls_versions: [] },
        'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.',
      ],
      [{ tls_versions: ['TLSv1.2', 'TLSv9'] }, 'Validation failure: Invalid TLS versions: TLSv9'],
      [
        { alpn_protocols: [] },
        'Validation failure: Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.',
      ],
      [{ alpn_protocols: ['spdy/3'] }, 'Validation failure: Invalid ALPN protocol: spdy/3'],
      [
        { tls_ciphers: 'ECDHE RSA' },
        "Invalid input for field/attribute tls_ciphers. Value: 'ECDHE RSA'. Value should match the pattern ^[A-Za-z0-9\\-+!:@=_.]*$",
      ],
      [
        { hsts_max_age: 300 },
        'Validation failure: The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.',
      ],
      [
        { hsts_preload: true },
        'Validation failure: HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.',
      ],
    ];
    for (const [fields, message] of cases) {
      const res = await create(fields);
      assert.equal(res.status, 400, message);
      assert.deepEqual(res.body, fault(message));
    }
  });

  it('takes a default pool of the same load balancer with a compatible protocol', async () => {
    const pool = await createPool({ loadbalancer_id: lb.id, name: 'dp' });
    const udpPool = await createPool({ loadbalancer_id: lb.id, protocol: 'UDP' });
    const missing = '11111111-1111-1111-1111-111111111111';
    let res = await create({ default_pool_id: missing });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, fault(`Pool ${missing} not found.`));
    res = await create({ default_pool_id: udpPool.id });
    assert.deepEqual(
      res.body,
      fault("Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."),
    );
    res = await create({ protocol: 'PROMETHEUS', default_pool_id: pool.id });
    assert.deepEqual(
      res.body,
      fault("Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'PROMETHEUS'."),
    );
    const otherLb = await svc.createLoadBalancer({ name: 'other' });
    res = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: otherLb.id, protocol: 'HTTP', protocol_port: 80, default_pool_id: pool.id },
    });
    assert.equal(res.status, 404);

    const l = await createActive({ default_pool_id: pool.id });
    assert.equal(l.default_pool_id, pool.id);
    // Pools can be shared: a second listener may use the same default pool.
    const tcp = await createActive({ protocol: 'TCP', default_pool_id: pool.id });
    const shownPool = (await svc.get(`/v2/lbaas/pools/${pool.id}`)).body.pool;
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    assert.deepEqual(shownPool.listeners.sort(byId), [{ id: l.id }, { id: tcp.id }].sort(byId));
  });

  it('lists with filters, fields and sorting', async () => {
    const lb2 = await svc.createLoadBalancer({ name: 'list-lb' });
    const a = await createActive({ name: 'alpha', protocol_port: 8080 }, lb2.id);
    const b = await createActive({ name: 'beta', protocol: 'TCP', protocol_port: 8081, tags: ['blue'] }, lb2.id);
    let res = await svc.get(`/v2/lbaas/listeners?loadbalancer_id=${lb2.id}&sort=name:desc`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.listeners.map((l: any) => l.id),
      [b.id, a.id],
    );
    assert.deepEqual(res.body.listeners_links, []);
    res = await svc.get('/v2/lbaas/listeners?name=alpha');
    assert.deepEqual(
      res.body.listeners.map((l: any) => l.id),
      [a.id],
    );
    res = await svc.get(`/v2/lbaas/listeners?loadbalancer_id=${lb2.id}&protocol_port=8081&fields=id&fields=protocol`);
    assert.deepEqual(res.body.listeners, [{ id: b.id, protocol: 'TCP' }]);
    res = await svc.get(`/v2.0/listeners?loadbalancer_id=${lb2.id}&tags=blue`);
    assert.deepEqual(
      res.body.listeners.map((l: any) => l.id),
      [b.id],
    );
    res = await svc.get('/v2/lbaas/listeners?protocol_port=abc');
    assert.equal(res.status, 400);
    res = await svc.get(`/v2/lbaas/listeners/${a.id}?fields=name`);
    assert.deepEqual(res.body, { listener: { name: 'alpha' } });
  });

  it('shows its L7 policies by position', async () => {
    const l = await createActive({ name: 'with-policies' });
    const now = nowTimestamp();
    const policy = (id: string, position: number) => ({
      id,
      project_id: 'project-a',
      provisioning_status: 'ACTIVE',
      operating_status: 'ONLINE',
      admin_state_up: true,
      created_at: now,
      updated_at: null,
      listener_id: l.id,
      name: null,
      description: null,
      action: 'REJECT',
      position,
      redirect_pool_id: null,
      redirect_url: null,
      redirect_prefix: null,
      redirect_http_code: null,
    });
    const first = '22222222-0000-0000-0000-000000000001';
    const second = '22222222-0000-0000-0000-000000000002';
    await svc.node.db.kysely
      .insertInto('l7policy')
      .values([policy(first, 2), policy(second, 1)])
      .execute();
    const shown = (await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener;
    assert.deepEqual(shown.l7policies, [{ id: second }, { id: first }]);
  });

  it('answers zero statistics, and 404 for an unknown listener', async () => {
    const l = await createActive();
    const res = await svc.get(`/v2/lbaas/listeners/${l.id}/stats`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 },
    });
    const missing = await svc.get('/v2/lbaas/listeners/not-a-uuid/stats');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault('Listener not-a-uuid not found.'));
    assert.deepEqual((await svc.get('/v2/lbaas/listeners/not-a-uuid')).body, fault('Listener not-a-uuid not found.'));
  });

  it('updates the updatable fields, resets them with null, and refuses create-only ones', async () => {
    const pool = await createPool({ loadbalancer_id: lb.id });
    const l = await createActive({ name: 'upd', insert_headers: { 'X-Forwarded-Port': 'true' }, tags: ['x'] });
    let res = await svc.put(`/v2/lbaas/listeners/${l.id}`, {
      listener: {
        connection_limit: 1000,
        timeout_client_data: 60000,
        default_pool_id: pool.id,
        description: 'new',
        tags: ['y'],
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.listener), REFERENCE_KEYS);
    assert.equal(res.body.listener.provisioning_status, 'PENDING_UPDATE');
    assert.equal(res.body.listener.connection_limit, 1000);
    assert.equal(res.body.listener.timeout_client_data, 60000);
    assert.equal(res.body.listener.default_pool_id, pool.id);
    assert.equal(res.body.listener.description, 'new');
    assert.deepEqual(res.body.listener.tags, ['y']);
    assert.deepEqual(res.body.listener.insert_headers, { 'X-Forwarded-Port': 'true' }, 'omitted fields stay');
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener.provisioning_status, 'ACTIVE');

    res = await svc.put(`/v2/lbaas/listeners/${l.id}`, {
      listener: {
        connection_limit: null,
        timeout_client_data: null,
        default_pool_id: null,
        name: null,
        insert_headers: null,
        admin_state_up: null,
        tags: null,
      },
    });
    assert.equal(res.status, 200);
    const reset = res.body.listener;
    assert.deepEqual(
      [
        reset.connection_limit,
        reset.timeout_client_data,
        reset.default_pool_id,
        reset.name,
        reset.insert_headers,
        reset.admin_state_up,
        reset.tags,
      ],
      [-1, 50000, null, '', {}, false, []],
    );
    await svc.settle();

    for (const key of ['protocol', 'protocol_port', 'loadbalancer_id', 'project_id']) {
      res = await svc.put(`/v2/lbaas/listeners/${l.id}`, { listener: { [key]: key === 'protocol_port' ? 81 : 'x' } });
      assert.equal(res.status, 400, key);
      assert.deepEqual(res.body, fault(`Unknown attribute for argument listener_.listener: ${key}`));
    }
  });

  it('checks an update against the stored protocol', async () => {
    const udp = await createActive({ protocol: 'UDP' });
    let res = await svc.put(`/v2/lbaas/listeners/${udp.id}`, {
      listener: { insert_headers: { 'X-Forwarded-For': 'true' } },
    });
    assert.deepEqual(
      res.body,
      fault('Validation failure: UDP protocol listener does not support TLS or header insertion.'),
    );
    const http = await createActive();
    res = await svc.put(`/v2/lbaas/listeners/${http.id}`, { listener: { insert_headers: { 'X-Bogus': 'true' } } });
    assert.deepEqual(res.body, fault("['X-Bogus'] is not a valid option for insert_headers"));
    res = await svc.put(`/v2/lbaas/listeners/${http.id}`, { listener: { sni_container_refs: ['ref'] } });
    assert.deepEqual(
      res.body,
      fault(
        'Validation failure: Certificate container references are only allowed on TERMINATED_HTTPS protocol listeners.',
      ),
    );
    res = await svc.put(`/v2/lbaas/listeners/${http.id}`, { listener: { hsts_include_subdomains: true } });
    assert.deepEqual(
      res.body,
      fault(
        'Validation failure: Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.',
      ),
    );
    const udpPool = await createPool({ loadbalancer_id: lb.id, protocol: 'UDP' });
    res = await svc.put(`/v2/lbaas/listeners/${http.id}`, { listener: { default_pool_id: udpPool.id } });
    assert.deepEqual(
      res.body,
      fault("Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."),
    );
    res = await svc.put(`/v2/lbaas/listeners/${http.id}`, { listener: { allowed_cidrs: ['2001:db8::/64'] } });
    assert.equal(res.status, 400);
    assert.equal(await statusOf('listener', http.id), 'ACTIVE');
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE');
  });

  it('answers 409 to an update while the listener or its load balancer is not ACTIVE, and changes nothing', async () => {
    const l = await createActive({ name: 'locked' });
    await setStatus('listener', l.id, 'PENDING_UPDATE');
    let res = await svc.put(`/v2/lbaas/listeners/${l.id}`, { listener: { name: 'changed' } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, fault(`Listener ${l.id} is immutable and cannot be updated.`));
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE', 'the load balancer lock is rolled back');
    assert.equal((await svc.get(`/v2/lbaas/listeners/${l.id}`)).body.listener.name, 'locked');
    await setStatus('listener', l.id, 'ACTIVE');
    await setStatus('load_balancer', lb.id, 'PENDING_UPDATE');
    res = await svc.put(`/v2/lbaas/listeners/${l.id}`, { listener: { name: 'changed' } });
    assert.deepEqual(res.body, fault(`Load Balancer ${lb.id} is immutable and cannot be updated.`));
    res = await svc.del(`/v2/lbaas/listeners/${l.id}`);
    assert.equal(res.status, 409);
    await setStatus('load_balancer', lb.id, 'ACTIVE');
  });

  it('deletes a listener with its L7 policies but keeps its default pool, then answers 404', async () => {
    const pool = await createPool({ loadbalancer_id: lb.id, name: 'kept' });
    const l = await createActive({ default_pool_id: pool.id });
    const now = nowTimestamp();
    await svc.node.db.kysely
      .insertInto('l7policy')
      .values({
        id: '33333333-0000-0000-0000-000000000001',
        project_id: 'project-a',
        provisioning_status: 'ACTIVE',
        operating_status: 'ONLINE',
        admin_state_up: true,
        created_at: now,
        updated_at: null,
        listener_id: l.id,
        name: null,
        description: null,
        action: 'REJECT',
        position: 1,
        redirect_pool_id: null,
        redirect_url: null,
        redirect_prefix: null,
        redirect_http_code: null,
      })
      .execute();
    const res = await svc.del(`/v2/lbaas/listeners/${l.id}`);
    assert.equal(res.status, 204);
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/listeners/${l.id}`);
    assert.equal(shown.status, 404);
    assert.deepEqual(shown.body, fault(`Listener ${l.id} not found.`));
    const policies = await svc.node.db.kysely
      .selectFrom('l7policy')
      .select('id')
      .where('listener_id', '=', l.id)
      .execute();
    assert.equal(policies.length, 0);
    const keptPool = await svc.get(`/v2/lbaas/pools/${pool.id}`);
    assert.equal(keptPool.status, 200);
    assert.deepEqual(keptPool.body.pool.listeners, []);
    assert.equal(await statusOf('load_balancer', lb.id), 'ACTIVE');
    assert.equal((await svc.del(`/v2/lbaas/listeners/${l.id}`)).status, 404);
  });

  it('deletes a listener in ERROR', async () => {
    const l = await createActive();
    await setStatus('listener', l.id, 'ERROR');
    assert.equal((await svc.del(`/v2/lbaas/listeners/${l.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/listeners/${l.id}`)).status, 404);
  });

  it('enforces the listener quota', async () => {
    const quotaLb = await svc.createLoadBalancer({ project_id: 'project-q' });
    await svc.node.db.kysely
      .insertInto('quota')
      .values({
        project_id: 'project-q',
        loadbalancer: null,
        listener: 1,
        pool: null,
        healthmonitor: null,
        member: null,
        l7policy: null,
        l7rule: null,
      })
      .execute();
    await createActive({}, quotaLb.id);
    const res = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: quotaLb.id, protocol: 'HTTP', protocol_port: 9999 },
    });
    assert.equal(res.status, 403);
    assert.equal(await statusOf('load_balancer', quotaLb.id), 'ACTIVE');
  });
});
