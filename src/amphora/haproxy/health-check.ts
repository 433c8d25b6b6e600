import type { HealthMonitorRow, MemberRow } from '../../db/schema.js';
import { quoteArg } from './haproxy-text.js';

/** Expand Octavia's expected_codes ("200", "200, 202", "200-204") into the list of status codes. */
export function expectedCodes(spec: string | null): string[] {
  const text = (spec ?? '200').trim();
  const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(text);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => String(from + i));
  }
  return text.split(',').map((c) => c.trim());
}

/** The `http-check expect` line: one code as `status`, several as an anchored `rstatus` alternation. */
export function expectLine(spec: string | null): string {
  const codes = expectedCodes(spec);
  return codes.length === 1
    ? `http-check expect status ${codes[0]}`
    : `http-check expect rstatus ^(${codes.join('|')})$`;
}

/** What a health monitor needs at backend level, given how PING checks are run on this host. */
export function backendCheckLines(hm: HealthMonitorRow, pingCommand: string | undefined): string[] {
  const lines = [`timeout check ${hm.timeout}s`];
  if (hm.type === 'HTTP' || hm.type === 'HTTPS') {
    const version = hm.http_version === null ? '' : ` HTTP/${hm.http_version.toFixed(1)}`;
    lines.push(`option httpchk ${hm.http_method ?? 'GET'} ${quoteArg(hm.url_path ?? '/')}${version}`);
    if (hm.domain_name !== null) lines.push(`http-check send hdr Host ${quoteArg(hm.domain_name)}`);
    lines.push(expectLine(hm.expected_codes));
  } else if (hm.type === 'PING') {
    if (pingCommand === undefined) lines.push('# PING monitor without a ping command on this host: layer-4 check');
    else lines.push('option external-check', `external-check command ${quoteArg(pingCommand)}`);
  }
  // TCP and TLS-HELLO are plain connect checks (Octavia dropped ssl-hello-chk).
  return lines;
}

/** The check arguments of one server line. HAProxy refuses an interval of 0, so delay 0 becomes 1 ms. */
export function serverCheckArgs(hm: HealthMonitorRow, member: MemberRow): string {
  const inter = hm.delay > 0 ? `${hm.delay}s` : '1';
  let args = ` check${hm.type === 'HTTPS' ? ' check-ssl verify none' : ''}`;
  args += ` inter ${inter} fall ${hm.max_retries_down} rise ${hm.max_retries}`;
  if (member.monitor_address !== null) args += ` addr ${member.monitor_address}`;
  if (member.monitor_port !== null) args += ` port ${member.monitor_port}`;
  return args;
}
