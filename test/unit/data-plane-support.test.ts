import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planGraph } from '../../src/api/resources/graph/graph-plan.js';
import { checkGraphSupport } from '../../src/api/resources/graph/graph-support.js';
import {
  checkHealthMonitorSupport,
  checkL7RuleSupport,
  checkListenerSupport,
  checkLoadBalancerSupport,
  checkMemberSupport,
  checkPoolSupport,
  cipherStringProblem,
  haproxyDataPlane,
  MAX_HAPROXY_TIMER_SECONDS,
} from '../../src/api/validation/data-plane-support.js';
import { pcre2Problem } from '../../src/api/validation/pcre2-compat.js';
import { ApiError } from '../../src/common/errors.js';

const rest = haproxyDataPlane({ drivers: { compute: 'noop', network: 'noop', amphora: 'rest' } })!;
const PREFIX = 'Validation failure: ';
const SUFFIX = "is not supported by the HAProxy data plane (amphora driver 'rest'): ";

/** The 400 a check raises, as `<subject> | <why>`. */
function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.statusCode, 400);
    assert.ok(err.message.startsWith(PREFIX) && err.message.includes(SUFFIX), err.message);
    assert.ok(err.message.endsWith('.'), err.message);
    return err.message.slice(PREFIX.length).replace(` ${SUFFIX}`, ' | ');
  }
  assert.fail('accepted');
}

describe('which drivers have HAProxy limits', () => {
  it('the rest amphora driver does, noop does not (its checks accept everything)', () => {
    assert.deepEqual(rest, { amphoraDriver: 'rest' });
    const noop = haproxyDataPlane({ drivers: { compute: 'process', network: 'loopback', amphora: 'noop' } });
    assert.equal(noop, undefined);
    checkListenerSupport(noop, 'UDP', { insert_headers: { 'X-Real-IP': 'true' } });
    checkPoolSupport(noop, 'SCTP', { tls_versions: ['SSLv3'] }, 'HTTP_COOKIE', []);
    checkMemberSupport(noop, 'UDP', { address: 'fe80::1%eth0' });
    checkHealthMonitorSupport(noop, 'HTTP', 'PING', { delay: 1e9 });
    checkL7RuleSupport(noop, { compare_type: 'REGEX', value: '\\u0041' });
    checkLoadBalancerSupport(noop, { vip_qos_policy_id: 'q' });
  });
});

describe('listeners', () => {
  it('accepts what HAProxy renders', () => {
    for (const protocol of ['HTTP', 'HTTPS', 'TCP', 'PROMETHEUS', 'TERMINATED_HTTPS'])
      checkListenerSupport(rest, protocol, { allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'], connection_limit: 5 });
    checkListenerSupport(rest, 'HTTP', {
      insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Real-IP': 'false' },
      tls_versions: null,
      alpn_protocols: [],
    });
    checkListenerSupport(rest, 'TERMINATED_HTTPS', {
      tls_versions: ['TLSv1.2', 'TLSv1.3'],
      tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      alpn_protocols: ['h2'],
      hsts_max_age: 10,
    });
  });

  it('refuses UDP and SCTP, which need LVS', () => {
    assert.equal(
      refusal(() => checkListenerSupport(rest, 'UDP', {})),
      'Listener protocol UDP | Octavia serves UDP and SCTP with LVS (keepalived), and this data plane runs HAProxy alone.',
    );
    assert.match(
      refusal(() => checkListenerSupport(rest, 'SCTP', { name: 'x' })),
      /^Listener protocol SCTP \| /,
    );
  });

  it('refuses headers the configuration does not insert', () => {
    for (const header of ['X-Real-IP', 'X-Client-IP', 'X-Forwarded-IP'])
      assert.equal(
        refusal(() => checkListenerSupport(rest, 'HTTP', { insert_headers: { [header]: 'True' } })),
        `Inserting the header ${header} | the HAProxy configuration inserts X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto and the X-SSL-* headers only.`,
      );
  });

  it('refuses TLS options a listener without TLS would ignore, and certificates the driver cannot deliver', () => {
    assert.equal(
      refusal(() => checkListenerSupport(rest, 'HTTP', { tls_versions: ['TLSv1.3'] })),
      'The TLS option tls_versions on HTTP listeners | HAProxy terminates TLS for TERMINATED_HTTPS listeners only, so it would be ignored.',
    );
    assert.match(
      refusal(() => checkListenerSupport(rest, 'HTTPS', { tls_ciphers: 'HIGH' })),
      /tls_ciphers on HTTPS listeners/,
    );
    assert.match(
      refusal(() => checkListenerSupport(rest, 'TCP', { alpn_protocols: ['h2'] })),
      /alpn_protocols/,
    );
    assert.equal(
      refusal(() => checkListenerSupport(rest, 'TERMINATED_HTTPS', { sni_container_refs: ['a'] })),
      'A certificate reference (sni_container_refs) | the amphora driver does not deliver certificate files to the amphora.',
    );
    assert.match(
      refusal(() => checkListenerSupport(rest, 'TERMINATED_HTTPS', { tls_versions: ['SSLv3', 'TLSv1.2'] })),
      /^TLS version SSLv3 \| the OpenSSL library HAProxy uses is built without SSLv3\.$/,
    );
  });

  it('refuses a default pool with cookie persistence that would run in TCP mode', () => {
    const proxy = { protocol: 'PROXY', persistenceType: 'HTTP_COOKIE' };
    checkListenerSupport(rest, 'HTTP', {}, proxy);
    checkListenerSupport(rest, 'TCP', {}, { protocol: 'PROXY', persistenceType: 'SOURCE_IP' });
    checkListenerSupport(rest, 'TCP', {}, { protocol: 'HTTP', persistenceType: 'APP_COOKIE' });
    assert.equal(
      refusal(() => checkListenerSupport(rest, 'TCP', {}, proxy)),
      'Session persistence HTTP_COOKIE on PROXY pools of TCP listeners | HAProxy forwards its traffic in TCP mode, where cookies are not seen.',
    );
  });
});

describe('pools', () => {
  it('accepts TLS to members without certificates, SOURCE_IP_PORT and cookies on HTTP backends', () => {
    checkPoolSupport(
      rest,
      'HTTP',
      { tls_enabled: true, tls_versions: ['TLSv1.2'], lb_algorithm: 'SOURCE_IP_PORT' },
      'APP_COOKIE',
      [],
    );
    checkPoolSupport(rest, 'PROXYV2', {}, 'HTTP_COOKIE', ['HTTP', 'TERMINATED_HTTPS']);
    checkPoolSupport(rest, 'TCP', {}, 'SOURCE_IP', ['TCP']);
  });

  it('refuses UDP and SCTP pools, certificates, SSLv3 and unusable cipher strings', () => {
    assert.match(
      refusal(() => checkPoolSupport(rest, 'UDP', {}, null, [])),
      /^Pool protocol UDP \| .*LVS/,
    );
    assert.match(
      refusal(() => checkPoolSupport(rest, 'HTTP', { ca_tls_container_ref: 'ca' }, null, [])),
      /^A certificate reference \(ca_tls_container_ref\) \|/,
    );
    // Options of a pool without TLS are kept for when it enables TLS, so they are checked too.
    assert.match(
      refusal(() => checkPoolSupport(rest, 'HTTP', { tls_versions: ['SSLv3'] }, null, [])),
      /SSLv3/,
    );
    assert.equal(
      refusal(() => checkPoolSupport(rest, 'HTTP', { tls_ciphers: 'NOSUCH' }, null, [])),
      "The cipher string 'NOSUCH' | OpenSSL matches no TLS 1.2 cipher in it.",
    );
  });

  it('refuses cookie persistence on a backend in TCP mode', () => {
    assert.equal(
      refusal(() => checkPoolSupport(rest, 'TCP', {}, 'HTTP_COOKIE', [])),
      'Session persistence HTTP_COOKIE on TCP pools | HAProxy forwards its traffic in TCP mode, where cookies are not seen.',
    );
    assert.match(
      refusal(() => checkPoolSupport(rest, 'HTTPS', {}, 'APP_COOKIE', [])),
      /APP_COOKIE on HTTPS pools/,
    );
    assert.match(
      refusal(() => checkPoolSupport(rest, 'PROXY', {}, 'APP_COOKIE', ['HTTP', 'HTTPS'])),
      /on PROXY pools of HTTPS listeners/,
    );
  });

  it('reads cipher strings as HAProxy\'s "ciphers" does', () => {
    assert.equal(cipherStringProblem('HIGH:!aNULL'), undefined);
    assert.equal(cipherStringProblem('NOSUCH:ECDHE-RSA-AES128-GCM-SHA256'), undefined);
    // Octavia's default: the three TLS 1.3 suites are OpenSSL's defaults, which "ciphers" leaves as they are.
    assert.equal(
      cipherStringProblem(
        'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:DHE-RSA-AES256-GCM-SHA384',
      ),
      undefined,
    );
    assert.match(cipherStringProblem('TLS_AES_128_GCM_SHA256')!, /at least one TLS 1\.2 cipher/);
    assert.match(cipherStringProblem('TLS_AES_128_GCM_SHA256:HIGH')!, /different TLS 1\.3 list would be ignored/);
    assert.match(cipherStringProblem('aes128-sha')!, /matches no TLS 1\.2 cipher/);
  });
});

describe('members', () => {
  it('accepts IPv4 and IPv6 members and IPv4 monitor addresses', () => {
    checkMemberSupport(rest, 'HTTP', { address: '2001:db8::5', monitor_address: '192.0.2.9', monitor_port: 81 });
    checkMemberSupport(rest, 'PROXY', { address: '::ffff:192.0.2.1' });
    checkMemberSupport(rest, 'TCP', { weight: 0 });
  });

  it('refuses members of UDP pools, zone ids and IPv6 monitor addresses', () => {
    assert.match(
      refusal(() => checkMemberSupport(rest, 'SCTP', { address: '192.0.2.1' })),
      /^Pool protocol SCTP \|/,
    );
    assert.equal(
      refusal(() => checkMemberSupport(rest, 'HTTP', { address: 'fe80::1%eth0' })),
      'The address fe80::1%eth0 | HAProxy cannot resolve an address with a zone id.',
    );
    assert.equal(
      refusal(() => checkMemberSupport(rest, 'HTTP', { monitor_address: '2001:db8::1' })),
      'The IPv6 monitor_address 2001:db8::1 | the rendered health check address has no brackets, so HAProxy would read its last group as a port.',
    );
  });
});

describe('health monitors', () => {
  it("accepts the HAProxy checks up to HAProxy's largest timer", () => {
    for (const type of ['HTTP', 'HTTPS', 'TCP', 'TLS-HELLO'])
      checkHealthMonitorSupport(rest, 'HTTP', type, { delay: 5 });
    checkHealthMonitorSupport(rest, 'TCP', 'HTTP', {
      delay: MAX_HAPROXY_TIMER_SECONDS,
      timeout: MAX_HAPROXY_TIMER_SECONDS,
      expected_codes: '200-204',
    });
    checkHealthMonitorSupport(rest, 'HTTP', 'HTTP', { expected_codes: '204-204' });
  });

  it('refuses PING, LVS monitor types, timers HAProxy cannot hold and empty code ranges', () => {
    assert.equal(
      refusal(() => checkHealthMonitorSupport(rest, 'HTTP', 'PING', {})),
      'Health monitor type PING | HAProxy has no ICMP check and the amphora driver sets up no external ping command, so the monitor would silently become a TCP connect check.',
    );
    assert.match(
      refusal(() => checkHealthMonitorSupport(rest, 'TCP', 'UDP-CONNECT', {})),
      /type UDP-CONNECT \|.*LVS/,
    );
    assert.match(
      refusal(() => checkHealthMonitorSupport(rest, 'UDP', 'HTTP', {})),
      /^Pool protocol UDP/,
    );
    assert.equal(
      refusal(() => checkHealthMonitorSupport(rest, 'HTTP', 'TCP', { delay: MAX_HAPROXY_TIMER_SECONDS + 1 })),
      'A delay of 2147484 seconds | HAProxy timers hold at most 2147483 seconds.',
    );
    assert.match(
      refusal(() => checkHealthMonitorSupport(rest, 'HTTP', 'TCP', { timeout: 2147483647 })),
      /^A timeout of/,
    );
    assert.equal(
      refusal(() => checkHealthMonitorSupport(rest, 'HTTP', 'HTTP', { expected_codes: '204-200' })),
      'The expected_codes range 204-200 | it holds no status code, so every member would be marked down.',
    );
  });
});

describe('L7 rules', () => {
  it('passes regular expressions PCRE2 compiles and values of other compare types', () => {
    for (const value of ['^/api/v[0-9]+/', '\\.(jpg|png)$', '(?<y>\\d{4})\\k<y>', '[]a]', '\\x{ff}', '[[:alpha:]-]'])
      checkL7RuleSupport(rest, { compare_type: 'REGEX', value });
    checkL7RuleSupport(rest, { compare_type: 'EQUAL_TO', value: '\\u0041' });
  });

  it('refuses what PCRE2 refuses', () => {
    assert.equal(
      refusal(() => checkL7RuleSupport(rest, { compare_type: 'REGEX', value: '\\u0041' })),
      "The regular expression '\\u0041' | HAProxy's PCRE2 refuses it: PCRE2 does not accept \\u.",
    );
  });
});

describe('the PCRE2 scanner', () => {
  // Each of these was checked against `haproxy -c` (HAProxy 2.6, PCRE2 10.42), which refuses them all.
  const refused: Array<[string, RegExp]> = [
    ['\\i', /does not accept \\i/],
    ['[\\B]', /\\B in a character class/],
    ['(a)\\1', /only named groups capture and there are 0/],
    ['\\8', /group 8/],
    ['\\g-1', /group 1/],
    ['\\k{n}', /refers to no named group/],
    ['[^]', /not closed/],
    ['[]', /not closed/],
    ['[\\E]', /not closed/],
    ['[a-\\d]', /"a-\\d"/],
    ['[\\w-z]', /class escape as an end/],
    ['[[:word:][:foo:]]', /\[:foo:\]/],
    ['[[=a=]]', /collating/],
    ['\\x{100}', /above \\x\{ff\}/],
    ['\\o{400}', /above/],
    ['\\x{41', /no closing \}/],
    ['\\c', /not followed by a character/],
    ['\\o', /not followed by \{/],
    ['\\p', /not followed by a property/],
    ['\\N{U+41}', /UTF/],
  ];
  for (const [pattern, why] of refused)
    it(`refuses ${pattern}`, () => {
      new RegExp(pattern); // JavaScript accepts every one of them
      assert.match(pcre2Problem(pattern) ?? 'passed', why);
    });

  it('passes what PCRE2 compiles, including groups that capture by name', () => {
    const passed = [
      '(?<a>x)(?<b>y)\\2',
      '(?<n>a)\\g{n}',
      '\\11',
      '[\\1]',
      '[\\g]',
      '\\Q[\\E',
      '\\N{41}',
      '[a-c-\\d]',
      '[\\d-]',
    ];
    for (const pattern of passed) assert.equal(pcre2Problem(pattern), undefined, pattern);
  });
});

describe('load balancer VIP fields', () => {
  it('accepts additional VIPs with addresses, refuses QoS, security groups and unaddressed VIPs', () => {
    checkLoadBalancerSupport(rest, {
      vip_qos_policy_id: null,
      vip_sg_ids: [],
      additional_vips: [{ ip_address: '127.1.0.9' }],
    });
    assert.equal(
      refusal(() => checkLoadBalancerSupport(rest, { vip_qos_policy_id: 'q' })),
      'A VIP QoS policy | nothing in this data plane limits the VIP to it.',
    );
    assert.match(
      refusal(() => checkLoadBalancerSupport(rest, { vip_sg_ids: ['sg'] })),
      /^VIP security groups \|/,
    );
    assert.match(
      refusal(() => checkLoadBalancerSupport(rest, { additional_vips: [{ subnet_id: 's' }] })),
      /^An additional VIP without an ip_address \|/,
    );
  });
});

describe('graph creates', () => {
  const plan = (body: Record<string, unknown>) => planGraph(body, body);
  const listener = (extra: Record<string, unknown>) => ({ protocol: 'TCP', protocol_port: 80, ...extra });
  const pool = (extra: Record<string, unknown>) => ({
    name: 'p',
    protocol: 'PROXY',
    lb_algorithm: 'ROUND_ROBIN',
    ...extra,
  });

  it('checks embedded pools against the listeners that use them, their monitors, members and L7 rules', () => {
    checkGraphSupport(rest, plan({ listeners: [listener({ default_pool: pool({}) })] }));
    const cookie = pool({ session_persistence: { type: 'HTTP_COOKIE' } });
    checkGraphSupport(rest, plan({ listeners: [listener({ protocol: 'HTTP', default_pool: cookie })] }));
    assert.match(
      refusal(() => checkGraphSupport(rest, plan({ listeners: [listener({ default_pool: cookie })] }))),
      /on PROXY pools of TCP listeners/,
    );
    const monitored = pool({ healthmonitor: { type: 'PING', delay: 1, timeout: 1, max_retries: 1 } });
    assert.match(
      refusal(() => checkGraphSupport(rest, plan({ pools: [monitored] }))),
      /type PING/,
    );
    const zoned = pool({ members: [{ address: 'fe80::1%lo', protocol_port: 80 }] });
    assert.match(
      refusal(() => checkGraphSupport(rest, plan({ pools: [zoned] }))),
      /zone id/,
    );
    const rule = { type: 'PATH', compare_type: 'REGEX', value: '[^]' };
    const policy = { action: 'REJECT', rules: [rule] };
    const l7 = listener({ protocol: 'HTTP', l7policies: [policy] });
    assert.match(
      refusal(() => checkGraphSupport(rest, plan({ listeners: [l7] }))),
      /regular expression '\[\^\]'/,
    );
    assert.match(
      refusal(() => checkGraphSupport(rest, plan({ listeners: [listener({ protocol: 'UDP' })] }))),
      /UDP/,
    );
    checkGraphSupport(undefined, plan({ listeners: [listener({ protocol: 'UDP' })] }));
  });
});
