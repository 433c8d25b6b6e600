import { newId, nowTimestamp } from '../../src/common/ids.js';
import type { ListenerRow, PoolRow } from '../../src/db/schema.js';
import type { TestService } from './service.js';

/**
 * Complete ACTIVE rows with Octavia's defaults, for tests that write straight to the database (to hold
 * a state the API would not leave, or to stay independent of another resource's API).
 */

const provisioned = () => ({
  project_id: 'project-a',
  provisioning_status: 'ACTIVE',
  operating_status: 'OFFLINE',
  admin_state_up: true,
  created_at: nowTimestamp(),
  updated_at: null,
});

export function listenerRow(lbId: string, overrides: Partial<ListenerRow> = {}): ListenerRow {
  return {
    ...provisioned(),
    id: newId(),
    load_balancer_id: lbId,
    name: 'l',
    description: '',
    protocol: 'HTTP',
    protocol_port: 80,
    connection_limit: -1,
    default_pool_id: null,
    default_tls_container_ref: null,
    sni_container_refs: '[]',
    insert_headers: '{}',
    timeout_client_data: 50000,
    timeout_member_connect: 5000,
    timeout_member_data: 50000,
    timeout_tcp_inspect: 0,
    client_ca_tls_container_ref: null,
    client_authentication: 'NONE',
    client_crl_container_ref: null,
    allowed_cidrs: null,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
    hsts_max_age: null,
    hsts_include_subdomains: false,
    hsts_preload: false,
    ...overrides,
  };
}

export function poolRow(lbId: string, overrides: Partial<PoolRow> = {}): PoolRow {
  return {
    ...provisioned(),
    id: newId(),
    load_balancer_id: lbId,
    name: 'p',
    description: '',
    protocol: 'HTTP',
    lb_algorithm: 'ROUND_ROBIN',
    session_persistence: null,
    tls_enabled: false,
    tls_container_ref: null,
    ca_tls_container_ref: null,
    crl_container_ref: null,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
    ...overrides,
  };
}

/** An ACTIVE pool, and optionally an ACTIVE listener using it as default pool, written to the database. */
export async function insertPool(svc: TestService, lbId: string, opts: { protocol?: string; listener?: boolean } = {}) {
  const kysely = svc.node.db.kysely;
  const pool = poolRow(lbId, { protocol: opts.protocol ?? 'HTTP' });
  await kysely.insertInto('pool').values(pool).execute();
  let listenerId: string | undefined;
  if (opts.listener) {
    const listener = listenerRow(lbId, { default_pool_id: pool.id });
    await kysely.insertInto('listener').values(listener).execute();
    listenerId = listener.id;
  }
  return { poolId: pool.id, listenerId };
}
