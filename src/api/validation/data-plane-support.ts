import { isIPv6 } from 'node:net';
import { createSecureContext } from 'node:tls';
import { HAPROXY_LISTENER_PROTOCOLS, listenerMode } from '../../amphora/haproxy/graph-view.js';
import { expectedCodes } from '../../amphora/haproxy/health-check.js';
import type { TaviaConfig } from '../../common/config.js';
import { validationFailure, type ApiError } from '../../common/errors.js';
import { pcre2Problem } from './pcre2-compat.js';

/**
 * What the HAProxy data plane cannot do, refused at the API with a 400 instead of being dropped by the
 * renderer (src/amphora/haproxy) or failing `haproxy -c` on the amphora after the API said yes. Octavia's
 * noop driver accepts everything, so these checks apply only when the amphora driver renders HAProxy.
 *
 * One rule for every kind: a create is checked whole; an update is checked on what the object is (its
 * protocol, its type, its pool's protocol) and on the values the request sets. L7 policies have no check
 * of their own: the API already keeps them to HTTP and TERMINATED_HTTPS listeners and HAProxy renders
 * every action; their embedded rules are checked as rules.
 */

/** Amphora drivers that configure HAProxy from the renderer. */
const HAPROXY_AMPHORA_DRIVERS = ['rest'];
/** Pool protocols a HAProxy backend speaks; UDP and SCTP pools belong to an LVS data plane. */
const HAPROXY_POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2'];
/** Health monitor types HAProxy cannot run at all (Octavia's amphora runs them with LVS). */
const LVS_MONITOR_TYPES = ['UDP-CONNECT', 'SCTP'];
/** Headers Octavia accepts in insert_headers that the HAProxy configuration does not insert. */
const UNRENDERED_HEADERS = ['X-Forwarded-IP', 'X-Client-IP', 'X-Real-IP'];
const COOKIE_PERSISTENCE = ['HTTP_COOKIE', 'APP_COOKIE'];
/** HAProxy keeps timers in milliseconds in a signed 32-bit integer. */
export const MAX_HAPROXY_TIMER_SECONDS = Math.floor(2147483647 / 1000);
/** The TLS 1.3 suites OpenSSL enables by default, which `ciphers` (TLS 1.2 and older only) leaves alone. */
const OPENSSL_DEFAULT_TLS13 = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/** The node's HAProxy data plane, named by its amphora driver for the fault strings. */
export interface HaproxyDataPlane {
  readonly amphoraDriver: string;
}

/** The HAProxy data plane the configuration runs, or undefined when its amphora driver has no limits (noop). */
export function haproxyDataPlane(config: Pick<TaviaConfig, 'drivers'>): HaproxyDataPlane | undefined {
  const driver = config.drivers.amphora;
  return HAPROXY_AMPHORA_DRIVERS.includes(driver) ? { amphoraDriver: driver } : undefined;
}

/** `Validation failure: <subject> is not supported by the HAProxy data plane (amphora driver 'rest'): <why>.` */
function unsupported(plane: HaproxyDataPlane, subject: string, why: string): ApiError {
  return validationFailure(
    `${subject} is not supported by the HAProxy data plane (amphora driver '${plane.amphoraDriver}'): ${why}.`,
  );
}

type Values = Record<string, unknown>;
const isSet = (v: unknown) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);

/** A pool as far as its backend's mode goes: its protocol and its session persistence type. */
export interface PoolMode {
  protocol: string;
  persistenceType: string | null | undefined;
}

const LVS_ONLY = 'Octavia serves UDP and SCTP with LVS (keepalived), and this data plane runs HAProxy alone';

function checkPoolProtocolServed(plane: HaproxyDataPlane, protocol: string): void {
  if (!HAPROXY_POOL_PROTOCOLS.includes(protocol)) throw unsupported(plane, `Pool protocol ${protocol}`, LVS_ONLY);
}

function checkCertificates(plane: HaproxyDataPlane, values: Values, fields: readonly string[]): void {
  const given = fields.find((f) => isSet(values[f]));
  if (given)
    throw unsupported(
      plane,
      `A certificate reference (${given})`,
      'the amphora driver does not deliver certificate files to the amphora',
    );
}

/** Why HAProxy's `ciphers` keyword would refuse or misread a cipher string, if it would. */
export function cipherStringProblem(ciphers: string): string | undefined {
  const names = ciphers.split(':').filter((n) => n !== '');
  const tls13 = names.filter((n) => n.startsWith('TLS_'));
  const older = names.filter((n) => !n.startsWith('TLS_'));
  if (older.length === 0) return 'HAProxy sets it with "ciphers", which needs at least one TLS 1.2 cipher';
  try {
    // The same OpenSSL call HAProxy makes (SSL_CTX_set_cipher_list) through Node's own OpenSSL 3.
    createSecureContext({ ciphers: older.join(':') });
  } catch {
    return 'OpenSSL matches no TLS 1.2 cipher in it';
  }
  const defaults =
    tls13.length === OPENSSL_DEFAULT_TLS13.length && OPENSSL_DEFAULT_TLS13.every((s) => tls13.includes(s));
  if (tls13.length > 0 && !defaults)
    return `HAProxy's "ciphers" leaves TLS 1.3 suites at OpenSSL's default (${OPENSSL_DEFAULT_TLS13.join(':')}), so a different TLS 1.3 list would be ignored`;
  return undefined;
}

/** tls_versions and tls_ciphers of a TLS listener or pool (they apply once the pool enables TLS). */
function checkTlsOptions(plane: HaproxyDataPlane, values: Values): void {
  const versions = values.tls_versions;
  if (Array.isArray(versions) && versions.includes('SSLv3'))
    throw unsupported(plane, 'TLS version SSLv3', 'the OpenSSL library HAProxy uses is built without SSLv3');
  const ciphers = values.tls_ciphers;
  const problem = typeof ciphers === 'string' && ciphers !== '' ? cipherStringProblem(ciphers) : undefined;
  if (problem) throw unsupported(plane, `The cipher string '${ciphers as string}'`, problem);
}

/** Cookie persistence needs an HTTP-mode backend: the pool's own protocol, or for PROXY pools the listener's. */
function checkPersistenceMode(plane: HaproxyDataPlane, pool: PoolMode, listenerProtocols: readonly string[]): void {
  const type = pool.persistenceType;
  if (!type || !COOKIE_PERSISTENCE.includes(type)) return;
  const proxied = pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2';
  const tcpBy = proxied
    ? listenerProtocols.find((p) => listenerMode(p) === 'tcp')
    : pool.protocol === 'HTTP'
      ? undefined
      : pool.protocol;
  if (tcpBy === undefined) return;
  const backend = proxied ? `${pool.protocol} pools of ${tcpBy} listeners` : `${tcpBy} pools`;
  throw unsupported(
    plane,
    `Session persistence ${type} on ${backend}`,
    'HAProxy forwards its traffic in TCP mode, where cookies are not seen',
  );
}

/**
 * A listener: `protocol` is the one it has (stored on update), `values` what the request sets, and
 * `defaultPool` the pool the request makes it forward to by default, if any.
 */
export function checkListenerSupport(
  plane: HaproxyDataPlane | undefined,
  protocol: string,
  values: Values,
  defaultPool?: PoolMode,
): void {
  if (!plane) return;
  if (!HAPROXY_LISTENER_PROTOCOLS.includes(protocol))
    throw unsupported(plane, `Listener protocol ${protocol}`, LVS_ONLY);
  checkCertificates(plane, values, [
    'default_tls_container_ref',
    'sni_container_refs',
    'client_ca_tls_container_ref',
    'client_crl_container_ref',
  ]);
  if (protocol !== 'TERMINATED_HTTPS') {
    const option = ['tls_ciphers', 'tls_versions', 'alpn_protocols'].find((f) => isSet(values[f]));
    if (option)
      throw unsupported(
        plane,
        `The TLS option ${option} on ${protocol} listeners`,
        'HAProxy terminates TLS for TERMINATED_HTTPS listeners only, so it would be ignored',
      );
  } else checkTlsOptions(plane, values);
  const headers = values.insert_headers;
  if (typeof headers === 'object' && headers !== null) {
    const ignored = UNRENDERED_HEADERS.find(
      (h) => String((headers as Record<string, unknown>)[h]).toLowerCase() === 'true',
    );
    if (ignored)
      throw unsupported(
        plane,
        `Inserting the header ${ignored}`,
        'the HAProxy configuration inserts X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto and the X-SSL-* headers only',
      );
  }
  if (defaultPool) checkPersistenceMode(plane, defaultPool, [protocol]);
}

/**
 * A pool: `protocol` is its protocol, `values` what the request sets, `persistenceType` the session
 * persistence it will have and `listenerProtocols` the protocols of the listeners that will use it.
 */
export function checkPoolSupport(
  plane: HaproxyDataPlane | undefined,
  protocol: string,
  values: Values,
  persistenceType: string | null | undefined,
  listenerProtocols: readonly string[],
): void {
  if (!plane) return;
  checkPoolProtocolServed(plane, protocol);
  checkCertificates(plane, values, ['tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref']);
  checkTlsOptions(plane, values);
  checkPersistenceMode(plane, { protocol, persistenceType }, listenerProtocols);
}

/** A member of a pool of `poolProtocol`; `values` are the create body or the attributes an update sets. */
export function checkMemberSupport(plane: HaproxyDataPlane | undefined, poolProtocol: string, values: Values): void {
  if (!plane) return;
  checkPoolProtocolServed(plane, poolProtocol);
  for (const field of ['address', 'monitor_address']) {
    const address = values[field];
    if (typeof address === 'string' && address.includes('%'))
      throw unsupported(plane, `The ${field} ${address}`, 'HAProxy cannot resolve an address with a zone id');
  }
  const monitor = values.monitor_address;
  if (typeof monitor === 'string' && isIPv6(monitor))
    throw unsupported(
      plane,
      `The IPv6 monitor_address ${monitor}`,
      'the rendered health check address has no brackets, so HAProxy would read its last group as a port',
    );
}

/** A health monitor of `type` on a pool of `poolProtocol`; `values` are the create body or what an update sets. */
export function checkHealthMonitorSupport(
  plane: HaproxyDataPlane | undefined,
  poolProtocol: string,
  type: string,
  values: Values,
): void {
  if (!plane) return;
  checkPoolProtocolServed(plane, poolProtocol);
  if (LVS_MONITOR_TYPES.includes(type)) throw unsupported(plane, `Health monitor type ${type}`, LVS_ONLY);
  if (type === 'PING')
    throw unsupported(
      plane,
      'Health monitor type PING',
      'HAProxy has no ICMP check and the amphora driver sets up no external ping command, so the monitor would silently become a TCP connect check',
    );
  for (const field of ['delay', 'timeout']) {
    const seconds = values[field];
    if (typeof seconds === 'number' && seconds > MAX_HAPROXY_TIMER_SECONDS)
      throw unsupported(
        plane,
        `A ${field} of ${seconds} seconds`,
        `HAProxy timers hold at most ${MAX_HAPROXY_TIMER_SECONDS} seconds`,
      );
  }
  const codes = values.expected_codes;
  if (typeof codes === 'string' && expectedCodes(codes).length === 0)
    throw unsupported(
      plane,
      `The expected_codes range ${codes}`,
      'it holds no status code, so every member would be marked down',
    );
}

/** An L7 rule with the values it will have (after an update, merged with the stored ones). */
export function checkL7RuleSupport(
  plane: HaproxyDataPlane | undefined,
  rule: { compare_type: string | null; value: string | null },
): void {
  if (!plane || rule.compare_type !== 'REGEX' || rule.value === null) return;
  const problem = pcre2Problem(rule.value);
  if (problem)
    throw unsupported(plane, `The regular expression '${rule.value}'`, `HAProxy's PCRE2 refuses it: ${problem}`);
}

/**
 * A load balancer's VIP fields, from a create body (after the network driver has filled the additional
 * VIPs' addresses, if it does) or the attributes an update sets.
 */
export function checkLoadBalancerSupport(plane: HaproxyDataPlane | undefined, values: Values): void {
  if (!plane) return;
  if (isSet(values.vip_qos_policy_id))
    throw unsupported(plane, 'A VIP QoS policy', 'nothing in this data plane limits the VIP to it');
  if (isSet(values.vip_sg_ids))
    throw unsupported(
      plane,
      'VIP security groups',
      "nothing in this data plane applies them (a listener's allowed_cidrs filters clients instead)",
    );
  const extra = values.additional_vips;
  if (Array.isArray(extra)) {
    const unbound = extra.find((v) => !isSet((v as Values | null)?.ip_address));
    if (unbound !== undefined)
      throw unsupported(
        plane,
        'An additional VIP without an ip_address',
        'HAProxy binds the addresses of additional VIPs, and this one has none',
      );
  }
}
