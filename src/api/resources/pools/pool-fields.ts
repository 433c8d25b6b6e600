import { LB_ALGORITHMS, POOL_PROTOCOLS } from '../../../common/constants.js';
import { toBool, type PoolRow } from '../../../db/schema.js';
import { bool, enumOf, listOf, required, str, uuid, type FieldMap } from '../../validation/fields.js';
import type { SessionPersistence } from '../../validation/session-persistence.js';
import { DEFAULT_POOL_ALPN, DEFAULT_TLS_CIPHERS, DEFAULT_TLS_VERSIONS } from '../listeners/listener-tls.js';
import { tagsField } from '../tags.js';

/** The pool attributes a request may carry, and how a body becomes a row (digest section 1.3). */

/** Attributes both POST and PUT accept (`session_persistence` is checked on its own). */
const UPDATABLE: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  session_persistence: { type: { kind: 'raw' } },
  tags: tagsField(),
  tls_container_ref: str(),
  ca_tls_container_ref: str(),
  crl_container_ref: str(),
  tls_enabled: bool(),
  tls_ciphers: str(2048),
  tls_versions: listOf({ kind: 'string', max: 32 }),
  alpn_protocols: listOf({ kind: 'string', max: 32 }),
};

export const POOL_POST_FIELDS: FieldMap = {
  loadbalancer_id: uuid(),
  listener_id: uuid(),
  protocol: required(enumOf(POOL_PROTOCOLS)),
  lb_algorithm: required(enumOf(LB_ALGORITHMS)),
  project_id: str(36),
  tenant_id: str(36),
  ...UPDATABLE,
  // Created with the pool (a single-create graph), read by graph-shape.ts.
  healthmonitor: { type: { kind: 'raw' } },
  members: listOf({ kind: 'raw' }),
};

/** PUT may change the algorithm but not the protocol or the parents. */
export const POOL_PUT_FIELDS: FieldMap = { lb_algorithm: enumOf(LB_ALGORITHMS), ...UPDATABLE };

const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** The TLS options of a TLS-enabled pool fall back to the defaults; a plain pool keeps what it was given. */
function tlsOptions(enabled: boolean, given: { ciphers: unknown; versions: unknown; alpn: unknown }) {
  const pick = (v: unknown, fallback: unknown) => (v !== null && v !== undefined ? v : enabled ? fallback : null);
  return {
    tls_ciphers: pick(given.ciphers, DEFAULT_TLS_CIPHERS) as string | null,
    tls_versions: jsonOrNull(pick(given.versions, DEFAULT_TLS_VERSIONS)),
    alpn_protocols: jsonOrNull(pick(given.alpn, DEFAULT_POOL_ALPN)),
  };
}

/** The row of a new pool from a validated POST body. */
export function newPoolRow(
  body: Record<string, unknown>,
  sp: SessionPersistence | null,
  ids: { id: string; loadBalancerId: string; projectId: string | null; now: string },
): PoolRow {
  const v = <T>(key: string, fallback: T): T =>
    body[key] === null || body[key] === undefined ? fallback : (body[key] as T);
  const tlsEnabled = v('tls_enabled', false);
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
    protocol: body.protocol as string,
    lb_algorithm: body.lb_algorithm as string,
    session_persistence: jsonOrNull(sp),
    tls_enabled: tlsEnabled,
    tls_container_ref: v<string | null>('tls_container_ref', null),
    ca_tls_container_ref: v<string | null>('ca_tls_container_ref', null),
    crl_container_ref: v<string | null>('crl_container_ref', null),
    ...tlsOptions(tlsEnabled, { ciphers: body.tls_ciphers, versions: body.tls_versions, alpn: body.alpn_protocols }),
  };
}

/**
 * The column changes of a validated PUT body: omitted keys stay, `null` clears or resets to the
 * default. `sp` is the session persistence to store when the body mentions one. Turning TLS on fills
 * the TLS options that are still unset.
 */
export function poolChanges(
  body: Record<string, unknown>,
  current: PoolRow,
  sp: SessionPersistence | null,
): Partial<PoolRow> {
  const out: Partial<PoolRow> = {};
  if ('name' in body) out.name = (body.name as string | null) ?? '';
  if ('description' in body) out.description = (body.description as string | null) ?? '';
  if ('admin_state_up' in body) out.admin_state_up = body.admin_state_up === true;
  if (typeof body.lb_algorithm === 'string') out.lb_algorithm = body.lb_algorithm;
  if ('session_persistence' in body) out.session_persistence = jsonOrNull(sp);
  for (const key of ['tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref'] as const)
    if (key in body) out[key] = body[key] as string | null;
  const enabled = 'tls_enabled' in body ? body.tls_enabled === true : toBool(current.tls_enabled);
  if ('tls_enabled' in body) out.tls_enabled = enabled;
  const given = (key: 'tls_ciphers' | 'tls_versions' | 'alpn_protocols') => {
    if (key in body) return body[key];
    const value = current[key];
    return value === null || key === 'tls_ciphers' ? value : (JSON.parse(value) as unknown);
  };
  Object.assign(
    out,
    tlsOptions(enabled, {
      ciphers: given('tls_ciphers'),
      versions: given('tls_versions'),
      alpn: given('alpn_protocols'),
    }),
  );
  return out;
}
