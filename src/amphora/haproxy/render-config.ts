import type { LoadBalancerGraph } from '../../db/load-balancer-graph.js';
import { connectionLimit, GraphView } from './graph-view.js';
import { section } from './haproxy-text.js';
import { renderBackend } from './render-backend.js';
import { renderFrontend } from './render-frontend.js';

/** Host-side facts the configuration refers to; the agent that runs HAProxy supplies them. */
export interface RenderOptions {
  /** Runtime API socket (`level admin`: the agent drains and re-weights servers through it). */
  statsSocketPath: string;
  /** Where server states are saved before a reload and read back by the new worker. */
  serverStateFilePath: string;
  /** Directory of the TLS files named by `tlsFiles`. */
  certDir: string;
  /** Address the frontends bind; the load balancer's vip_address by default. */
  vipAddress?: string;
  /** Extra addresses every frontend binds too; the load balancer's additional VIPs by default. */
  additionalVipAddresses?: readonly string[];
  /** `log` targets for the global section, e.g. `/dev/log local0`; none by default. */
  logTargets?: readonly string[];
  /** Command run by PING health monitors (HAProxy external-check); without it PING is a layer-4 check. */
  pingCommand?: string;
  /** Upper bound for the global maxconn, e.g. from the host's file-descriptor limit. */
  maxConnCap?: number;
  /** `user`/`group` to drop privileges to, when HAProxy starts as root. */
  user?: string;
  group?: string;
}

/** Octavia's global maxconn: the sum of the listeners' limits, 1000000 when that is out of 1..999999. */
function globalMaxConn(view: GraphView, cap: number | undefined): number {
  const sum = view.listeners().reduce((acc, l) => acc + connectionLimit(l), 0);
  const octavia = sum >= 1 && sum <= 999999 ? sum : 1000000;
  return cap === undefined ? octavia : Math.min(octavia, cap);
}

function bindAddresses(graph: LoadBalancerGraph, options: RenderOptions): string[] {
  const vip = options.vipAddress ?? graph.loadBalancer.vip_address;
  if (!vip) throw new Error(`load balancer ${graph.loadBalancer.id} has no VIP address to bind`);
  const extra =
    options.additionalVipAddresses ??
    (JSON.parse(graph.loadBalancer.additional_vips) as Array<{ ip_address?: string | null }>)
      .map((v) => v.ip_address)
      .filter((a): a is string => typeof a === 'string' && a !== '');
  return [vip, ...extra];
}

function globalSection(view: GraphView, options: RenderOptions): string[] {
  // No `daemon`: the agent runs HAProxy in master-worker mode (-W) and supervises the master itself.
  const body = [
    ...(options.logTargets ?? []).map((t) => `log ${t}`),
    ...(options.user ? [`user ${options.user}`] : []),
    ...(options.group ? [`group ${options.group}`] : []),
    `maxconn ${globalMaxConn(view, options.maxConnCap)}`,
    `stats socket ${options.statsSocketPath} mode 600 level admin expose-fd listeners`,
    `server-state-file ${options.serverStateFilePath}`,
  ];
  const pings = view.graph.healthMonitors.some((h) => h.type === 'PING');
  if (pings && options.pingCommand !== undefined) body.push('external-check', 'insecure-fork-wanted');
  return section('global', body);
}

const DEFAULTS = [
  'log global',
  'retries 3',
  // A request aimed at a dead server not yet marked down goes to another one instead of failing.
  'option redispatch',
  // Octavia forces splicing both ways; measured here it cost 15% of TCP throughput with small payloads
  // (bench:dataplane), so HAProxy decides per transfer: splice where zero-copy pays, plain copies otherwise.
  'option splice-auto',
  'option http-keep-alive',
  'load-server-state-from-file global',
  'timeout connect 5000',
  'timeout client 50000',
  'timeout server 50000',
];

/**
 * The haproxy.cfg of one load balancer, from its stored model. Pure: the same graph and options always give
 * the same text. UDP and SCTP listeners are not HAProxy's (keepalived LVS serves them) and are left out.
 */
export function renderHaproxyConfig(graph: LoadBalancerGraph, options: RenderOptions): string {
  const view = new GraphView(graph);
  const listeners = view.listeners();
  const lines = [
    `# load balancer ${graph.loadBalancer.id}; UDP and SCTP listeners are served by LVS, not here`,
    ...globalSection(view, options),
    '',
    ...section('defaults', DEFAULTS),
  ];
  const addresses = listeners.length > 0 ? bindAddresses(graph, options) : [];
  for (const l of listeners) {
    lines.push('', ...renderFrontend(l, { view, bindAddresses: addresses, certDir: options.certDir }));
  }
  for (const l of listeners) {
    for (const pool of view.poolsOf(l)) {
      lines.push('', ...renderBackend(pool, l, { view, certDir: options.certDir, pingCommand: options.pingCommand }));
    }
  }
  return `${lines.join('\n')}\n`;
}
