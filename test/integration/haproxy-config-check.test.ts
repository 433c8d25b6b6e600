import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { LoadBalancerGraph } from '../../src/db/load-balancer-graph.js';
import type { HealthMonitorRow, L7RuleRow } from '../../src/db/schema.js';
import { renderHaproxyConfig } from '../../src/amphora/haproxy/render-config.js';
import { tlsFiles } from '../../src/amphora/haproxy/tls-files.js';
import { g } from '../helpers/graph-factory.js';

const run = promisify(execFile);
const HAPROXY = '/usr/sbin/haproxy';

let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tavia-haproxy-'));
  // One self-signed certificate serves as listener certificate, client CA and pool CA/client cert.
  const key = join(dir, 'key.pem');
  const crt = join(dir, 'crt.pem');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=tavia.test',
      '-keyout',
      key,
      '-out',
      crt,
    ],
    { timeout: 20000 },
  );
  const { readFileSync } = await import('node:fs');
  const pem = readFileSync(crt, 'utf8') + readFileSync(key, 'utf8');
  const files = tlsFiles(dir);
  writeFileSync(join(dir, 'l-tls.pem'), pem);
  writeFileSync(files.listenerCrtList('l-tls'), `${join(dir, 'l-tls.pem')}\n`);
  writeFileSync(files.listenerClientCa('l-tls'), readFileSync(crt, 'utf8'));
  writeFileSync(files.poolCert('p-tls'), pem);
  writeFileSync(files.poolCa('p-tls'), readFileSync(crt, 'utf8'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Write the rendered config and let HAProxy check it; resolves with its output, rejects on a non-zero exit. */
async function check(name: string, graph: LoadBalancerGraph): Promise<string> {
  const text = renderHaproxyConfig(graph, {
    statsSocketPath: join(dir, `${name}.sock`),
    serverStateFilePath: join(dir, `${name}.state`),
    certDir: dir,
    vipAddress: '127.0.0.1',
    pingCommand: '/bin/true',
    logTargets: ['127.0.0.1:514 local0'],
  });
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, text);
  try {
    const { stdout, stderr } = await run(HAPROXY, ['-c', '-f', file], { timeout: 15000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.fail(`haproxy -c refused ${name} (exit ${String(e.code)}):\n${e.stderr ?? ''}\n${text}`);
  }
}

describe('rendered configs pass haproxy -c', () => {
  it('an HTTP listener with every L7 rule and policy kind, headers and cookie persistence', async () => {
    const graph = g.lb();
    graph.listeners.push(
      g.listener({
        default_pool_id: 'p1',
        connection_limit: 100,
        timeout_tcp_inspect: 1000,
        allowed_cidrs: JSON.stringify(['127.0.0.0/8', '::1/128']),
        insert_headers: JSON.stringify({
          'X-Forwarded-For': 'true',
          'X-Forwarded-Port': 'true',
          'X-Forwarded-Proto': 'true',
        }),
      }),
    );
    graph.pools.push(
      g.pool({ session_persistence: JSON.stringify({ type: 'HTTP_COOKIE' }) }),
      g.pool({ id: 'p2', session_persistence: JSON.stringify({ type: 'APP_COOKIE', cookie_name: 'SESS' }) }),
    );
    graph.members.push(g.member(), g.member({ id: 'm2', pool_id: 'p2', address: '::1', backup: 1 }));
    graph.l7policies.push(
      g.policy({ id: 'pol1', position: 1 }),
      g.policy({
        id: 'pol2',
        position: 2,
        action: 'REDIRECT_TO_URL',
        redirect_url: "https://x.example/a%20b?q=1#f'",
        redirect_http_code: 308,
      }),
      g.policy({ id: 'pol3', position: 3, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://y.example' }),
      g.policy({ id: 'pol4', position: 4, action: 'REDIRECT_TO_POOL', redirect_pool_id: 'p2' }),
    );
    const types: Array<Partial<L7RuleRow>> = [
      { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'a.example' },
      { type: 'PATH', compare_type: 'REGEX', value: '^/a b\\d+#x$', invert: 1 },
      { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' },
      { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
      { type: 'FILE_TYPE', compare_type: 'REGEX', value: 'jpe?g' },
      { type: 'HEADER', key: 'X-Who', compare_type: 'CONTAINS', value: '"quoted it\'s"' },
      { type: 'COOKIE', key: 'c', compare_type: 'ENDS_WITH', value: 'z' },
    ];
    types.forEach((t, i) => graph.l7rules.push(g.rule({ ...t, id: `r${i}`, l7policy_id: `pol${(i % 4) + 1}` })));
    await check('http', graph);
  });

  it('TCP and HTTPS listeners with every algorithm, SOURCE_IP persistence, PROXY protocols and monitors', async () => {
    const graph = g.lb();
    const algs = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'];
    const protos = ['TCP', 'PROXY', 'PROXYV2', 'HTTP'];
    const hms: Array<Partial<HealthMonitorRow>> = [
      { type: 'TCP', http_method: null, url_path: null, expected_codes: null },
      { type: 'PING', delay: 0, timeout: 0 },
      { type: 'TLS-HELLO', http_method: null, url_path: null, expected_codes: null },
      { type: 'HTTP', http_version: 1.1, domain_name: 'h.example', expected_codes: '200-204', url_path: '/h' },
    ];
    algs.forEach((alg, i) => {
      graph.listeners.push(
        g.listener({
          id: `l${i}`,
          protocol: i === 3 ? 'HTTPS' : 'TCP',
          protocol_port: 9000 + i,
          default_pool_id: `p${i}`,
          connection_limit: 0,
        }),
      );
      graph.pools.push(
        g.pool({
          id: `p${i}`,
          lb_algorithm: alg,
          protocol: i === 3 ? 'HTTPS' : protos[i]!,
          session_persistence: i === 2 ? JSON.stringify({ type: 'SOURCE_IP' }) : null,
        }),
      );
      graph.healthMonitors.push(g.hm({ id: `hm${i}`, pool_id: `p${i}`, ...hms[i]! }));
      graph.members.push(
        g.member({ id: `m${i}`, pool_id: `p${i}`, monitor_address: '127.0.0.2', monitor_port: 8081, weight: 10 }),
      );
      graph.members.push(g.member({ id: `n${i}`, pool_id: `p${i}`, address: '127.0.0.3', admin_state_up: 0 }));
    });
    graph.healthMonitors[3]!.type = 'HTTPS';
    await check('tcp', graph);
  });

  it('TERMINATED_HTTPS with client auth and HSTS, a TLS pool, and a PROMETHEUS listener', async () => {
    const graph = g.lb();
    graph.listeners.push(
      g.listener({
        id: 'l-tls',
        protocol: 'TERMINATED_HTTPS',
        protocol_port: 8443,
        default_pool_id: 'p-tls',
        client_ca_tls_container_ref: 'ca',
        client_authentication: 'OPTIONAL',
        tls_versions: JSON.stringify(['TLSv1.2', 'TLSv1.3']),
        alpn_protocols: JSON.stringify(['h2', 'http/1.1', 'http/1.0']),
        tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384',
        hsts_max_age: 31536000,
        hsts_include_subdomains: 1,
        hsts_preload: 1,
        insert_headers: JSON.stringify({
          'X-SSL-Client-Verify': 'true',
          'X-SSL-Client-DN': 'true',
          'X-SSL-Client-SHA1': 'true',
          'X-Forwarded-Proto': 'true',
        }),
      }),
      g.listener({ id: 'l-prom', protocol: 'PROMETHEUS', protocol_port: 9100 }),
      g.listener({ id: 'l-udp', protocol: 'UDP', protocol_port: 53 }),
    );
    graph.pools.push(
      g.pool({
        id: 'p-tls',
        tls_enabled: 1,
        tls_container_ref: 'c',
        ca_tls_container_ref: 'ca',
        tls_versions: JSON.stringify(['TLSv1.3']),
        alpn_protocols: JSON.stringify(['http/1.1']),
      }),
    );
    graph.members.push(g.member({ pool_id: 'p-tls' }));
    graph.l7policies.push(g.policy({ listener_id: 'l-tls' }));
    graph.l7rules.push(
      g.rule({ id: 'a', type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'true', invert: 1 }),
      g.rule({ id: 'b', type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' }),
      g.rule({ id: 'c', type: 'SSL_DN_FIELD', key: 'CN', compare_type: 'EQUAL_TO', value: 'x' }),
    );
    await check('tls', graph);
  });

  it('a disabled load balancer and a listener whose pool is being deleted', async () => {
    const graph = g.lb();
    graph.listeners.push(g.listener({ default_pool_id: 'p1' }));
    graph.pools.push(g.pool({ provisioning_status: 'PENDING_DELETE' }));
    await check('nopool', graph);
    graph.loadBalancer.admin_state_up = 0;
    await check('disabled', graph);
  });

  it('rejects a broken config (the check is real)', async () => {
    const file = join(dir, 'broken.cfg');
    writeFileSync(file, 'frontend x\n    bind 127.0.0.1:1\n    no-such-keyword\n');
    await assert.rejects(run(HAPROXY, ['-c', '-f', file], { timeout: 15000 }));
  });
});
