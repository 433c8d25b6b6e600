import {
  CLIENT_AUTH_MODES,
  LISTENER_PROTOCOLS,
  LISTENER_TIMEOUT_DEFAULTS,
  MAX_TIMEOUT_MS,
} from '../../../common/constants.js';
import type { ListenerRow } from '../../../db/schema.js';
import { bool, enumOf, int, listOf, required, str, uuid, type FieldMap } from '../../validation/fields.js';
import { tagsField } from '../tags.js';
import { DEFAULT_LISTENER_ALPN, DEFAULT_TLS_CIPHERS, DEFAULT_TLS_VERSIONS } from './listener-tls.js';

/** The listener attributes a request may carry, and how a body becomes a row (digest section 1.2). */

const timeout = () => int(0, MAX_TIMEOUT_MS);

/** Attributes both POST and PUT accept. */
const UPDATABLE: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  connection_limit: int(-1),
  default_tls_container_ref: str(),
  sni_container_refs: listOf({ kind: 'string', max: 255 }),
  default_pool_id: uuid(),
  insert_headers: { type: { kind: 'dict' } },
  timeout_client_data: timeout(),
  timeout_member_connect: timeout(),
  timeout_member_data: timeout(),
  timeout_tcp_inspect: timeout(),
  tags: tagsField(),
  client_ca_tls_container_ref: str(),
  client_authentication: enumOf(CLIENT_AUTH_MODES),
  client_crl_container_ref: str(),
  allowed_cidrs: listOf({ kind: 'string' }),
  tls_ciphers: str(2048),
  tls_versions: listOf({ kind: 'string', max: 32 }),
  alpn_protocols: listOf({ kind: 'string', max: 32 }),
  hsts_max_age: int(0),
  hsts_include_subdomains: bool(),
  hsts_preload: bool(),
};

export const LISTENER_POST_FIELDS: FieldMap = {
  loadbalancer_id: required(uuid()),
  protocol: required(enumOf(LISTENER_PROTOCOLS)),
  protocol_port: required(int(1, 65535)),
  project_id: str(36),
  tenant_id: str(36),
  ...UPDATABLE,
  // Created with the listener (a single-create graph), read by graph-shape.ts.
  default_pool: { type: { kind: 'raw' } },
  l7policies: listOf({ kind: 'raw' }),
};

/** PUT may not move a listener or change what it listens on: those keys are unknown attributes here. */
export const LISTENER_PUT_FIELDS: FieldMap = UPDATABLE;

const json = (v: unknown) => JSON.stringify(v);
const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const uniq = (list: string[]) => [...new Set(list)];

/** TLS option defaults apply to TERMINATED_HTTPS listeners only; other listeners keep what they were given. */
function tlsDefault<T>(protocol: string, value: T | null | undefined, fallback: T): T | null {
  if (value !== null && value !== undefined) return value;
  return protocol === 'TERMINATED_HTTPS' ? fallback : null;
}

/** The row of a new listener from a validated POST body, every omitted attribute at Octavia's default. */
export function newListenerRow(
  body: Record<string, unknown>,
  ids: { id: string; loadBalancerId: string; projectId: string | null; now: string },
): ListenerRow {
  const protocol = body.protocol as string;
  const v = <T>(key: string, fallback: T): T =>
    body[key] === null || body[key] === undefined ? fallback : (body[key] as T);
  const cidrs = body.allowed_cidrs as string[] | null | undefined;
  return {
    id: ids.id,
    project_id: ids.projectId,
    load_balancer_id: ids.loadBalancerId,
    name: v('name', ''),
    description: v('description', ''),
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    admin_state_up: v('admin_state_up', true),
    created_at: ids.now,
    updated_at: null,
    protocol,
    protocol_port: body.protocol_port as number,
    connection_limit: v('connection_limit', -1),
    default_pool_id: v<string | null>('default_pool_id', null),
    default_tls_container_ref: v<string | null>('default_tls_container_ref', null),
    sni_container_refs: json(uniq(v<string[]>('sni_container_refs', []))),
    insert_headers: json(v('insert_headers', {})),
    timeout_client_data: v('timeout_client_data', LISTENER_TIMEOUT_DEFAULTS.timeout_client_data),
    timeout_member_connect: v('timeout_member_connect', LISTENER_TIMEOUT_DEFAULTS.timeout_member_connect),
    timeout_member_data: v('timeout_member_data', LISTENER_TIMEOUT_DEFAULTS.timeout_member_data),
    timeout_tcp_inspect: v('timeout_tcp_inspect', LISTENER_TIMEOUT_DEFAULTS.timeout_tcp_inspect),
    client_ca_tls_container_ref: v<string | null>('client_ca_tls_container_ref', null),
    client_authentication: v('client_authentication', 'NONE'),
    client_crl_container_ref: v<string | null>('client_crl_container_ref', null),
    allowed_cidrs: cidrs && cidrs.length > 0 ? json(uniq(cidrs)) : null,
    tls_ciphers: tlsDefault(protocol, body.tls_ciphers as string | null, DEFAULT_TLS_CIPHERS),
    tls_versions: jsonOrNull(tlsDefault(protocol, body.tls_versions as string[] | null, DEFAULT_TLS_VERSIONS)),
    alpn_protocols: jsonOrNull(tlsDefault(protocol, body.alpn_protocols as string[] | null, DEFAULT_LISTENER_ALPN)),
    hsts_max_age: v<number | null>('hsts_max_age', null),
    hsts_include_subdomains: v('hsts_include_subdomains', false),
    hsts_preload: v('hsts_preload', false),
  };
}

/**
 * The column changes of a validated PUT body: omitted keys stay, `null` resets to the default
 * (digest section 0, "PUT null semantics"). Tags are written separately.
 */
export function listenerChanges(body: Record<string, unknown>, protocol: string): Partial<ListenerRow> {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: (v: unknown) => unknown) => {
    if (key in body) out[key] = value(body[key]);
  };
  const orDefault = (fallback: unknown) => (v: unknown) => (v === null ? fallback : v);
  set('name', orDefault(''));
  set('description', orDefault(''));
  set('admin_state_up', (v) => v === true);
  set('connection_limit', orDefault(-1));
  set('default_pool_id', (v) => v);
  set('default_tls_container_ref', (v) => v);
  set('sni_container_refs', (v) => json(uniq((v as string[] | null) ?? [])));
  set('insert_headers', (v) => json(v ?? {}));
  for (const key of Object.keys(LISTENER_TIMEOUT_DEFAULTS) as Array<keyof typeof LISTENER_TIMEOUT_DEFAULTS>)
    set(key, orDefault(LISTENER_TIMEOUT_DEFAULTS[key]));
  set('client_ca_tls_container_ref', (v) => v);
  set('client_authentication', orDefault('NONE'));
  set('client_crl_container_ref', (v) => v);
  set('allowed_cidrs', (v) => (Array.isArray(v) && v.length > 0 ? json(uniq(v as string[])) : null));
  set('tls_ciphers', (v) => tlsDefault(protocol, v as string | null, DEFAULT_TLS_CIPHERS));
  set('tls_versions', (v) => jsonOrNull(tlsDefault(protocol, v as string[] | null, DEFAULT_TLS_VERSIONS)));
  set('alpn_protocols', (v) => jsonOrNull(tlsDefault(protocol, v as string[] | null, DEFAULT_LISTENER_ALPN)));
  set('hsts_max_age', (v) => v);
  set('hsts_include_subdomains', (v) => v === true);
  set('hsts_preload', (v) => v === true);
  return out as Partial<ListenerRow>;
}
