import { newId, nowTimestamp } from '../../src/common/ids.js';
import type { TestService } from './service.js';

/**
 * An ACTIVE pool (and optionally an ACTIVE listener using it as default pool) written straight to the
 * database, so these tests do not depend on the pool and listener APIs.
 */
export async function insertPool(svc: TestService, lbId: string, opts: { protocol?: string; listener?: boolean } = {}) {
  const kysely = svc.node.db.kysely;
  const now = nowTimestamp();
  const common = {
    project_id: 'project-a',
    provisioning_status: 'ACTIVE',
    operating_status: 'OFFLINE',
    admin_state_up: true,
    created_at: now,
    updated_at: null,
  };
  const poolId = newId();
  await kysely
    .insertInto('pool')
    .values({
      ...common,
      id: poolId,
      load_balancer_id: lbId,
      name: 'p',
      description: '',
      protocol: opts.protocol ?? 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      session_persistence: null,
      tls_enabled: false,
      tls_container_ref: null,
      ca_tls_container_ref: null,
      crl_container_ref: null,
      tls_ciphers: null,
      tls_versions: null,
      alpn_protocols: null,
    })
    .execute();
  let listenerId: string | undefined;
  if (opts.listener) {
    listenerId = newId();
    await kysely
      .insertInto('listener')
      .values({
        ...common,
        id: listenerId,
        load_balancer_id: lbId,
        name: 'l',
        description: '',
        protocol: 'HTTP',
        protocol_port: 80,
        connection_limit: -1,
        default_pool_id: poolId,
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
      })
      .execute();
  }
  return { poolId, listenerId };
}
