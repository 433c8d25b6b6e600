import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { IssuedCertificate } from '../../certs/certificate-authority.js';
import { agentServerTlsOptions } from '../../certs/agent-tls.js';
import { haproxyVersion } from './haproxy-process.js';
import { HeartbeatSender } from './heartbeat/heartbeat-sender.js';
import { validateHeartbeatSettings, type HeartbeatSettings } from './heartbeat/heartbeat-settings.js';
import { LoadBalancerRegistry, UnknownLoadBalancer, type ControlAction } from './load-balancer-registry.js';

/** The agent API version Octavia's controller expects. */
export const AGENT_API_VERSION = '1.0';
/** A haproxy.cfg larger than this is not a config. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const CONTROL_ACTIONS = new Set<string>(['start', 'stop', 'reload']);

export interface AgentOptions {
  /** Where configs and sockets live: `<stateDir>/lb/<lb_id>/`. */
  stateDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The amphora's server certificate; only clients with a certificate from the same CA get in. */
  tls: IssuedCertificate;
  haproxyBinary?: string;
  /** Start the HAProxy of every config already stored (an amphora booting again), before answering. */
  startStoredConfigs?: boolean;
  /** The id heartbeats carry; by default the common name of the server certificate (issued per amphora). */
  amphoraId?: string;
  /** Where and how to send heartbeats; none (or no targets) sends nothing until `PUT /1.0/config`. */
  heartbeat?: HeartbeatSettings;
}

export interface RunningAgent {
  url: string;
  port: number;
  /** Stored configs whose HAProxy could not be started at boot. */
  bootFailures: Array<{ lbId: string; error: string }>;
  /** The heartbeat sender: `configure()` replaces its settings, as `PUT /1.0/config` does. */
  heartbeat: HeartbeatSender;
  /** Stop every HAProxy the agent started and close the server. */
  close(): Promise<void>;
}

/** Start the amphora agent: the mutual-TLS REST API the controller drives HAProxy through. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
  let sender: HeartbeatSender | undefined;
  const registry = new LoadBalancerRegistry(opts.stateDir, opts.haproxyBinary, {
    beforeReload: (source) => sender?.captureBeforeReload(source) ?? Promise.resolve(),
    beforeStop: (lbId) => sender?.release(lbId),
  });
  const version = await haproxyVersion(opts.haproxyBinary);
  const bootFailures = opts.startStoredConfigs ? await registry.startStored() : [];
  const heartbeat = new HeartbeatSender({
    amphoraId: opts.amphoraId ?? certificateName(opts.tls.certPem),
    sources: () => registry.heartbeatSources(),
    settings: opts.heartbeat,
  });
  sender = heartbeat;
  const server = createServer(agentServerTlsOptions(opts.tls), (req, res) => {
    handle(registry, heartbeat, version, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: 'Internal error', details: String(err) });
      else res.destroy();
    });
  });
  try {
    await listen(server, opts.host, opts.port);
  } catch (err) {
    await heartbeat.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `https://${host}:${port}`,
    port,
    bootFailures,
    heartbeat,
    async close() {
      await heartbeat.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await registry.stopAll();
    },
  };
}

/** The common name of a certificate's subject (the amphora id for an agent's server certificate). */
function certificateName(certPem: string): string {
  const name = /(?:^|\n|, )CN=([^\n,]+)/.exec(new X509Certificate(certPem).subject)?.[1];
  if (!name) throw new Error('the server certificate has no common name; pass the amphora id');
  return name;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function handle(
  registry: LoadBalancerRegistry,
  heartbeat: HeartbeatSender,
  version: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://agent').pathname.replace(/\/+$/, '');
  const parts = splitPath(path);
  if (!parts) return notFound(res);
  const method = req.method ?? 'GET';

  if (parts.length === 0) return route(res, method, 'GET', () => send(res, 200, { api_version: AGENT_API_VERSION }));
  if (parts[0] !== AGENT_API_VERSION) return notFound(res);
  const [, resource, a, b, c] = parts;

  if (resource === 'info' && parts.length === 2) {
    return route(res, method, 'GET', () =>
      send(res, 200, { hostname: hostname(), haproxy_version: version, api_version: AGENT_API_VERSION }),
    );
  }
  if (resource === 'config' && parts.length === 2) {
    // Octavia's agent takes its whole config file here; this one takes the heartbeat settings as JSON.
    return route(res, method, 'PUT', async () => {
      const body = await readBody(req, res);
      if (body === undefined) return;
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return send(res, 400, { message: 'Invalid request', details: 'the body is not JSON' });
      }
      const checked = validateHeartbeatSettings(value);
      if ('error' in checked) return send(res, 400, { message: 'Invalid request', details: checked.error });
      heartbeat.configure(checked.settings);
      send(res, 202, { message: 'OK', details: 'heartbeat settings replaced' });
    });
  }
  if (resource === 'listeners' && parts.length === 2) {
    return route(res, method, 'GET', async () => send(res, 200, await registry.list()));
  }
  if (resource === 'listeners' && parts.length === 3) {
    return route(res, method, 'DELETE', () =>
      withLoadBalancer(res, a!, async () => {
        await registry.remove(a!);
        send(res, 200, { message: 'OK' });
      }),
    );
  }
  if (resource === 'loadbalancer' && parts.length === 5 && c === 'haproxy') {
    return route(res, method, 'PUT', async () => {
      const body = await readBody(req, res);
      if (body === undefined) return;
      await withLoadBalancer(res, b!, async () => {
        const result = await registry.putConfig(b!, body);
        if (!result.stored) return send(res, 400, { message: 'Invalid request', details: result.output });
        res.setHeader('ETag', result.etag);
        send(res, 202, { message: 'OK' });
      });
    });
  }
  if (resource === 'loadbalancer' && parts.length === 4 && b === 'haproxy') {
    return route(res, method, 'GET', async () => {
      const config = await registry.getConfig(a!);
      if (!config) return lbNotFound(res, a!);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', ETag: config.etag });
      res.end(config.text);
    });
  }
  if (resource === 'loadbalancer' && parts.length === 4) {
    return route(res, method, 'PUT', () => {
      if (!CONTROL_ACTIONS.has(b!))
        return send(res, 400, { message: 'Invalid Request', details: `Unknown action: ${b}` });
      return withLoadBalancer(res, a!, async () => {
        try {
          send(res, 202, { message: 'OK', details: await registry.control(a!, b as ControlAction) });
        } catch (err) {
          if (err instanceof UnknownLoadBalancer) throw err;
          send(res, 500, { message: `Error on haproxy ${b}`, details: (err as Error).message });
        }
      });
    });
  }
  notFound(res);
}

/** Path segments, or undefined when one is not valid percent-encoding. */
function splitPath(path: string): string[] | undefined {
  try {
    return path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Run `action` when the method matches, else 405. */
async function route(
  res: ServerResponse,
  method: string,
  allowed: string,
  action: () => void | Promise<void>,
): Promise<void> {
  if (method !== allowed) {
    res.setHeader('Allow', allowed);
    return send(res, 405, { error: 'Method Not Allowed', http_code: 405 });
  }
  await action();
}

/** Run `action`, answering 404 when the load balancer does not exist on this amphora. */
async function withLoadBalancer(res: ServerResponse, lbId: string, action: () => Promise<void>): Promise<void> {
  if (!LoadBalancerRegistry.isValidId(lbId)) return lbNotFound(res, lbId);
  try {
    await action();
  } catch (err) {
    if (!(err instanceof UnknownLoadBalancer)) throw err;
    lbNotFound(res, lbId);
  }
}

function lbNotFound(res: ServerResponse, lbId: string): void {
  send(res, 404, { message: 'Loadbalancer Not Found', details: `No loadbalancer with UUID: ${lbId}` });
}

function notFound(res: ServerResponse): void {
  send(res, 404, { error: 'Not Found', http_code: 404 });
}

/** The request body as text, or undefined after answering 413 when it is too large. */
async function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.setHeader('Connection', 'close');
      send(res, 413, { error: 'Request Entity Too Large', http_code: 413 });
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
