import { toBool, type ListenerRow, type MemberRow, type PoolRow } from '../../db/schema.js';
import { backendMode, backendName, connectionLimit, type GraphView } from './graph-view.js';
import { hostPort, section } from './haproxy-text.js';
import { backendCheckLines, serverCheckArgs } from './health-check.js';
import { persistenceLines, persistenceType } from './session-persistence.js';
import { tlsFiles, tlsTuning } from './tls-files.js';

/** What a backend needs beyond the graph. */
export interface BackendContext {
  view: GraphView;
  certDir: string;
  pingCommand: string | undefined;
}

const BALANCE: Record<string, string[]> = {
  ROUND_ROBIN: ['balance roundrobin'],
  LEAST_CONNECTIONS: ['balance leastconn'],
  SOURCE_IP: ['balance source'],
  // HAProxy 2.6 has no source-address-and-port algorithm; `balance hash <expr>` (new in 2.6) hashes any
  // sample, and concat() appends a variable, so the port goes through a transaction variable first.
  SOURCE_IP_PORT: ['tcp-request content set-var(txn.src_port) src_port', 'balance hash src,concat(:,txn.src_port)'],
};

/** X-Forwarded-* and X-SSL-* headers a listener's insert_headers asks for (http backends only). */
function headerLines(l: ListenerRow): string[] {
  const wanted = JSON.parse(l.insert_headers) as Record<string, string>;
  const on = (h: string) => String(wanted[h]).toLowerCase() === 'true';
  const lines: string[] = [];
  if (on('X-Forwarded-For')) lines.push('option forwardfor');
  if (on('X-Forwarded-Port')) lines.push('http-request set-header X-Forwarded-Port %[dst_port]');
  if (on('X-Forwarded-Proto'))
    lines.push(`http-request set-header X-Forwarded-Proto ${l.protocol === 'TERMINATED_HTTPS' ? 'https' : 'http'}`);
  if (l.protocol !== 'TERMINATED_HTTPS') return lines;
  const ssl: Record<string, string> = {
    'X-SSL-Client-Verify': '%[ssl_c_verify]',
    'X-SSL-Client-Has-Cert': '%[ssl_c_used]',
    'X-SSL-Client-DN': '%{+Q}[ssl_c_s_dn]',
    'X-SSL-Client-CN': '%{+Q}[ssl_c_s_dn(cn)]',
    'X-SSL-Issuer': '%{+Q}[ssl_c_i_dn]',
    'X-SSL-Client-SHA1': '%{+Q}[ssl_c_sha1,hex]',
    'X-SSL-Client-Not-Before': '%{+Q}[ssl_c_notbefore]',
    'X-SSL-Client-Not-After': '%{+Q}[ssl_c_notafter]',
  };
  for (const [header, value] of Object.entries(ssl))
    if (on(header)) lines.push(`http-request set-header ${header} ${value}`);
  return lines;
}

/** The TLS arguments of a server line for a pool with tls_enabled. */
function serverTls(pool: PoolRow, certDir: string): string {
  const files = tlsFiles(certDir);
  let out = ' ssl';
  if (pool.tls_container_ref !== null) out += ` crt ${files.poolCert(pool.id)}`;
  if (pool.ca_tls_container_ref !== null) {
    out += ` ca-file ${files.poolCa(pool.id)}`;
    if (pool.crl_container_ref !== null) out += ` crl-file ${files.poolCrl(pool.id)}`;
    out += ' verify required';
  } else out += ' verify none';
  return `${out} sni ssl_fc_sni${tlsTuning(pool)}`;
}

function serverLine(pool: PoolRow, m: MemberRow, ctx: BackendContext): string {
  const hm = ctx.view.healthMonitor(pool);
  let line = `server ${m.id} ${hostPort(m.address, m.protocol_port)} weight ${m.weight}`;
  if (hm) line += serverCheckArgs(hm, m);
  if (persistenceType(pool) === 'HTTP_COOKIE') line += ` cookie ${m.id}`;
  if (pool.protocol === 'PROXY') line += ' send-proxy';
  if (pool.protocol === 'PROXYV2') line += ' send-proxy-v2';
  if (toBool(m.backup)) line += ' backup';
  if (!toBool(m.admin_state_up)) line += ' disabled';
  if (toBool(pool.tls_enabled)) line += serverTls(pool, ctx.certDir);
  return line;
}

/** One `backend <pool_id>:<listener_id>` section. */
export function renderBackend(pool: PoolRow, l: ListenerRow, ctx: BackendContext): string[] {
  const mode = backendMode(pool, l);
  const body = [`mode ${mode}`, ...(BALANCE[pool.lb_algorithm] ?? ['balance roundrobin'])];
  body.push(...persistenceLines(pool, mode));
  const hm = ctx.view.healthMonitor(pool);
  if (hm) body.push(...backendCheckLines(hm, ctx.pingCommand));
  if (mode === 'http') body.push(...headerLines(l));
  body.push(
    `fullconn ${connectionLimit(l)}`,
    'option allbackups',
    `timeout connect ${l.timeout_member_connect}`,
    `timeout server ${l.timeout_member_data}`,
  );
  body.push(...ctx.view.members(pool).map((m) => serverLine(pool, m, ctx)));
  return section(`backend ${backendName(pool.id, l.id)}`, body);
}
