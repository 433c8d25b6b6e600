import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadBalancerGraph } from '../../src/db/load-balancer-graph.js';
import type { HealthMonitorRow, L7RuleRow } from '../../src/db/schema.js';
import { renderHaproxyConfig, type RenderOptions } from '../../src/amphora/haproxy/render-config.js';
import { g } from '../helpers/graph-factory.js';

const OPTS: RenderOptions = {
  statsSocketPath: '/run/tavia/lb1.sock',
  serverStateFilePath: '/run/tavia/lb1.state',
  certDir: '/run/tavia/certs',
};

const render = (graph: LoadBalancerGraph, opts: Partial<RenderOptions> = {}) =>
  renderHaproxyConfig(graph, { ...OPTS, ...opts });
/** The trimmed body lines of the section whose header is `header`. */
function sectionOf(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  assert.notEqual(start, -1, `no section ${header} in:\n${text}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('    ')) break;
    body.push(line.trim());
  }
  return body;
}

/** A graph with one HTTP listener on a default pool with one member. */
function simple(): LoadBalancerGraph {
  const graph = g.lb();
  graph.listeners.push(g.listener({ default_pool_id: 'p1' }));
  graph.pools.push(g.pool());
  graph.members.push(g.member());
  return graph;
}

describe('HAProxy config: global and defaults', () => {
  it('runs master-worker friendly with an admin runtime socket and the server state file', () => {
    const text = render(simple(), { logTargets: ['/dev/log local0'] });
    const global = sectionOf(text, 'global');
    assert.deepEqual(global, [
      'log /dev/log local0',
      'maxconn 50000',
      'stats socket /run/tavia/lb1.sock mode 600 level admin expose-fd listeners',
      'server-state-file /run/tavia/lb1.state',
    ]);
    assert.ok(!text.includes('daemon'));
    const defaults = sectionOf(text, 'defaults');
    for (const l of ['log global', 'retries 3', 'option redispatch', 'option splice-auto', 'option http-keep-alive'])
      assert.ok(defaults.includes(l), l);
    assert.ok(!defaults.includes('option splice-request') && !defaults.includes('option splice-response'));
  });

  it('sums listener limits for maxconn, as Octavia (0 and -1 count 50000, too much gives 1000000)', () => {
    const graph = simple();
    graph.listeners.push(g.listener({ id: 'l2', protocol_port: 81, connection_limit: 0 }));
    graph.listeners.push(g.listener({ id: 'l3', protocol_port: 82, connection_limit: 100 }));
    graph.listeners.push(g.listener({ id: 'l4', protocol: 'UDP', protocol_port: 82, connection_limit: 7 }));
    assert.ok(sectionOf(render(graph), 'global').includes('maxconn 100100'));
    graph.listeners.push(g.listener({ id: 'l5', protocol_port: 83, connection_limit: 999999 }));
    assert.ok(sectionOf(render(graph), 'global').includes('maxconn 1000000'));
    assert.ok(sectionOf(render(graph, { maxConnCap: 9000 }), 'global').includes('maxconn 9000'));
  });
});

describe('HAProxy config: frontends', () => {
  it('renders one frontend per enabled listener with its limits and timeouts', () => {
    const graph = simple();
    graph.listeners[0]!.timeout_tcp_inspect = 2000;
    graph.listeners[0]!.timeout_client_data = 12000;
    graph.listeners.push(g.listener({ id: 'off', protocol_port: 81, admin_state_up: 0 }));
    graph.listeners.push(g.listener({ id: 'gone', protocol_port: 82, provisioning_status: 'PENDING_DELETE' }));
    graph.listeners.push(g.listener({ id: 'udp', protocol: 'UDP', protocol_port: 53 }));
    const text = render(graph);
    assert.deepEqual(sectionOf(text, 'frontend l1'), [
      'mode http',
      'maxconn 50000',
      'bind 10.0.0.10:80',
      'option httplog',
      'option idle-close-on-response',
      'timeout client 12000',
      'tcp-request inspect-delay 2000',
      'default_backend p1:l1',
    ]);
    for (const id of ['off', 'gone', 'udp']) assert.ok(!text.includes(`frontend ${id}`), id);
  });

  it('uses tcp mode for TCP and HTTPS, binds additional VIPs and brackets IPv6', () => {
    const graph = simple();
    graph.loadBalancer.additional_vips = JSON.stringify([{ subnet_id: 's', ip_address: '2001:db8::5' }]);
    graph.listeners[0]!.protocol = 'HTTPS';
    graph.listeners[0]!.connection_limit = 10;
    graph.pools[0]!.protocol = 'HTTPS';
    const fe = sectionOf(render(graph), 'frontend l1');
    assert.deepEqual(fe.slice(0, 5), [
      'mode tcp',
      'maxconn 10',
      'bind 10.0.0.10:80',
      'bind [2001:db8::5]:80',
      'option tcplog',
    ]);
    assert.ok(!fe.includes('option idle-close-on-response'));
    const overridden = sectionOf(render(graph, { vipAddress: '127.0.0.1', additionalVipAddresses: [] }), 'frontend l1');
    assert.deepEqual(
      overridden.filter((l) => l.startsWith('bind')),
      ['bind 127.0.0.1:80'],
    );
  });

  it('rejects connections from outside allowed_cidrs', () => {
    const graph = simple();
    graph.listeners[0]!.allowed_cidrs = JSON.stringify(['192.0.2.0/24', '198.51.100.7/32']);
    const fe = sectionOf(render(graph), 'frontend l1');
    assert.ok(fe.includes('acl allowed-cidrs src 192.0.2.0/24 198.51.100.7/32'));
    assert.ok(fe.includes('tcp-request connection reject if !allowed-cidrs'));
  });

  it('renders no proxies when the load balancer is disabled', () => {
    const graph = simple();
    graph.loadBalancer.admin_state_up = 0;
    const text = render(graph);
    assert.ok(!text.includes('frontend'));
    assert.ok(!text.includes('backend '));
    assert.ok(text.includes('global'));
  });

  it('serves TERMINATED_HTTPS with a crt-list, client CA, versions, ALPN and HSTS', () => {
    const graph = simple();
    Object.assign(graph.listeners[0]!, {
      protocol: 'TERMINATED_HTTPS',
      protocol_port: 443,
      client_ca_tls_container_ref: 'ca',
      client_crl_container_ref: 'crl',
      client_authentication: 'MANDATORY',
      tls_versions: JSON.stringify(['TLSv1.2', 'TLSv1.3']),
      alpn_protocols: JSON.stringify(['h2', 'http/1.1']),
      tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      hsts_max_age: 3600,
      hsts_include_subdomains: 1,
      insert_headers: JSON.stringify({ 'X-Forwarded-Proto': 'true', 'X-SSL-Client-CN': 'true' }),
    });
    const text = render(graph);
    const fe = sectionOf(text, 'frontend l1');
    assert.ok(
      fe.includes(
        'bind 10.0.0.10:443 ssl crt-list /run/tavia/certs/l1.crt-list ca-file /run/tavia/certs/l1-client-ca.pem verify required crl-file /run/tavia/certs/l1-client-crl.pem ciphers ECDHE-RSA-AES128-GCM-SHA256 no-sslv3 no-tlsv10 no-tlsv11 alpn h2,http/1.1',
      ),
      fe.join('\n'),
    );
    assert.ok(fe.includes('http-response set-header Strict-Transport-Security "max-age=3600; includeSubDomains;"'));
    const be = sectionOf(text, 'backend p1:l1');
    assert.ok(be.includes('http-request set-header X-Forwarded-Proto https'));
    assert.ok(be.includes('http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]'));
  });

  it('serves PROMETHEUS with the built-in exporter', () => {
    const graph = g.lb();
    graph.listeners.push(g.listener({ protocol: 'PROMETHEUS', protocol_port: 9100 }));
    const fe = sectionOf(render(graph), 'frontend l1');
    assert.equal(fe[0], 'mode http');
    assert.ok(fe.includes('http-request use-service prometheus-exporter'));
  });
});

describe('HAProxy config: L7 policies', () => {
  function withPolicies(): LoadBalancerGraph {
    const graph = simple();
    graph.pools.push(g.pool({ id: 'p2' }));
    graph.l7policies.push(
      g.policy({ id: 'pol3', position: 3, action: 'REDIRECT_TO_POOL', redirect_pool_id: 'p2' }),
      g.policy({ id: 'pol1', position: 1, action: 'REJECT' }),
      g.policy({
        id: 'pol2',
        position: 2,
        action: 'REDIRECT_TO_URL',
        redirect_url: 'https://x.example/a%20b',
        redirect_http_code: 301,
      }),
      g.policy({ id: 'pol4', position: 4, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://y.example' }),
      g.policy({ id: 'off', position: 5, admin_state_up: 0 }),
      g.policy({ id: 'norules', position: 6 }),
      g.policy({ id: 'offrules', position: 7 }),
    );
    graph.l7rules.push(
      g.rule({ id: 'r1', l7policy_id: 'pol1', type: 'HEADER', key: 'X-Bad', compare_type: 'EQUAL_TO', value: "it's" }),
      g.rule({ id: 'r2', l7policy_id: 'pol1', type: 'PATH', compare_type: 'REGEX', value: '^/a b\\d#', invert: 1 }),
      g.rule({ id: 'r3', l7policy_id: 'pol2', type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com' }),
      g.rule({ id: 'r4', l7policy_id: 'pol3', type: 'COOKIE', key: 'c', compare_type: 'CONTAINS', value: 'v' }),
      g.rule({ id: 'r5', l7policy_id: 'pol4', type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' }),
      g.rule({ id: 'r6', l7policy_id: 'off' }),
      g.rule({ id: 'r7', l7policy_id: 'offrules', admin_state_up: 0 }),
    );
    return graph;
  }

  it('renders enabled policies with enabled rules in position order, rules ANDed with invert', () => {
    const text = render(withPolicies());
    const fe = sectionOf(text, 'frontend l1');
    const from = fe.indexOf("acl r1 req.hdr(X-Bad) -m str 'it'\\''s'");
    assert.deepEqual(fe.slice(from), [
      "acl r1 req.hdr(X-Bad) -m str 'it'\\''s'",
      "acl r2 path -m reg '^/a b\\d#'",
      "acl r3 req.hdr(host) -i -m end '.example.com'",
      "acl r4 req.cook(c) -m sub 'v'",
      "acl r5 path_end 'jpg'",
      'http-request deny if r1 !r2',
      "http-request redirect code 301 location 'https://x.example/a%%20b' if r3",
      "http-request redirect code 302 prefix 'https://y.example' if r5",
      'use_backend p2:l1 if r4',
      'default_backend p1:l1',
    ]);
    for (const gone of ['r6', 'r7', 'norules']) assert.ok(!text.includes(gone), gone);
    assert.ok(text.includes('backend p2:l1'));
  });

  it('acts in Octavia precedence: REJECT, then URL/prefix redirects, then pools; position within each', () => {
    // Found by test/e2e/traffic-l7: a REJECT listed after a redirect must still win.
    const graph = simple();
    graph.pools.push(g.pool({ id: 'p2' }));
    graph.l7policies.push(
      g.policy({ id: 'toPool1', position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: 'p2' }),
      g.policy({ id: 'toUrl', position: 2, action: 'REDIRECT_TO_URL', redirect_url: 'https://u.example' }),
      g.policy({ id: 'reject', position: 3, action: 'REJECT' }),
      g.policy({ id: 'prefix', position: 4, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://p.example' }),
      g.policy({ id: 'toPool2', position: 5, action: 'REDIRECT_TO_POOL', redirect_pool_id: 'p1' }),
    );
    for (const p of graph.l7policies) graph.l7rules.push(g.rule({ id: `r-${p.id}`, l7policy_id: p.id }));
    const actions = sectionOf(render(graph), 'frontend l1').filter((l) => / if r-/.test(l) && !l.startsWith('acl'));
    assert.deepEqual(
      actions.map((l) => l.slice(l.indexOf(' if r-') + 6)),
      ['reject', 'toUrl', 'prefix', 'toPool1', 'toPool2'],
    );
  });

  it('maps every rule type and compare type', () => {
    const graph = simple();
    graph.l7policies.push(g.policy());
    const rules: Array<[Partial<L7RuleRow>, string]> = [
      [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }, "path -m beg '/a'"],
      [{ type: 'PATH', compare_type: 'ENDS_WITH', value: '/a' }, "path -m end '/a'"],
      [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' }, "path -m str '/a'"],
      [{ type: 'FILE_TYPE', compare_type: 'REGEX', value: 'jpe?g' }, "path_end -m reg 'jpe?g'"],
      [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'a.b' }, "req.hdr(host) -i -m str 'a.b'"],
      [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'true' }, 'ssl_c_used'],
      [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' }, 'ssl_c_verify eq 0'],
      [{ type: 'SSL_DN_FIELD', key: 'CN', compare_type: 'STARTS_WITH', value: 'x' }, "ssl_c_s_dn(CN) -m beg 'x'"],
    ];
    rules.forEach(([o], i) => graph.l7rules.push(g.rule({ ...o, id: `r${i}` })));
    const fe = sectionOf(render(graph), 'frontend l1');
    rules.forEach(([, expected], i) => assert.ok(fe.includes(`acl r${i} ${expected}`), expected));
  });
});

describe('HAProxy config: backends and servers', () => {
  it('names backends <pool>:<listener>, one per listener using the pool', () => {
    const graph = simple();
    graph.listeners.push(g.listener({ id: 'l2', protocol_port: 81, default_pool_id: 'p1', connection_limit: 20 }));
    const text = render(graph);
    assert.deepEqual(sectionOf(text, 'backend p1:l1'), [
      'mode http',
      'balance roundrobin',
      'fullconn 50000',
      'option allbackups',
      'timeout connect 5000',
      'timeout server 50000',
      'server m1 192.0.2.1:8080 weight 1',
    ]);
    assert.ok(sectionOf(text, 'backend p1:l2').includes('fullconn 20'));
  });

  it('maps the algorithms, SOURCE_IP_PORT through balance hash', () => {
    const balanceOf = (alg: string) => {
      const graph = simple();
      graph.pools[0]!.lb_algorithm = alg;
      return sectionOf(render(graph), 'backend p1:l1').filter((l) => /balance|set-var/.test(l));
    };
    assert.deepEqual(balanceOf('LEAST_CONNECTIONS'), ['balance leastconn']);
    assert.deepEqual(balanceOf('SOURCE_IP'), ['balance source']);
    assert.deepEqual(balanceOf('SOURCE_IP_PORT'), [
      'tcp-request content set-var(txn.src_port) src_port',
      'balance hash src,concat(:,txn.src_port)',
    ]);
  });

  it('renders the three session persistence types', () => {
    const be = (sp: object) => {
      const graph = simple();
      graph.pools[0]!.session_persistence = JSON.stringify(sp);
      return sectionOf(render(graph), 'backend p1:l1');
    };
    assert.deepEqual(be({ type: 'SOURCE_IP' }).slice(2, 4), ['stick-table type ipv6 size 10k', 'stick on src']);
    const cookie = be({ type: 'HTTP_COOKIE' });
    assert.ok(cookie.includes('cookie SRV insert indirect nocache'));
    assert.ok(cookie.includes('server m1 192.0.2.1:8080 weight 1 cookie m1'));
    assert.deepEqual(be({ type: 'APP_COOKIE', cookie_name: 'JSESSIONID' }).slice(2, 5), [
      'stick-table type string len 64 size 10k',
      "stick store-response res.cook('JSESSIONID')",
      "stick match req.cook('JSESSIONID')",
    ]);
  });

  it('renders HTTP health monitors with expected code lists and ranges', () => {
    const graph = simple();
    graph.healthMonitors.push(
      g.hm({
        http_method: 'HEAD',
        url_path: '/health',
        http_version: 1.1,
        domain_name: 'app.example',
        expected_codes: '200-202',
      }),
    );
    graph.members[0]!.monitor_address = '192.0.2.9';
    graph.members[0]!.monitor_port = 9000;
    const be = sectionOf(render(graph), 'backend p1:l1');
    assert.deepEqual(be.slice(2, 6), [
      'timeout check 3s',
      "option httpchk HEAD '/health' HTTP/1.1",
      "http-check send hdr Host 'app.example'",
      'http-check expect rstatus ^(200|201|202)$',
    ]);
    assert.ok(be.includes('server m1 192.0.2.1:8080 weight 1 check inter 5s fall 3 rise 2 addr 192.0.2.9 port 9000'));
    graph.healthMonitors[0]!.expected_codes = '200, 204';
    assert.ok(sectionOf(render(graph), 'backend p1:l1').includes('http-check expect rstatus ^(200|204)$'));
    graph.healthMonitors[0]!.expected_codes = '418';
    assert.ok(sectionOf(render(graph), 'backend p1:l1').includes('http-check expect status 418'));
  });

  it('renders HTTPS, TCP and PING monitors, and none when the monitor is disabled', () => {
    const be = (o: Partial<HealthMonitorRow>, opts: Partial<RenderOptions> = {}) => {
      const graph = simple();
      graph.healthMonitors.push(g.hm(o));
      const text = render(graph, opts);
      return { text, be: sectionOf(text, 'backend p1:l1') };
    };
    assert.ok(be({ type: 'HTTPS' }).be.some((l) => l.includes(' check check-ssl verify none inter 5s')));
    const tcp = be({ type: 'TLS-HELLO', http_method: null, url_path: null, expected_codes: null }).be;
    assert.ok(!tcp.some((l) => l.includes('httpchk')));
    assert.ok(tcp.includes('server m1 192.0.2.1:8080 weight 1 check inter 5s fall 3 rise 2'));
    const ping = be({ type: 'PING' }, { pingCommand: '/usr/lib/tavia/ping' });
    assert.ok(ping.be.includes('option external-check'));
    assert.ok(ping.be.includes("external-check command '/usr/lib/tavia/ping'"));
    assert.ok(sectionOf(ping.text, 'global').includes('external-check'));
    assert.ok(!be({ admin_state_up: 0 }).be.some((l) => l.includes('check')));
  });

  it('renders members: weight, backup, disabled, proxy protocol, and skips deleted ones', () => {
    const graph = simple();
    graph.pools[0]!.protocol = 'PROXY';
    graph.members.push(
      g.member({ id: 'm2', address: '2001:db8::2', weight: 0, backup: 1 }),
      g.member({ id: 'm3', admin_state_up: 0 }),
      g.member({ id: 'm4', provisioning_status: 'PENDING_DELETE' }),
    );
    const servers = sectionOf(render(graph), 'backend p1:l1').filter((l) => l.startsWith('server'));
    assert.deepEqual(servers, [
      'server m1 192.0.2.1:8080 weight 1 send-proxy',
      'server m2 [2001:db8::2]:8080 weight 0 send-proxy backup',
      'server m3 192.0.2.1:8080 weight 1 send-proxy disabled',
    ]);
    graph.pools[0]!.protocol = 'PROXYV2';
    assert.ok(sectionOf(render(graph), 'backend p1:l1').includes('server m1 192.0.2.1:8080 weight 1 send-proxy-v2'));
  });

  it('keeps a disabled pool as an empty backend and drops a deleted one', () => {
    const graph = simple();
    graph.pools[0]!.admin_state_up = 0;
    assert.ok(!sectionOf(render(graph), 'backend p1:l1').some((l) => l.startsWith('server')));
    graph.pools[0]!.provisioning_status = 'PENDING_DELETE';
    const text = render(graph);
    assert.ok(!text.includes('backend p1:l1'));
    assert.ok(!text.includes('default_backend'));
  });

  it('talks TLS to members of a tls_enabled pool', () => {
    const graph = simple();
    Object.assign(graph.pools[0]!, { tls_enabled: 1, tls_container_ref: 'c', ca_tls_container_ref: 'ca' });
    assert.ok(
      sectionOf(render(graph), 'backend p1:l1').includes(
        'server m1 192.0.2.1:8080 weight 1 ssl crt /run/tavia/certs/p1.pem ca-file /run/tavia/certs/p1-ca.pem verify required sni ssl_fc_sni',
      ),
    );
  });

  it('inserts X-Forwarded headers on http backends only', () => {
    const graph = simple();
    graph.listeners[0]!.insert_headers = JSON.stringify({
      'X-Forwarded-For': 'true',
      'X-Forwarded-Port': 'true',
      'X-Forwarded-Proto': 'false',
    });
    const be = sectionOf(render(graph), 'backend p1:l1');
    assert.ok(be.includes('option forwardfor'));
    assert.ok(be.includes('http-request set-header X-Forwarded-Port %[dst_port]'));
    assert.ok(!be.some((l) => l.includes('X-Forwarded-Proto')));
  });
});
