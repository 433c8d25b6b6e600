import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { renderHaproxyConfig } from '../../src/amphora/haproxy/render-config.js';
import type { LoadBalancerGraph } from '../../src/db/load-balancer-graph.js';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { g } from '../helpers/graph-factory.js';
import { poolRow } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const dp = (subject: string, why: string) =>
  `Validation failure: ${subject} is not supported by the HAProxy data plane (amphora driver 'rest'): ${why}.`;
const LVS = 'Octavia serves UDP and SCTP with LVS (keepalived), and this data plane runs HAProxy alone';
const TCP_COOKIES = 'HAProxy forwards its traffic in TCP mode, where cookies are not seen';
const TCP_HM = { type: 'TCP', delay: 5, timeout: 3, max_retries: 2 };

/** The objects the requests below act on, all ACTIVE. */
interface Fixture {
  lb: string;
  /** HTTP listener on port 80, default pool `poolA`, with `policy` (one PATH rule, `rule`). */
  http: string;
  /** TCP listener on port 81, default pool `proxy`. */
  tcp: string;
  /** HTTP pool with a TCP monitor `hm` and a member `member`. */
  poolA: string;
  hm: string;
  member: string;
  /** HTTP pool without monitor or members. */
  poolB: string;
  proxy: string;
  /** PROXY pool with HTTP_COOKIE persistence, used by no listener. */
  proxyCookie: string;
  /** A UDP pool (as left by a node that ran the noop driver), written to the database. */
  udp: string;
  policy: string;
  rule: string;
}

/** Every PENDING_* row ACTIVE, as the worker's flows would leave them. */
async function activateAll(svc: TestService): Promise<void> {
  const tables = ['load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const;
  for (const table of tables)
    await svc.node.db.kysely
      .updateTable(table)
      .set({ provisioning_status: 'ACTIVE' } as never)
      .where('provisioning_status', 'like', 'PENDING_%')
      .execute();
}

/** Build the fixture through the API; `settle` waits for (or stands in for) the worker after each write. */
async function buildFixture(svc: TestService, settle: () => Promise<void>): Promise<Fixture> {
  const created = async (path: string, key: string, body: Record<string, unknown>) => {
    const res = await svc.post(path, { [key]: body });
    assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
    await settle();
    return res.body[key];
  };
  const lb = await created('/v2/lbaas/loadbalancers', 'loadbalancer', {
    vip_subnet_id: '11111111-2222-3333-4444-555555555555',
  });
  const pool = (extra: Record<string, unknown>) =>
    created('/v2/lbaas/pools', 'pool', {
      loadbalancer_id: lb.id,
      protocol: 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      ...extra,
    });
  const poolA = await pool({ healthmonitor: TCP_HM, members: [{ address: '192.0.2.10', protocol_port: 80 }] });
  const poolB = await pool({});
  const proxy = await pool({ protocol: 'PROXY' });
  const proxyCookie = await pool({ protocol: 'PROXY', session_persistence: { type: 'HTTP_COOKIE' } });
  const listener = (protocol: string, port: number, poolId: string) =>
    created('/v2/lbaas/listeners', 'listener', {
      loadbalancer_id: lb.id,
      protocol,
      protocol_port: port,
      default_pool_id: poolId,
    });
  const http = await listener('HTTP', 80, poolA.id);
  const tcp = await listener('TCP', 81, proxy.id);
  const policy = await created('/v2/lbaas/l7policies', 'l7policy', {
    listener_id: http.id,
    action: 'REJECT',
    rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
  });
  const udp = poolRow(lb.id, { protocol: 'UDP', project_id: lb.project_id });
  await svc.node.db.kysely.insertInto('pool').values(udp).execute();
  return {
    lb: lb.id,
    http: http.id,
    tcp: tcp.id,
    poolA: poolA.id,
    hm: poolA.healthmonitor.id,
    member: poolA.members[0].id,
    poolB: poolB.id,
    proxy: proxy.id,
    proxyCookie: proxyCookie.id,
    udp: udp.id,
    policy: policy.id,
    rule: policy.rules[0].id,
  };
}

interface Case {
  what: string;
  request: (f: Fixture) => [method: string, path: string, body: unknown];
  faultstring: string;
}

/** Requests Octavia's noop driver accepts and the HAProxy data plane cannot serve. */
const CASES: Case[] = [
  {
    what: 'a UDP listener',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      { listener: { loadbalancer_id: f.lb, protocol: 'UDP', protocol_port: 53 } },
    ],
    faultstring: dp('Listener protocol UDP', LVS),
  },
  {
    what: 'a listener inserting X-Real-IP',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      {
        listener: {
          loadbalancer_id: f.lb,
          protocol: 'HTTP',
          protocol_port: 8001,
          insert_headers: { 'X-Forwarded-For': 'true', 'X-Real-IP': 'true' },
        },
      },
    ],
    faultstring: dp(
      'Inserting the header X-Real-IP',
      'the HAProxy configuration inserts X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto and the X-SSL-* headers only',
    ),
  },
  {
    what: 'TLS versions on an HTTP listener',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      { listener: { loadbalancer_id: f.lb, protocol: 'HTTP', protocol_port: 8002, tls_versions: ['TLSv1.3'] } },
    ],
    faultstring: dp(
      'The TLS option tls_versions on HTTP listeners',
      'HAProxy terminates TLS for TERMINATED_HTTPS listeners only, so it would be ignored',
    ),
  },
  {
    what: 'a TCP listener whose default pool keeps HTTP cookies',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      { listener: { loadbalancer_id: f.lb, protocol: 'TCP', protocol_port: 8003, default_pool_id: f.proxyCookie } },
    ],
    faultstring: dp('Session persistence HTTP_COOKIE on PROXY pools of TCP listeners', TCP_COOKIES),
  },
  {
    what: 'a listener with an embedded default pool monitored by PING',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      {
        listener: {
          loadbalancer_id: f.lb,
          protocol: 'HTTP',
          protocol_port: 8004,
          default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: { ...TCP_HM, type: 'PING' } },
        },
      },
    ],
    faultstring: dp(
      'Health monitor type PING',
      'HAProxy has no ICMP check and the amphora driver sets up no external ping command, so the monitor would silently become a TCP connect check',
    ),
  },
  {
    what: 'a listener with an embedded L7 rule PCRE2 refuses',
    request: (f) => [
      'POST',
      '/v2/lbaas/listeners',
      {
        listener: {
          loadbalancer_id: f.lb,
          protocol: 'HTTP',
          protocol_port: 8005,
          l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'REGEX', value: '^/a\\i' }] }],
        },
      },
    ],
    faultstring: dp("The regular expression '^/a\\i'", "HAProxy's PCRE2 refuses it: PCRE2 does not accept \\i"),
  },
  {
    what: 'an update inserting X-Client-IP',
    request: (f) => [
      'PUT',
      `/v2/lbaas/listeners/${f.http}`,
      { listener: { insert_headers: { 'X-Client-IP': 'true' } } },
    ],
    faultstring: dp(
      'Inserting the header X-Client-IP',
      'the HAProxy configuration inserts X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto and the X-SSL-* headers only',
    ),
  },
  {
    what: 'an update giving a TCP listener a cookie-persistent default pool',
    request: (f) => ['PUT', `/v2/lbaas/listeners/${f.tcp}`, { listener: { default_pool_id: f.proxyCookie } }],
    faultstring: dp('Session persistence HTTP_COOKIE on PROXY pools of TCP listeners', TCP_COOKIES),
  },
  {
    what: 'an SCTP pool',
    request: (f) => [
      'POST',
      '/v2/lbaas/pools',
      { pool: { loadbalancer_id: f.lb, protocol: 'SCTP', lb_algorithm: 'ROUND_ROBIN' } },
    ],
    faultstring: dp('Pool protocol SCTP', LVS),
  },
  {
    what: 'a TCP pool with HTTP cookies',
    request: (f) => [
      'POST',
      '/v2/lbaas/pools',
      {
        pool: {
          loadbalancer_id: f.lb,
          protocol: 'TCP',
          lb_algorithm: 'ROUND_ROBIN',
          session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid' },
        },
      },
    ],
    faultstring: dp('Session persistence APP_COOKIE on TCP pools', TCP_COOKIES),
  },
  {
    what: 'a TLS pool whose cipher string names TLS 1.3 suites alone',
    request: (f) => [
      'POST',
      '/v2/lbaas/pools',
      {
        pool: {
          loadbalancer_id: f.lb,
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          tls_enabled: true,
          tls_ciphers: 'TLS_AES_128_GCM_SHA256',
        },
      },
    ],
    faultstring: dp(
      "The cipher string 'TLS_AES_128_GCM_SHA256'",
      'HAProxy sets it with "ciphers", which needs at least one TLS 1.2 cipher',
    ),
  },
  {
    what: 'a pool with an embedded member whose address has a zone id',
    request: (f) => [
      'POST',
      '/v2/lbaas/pools',
      {
        pool: {
          loadbalancer_id: f.lb,
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          members: [{ address: 'fe80::1%lo', protocol_port: 80 }],
        },
      },
    ],
    faultstring: dp('The address fe80::1%lo', 'HAProxy cannot resolve an address with a zone id'),
  },
  {
    what: 'an update turning on HTTP cookies for a PROXY pool of a TCP listener',
    request: (f) => ['PUT', `/v2/lbaas/pools/${f.proxy}`, { pool: { session_persistence: { type: 'HTTP_COOKIE' } } }],
    faultstring: dp('Session persistence HTTP_COOKIE on PROXY pools of TCP listeners', TCP_COOKIES),
  },
  {
    what: 'an update allowing SSLv3 to members',
    request: (f) => [
      'PUT',
      `/v2/lbaas/pools/${f.poolA}`,
      { pool: { tls_enabled: true, tls_versions: ['SSLv3', 'TLSv1.2'] } },
    ],
    faultstring: dp('TLS version SSLv3', 'the OpenSSL library HAProxy uses is built without SSLv3'),
  },
  {
    what: 'a member with an IPv6 monitor address',
    request: (f) => [
      'POST',
      `/v2/lbaas/pools/${f.poolA}/members`,
      { member: { address: '192.0.2.11', protocol_port: 80, monitor_address: '2001:db8::1' } },
    ],
    faultstring: dp(
      'The IPv6 monitor_address 2001:db8::1',
      'the rendered health check address has no brackets, so HAProxy would read its last group as a port',
    ),
  },
  {
    what: 'a member of a UDP pool',
    request: (f) => [
      'POST',
      `/v2/lbaas/pools/${f.udp}/members`,
      { member: { address: '192.0.2.12', protocol_port: 53 } },
    ],
    faultstring: dp('Pool protocol UDP', LVS),
  },
  {
    what: 'a member update to an IPv6 monitor address',
    request: (f) => ['PUT', `/v2/lbaas/pools/${f.poolA}/members/${f.member}`, { member: { monitor_address: '::1' } }],
    faultstring: dp(
      'The IPv6 monitor_address ::1',
      'the rendered health check address has no brackets, so HAProxy would read its last group as a port',
    ),
  },
  {
    what: 'a member batch with a zone id',
    request: (f) => [
      'PUT',
      `/v2/lbaas/pools/${f.poolA}/members`,
      {
        members: [
          { address: '192.0.2.10', protocol_port: 80 },
          { address: 'fe80::2%lo', protocol_port: 80 },
        ],
      },
    ],
    faultstring: dp('The address fe80::2%lo', 'HAProxy cannot resolve an address with a zone id'),
  },
  {
    what: 'a PING health monitor',
    request: (f) => [
      'POST',
      '/v2/lbaas/healthmonitors',
      { healthmonitor: { ...TCP_HM, type: 'PING', pool_id: f.poolB } },
    ],
    faultstring: dp(
      'Health monitor type PING',
      'HAProxy has no ICMP check and the amphora driver sets up no external ping command, so the monitor would silently become a TCP connect check',
    ),
  },
  {
    what: 'a health monitor delay beyond HAProxy timers',
    request: (f) => [
      'POST',
      '/v2/lbaas/healthmonitors',
      { healthmonitor: { ...TCP_HM, delay: 2147484, pool_id: f.poolB } },
    ],
    faultstring: dp('A delay of 2147484 seconds', 'HAProxy timers hold at most 2147483 seconds'),
  },
  {
    what: 'an empty expected_codes range',
    request: (f) => [
      'POST',
      '/v2/lbaas/healthmonitors',
      { healthmonitor: { ...TCP_HM, type: 'HTTP', expected_codes: '299-200', pool_id: f.poolB } },
    ],
    faultstring: dp(
      'The expected_codes range 299-200',
      'it holds no status code, so every member would be marked down',
    ),
  },
  {
    what: 'a health monitor timeout update beyond HAProxy timers',
    request: (f) => ['PUT', `/v2/lbaas/healthmonitors/${f.hm}`, { healthmonitor: { timeout: 3000000 } }],
    faultstring: dp('A timeout of 3000000 seconds', 'HAProxy timers hold at most 2147483 seconds'),
  },
  {
    what: 'an L7 policy with a rule PCRE2 refuses',
    request: (f) => [
      'POST',
      '/v2/lbaas/l7policies',
      {
        l7policy: {
          listener_id: f.http,
          action: 'REJECT',
          rules: [{ type: 'PATH', compare_type: 'REGEX', value: '[^]' }],
        },
      },
    ],
    faultstring: dp(
      "The regular expression '[^]'",
      `HAProxy's PCRE2 refuses it: a character class is not closed (PCRE2 reads a "]" right after "[" or "[^" as a literal)`,
    ),
  },
  {
    what: 'an L7 rule PCRE2 refuses',
    request: (f) => [
      'POST',
      `/v2/lbaas/l7policies/${f.policy}/rules`,
      { rule: { type: 'HOST_NAME', compare_type: 'REGEX', value: '\\u0041' } },
    ],
    faultstring: dp("The regular expression '\\u0041'", "HAProxy's PCRE2 refuses it: PCRE2 does not accept \\u"),
  },
  {
    what: 'an L7 rule update to a back reference of a group HAProxy does not capture',
    request: (f) => [
      'PUT',
      `/v2/lbaas/l7policies/${f.policy}/rules/${f.rule}`,
      { rule: { compare_type: 'REGEX', value: '(a)\\1' } },
    ],
    faultstring: dp(
      "The regular expression '(a)\\1'",
      "HAProxy's PCRE2 refuses it: \\1 refers to group 1, but only named groups capture and there are 0",
    ),
  },
];

describe('the HAProxy data plane (amphora driver rest) refuses what it cannot serve', () => {
  let svc: TestService;
  let fixture: Fixture;
  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'noop', network: 'noop', amphora: 'rest' } });
    // No flow may run: the noop compute driver gives amphorae TEST-NET addresses (192.0.2.x), which the
    // rest driver would dial. The API alone is under test; `activateAll` stands in for the flows.
    await svc.node.worker!.stop();
    fixture = await buildFixture(svc, () => activateAll(svc));
  });
  after(() => svc.stop());

  for (const c of CASES)
    it(`refuses ${c.what}, storing nothing`, async () => {
      const before = await takeDbSnapshot(svc.node.db);
      const [method, path, body] = c.request(fixture);
      const res = await svc.request(method, path, body);
      assert.deepEqual([res.status, res.body], [400, fault(c.faultstring)]);
      assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, `${method} ${path}`);
    });

  it('still accepts what HAProxy serves (the fixture was built through the same API)', async () => {
    const res = await svc.post(`/v2/lbaas/pools/${fixture.poolA}/members`, {
      member: { address: '2001:db8::7', protocol_port: 80, monitor_address: '192.0.2.99', weight: 0 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});

describe("Octavia's noop drivers accept the same requests", () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'noop', network: 'noop', amphora: 'noop' } });
  });
  after(() => svc.stop());

  it('answers every one of them as a successful create (201), update (200) or member batch (202)', async () => {
    const fixture = await buildFixture(svc, () => svc.settle());
    const answers: string[] = [];
    const expected: string[] = [];
    for (const c of CASES) {
      const [method, path, body] = c.request(fixture);
      const res = await svc.request(method, path, body);
      answers.push(`${c.what}: ${res.status}${res.status >= 300 ? ` ${JSON.stringify(res.body)}` : ''}`);
      expected.push(`${c.what}: ${method === 'POST' ? 201 : path.endsWith('/members') ? 202 : 200}`);
      await svc.settle();
      // A created object goes again (its URL is the collection's and its id), so later requests meet the
      // fixture as it was: one health monitor per pool, free ports.
      if (method === 'POST' && res.status === 201) {
        const created = Object.values(res.body as Record<string, { id: string }>)[0]!;
        assert.equal((await svc.del(`${path}/${created.id}`)).status, 204);
        await svc.settle();
      }
    }
    assert.deepEqual(answers, expected);
  });
});

// The refusals rest on these facts about the renderer and HAProxy 2.6; when one stops holding (the renderer
// learns to bracket IPv6 check addresses, say), its test fails here and the matching refusal can go.
describe("why: what the renderer makes of the refused settings, with the rest driver's options", () => {
  const run = promisify(execFile);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tavia-refusals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The rest driver's render options: no PING command, no additional VIP override. */
  const render = (graph: LoadBalancerGraph, name: string) =>
    renderHaproxyConfig(graph, {
      statsSocketPath: join(dir, `${name}.sock`),
      serverStateFilePath: join(dir, `${name}.state`),
      certDir: join(dir, 'certs'),
      vipAddress: '127.0.0.1',
    });
  /** Whether `haproxy -c` accepts the rendered configuration. */
  const haproxyAccepts = async (graph: LoadBalancerGraph, name: string): Promise<boolean> => {
    const file = join(dir, `${name}.cfg`);
    writeFileSync(file, render(graph, name));
    return run('/usr/sbin/haproxy', ['-c', '-q', '-f', file], { timeout: 15000 }).then(
      () => true,
      () => false,
    );
  };
  const served = (build: (graph: LoadBalancerGraph) => void) => {
    const graph = g.lb();
    graph.listeners.push(g.listener({ default_pool_id: 'p1' }));
    graph.pools.push(g.pool());
    graph.members.push(g.member());
    build(graph);
    return graph;
  };

  it('drops UDP listeners, unrendered headers, TLS options of plain listeners, PING and cookies in TCP mode', () => {
    const udp = render(
      served((gr) => gr.listeners.push(g.listener({ id: 'l-udp', protocol: 'UDP', protocol_port: 53 }))),
      'udp',
    );
    assert.ok(!udp.includes('l-udp'));
    const headers = served((gr) => (gr.listeners[0]!.insert_headers = JSON.stringify({ 'X-Real-IP': 'true' })));
    assert.ok(!render(headers, 'headers').includes('X-Real-IP'));
    const tls = served((gr) => (gr.listeners[0]!.tls_versions = JSON.stringify(['TLSv1.3'])));
    assert.ok(!/no-tls|ssl/.test(render(tls, 'tls')));
    const ping = render(
      served((gr) => gr.healthMonitors.push(g.hm({ type: 'PING' }))),
      'ping',
    );
    assert.ok(!ping.includes('external-check') && ping.includes(' check inter '));
    const cookie = served((gr) => {
      gr.listeners[0]!.protocol = 'TCP';
      gr.pools[0]!.protocol = 'TCP';
      gr.pools[0]!.session_persistence = JSON.stringify({ type: 'HTTP_COOKIE' });
    });
    assert.ok(!render(cookie, 'cookie').includes('cookie SRV'));
    const codes = render(
      served((gr) => gr.healthMonitors.push(g.hm({ expected_codes: '299-200' }))),
      'codes',
    );
    assert.ok(codes.includes('http-check expect rstatus ^()$'));
  });

  it('writes configurations HAProxy refuses for the others, and accepts the limits next to them', async () => {
    const tlsPool = (o: Record<string, string>) =>
      served((gr) => Object.assign(gr.pools[0]!, { tls_enabled: 1, ...o }));
    const refused: Array<[string, LoadBalancerGraph]> = [
      ['delay', served((gr) => gr.healthMonitors.push(g.hm({ delay: 2147484 })))],
      ['timeout', served((gr) => gr.healthMonitors.push(g.hm({ timeout: 2147484 })))],
      ['sslv3', tlsPool({ tls_versions: JSON.stringify(['SSLv3']) })],
      ['tls13-only', tlsPool({ tls_ciphers: 'TLS_AES_128_GCM_SHA256' })],
      [
        'monitor-v6',
        served((gr) => {
          gr.healthMonitors.push(g.hm());
          gr.members[0]!.monitor_address = '2001:db8::1';
        }),
      ],
      ['zone-id', served((gr) => (gr.members[0]!.address = 'fe80::1%lo'))],
      [
        'regex',
        served((gr) => {
          gr.l7policies.push(g.policy());
          gr.l7rules.push(g.rule({ compare_type: 'REGEX', value: '[^]' }));
        }),
      ],
    ];
    for (const [name, graph] of refused) assert.equal(await haproxyAccepts(graph, name), false, name);
    const accepted: Array<[string, LoadBalancerGraph]> = [
      ['delay-max', served((gr) => gr.healthMonitors.push(g.hm({ delay: 2147483, timeout: 2147483 })))],
      ['tls-pool', tlsPool({ tls_versions: JSON.stringify(['TLSv1.2', 'TLSv1.3']), tls_ciphers: 'HIGH:!aNULL' })],
      [
        'monitor-v4',
        served((gr) => {
          gr.healthMonitors.push(g.hm());
          gr.members[0]!.address = '2001:db8::5';
          gr.members[0]!.monitor_address = '127.0.0.2';
        }),
      ],
    ];
    for (const [name, graph] of accepted) assert.equal(await haproxyAccepts(graph, name), true, name);
  });
});
