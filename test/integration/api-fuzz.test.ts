import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { DEFAULT_CONFIG } from '../../src/common/config.js';
import { newId, nowTimestamp } from '../../src/common/ids.js';
import { listenerRow, poolRow } from '../helpers/rows.js';
import { assertSameSnapshot, takeDbSnapshot, type DbSnapshot } from '../helpers/db-snapshot.js';
import { TEST_DIALECT, TestService } from '../helpers/service.js';

/*
 * Property-based fuzzing of the whole Octavia v2 API. Every generated request must:
 *   - never answer 5xx (but 501, Octavia's "provider does not support a requested option");
 *   - answer every 4xx in Octavia's fault format {faultcode: 'Client', faultstring, debuginfo: null};
 *   - answer with JSON whenever there is a body (the API speaks nothing else);
 *   - leave the database exactly as it was when it is refused (4xx, 501), or when it is a GET.
 * TAVIA_FUZZ_SEED fixes the generator, TAVIA_FUZZ_RUNS sets the number of requests; to replay a failure, set
 * TAVIA_FUZZ_SEED and TAVIA_FUZZ_PATH to the seed and path fast-check prints.
 */

const FUZZ_SEED = Number(process.env.TAVIA_FUZZ_SEED ?? 424242);
const FUZZ_RUNS = Number(process.env.TAVIA_FUZZ_RUNS ?? (TEST_DIALECT === 'postgres' ? 1500 : 3000));
const PROJECT = 'project-a';

// ---------------------------------------------------------------------------------------------------------
// Seed objects: real ids the generated requests point at, resolved when a request is sent.

// `barelistener` (no default pool) and `barepool` (no health monitor) let a pool or health monitor create succeed.
type SeedKind =
  | 'lb'
  | 'listener'
  | 'barelistener'
  | 'pool'
  | 'barepool'
  | 'member'
  | 'hm'
  | 'l7policy'
  | 'rule'
  | 'amphora'
  | 'flavorprofile'
  | 'flavor'
  | 'azprofile'
  | 'az'
  | 'project'
  | 'provider';

const ID_KINDS: SeedKind[] = [
  'lb',
  'listener',
  'barelistener',
  'pool',
  'barepool',
  'member',
  'hm',
  'l7policy',
  'rule',
  'amphora',
  'flavorprofile',
  'flavor',
  'azprofile',
];

/** A placeholder for the current id of a seed object, spelled exactly, in upper case, or without dashes. */
class Ref {
  constructor(
    readonly kind: SeedKind,
    readonly spelling: 'exact' | 'upper' | 'nodash' = 'exact',
  ) {}

  resolve(seed: Record<SeedKind, string>): string {
    const id = seed[this.kind];
    return this.spelling === 'upper' ? id.toUpperCase() : this.spelling === 'nodash' ? id.replaceAll('-', '') : id;
  }

  [fc.toStringMethod](): string {
    return `<${this.kind}${this.spelling === 'exact' ? '' : `:${this.spelling}`}>`;
  }
}

const ref = (kind: SeedKind) => fc.constant(new Ref(kind));

/** A value sent as this JSON text, for nestings too deep to build and stringify as objects. */
class RawJson {
  constructor(readonly text: string) {}

  [fc.toStringMethod](): string {
    return `<json ${this.text.slice(0, 20)}... (${this.text.length} chars)>`;
  }
}
const DEEP_ARRAY = new RawJson('['.repeat(20000) + ']'.repeat(20000));
const DEEP_OBJECT = new RawJson('{"a": '.repeat(20000) + '1' + '}'.repeat(20000));

// ---------------------------------------------------------------------------------------------------------
// Values: a pool of troublesome values, and plausible values per field (so that some requests succeed
// and reach the code behind validation).

const long = (n: number) => 'x'.repeat(n);

const TROUBLE_CONSTANTS: unknown[] = [
  null,
  true,
  false,
  'true',
  'false',
  'maybe',
  'True',
  'yes',
  'on',
  0,
  -1,
  1,
  80,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  2 ** 64,
  1e308,
  -1e308,
  1.5,
  -0.5,
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '0x10',
  '+5',
  ' 5 ',
  '5.0',
  '١٢',
  '-1',
  '0',
  '65536',
  '99999999999999999999',
  '',
  ' ',
  '\t',
  '\n',
  'a\r\nb',
  '\u0000',
  'nul\u0000byte',
  '\u202eevil',
  'ñandú 漢字 🙂',
  '\ud83d',
  long(256),
  long(10_000),
  [],
  [null],
  ['a'],
  [1, 2],
  [[]],
  [{}],
  {},
  { a: 1 },
  { a: { b: [{}] } },
  { id: 'x' },
  DEEP_ARRAY,
  DEEP_OBJECT,
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
  '11111111222233334444555555555555',
  'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE',
  '11111111-2222-3333-4444-55555555555',
  '{11111111-2222-3333-4444-555555555555}',
  '10.0.0.5',
  '::1',
  '2001:db8::1',
  '0.0.0.0',
  '255.255.255.255',
  '169.254.169.254',
  'fe80::1%eth0',
  '10.0.0.999',
  '1.2.3',
  '10.0.0.5 ',
  '::g',
  '010.000.000.001',
  '10.0.0.0/24',
  '0.0.0.0/0',
  '::/0',
  '10.0.0.1/24',
  '10.0.0.0/33',
  '10.0.0.0/-1',
  '2001:db8::/129',
  'HTTP',
  'HTTPS',
  'TCP',
  'UDP',
  'SCTP',
  'PROXY',
  'PROXYV2',
  'TERMINATED_HTTPS',
  'PROMETHEUS',
  'ROUND_ROBIN',
  'SOURCE_IP',
  'SOURCE_IP_PORT',
  'LEAST_CONNECTIONS',
  'PING',
  'TLS-HELLO',
  'UDP-CONNECT',
  'REJECT',
  'REDIRECT_TO_POOL',
  'REDIRECT_TO_URL',
  'REDIRECT_PREFIX',
  'HOST_NAME',
  'PATH',
  'HEADER',
  'COOKIE',
  'SSL_DN_FIELD',
  'REGEX',
  'EQUAL_TO',
  'APP_COOKIE',
  'HTTP_COOKIE',
  'NONE',
  'MANDATORY',
  'TLSv1.2',
  'h2',
  'ACTIVE',
  'PENDING_UPDATE',
  'ERROR',
  'http',
  'HTTP ',
  'TERMINATED-HTTPS',
  'round_robin',
  'ROUND-ROBIN',
  'TLSv1.4',
  'SSLv2',
  'h3',
  'UDP_CONNECT',
  'get',
  'http://example.com',
  'https://a.example/x?y=1',
  'ftp://x',
  'http://',
  'javascript:alert(1)',
  '/',
  '/a b',
  '//',
  '[',
  '(a+)+$',
  '\\',
  "'; drop table load_balancer; --",
  '%s%s%n',
  '${x}',
  '../../etc/passwd',
];

/** Any troublesome value, or a real or random id. */
const TROUBLE: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...TROUBLE_CONSTANTS) },
  { weight: 2, arbitrary: fc.constantFrom(...ID_KINDS).map((k) => new Ref(k)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const NAME = fc.oneof(pick('fuzz', '', 'ñandú 漢字 🙂', long(255)), fc.string({ maxLength: 16 }));
const BOOL = pick<unknown>(true, false, 'true', 'False', 1, 0, 'on', 'n');
const UUID = fc.oneof(fc.uuid(), pick('11111111-2222-3333-4444-555555555555'));
const IP = pick('10.0.0.5', '10.0.1.7', '192.168.0.1', '2001:db8::5', '::ffff:10.0.0.1', '169.254.169.254');
const PORT = fc.oneof(fc.integer({ min: 1, max: 65535 }), pick(80, 443, 8080));
const TIMEOUT_MS = fc.oneof(fc.integer({ min: 0, max: 2_073_600_000 }), pick(0, 50000, 2_073_600_001));
const TAGS = fc.array(fc.oneof(pick('a', 'b', '', long(256)), fc.string({ maxLength: 8 })), { maxLength: 3 });
const REF_URL = pick('http://barbican/v1/containers/1', 'https://vault.example/secret', long(256));
const TLS_VERSIONS = fc.subarray(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'TLSv1.4']);
const ALPN = fc.subarray(['h2', 'http/1.1', 'http/1.0', 'spdy/3']);
const CIPHERS = pick(
  'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
  'ALL:!aNULL',
  'bad cipher;',
  long(2049),
);
const CIDRS = fc.array(pick('10.0.0.0/24', '0.0.0.0/0', '::/0', '2001:db8::/64', '10.0.0.1/24', '10.0.0.0/33', 'x'), {
  maxLength: 3,
});
const INSERT_HEADERS = pick<unknown>(
  {},
  { 'X-Forwarded-For': 'true' },
  { 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'false' },
  { 'X-SSL-Client-Verify': 'true' },
  { 'X-Real-IP': 'true' },
  { 'X-Bogus': 'true' },
  { 'X-Forwarded-For': true },
  { 'x-forwarded-for': 'true' },
);
const SESSION_PERSISTENCE = pick<unknown>(
  null,
  { type: 'SOURCE_IP' },
  { type: 'HTTP_COOKIE' },
  { type: 'APP_COOKIE', cookie_name: 'sess' },
  { type: 'APP_COOKIE' },
  { type: 'HTTP_COOKIE', cookie_name: 'x' },
  { type: 'APP_COOKIE', cookie_name: 'bad name;' },
  { type: 'BOGUS' },
  { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' },
  { cookie_name: 'x' },
);
const FLAVOR_DATA = pick(
  '{"loadbalancer_topology": "SINGLE"}',
  '{"loadbalancer_topology": "ACTIVE_STANDBY"}',
  '{"loadbalancer_topology": "BOGUS"}',
  '{"compute_flavor": "m1.small", "amp_image_tag": "amp"}',
  '{"bogus": 1}',
  '{}',
  '[]',
  'null',
  'not json',
  '"s"',
  long(4097),
);
const AZ_DATA = pick(
  '{"compute_zone": "nova"}',
  '{"management_network": "not-a-uuid"}',
  '{"valid_vip_networks": ["x"]}',
  '{"bogus": true}',
  '{}',
  '[]',
  'not json',
  long(4097),
);
const QUOTA = fc.oneof(
  pick<unknown>(-1, 0, 1, 10, 2_000_000_000, 2_000_000_001, -2, null),
  fc.integer({ min: -5, max: 100 }),
);

// ---------------------------------------------------------------------------------------------------------
// Bodies: the right wrapper key with a random subset of the resource's real fields (section 1 of the
// digest) and some unknown keys; each value plausible or troublesome.

/** One attribute of a resource: `r` = required on create, `u` = may be sent on PUT. */
interface FieldSpec {
  name: string;
  good: fc.Arbitrary<unknown>;
  flags: string;
}
const f = (name: string, good: fc.Arbitrary<unknown>, flags = ''): FieldSpec => ({ name, good, flags });

const ABSENT = Symbol('absent');
const UNKNOWN_KEYS = pick(
  'bogus',
  'id',
  'provisioning_status',
  'operating_status',
  'created_at',
  'Name',
  'name ',
  '',
  '__proto__',
  'constructor',
  'tenant_id',
  'loadbalancers',
);

/**
 * An object with some of `fields`, create or update flavoured: "wild" (any subset, plausible or troublesome
 * values, unknown keys) or, half of the time, "tame" (the required fields and a few others, plausible
 * values only), so that enough requests pass validation to reach the code behind it.
 */
function objectOf(fields: FieldSpec[], mode: 'create' | 'update'): fc.Arbitrary<Record<string, unknown>> {
  const required = (field: FieldSpec) => mode === 'create' && field.flags.includes('r');
  const allowed = (field: FieldSpec) => mode === 'create' || field.flags.includes('u');
  const maybe = (field: FieldSpec, omission: number, inclusion: number, value: fc.Arbitrary<unknown>) =>
    (omission === 0
      ? value
      : inclusion === 0
        ? fc.constant(ABSENT)
        : fc.oneof({ weight: omission, arbitrary: fc.constant(ABSENT) }, { weight: inclusion, arbitrary: value })
    ).map((v) => [field.name, v] as const);
  const wild = fields.map((field) =>
    maybe(
      field,
      required(field) ? 1 : allowed(field) ? 4 : 9,
      required(field) ? 8 : allowed(field) ? 2 : 1,
      fc.oneof({ weight: 4, arbitrary: field.good }, { weight: 1, arbitrary: TROUBLE }),
    ),
  );
  const tame = fields.map((field) =>
    maybe(
      field,
      required(field) ? 0 : allowed(field) ? 6 : 1,
      required(field) ? 1 : allowed(field) ? 1 : 0,
      field.good,
    ),
  );
  const unknown = fc.oneof(
    { weight: 5, arbitrary: fc.constant([] as Array<[string, unknown]>) },
    { weight: 1, arbitrary: fc.array(fc.tuple(UNKNOWN_KEYS, TROUBLE), { minLength: 1, maxLength: 2 }) },
  );
  const build = (known: ReadonlyArray<readonly [string, unknown]>, extra: Array<[string, unknown]>) =>
    Object.fromEntries([...known.filter(([, v]) => v !== ABSENT), ...extra]);
  return fc.oneof(
    { weight: 1, arbitrary: fc.tuple(fc.tuple(...wild), unknown).map(([known, extra]) => build(known, extra)) },
    { weight: 1, arbitrary: fc.tuple(...tame).map((known) => build(known, [])) },
  );
}

const COMMON = (tagsToo = true) => [
  f('name', NAME, 'u'),
  f('admin_state_up', BOOL, 'u'),
  f('project_id', pick(PROJECT, 'project-b', long(37))),
  ...(tagsToo ? [f('tags', TAGS, 'u')] : []),
];

const MEMBER_FIELDS = [
  f('address', IP, 'r'),
  f('protocol_port', PORT, 'r'),
  f('weight', fc.integer({ min: -1, max: 257 }), 'u'),
  f('backup', BOOL, 'u'),
  f('subnet_id', UUID),
  f('monitor_address', IP, 'u'),
  f('monitor_port', PORT, 'u'),
  f('request_sriov', BOOL),
  ...COMMON(),
];
const HM_FIELDS = [
  f('pool_id', fc.oneof({ weight: 3, arbitrary: ref('barepool') }, { weight: 1, arbitrary: ref('pool') }), 'r'),
  f('type', pick('HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'), 'r'),
  f('delay', fc.integer({ min: -1, max: 100 }), 'ru'),
  f('timeout', fc.integer({ min: -1, max: 100 }), 'ru'),
  f('max_retries', fc.integer({ min: 0, max: 11 }), 'ru'),
  f('max_retries_down', fc.integer({ min: 0, max: 11 }), 'u'),
  f('http_method', pick('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH', 'get'), 'u'),
  f('url_path', pick('/', '/health', 'health', '/a b', 'http://host/', '/%00', '//'), 'u'),
  f('expected_codes', pick('200', '200-204', '200, 202', '2000', '200-', 'abc', '099'), 'u'),
  f('http_version', pick<unknown>(1.0, 1.1, 2, '1.1', 1.15), 'u'),
  f('domain_name', pick('example.com', '-bad-.com', long(256), 'x..y'), 'u'),
  ...COMMON(),
];
const RULE_FIELDS = [
  f(
    'type',
    pick(
      'HOST_NAME',
      'PATH',
      'FILE_TYPE',
      'HEADER',
      'COOKIE',
      'SSL_CONN_HAS_CERT',
      'SSL_VERIFY_RESULT',
      'SSL_DN_FIELD',
    ),
    'ru',
  ),
  f('compare_type', pick('REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'), 'ru'),
  f('key', pick('X-Header', 'bad key', 'CN', '1abc', 'a\nb'), 'u'),
  f('value', pick('/api', '^/api', 'true', '0', 'example.com', '[', '(a+)+$', 'two words', 'a\r\nb', long(256)), 'ru'),
  f('invert', BOOL, 'u'),
  f('admin_state_up', BOOL, 'u'),
  f('tags', TAGS, 'u'),
  f('project_id', pick(PROJECT)),
];
const TLS_FIELDS = [
  f('tls_ciphers', CIPHERS, 'u'),
  f('tls_versions', TLS_VERSIONS, 'u'),
  f('alpn_protocols', ALPN, 'u'),
];
const POOL_FIELDS = [
  f('loadbalancer_id', ref('lb'), 'r'),
  f('listener_id', fc.oneof(ref('barelistener'), ref('listener'))),
  f('protocol', pick('TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'), 'r'),
  f('lb_algorithm', pick('ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'), 'ru'),
  f('session_persistence', SESSION_PERSISTENCE, 'u'),
  f('tls_enabled', BOOL, 'u'),
  f('tls_container_ref', REF_URL, 'u'),
  f('ca_tls_container_ref', REF_URL, 'u'),
  f('crl_container_ref', REF_URL, 'u'),
  ...TLS_FIELDS,
  f('description', NAME, 'u'),
  ...COMMON(),
];
const L7POLICY_FIELDS = [
  f('listener_id', ref('listener'), 'r'),
  f('action', pick('REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'), 'ru'),
  f('redirect_pool_id', ref('pool'), 'u'),
  f(
    'redirect_url',
    pick('http://example.com', 'https://a.example/x?y=1', 'ftp://x', 'http://', 'not a url', 'http://a\u0000b'),
    'u',
  ),
  f('redirect_prefix', pick('https://example.com', 'http://b.example', 'x://'), 'u'),
  f('redirect_http_code', pick<unknown>(301, 302, 303, 307, 308, 300, 200, '301'), 'u'),
  f('position', fc.oneof(fc.integer({ min: 0, max: 5 }), pick(2 ** 31 - 1, 2 ** 31)), 'u'),
  f('description', NAME, 'u'),
  ...COMMON(),
];
const LISTENER_FIELDS = [
  f('loadbalancer_id', ref('lb'), 'r'),
  f('protocol', pick('TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'), 'r'),
  f('protocol_port', PORT, 'r'),
  f('connection_limit', fc.integer({ min: -2, max: 100000 }), 'u'),
  f('default_pool_id', ref('pool'), 'u'),
  f('default_tls_container_ref', REF_URL, 'u'),
  f('sni_container_refs', fc.array(REF_URL, { maxLength: 2 }), 'u'),
  f('client_authentication', pick('NONE', 'OPTIONAL', 'MANDATORY', 'none'), 'u'),
  f('client_ca_tls_container_ref', REF_URL, 'u'),
  f('client_crl_container_ref', REF_URL, 'u'),
  f('insert_headers', INSERT_HEADERS, 'u'),
  f('timeout_client_data', TIMEOUT_MS, 'u'),
  f('timeout_member_connect', TIMEOUT_MS, 'u'),
  f('timeout_member_data', TIMEOUT_MS, 'u'),
  f('timeout_tcp_inspect', TIMEOUT_MS, 'u'),
  f('allowed_cidrs', CIDRS, 'u'),
  ...TLS_FIELDS,
  f('hsts_max_age', fc.integer({ min: -1, max: 100000 }), 'u'),
  f('hsts_include_subdomains', BOOL, 'u'),
  f('hsts_preload', BOOL, 'u'),
  f('description', NAME, 'u'),
  ...COMMON(),
];
const LB_FIELDS = [
  f('vip_subnet_id', UUID, 'r'),
  f('vip_network_id', UUID),
  f('vip_port_id', UUID),
  f('vip_address', IP),
  f('vip_qos_policy_id', UUID, 'u'),
  f('vip_sg_ids', fc.array(UUID, { maxLength: 2 }), 'u'),
  f(
    'additional_vips',
    fc.array(fc.record({ subnet_id: UUID, ip_address: IP }, { requiredKeys: [] }), { maxLength: 2 }),
  ),
  f('provider', pick('amphora', 'octavia', 'noop_driver', 'nope')),
  f('flavor_id', ref('flavor')),
  f('availability_zone', ref('az')),
  f('description', NAME, 'u'),
  ...COMMON(),
];

// Graph bodies (load balancer / listener / pool / l7policy create with embedded children).
const GRAPH_NAME = pick('p1', 'p2', 'missing');
const graphPool = objectOf(
  [
    ...POOL_FIELDS.filter((x) => !['loadbalancer_id', 'listener_id', 'name'].includes(x.name)),
    f('name', GRAPH_NAME, 'r'),
    f(
      'healthmonitor',
      objectOf(
        HM_FIELDS.filter((x) => x.name !== 'pool_id'),
        'create',
      ),
    ),
    f('members', fc.array(objectOf(MEMBER_FIELDS, 'create'), { maxLength: 2 })),
  ],
  'create',
);
const graphL7Policy = objectOf(
  [
    ...L7POLICY_FIELDS.filter((x) => x.name !== 'listener_id'),
    f('redirect_pool', graphPool),
    f('rules', fc.array(objectOf(RULE_FIELDS, 'create'), { maxLength: 2 })),
  ],
  'create',
);
const graphListener = objectOf(
  [
    ...LISTENER_FIELDS.filter((x) => x.name !== 'loadbalancer_id'),
    f('default_pool', graphPool),
    f('l7policies', fc.array(graphL7Policy, { maxLength: 2 })),
  ],
  'create',
);

/** Member batch bodies (PUT .../members): a list of member objects, sometimes the same one twice. */
const memberBatch: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.array(objectOf(MEMBER_FIELDS, 'create'), { maxLength: 4 }) },
  { weight: 1, arbitrary: objectOf(MEMBER_FIELDS, 'create').map((m) => [m, m]) },
  { weight: 1, arbitrary: TROUBLE },
);

/** What a body-carrying endpoint expects: its wrapper key and what goes inside it for POST and PUT. */
interface BodySpec {
  wrapper: string;
  create: fc.Arbitrary<unknown>;
  update: fc.Arbitrary<unknown>;
}
const bodySpec = (wrapper: string, fields: FieldSpec[], graph: FieldSpec[] = []): BodySpec => ({
  wrapper,
  create: objectOf([...fields, ...graph], 'create'),
  update: objectOf(fields, 'update'),
});

const B = {
  loadbalancer: bodySpec('loadbalancer', LB_FIELDS, [
    f('listeners', fc.array(graphListener, { maxLength: 2 })),
    f('pools', fc.array(graphPool, { maxLength: 2 })),
  ]),
  listener: bodySpec('listener', LISTENER_FIELDS, [
    f('default_pool', graphPool),
    f('l7policies', fc.array(graphL7Policy, { maxLength: 1 })),
  ]),
  pool: bodySpec('pool', POOL_FIELDS, [
    f(
      'healthmonitor',
      objectOf(
        HM_FIELDS.filter((x) => x.name !== 'pool_id'),
        'create',
      ),
    ),
    f('members', fc.array(objectOf(MEMBER_FIELDS, 'create'), { maxLength: 2 })),
  ]),
  member: bodySpec('member', MEMBER_FIELDS),
  members: { wrapper: 'members', create: memberBatch, update: memberBatch },
  healthmonitor: bodySpec('healthmonitor', HM_FIELDS),
  l7policy: bodySpec('l7policy', L7POLICY_FIELDS, [
    f('rules', fc.array(objectOf(RULE_FIELDS, 'create'), { maxLength: 2 })),
  ]),
  rule: bodySpec('rule', RULE_FIELDS),
  quota: bodySpec(
    'quota',
    [
      'loadbalancer',
      'listener',
      'pool',
      'healthmonitor',
      'member',
      'l7policy',
      'l7rule',
      'load_balancer',
      'health_monitor',
    ].map((n) => f(n, QUOTA, 'u')),
  ),
  flavor: bodySpec('flavor', [
    f('name', NAME, 'ru'),
    f('description', NAME, 'u'),
    f('enabled', BOOL, 'u'),
    f('flavor_profile_id', ref('flavorprofile'), 'r'),
  ]),
  flavorprofile: bodySpec('flavorprofile', [
    f('name', NAME, 'ru'),
    f('provider_name', pick('amphora', 'octavia', 'nope'), 'ru'),
    f('flavor_data', FLAVOR_DATA, 'ru'),
  ]),
  availability_zone: bodySpec('availability_zone', [
    f('name', NAME, 'r'),
    f('description', NAME, 'u'),
    f('enabled', BOOL, 'u'),
    f('availability_zone_profile_id', ref('azprofile'), 'r'),
  ]),
  availability_zone_profile: bodySpec('availability_zone_profile', [
    f('name', NAME, 'ru'),
    f('provider_name', pick('amphora', 'octavia', 'nope'), 'ru'),
    f('availability_zone_data', AZ_DATA, 'ru'),
  ]),
} satisfies Record<string, BodySpec>;

// ---------------------------------------------------------------------------------------------------------
// Endpoints: every path and method of the Octavia v2 API (digest sections 1.1-1.11).

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type QueryKind = 'list' | 'cascade' | 'additive';

interface Endpoint {
  method: Method;
  /** Path template; `{kind}` is a path argument pointing at a seed object of that kind. */
  path: string;
  body?: BodySpec;
  query?: QueryKind;
}

const crud = (base: string, param: SeedKind, body: BodySpec): Endpoint[] => [
  { method: 'GET', path: base, query: 'list' },
  { method: 'POST', path: base, body },
  { method: 'GET', path: `${base}/{${param}}` },
  { method: 'PUT', path: `${base}/{${param}}`, body },
  { method: 'DELETE', path: `${base}/{${param}}` },
];

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/v2' },
  ...crud('/v2/lbaas/loadbalancers', 'lb', B.loadbalancer).map((e) =>
    e.method === 'DELETE' ? { ...e, query: 'cascade' as const } : e,
  ),
  { method: 'GET', path: '/v2/lbaas/loadbalancers/{lb}/status' },
  { method: 'GET', path: '/v2/lbaas/loadbalancers/{lb}/statuses' },
  { method: 'GET', path: '/v2/lbaas/loadbalancers/{lb}/stats' },
  { method: 'PUT', path: '/v2/lbaas/loadbalancers/{lb}/failover' },
  ...crud('/v2/lbaas/listeners', 'listener', B.listener),
  { method: 'GET', path: '/v2/lbaas/listeners/{listener}/stats' },
  ...crud('/v2/lbaas/pools', 'pool', B.pool),
  ...crud('/v2/lbaas/pools/{pool}/members', 'member', B.member),
  { method: 'PUT', path: '/v2/lbaas/pools/{pool}/members', body: B.members, query: 'additive' },
  ...crud('/v2/lbaas/healthmonitors', 'hm', B.healthmonitor),
  ...crud('/v2/lbaas/l7policies', 'l7policy', B.l7policy),
  ...crud('/v2/lbaas/l7policies/{l7policy}/rules', 'rule', B.rule),
  { method: 'GET', path: '/v2/lbaas/quotas', query: 'list' },
  { method: 'GET', path: '/v2/lbaas/quotas/{project}' },
  { method: 'PUT', path: '/v2/lbaas/quotas/{project}', body: B.quota },
  { method: 'DELETE', path: '/v2/lbaas/quotas/{project}' },
  { method: 'GET', path: '/v2/lbaas/quotas/{project}/default' },
  { method: 'GET', path: '/v2/lbaas/quotas/defaults' },
  { method: 'GET', path: '/v2/octavia/amphorae', query: 'list' },
  { method: 'GET', path: '/v2/octavia/amphorae/{amphora}' },
  { method: 'DELETE', path: '/v2/octavia/amphorae/{amphora}' },
  { method: 'PUT', path: '/v2/octavia/amphorae/{amphora}/failover' },
  { method: 'PUT', path: '/v2/octavia/amphorae/{amphora}/config' },
  { method: 'GET', path: '/v2/octavia/amphorae/{amphora}/stats' },
  ...crud('/v2/lbaas/flavors', 'flavor', B.flavor),
  ...crud('/v2/lbaas/flavorprofiles', 'flavorprofile', B.flavorprofile),
  ...crud('/v2/lbaas/availabilityzones', 'az', B.availability_zone),
  ...crud('/v2/lbaas/availabilityzoneprofiles', 'azprofile', B.availability_zone_profile),
  { method: 'GET', path: '/v2/lbaas/providers', query: 'list' },
  { method: 'GET', path: '/v2/lbaas/providers/{provider}/flavor_capabilities', query: 'list' },
  { method: 'GET', path: '/v2/lbaas/providers/{provider}/availability_zone_capabilities', query: 'list' },
];

const endpointName = (e: Endpoint) => `${e.method} ${e.path}`;

// ---------------------------------------------------------------------------------------------------------
// Requests.

/** A path argument: a seed object's id, or a raw (possibly percent-encoded) path segment. */
type PathArg = Ref | { raw: string };

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'oversize' };

interface FuzzRequest {
  endpoint: Endpoint;
  method: Method | 'PATCH';
  args: Partial<Record<SeedKind, PathArg>>;
  /** 0: canonical; 1: /v2.0; 2: without /lbaas; 3: .json suffix; 4: trailing slash. */
  spelling: number;
  query: Array<{ key: string; value: string | Ref; encode: boolean }>;
  body: Body;
  contentType: string | null;
  project: string | null;
}

const GARBAGE_SEGMENTS = [
  'not-a-uuid',
  '..',
  '.',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%zz',
  '%00',
  '%',
  '%E2%82',
  'null',
  'None',
  '0',
  '-1',
  '%27',
  '%22',
  '%20',
  '%3Cscript%3E',
  '%3B',
  '*',
  'default',
  'defaults',
  'stats',
  'status',
  'failover',
  'members',
  'rules',
  'x'.repeat(256),
  'x'.repeat(5000),
  encodeURIComponent('ñandú 漢字 🙂'),
  '00000000-0000-0000-0000-000000000000',
  'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE',
  '11111111222233334444555555555555',
];

function pathArg(kind: SeedKind): fc.Arbitrary<PathArg> {
  const others = ID_KINDS.filter((k) => k !== kind);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(new Ref(kind)) },
    { weight: 1, arbitrary: pick<'upper' | 'nodash'>('upper', 'nodash').map((s) => new Ref(kind, s)) },
    { weight: 2, arbitrary: pick(...others).map((k) => new Ref(k)) },
    { weight: 2, arbitrary: fc.uuid().map((raw) => ({ raw })) },
    { weight: 3, arbitrary: pick(...GARBAGE_SEGMENTS).map((raw) => ({ raw })) },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 20, unit: 'binary' })
        .map((s) => ({ raw: encodeURIComponent(s) })),
    },
  );
}

const LIST_PARAMS = [
  'limit',
  'marker',
  'page_reverse',
  'sort',
  'sort_key',
  'sort_dir',
  'fields',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  'project_id',
];
const FILTER_KEYS = [
  'id',
  'name',
  'description',
  'admin_state_up',
  'provisioning_status',
  'operating_status',
  'protocol',
  'protocol_port',
  'connection_limit',
  'loadbalancer_id',
  'pool_id',
  'listener_id',
  'vip_address',
  'weight',
  'backup',
  'address',
  'delay',
  'position',
  'type',
  'compare_type',
  'enabled',
  'created_at',
  'provider',
  'role',
  'status',
  'vrrp_priority',
  'bogus',
  'tenant_id',
];
const QUERY_VALUES = [
  '',
  'abc',
  '-1',
  '0',
  '1',
  '2',
  '1000',
  '1001',
  'infinite',
  '99999999999999999999',
  '1.5',
  'true',
  'True',
  'false',
  'null',
  'name',
  'name:asc',
  'name:desc',
  'name:sideways',
  'bogus:asc',
  'id:desc,created_at',
  'asc',
  'desc',
  'id',
  'a,b',
  ',',
  'ACTIVE',
  'HTTP',
  '80',
  '65536',
  '2147483648',
  '10.0.0.5',
  'ñandú 漢字 🙂',
  '\u0000',
  long(3000),
  '2020-01-01T00:00:00',
];
type QueryPair = FuzzRequest['query'][number];
const pair = (key: string, value: string | Ref, encode = true): QueryPair => ({ key, value, encode });
const queryPair: fc.Arbitrary<QueryPair> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        pick(...LIST_PARAMS, ...FILTER_KEYS),
        fc.oneof(
          pick<string | Ref>(...QUERY_VALUES),
          pick(...ID_KINDS).map((k) => new Ref(k)),
        ),
      )
      .map(([key, value]) => pair(key, value)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(pick('limit', 'marker', 'name', 'x'), pick('%zz', '%00', 'a&b=c', '%E0%A4%A', 'a=b=c', '%'))
      .map(([k, v]) => pair(k, v, false)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => pair(k, v)),
  },
);

function queryFor(kind: QueryKind | undefined): fc.Arbitrary<QueryPair[]> {
  const special = kind === 'cascade' ? 'cascade' : kind === 'additive' ? 'additive_only' : undefined;
  const none = fc.constant<QueryPair[]>([]);
  const pairs = fc.array(queryPair, { maxLength: kind === 'list' ? 4 : 1 });
  if (!special) return fc.oneof({ weight: kind === 'list' ? 1 : 4, arbitrary: none }, { weight: 2, arbitrary: pairs });
  const flag = pick('true', 'false', 'True', '1', 'yes', 'maybe', '').map((value) => [pair(special, value)]);
  return fc.oneof({ weight: 3, arbitrary: none }, { weight: 3, arbitrary: flag }, { weight: 1, arbitrary: pairs });
}

const RAW_TEXTS = [
  '{',
  '{"a": ',
  'nul',
  "{'a': 1}",
  '[1,]',
  '{"a":1}{"b":2}',
  'NaN',
  '1e999',
  '"\\u0000"',
  '  ',
  '\u0000',
  '\ufeff{}',
  '{"loadbalancer": {"name": "\\ud800"}}',
  '{"listener": {"__proto__": {"admin": true}}}',
  '{"pool": {"name": "a", "name": "b"}}',
  '['.repeat(50000),
  '{"x": '.repeat(3000) + '1' + '}'.repeat(3000),
  DEEP_ARRAY.text,
  DEEP_OBJECT.text,
];

/** A body for an endpoint: structured, arbitrary JSON, raw text, empty, or over the size limit. */
function bodyFor(e: Endpoint): fc.Arbitrary<Body> {
  const garbage = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: pick(...RAW_TEXTS).map((text): Body => ({ kind: 'text', text })) },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 30, unit: 'binary' }).map((text): Body => ({ kind: 'text', text })),
    },
  );
  const none = fc.constant<Body>({ kind: 'none' });
  const oversize = fc.constant<Body>({ kind: 'oversize' });
  if (e.method === 'GET') return none;
  if (!e.body)
    return fc.oneof(
      { weight: 10, arbitrary: none },
      { weight: 3, arbitrary: garbage },
      { weight: 1, arbitrary: oversize },
    );
  const spec = e.body;
  const fields = e.method === 'POST' ? spec.create : spec.update;
  const otherWrapper = pick(
    'loadbalancer',
    'listener',
    'pool',
    'member',
    'healthmonitor',
    'l7policy',
    'rule',
    'quota',
    'flavor',
    'load_balancer',
  );
  const structured = fc
    .oneof(
      { weight: 14, arbitrary: fields.map((v) => ({ [spec.wrapper]: v })) },
      { weight: 1, arbitrary: fields },
      { weight: 1, arbitrary: fc.tuple(otherWrapper, fields).map(([k, v]) => ({ [k]: v })) },
      { weight: 1, arbitrary: TROUBLE.map((v) => ({ [spec.wrapper]: v })) },
      {
        weight: 1,
        arbitrary: fc.tuple(fields, UNKNOWN_KEYS, TROUBLE).map(([v, k, x]) =>
          Object.fromEntries([
            [spec.wrapper, v],
            [k, x],
          ]),
        ),
      },
    )
    .map((value): Body => ({ kind: 'json', value }));
  return fc.oneof(
    { weight: 24, arbitrary: structured },
    { weight: 5, arbitrary: garbage },
    { weight: 1, arbitrary: none },
    { weight: 1, arbitrary: oversize },
  );
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/json; charset=utf-16',
  'application/xml',
  '',
];

function requestFor(e: Endpoint): fc.Arbitrary<FuzzRequest> {
  const kinds = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as SeedKind);
  const args = fc.tuple(...kinds.map(pathArg)).map((values) => Object.fromEntries(kinds.map((k, i) => [k, values[i]])));
  return fc.record({
    endpoint: fc.constant(e),
    method: fc.oneof(
      { weight: 30, arbitrary: fc.constant(e.method) },
      { weight: 1, arbitrary: pick<Method | 'PATCH'>('GET', 'POST', 'PUT', 'DELETE', 'PATCH') },
    ),
    args,
    spelling: fc.oneof(
      { weight: 12, arbitrary: fc.constant(0) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
    ),
    query: queryFor(e.query),
    body: bodyFor(e),
    contentType: fc.oneof(
      { weight: 20, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: pick<string | null>(...CONTENT_TYPES, null) },
    ),
    project: fc.oneof(
      { weight: 20, arbitrary: fc.constant(PROJECT) },
      { weight: 1, arbitrary: pick<string | null>(null, 'project-b') },
    ),
  });
}

// Writes with a body have the most to get wrong: they get twice the share of the others.
const ANY_REQUEST = fc.oneof(...ENDPOINTS.map((e) => ({ weight: e.body ? 2 : 1, arbitrary: requestFor(e) })));

// ---------------------------------------------------------------------------------------------------------
// Sending.

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Send the body with no content type at all. */
  untyped: boolean;
}

/** Body JSON with seed ids filled in; a RawJson value goes out as its text (JSON.stringify cannot nest that deep). */
function toJson(value: unknown, seed: Record<SeedKind, string>): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Ref) return JSON.stringify(value.resolve(seed));
  if (Array.isArray(value)) return `[${value.map((v) => toJson(v, seed)).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${toJson(v, seed)}`)
      .join(', ')}}`;
  return JSON.stringify(value) ?? 'null';
}

function respell(path: string, spelling: number): string {
  switch (spelling) {
    case 1:
      return path.replace(/^\/v2(?=\/|$)/, '/v2.0');
    case 2:
      return path.replace(/^\/v2\/lbaas\//, '/v2/');
    case 3:
      return path === '/' ? path : `${path}.json`;
    case 4:
      return path === '/' ? path : `${path}/`;
    default:
      return path;
  }
}

function render(req: FuzzRequest, seed: Record<SeedKind, string>): Sent {
  let path = req.endpoint.path.replace(/\{(\w+)\}/g, (_, kind: SeedKind) => {
    const arg = req.args[kind]!;
    return arg instanceof Ref ? encodeURIComponent(arg.resolve(seed)) : arg.raw;
  });
  path = respell(path, req.spelling);
  if (req.query.length > 0) {
    const enc = (s: string, on: boolean) => (on ? encodeURIComponent(s) : s);
    path +=
      '?' +
      req.query
        .map(
          (q) => `${enc(q.key, q.encode)}=${enc(q.value instanceof Ref ? q.value.resolve(seed) : q.value, q.encode)}`,
        )
        .join('&');
  }
  const headers: Record<string, string> = {};
  if (req.project !== null) headers['x-project-id'] = req.project;
  let body: string | undefined;
  const method = req.method;
  if (method !== 'GET' && req.body.kind !== 'none') {
    if (req.body.kind === 'json') body = toJson(req.body.value, seed);
    else if (req.body.kind === 'text') body = req.body.text;
    else body = `{"loadbalancer": {"name": "${'x'.repeat(DEFAULT_CONFIG.api.bodyLimit + 1024)}"}}`;
    if (req.contentType !== null) headers['content-type'] = req.contentType;
  }
  return { method, path, headers, body, untyped: req.contentType === null };
}

interface Answer {
  status: number;
  text: string;
}

async function send(baseUrl: string, sent: Sent): Promise<Answer> {
  // fetch gives a string body a text/plain type; a Blob without a type goes out with no content type at all.
  const body = sent.body !== undefined && sent.untyped ? new Blob([sent.body]) : sent.body;
  const res = await fetch(baseUrl + sent.path, { method: sent.method, headers: sent.headers, body });
  return { status: res.status, text: await res.text() };
}

function describeExchange(sent: Sent, answer: Answer): string {
  const body = sent.body === undefined ? '(none)' : `${sent.untyped ? '(no content type) ' : ''}${sent.body}`;
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);
  return [
    `${sent.method} ${cut(sent.path, 600)}`,
    `headers: ${JSON.stringify(sent.headers)}`,
    `body: ${cut(body, 1500)}`,
    `-> ${answer.status} ${cut(answer.text, 600)}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// The properties of one exchange.

/** What Octavia answers for a path it has no route for (reference response 58_bad_unknown_path). */
const UNKNOWN_PATH_BODY = { code: 404, title: 'Not Found', description: '' };

/** Octavia's fault body: faultcode Client for a 4xx, Server for the provider's 501. */
function assertFault(answer: Answer, context: string): void {
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(answer.text)), `${answer.status} body is not JSON:\n${context}`);
  const fault = parsed as Record<string, unknown>;
  if (answer.status === 404 && JSON.stringify(fault) === JSON.stringify(UNKNOWN_PATH_BODY)) return;
  assert.deepEqual(
    Object.keys(fault ?? {}).sort(),
    ['debuginfo', 'faultcode', 'faultstring'],
    `${answer.status} body is not a fault:\n${context}`,
  );
  assert.equal(fault.faultcode, answer.status >= 500 ? 'Server' : 'Client', `${answer.status} faultcode:\n${context}`);
  assert.equal(fault.debuginfo, null, `${answer.status} debuginfo:\n${context}`);
  assert.ok(
    typeof fault.faultstring === 'string' && fault.faultstring.trim() !== '',
    `${answer.status} faultstring empty:\n${context}`,
  );
}

// ---------------------------------------------------------------------------------------------------------

describe('API fuzz (no 5xx, fault bodies, refused requests change nothing)', () => {
  let svc: TestService;
  const seed = {} as Record<SeedKind, string>;
  const seededBy = new Map<SeedKind, Set<string>>();
  const counts = new Map<string, Record<string, number>>();
  let baseline: DbSnapshot | undefined;
  let nameCounter = 0;

  const loose = () => svc.node.db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const note = (kind: SeedKind, how: string) => seededBy.set(kind, (seededBy.get(kind) ?? new Set()).add(how));
  const unique = (prefix: string) => `${prefix}-${++nameCounter}`;

  /** A row that is usable as a seed: present and (for provisioned objects) ACTIVE, under the expected parent. */
  async function usable(
    table: string,
    key: string,
    id: string | undefined,
    parent?: [string, string],
  ): Promise<boolean> {
    if (id === undefined) return false;
    let q = loose().selectFrom(table).selectAll().where(key, '=', id);
    if (parent) q = q.where(parent[0], '=', parent[1]);
    const row = await q.executeTakeFirst();
    return row !== undefined && (row.provisioning_status === undefined || row.provisioning_status === 'ACTIVE');
  }

  /** An existing ACTIVE row to adopt as the seed (the fuzzer creates plenty). */
  async function adopt(table: string, where: Array<[string, string, unknown]>): Promise<string | undefined> {
    let q = loose().selectFrom(table).select('id').where('provisioning_status', '=', 'ACTIVE');
    for (const [column, op, value] of where) q = q.where(column, op as '=', value);
    const row = await q.orderBy('created_at').executeTakeFirst();
    return row?.id as string | undefined;
  }

  /** Create through the API; where the route does not (yet) answer 2xx, insert the row directly. */
  async function create(
    kind: SeedKind,
    path: string,
    wrapper: string,
    body: Record<string, unknown>,
    table: string,
    row: Record<string, unknown>,
    key = 'id',
  ): Promise<string> {
    const res = await svc.post(path, { [wrapper]: body });
    if (res.status >= 200 && res.status < 300) {
      await svc.settle();
      note(kind, 'api');
      return res.body[wrapper][key] as string;
    }
    await loose().insertInto(table).values(row).execute();
    note(kind, `db (API said ${res.status})`);
    return row[key] as string;
  }

  const provisioned = () => ({
    id: newId(),
    project_id: PROJECT,
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
    admin_state_up: true,
    created_at: nowTimestamp(),
    updated_at: null,
  });

  /** A new HTTP listener on the seed load balancer, on a port no seed listener used before. */
  function newListener(kind: SeedKind): Promise<string> {
    const port = 1000 + ++nameCounter;
    const name = unique('fuzz');
    return create(
      kind,
      '/v2/lbaas/listeners',
      'listener',
      { loadbalancer_id: seed.lb, protocol: 'HTTP', protocol_port: port, name },
      'listener',
      { ...listenerRow(seed.lb, { ...provisioned(), name, protocol_port: port }) },
    );
  }

  /** A new HTTP pool on the seed load balancer, used by no listener. */
  function newPool(kind: SeedKind): Promise<string> {
    const name = unique('fuzz');
    return create(
      kind,
      '/v2/lbaas/pools',
      'pool',
      { loadbalancer_id: seed.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name },
      'pool',
      { ...poolRow(seed.lb, { ...provisioned(), name }) },
    );
  }

  /** Make sure every seed object exists and is usable; recreate what a successful request removed. */
  async function ensureSeed(): Promise<void> {
    const k = loose();
    // A fuzzed quota of 0 for our project would refuse every create from then on.
    await k.deleteFrom('quota').where('project_id', '=', PROJECT).execute();
    seed.project = PROJECT;
    seed.provider = 'amphora';

    if (!(await usable('load_balancer', 'id', seed.lb))) {
      seed.lb = (await svc.createLoadBalancer({ name: unique('fuzz-lb') })).id as string;
      note('lb', 'api');
    }
    if (!(await usable('listener', 'id', seed.listener, ['load_balancer_id', seed.lb])))
      seed.listener =
        (await adopt('listener', [
          ['load_balancer_id', '=', seed.lb],
          ['protocol', '=', 'HTTP'],
        ])) ?? (await newListener('listener'));
    const bareListener = await k
      .selectFrom('listener')
      .select('id')
      .where('id', '=', seed.barelistener ?? '')
      .where('default_pool_id', 'is', null)
      .executeTakeFirst();
    if (
      !bareListener ||
      seed.barelistener === seed.listener ||
      !(await usable('listener', 'id', seed.barelistener, ['load_balancer_id', seed.lb]))
    )
      seed.barelistener = await newListener('barelistener');
    if (!(await usable('pool', 'id', seed.pool, ['load_balancer_id', seed.lb])))
      seed.pool =
        (await adopt('pool', [
          ['load_balancer_id', '=', seed.lb],
          ['protocol', '=', 'HTTP'],
        ])) ?? (await newPool('pool'));
    const monitored = await k
      .selectFrom('health_monitor')
      .select('id')
      .where('pool_id', '=', seed.barepool ?? '')
      .executeTakeFirst();
    if (
      monitored ||
      seed.barepool === seed.pool ||
      !(await usable('pool', 'id', seed.barepool, ['load_balancer_id', seed.lb]))
    )
      seed.barepool = await newPool('barepool');
    if (!(await usable('member', 'id', seed.member, ['pool_id', seed.pool]))) {
      const address = `10.9.${nameCounter % 250}.${1 + (nameCounter % 200)}`;
      seed.member =
        (await adopt('member', [['pool_id', '=', seed.pool]])) ??
        (await create(
          'member',
          `/v2/lbaas/pools/${seed.pool}/members`,
          'member',
          { address, protocol_port: 80, name: unique('fuzz') },
          'member',
          {
            ...provisioned(),
            pool_id: seed.pool,
            name: unique('fuzz'),
            address,
            protocol_port: 80,
            weight: 1,
            backup: false,
            subnet_id: null,
            monitor_address: null,
            monitor_port: null,
            vnic_type: 'normal',
          },
        ));
    }
    if (!(await usable('health_monitor', 'id', seed.hm, ['pool_id', seed.pool]))) {
      const existing = await k
        .selectFrom('health_monitor')
        .select('id')
        .where('pool_id', '=', seed.pool)
        .executeTakeFirst();
      seed.hm =
        (existing?.id as string | undefined) ??
        (await create(
          'hm',
          '/v2/lbaas/healthmonitors',
          'healthmonitor',
          { pool_id: seed.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
          'health_monitor',
          {
            ...provisioned(),
            pool_id: seed.pool,
            name: unique('fuzz'),
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
          },
        ));
    }
    if (!(await usable('l7policy', 'id', seed.l7policy, ['listener_id', seed.listener]))) {
      seed.l7policy =
        (await adopt('l7policy', [['listener_id', '=', seed.listener]])) ??
        (await create(
          'l7policy',
          '/v2/lbaas/l7policies',
          'l7policy',
          { listener_id: seed.listener, action: 'REJECT', name: unique('fuzz') },
          'l7policy',
          {
            ...provisioned(),
            listener_id: seed.listener,
            name: unique('fuzz'),
            description: '',
            action: 'REJECT',
            position: 1,
            redirect_pool_id: null,
            redirect_url: null,
            redirect_prefix: null,
            redirect_http_code: null,
          },
        ));
    }
    if (!(await usable('l7rule', 'id', seed.rule, ['l7policy_id', seed.l7policy]))) {
      seed.rule =
        (await adopt('l7rule', [['l7policy_id', '=', seed.l7policy]])) ??
        (await create(
          'rule',
          `/v2/lbaas/l7policies/${seed.l7policy}/rules`,
          'rule',
          { type: 'PATH', compare_type: 'STARTS_WITH', value: '/fuzz' },
          'l7rule',
          {
            ...provisioned(),
            l7policy_id: seed.l7policy,
            type: 'PATH',
            compare_type: 'STARTS_WITH',
            key: null,
            value: '/fuzz',
            invert: false,
          },
        ));
    }
    const amphora = await k
      .selectFrom('amphora')
      .select('id')
      .where('status', '!=', 'DELETED')
      .where('id', '=', seed.amphora ?? '')
      .executeTakeFirst();
    if (!amphora) {
      // Amphorae come from the load balancer create flow; there is no API to make one.
      const found = await k
        .selectFrom('amphora')
        .select('id')
        .where('status', '!=', 'DELETED')
        .orderBy('created_at')
        .executeTakeFirst();
      if (found) {
        seed.amphora = found.id as string;
        note('amphora', 'adopted');
      } else {
        seed.amphora = newId();
        await k
          .insertInto('amphora')
          .values({
            id: seed.amphora,
            load_balancer_id: seed.lb,
            compute_id: newId(),
            lb_network_ip: '192.0.2.10',
            vrrp_ip: null,
            ha_ip: null,
            vrrp_port_id: null,
            ha_port_id: null,
            cert_expiration: null,
            cert_busy: false,
            role: 'STANDALONE',
            status: 'ALLOCATED',
            vrrp_interface: null,
            vrrp_id: null,
            vrrp_priority: null,
            cached_zone: null,
            image_id: null,
            compute_flavor: null,
            created_at: nowTimestamp(),
            updated_at: null,
          })
          .execute();
        note('amphora', 'db');
      }
    }
    if (!(await usable('flavor_profile', 'id', seed.flavorprofile))) {
      const body = {
        name: unique('fuzz-fp'),
        provider_name: 'amphora',
        flavor_data: '{"loadbalancer_topology": "SINGLE"}',
      };
      seed.flavorprofile = await create(
        'flavorprofile',
        '/v2/lbaas/flavorprofiles',
        'flavorprofile',
        body,
        'flavor_profile',
        { id: newId(), ...body },
      );
    }
    if (!(await usable('flavor', 'id', seed.flavor))) {
      const body = {
        name: unique('fuzz-flavor'),
        description: '',
        enabled: true,
        flavor_profile_id: seed.flavorprofile,
      };
      seed.flavor = await create('flavor', '/v2/lbaas/flavors', 'flavor', body, 'flavor', { id: newId(), ...body });
    }
    if (!(await usable('availability_zone_profile', 'id', seed.azprofile))) {
      const body = {
        name: unique('fuzz-azp'),
        provider_name: 'amphora',
        availability_zone_data: '{"compute_zone": "nova"}',
      };
      seed.azprofile = await create(
        'azprofile',
        '/v2/lbaas/availabilityzoneprofiles',
        'availability_zone_profile',
        body,
        'availability_zone_profile',
        { id: newId(), ...body },
      );
    }
    if (!(await usable('availability_zone', 'name', seed.az))) {
      const body = {
        name: unique('fuzz-az'),
        description: '',
        enabled: true,
        availability_zone_profile_id: seed.azprofile,
      };
      seed.az = await create(
        'az',
        '/v2/lbaas/availabilityzones',
        'availability_zone',
        body,
        'availability_zone',
        body,
        'name',
      );
    }
  }

  /** The state every request is compared with: settled, seeded, snapshotted. */
  async function freshBaseline(): Promise<DbSnapshot> {
    await svc.settle();
    await ensureSeed();
    await svc.settle();
    return takeDbSnapshot(svc.node.db);
  }

  function count(req: FuzzRequest, status: number): void {
    const name =
      req.method === req.endpoint.method
        ? endpointName(req.endpoint)
        : `${req.method} ${req.endpoint.path} (other method)`;
    const row = counts.get(name) ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    const cls = `${Math.min(5, Math.floor(status / 100))}xx`;
    row[cls] = (row[cls] ?? 0) + 1;
    counts.set(name, row);
  }

  /** Send one request and check every property; afterwards `baseline` is the database state again. */
  async function exercise(req: FuzzRequest): Promise<void> {
    const expected = baseline ?? (await freshBaseline());
    baseline = undefined; // until this request is known to have behaved
    const sent = render(req, seed);
    const answer = await send(svc.url, sent);
    count(req, answer.status);
    const context = describeExchange(sent, answer);
    // 501 is Octavia's answer when a provider refuses an option (digest §0, error classes): a refusal, not a
    // crash, so it is held to the same rules as a 4xx. Any other 5xx is a failure.
    assert.ok(answer.status < 500 || answer.status === 501, `server error:\n${context}`);
    if (answer.text !== '') assert.doesNotThrow(() => JSON.parse(answer.text), `body is not JSON:\n${context}`);
    if (answer.status >= 400) assertFault(answer, context);
    if (req.body.kind === 'oversize' && sent.body !== undefined) {
      // An empty Content-Type header is refused (415) before the body is read.
      assert.equal(answer.status, sent.headers['content-type'] === '' ? 415 : 413, `oversize body:\n${context}`);
    }
    if (answer.status >= 400 || sent.method === 'GET') {
      const afterwards = await takeDbSnapshot(svc.node.db);
      assertSameSnapshot(afterwards, expected, context);
      baseline = afterwards;
    } else {
      baseline = await freshBaseline();
    }
  }

  before(async () => {
    svc = await TestService.start();
    baseline = await freshBaseline();
  });

  after(async () => {
    const total = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } as Record<string, number>;
    const lines = [...counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, row]) => {
        for (const [cls, n] of Object.entries(row)) total[cls] = (total[cls] ?? 0) + n;
        return `  ${name.padEnd(72)} ${Object.entries(row)
          .filter(([, n]) => n > 0)
          .map(([c, n]) => `${c}:${n}`)
          .join(' ')}`;
      });
    const seeded = [...seededBy.entries()].map(([kind, how]) => `${kind}=${[...how].join('/')}`).join(', ');
    console.log(
      `API fuzz on ${TEST_DIALECT}, seed ${FUZZ_SEED}, requests per endpoint and status class:\n${lines.join('\n')}\n` +
        `  total: ${JSON.stringify(total)}\n  seed objects created via: ${seeded}`,
    );
    await svc?.stop();
  });

  it('notices a changed row, an added row and a new job in the database snapshot', async () => {
    const k = loose();
    const start = await freshBaseline();
    baseline = undefined; // this test changes the database behind the API's back
    await k
      .updateTable('load_balancer')
      .set({ description: 'changed behind the API' })
      .where('id', '=', seed.lb)
      .execute();
    const changed = await takeDbSnapshot(svc.node.db);
    assert.throws(
      () => assertSameSnapshot(changed, start, 'update'),
      /load_balancer: removed\/changed \[".+changed behind the API/,
    );
    await k.insertInto('tag').values({ resource_id: seed.lb, tag: 'fuzz-sanity' }).execute();
    const tagged = await takeDbSnapshot(svc.node.db);
    assert.throws(() => assertSameSnapshot(tagged, start, 'insert'), /tag: removed\/changed \[\] added\/changed/);
    await k
      .insertInto('job')
      .values({
        flow: 'apply-changes',
        load_balancer_id: null,
        resource_id: seed.lb,
        payload: '{"locked": []}',
        state: 'done',
        step: 0,
        claimed_by: null,
        lease_until: null,
        attempts: 0,
        error: null,
        created_at: nowTimestamp(),
        updated_at: null,
      })
      .execute();
    const queued = await takeDbSnapshot(svc.node.db);
    assert.throws(() => assertSameSnapshot(queued, tagged, 'job'), /job count/);
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), queued, 'nothing');
  });

  it(`keeps its properties over ${FUZZ_RUNS} generated requests`, async () => {
    await fc.assert(
      fc.asyncProperty(ANY_REQUEST, (req) => exercise(req)),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS, path: process.env.TAVIA_FUZZ_PATH, includeErrorInReport: true },
    );
    // A full run must have reached both sides of the API, or the properties above say little.
    if (process.env.TAVIA_FUZZ_PATH) return;
    const classes = { ok: 0, refused: 0 };
    for (const row of counts.values()) {
      classes.ok += row['2xx'] ?? 0;
      classes.refused += row['4xx'] ?? 0;
    }
    assert.ok(classes.ok > FUZZ_RUNS / 50, `too few accepted requests: ${classes.ok}`);
    assert.ok(classes.refused > FUZZ_RUNS / 4, `too few refused requests: ${classes.refused}`);
  });

  it('answers a body over the size limit with 413 in fault format on every POST and PUT endpoint', async () => {
    for (const e of ENDPOINTS.filter((x) => x.method === 'POST' || x.method === 'PUT')) {
      const req: FuzzRequest = {
        endpoint: e,
        method: e.method,
        spelling: 0,
        query: [],
        body: { kind: 'oversize' },
        contentType: 'application/json',
        project: PROJECT,
        args: Object.fromEntries([...e.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], new Ref(m[1] as SeedKind)])),
      };
      await exercise(req);
    }
  });
});
