import type { ListenerRow } from '../../db/schema.js';
import { toBool } from '../../db/schema.js';
import { backendName, connectionLimit, listenerMode, type GraphView } from './graph-view.js';
import { hostPort, section } from './haproxy-text.js';
import { aclLine, policyActionLine, precedenceOf } from './l7-acl.js';
import { tlsFiles, tlsTuning } from './tls-files.js';

/** What a frontend needs beyond the graph: where it binds and where TLS files live. */
export interface FrontendContext {
  view: GraphView;
  bindAddresses: readonly string[];
  certDir: string;
}

const CLIENT_VERIFY: Record<string, string> = { NONE: 'none', OPTIONAL: 'optional', MANDATORY: 'required' };

/** The TLS part of a TERMINATED_HTTPS bind line. */
function bindTls(l: ListenerRow, certDir: string): string {
  const files = tlsFiles(certDir);
  let out = ` ssl crt-list ${files.listenerCrtList(l.id)}`;
  if (l.client_ca_tls_container_ref !== null) {
    out += ` ca-file ${files.listenerClientCa(l.id)} verify ${CLIENT_VERIFY[l.client_authentication] ?? 'none'}`;
    if (l.client_crl_container_ref !== null) out += ` crl-file ${files.listenerClientCrl(l.id)}`;
  }
  return out + tlsTuning(l);
}

/** `Strict-Transport-Security` for a TERMINATED_HTTPS listener with hsts_max_age set. */
function hstsLine(l: ListenerRow): string | undefined {
  if (l.protocol !== 'TERMINATED_HTTPS' || l.hsts_max_age === null) return undefined;
  let value = `max-age=${l.hsts_max_age};`;
  if (toBool(l.hsts_include_subdomains)) value += ' includeSubDomains;';
  if (toBool(l.hsts_preload)) value += ' preload;';
  return `http-response set-header Strict-Transport-Security "${value}"`;
}

/** One `frontend <listener_id>` section. */
export function renderFrontend(l: ListenerRow, ctx: FrontendContext): string[] {
  const mode = listenerMode(l.protocol);
  const tls = l.protocol === 'TERMINATED_HTTPS' ? bindTls(l, ctx.certDir) : '';
  const body = [`mode ${mode}`, `maxconn ${connectionLimit(l)}`];
  body.push(...ctx.bindAddresses.map((a) => `bind ${hostPort(a, l.protocol_port)}${tls}`));
  body.push(mode === 'http' ? 'option httplog' : 'option tcplog');
  // Zero-error reloads in 2.6: idle keep-alive connections are closed after their response, not cut.
  if (mode === 'http') body.push('option idle-close-on-response');
  body.push(`timeout client ${l.timeout_client_data}`);
  if (l.timeout_tcp_inspect > 0) body.push(`tcp-request inspect-delay ${l.timeout_tcp_inspect}`);
  const cidrs = l.allowed_cidrs === null ? [] : (JSON.parse(l.allowed_cidrs) as string[]);
  if (cidrs.length > 0)
    body.push(`acl allowed-cidrs src ${cidrs.join(' ')}`, 'tcp-request connection reject if !allowed-cidrs');
  const hsts = hstsLine(l);
  if (hsts) body.push(hsts);
  if (l.protocol === 'PROMETHEUS') {
    body.push('http-request use-service prometheus-exporter');
    return section(`frontend ${l.id}`, body);
  }
  const backendOf = (poolId: string) => (ctx.view.pool(poolId) ? backendName(poolId, l.id) : undefined);
  const acting = ctx.view
    .policies(l)
    .map(({ policy, rules }) => ({ policy, rules, action: policyActionLine(policy, rules, backendOf) }))
    .filter((p): p is typeof p & { action: string } => p.action !== undefined);
  body.push(...acting.flatMap((p) => p.rules.map(aclLine)));
  // Stable sort: position order is kept within each precedence class.
  body.push(...[...acting].sort((x, y) => precedenceOf(x.policy) - precedenceOf(y.policy)).map((p) => p.action));
  const defaultBackend = l.default_pool_id === null ? undefined : backendOf(l.default_pool_id);
  if (defaultBackend !== undefined) body.push(`default_backend ${defaultBackend}`);
  return section(`frontend ${l.id}`, body);
}
