/** The hand-written haproxy.cfg files the data-plane benchmark runs next to Tavia. */

/** A backend server: a name it answers with, and the 127.0.0.1 ports it answers on. */
export interface BackendSpec {
  name: string;
  ports: number[];
}

/**
 * The backends: one HAProxy answering each port with the backend's name as a constant body
 * (`http-request return`). It is cheaper per request than a Node server, so more of the shared CPU is left
 * for the proxies measured.
 */
export function backendsConfig(backends: readonly BackendSpec[]): string {
  const lines = ['global', '  maxconn 4000', 'defaults', '  mode http', '  timeout connect 2s', '  timeout client 30s'];
  lines.push('  timeout server 30s', '  option http-keep-alive');
  for (const b of backends) {
    lines.push(`frontend ${b.name}`, ...b.ports.map((port) => `  bind 127.0.0.1:${port}`));
    lines.push(`  http-request return status 200 content-type text/plain string ${b.name}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A baseline: the smallest haproxy.cfg that balances the given backend ports round robin, in HTTP mode
 * (with keep-alive) or in TCP mode (one backend connection per client connection).
 */
export function baselineConfig(mode: 'http' | 'tcp', port: number, backendPorts: readonly number[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    `  mode ${mode}`,
    '  timeout connect 5s',
    '  timeout client 50s',
    '  timeout server 50s',
    ...(mode === 'http' ? ['  option http-keep-alive'] : []),
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}
