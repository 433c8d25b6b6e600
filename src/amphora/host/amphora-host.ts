import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from '../../common/logger.js';
import { readAgentCertificate } from '../agent/agent-cert-files.js';
import { startAgent, type RunningAgent } from '../agent/agent-server.js';
import { validateHeartbeatSettings } from '../agent/heartbeat/heartbeat-settings.js';
import { LoadBalancerRegistry } from '../agent/load-balancer-registry.js';
import { HOSTED_ID, type HostedAmphora, type HostedAmphoraSpec } from './host-protocol.js';

/** The agents' address: 127.0.0.0/8 is local, and each agent has its own port. */
export const AGENT_HOST = '127.0.0.1';
/** How often the host checks that its data directory still exists (a removed one means: nobody owns us). */
const ORPHAN_CHECK_MS = 5_000;
const MAX_BODY_BYTES = 64 * 1024;

export interface AmphoraHostOptions {
  /** The Unix socket the control API listens on. */
  socketPath: string;
  /** The directory whose removal tells the host to stop (the data directory's amphorae folder). */
  ownerDir: string;
  log: Logger;
  haproxyBinary?: string;
}

export interface RunningAmphoraHost {
  /** Resolves when the host has stopped (a shutdown request, a signal or its owner directory removed). */
  closed: Promise<void>;
  close(): Promise<void>;
}

interface Hosted {
  agent: RunningAgent;
  stateDir: string;
}

/**
 * Many amphora agents in one process. An agent per process cost ~46 MB of Node.js each, which alone would
 * put 1,000 amphorae beyond this machine; here each amphora still has its own agent endpoint (its own port
 * and server certificate, the same mutual-TLS API) and its own HAProxy processes, but they share one Node.js
 * runtime. The host is detached from the controller that starts it: amphorae keep serving when the
 * controller crashes, and a restarted controller finds them here.
 */
export async function startAmphoraHost(opts: AmphoraHostOptions): Promise<RunningAmphoraHost> {
  const hosted = new Map<string, Hosted>();
  const queues = new Map<string, Promise<unknown>>();
  const log = opts.log;

  /** One operation at a time per amphora, so a start never races a removal. */
  const serial = <T>(id: string, task: () => Promise<T>): Promise<T> => {
    const next = (queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(task);
    queues.set(id, next);
    void next
      .finally(() => {
        if (queues.get(id) === next) queues.delete(id);
      })
      .catch(() => undefined);
    return next;
  };

  const ensure = (id: string, spec: HostedAmphoraSpec): Promise<HostedAmphora> =>
    serial(id, async () => {
      const existing = hosted.get(id);
      if (existing) {
        if (spec.heartbeat) existing.agent.heartbeat.configure(spec.heartbeat);
        return { id, port: existing.agent.port, started: false, bootFailures: [] };
      }
      const agent = await startAgent({
        stateDir: spec.stateDir,
        host: AGENT_HOST,
        port: spec.port,
        tls: await readAgentCertificate(spec.certDir),
        haproxyBinary: opts.haproxyBinary,
        startStoredConfigs: true,
        amphoraId: id,
        heartbeat: spec.heartbeat,
      });
      hosted.set(id, { agent, stateDir: spec.stateDir });
      log.info({ amphora: id, port: agent.port, bootFailures: agent.bootFailures }, 'amphora agent started');
      return { id, port: agent.port, started: true, bootFailures: agent.bootFailures };
    });

  /** Stop the agent and its HAProxies; for an amphora this host does not run, stop any HAProxy left in its state. */
  const remove = (id: string, stateDir: string | undefined): Promise<void> =>
    serial(id, async () => {
      const entry = hosted.get(id);
      hosted.delete(id);
      if (entry) await entry.agent.close();
      else if (stateDir) await new LoadBalancerRegistry(stateDir, opts.haproxyBinary).stopStored();
      log.info({ amphora: id }, 'amphora agent removed');
    });

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'port-in-use' : undefined;
      send(res, code ? 409 : 500, { error: err instanceof Error ? err.message : String(err), code });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host');
    const parts = url.pathname.split('/').filter(Boolean);
    // A liveness probe that costs nothing however many amphorae run here.
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, { amphorae: hosted.size });
    if (req.method === 'GET' && url.pathname === '/amphorae') {
      return send(
        res,
        200,
        [...hosted].map(([id, h]) => ({ id, port: h.agent.port, started: false, bootFailures: [] })),
      );
    }
    if (req.method === 'POST' && url.pathname === '/shutdown') {
      send(res, 202, { message: 'stopping' });
      void close();
      return;
    }
    if (parts.length === 2 && parts[0] === 'amphorae' && HOSTED_ID.test(parts[1]!)) {
      const id = parts[1]!;
      if (req.method === 'GET') {
        const entry = hosted.get(id);
        if (!entry) return send(res, 404, { error: `amphora ${id} does not run here` });
        return send(res, 200, { id, port: entry.agent.port, started: false, bootFailures: [] });
      }
      if (req.method === 'PUT') {
        const spec = parseSpec(await readBody(req));
        if (typeof spec === 'string') return send(res, 400, { error: spec });
        if (closing) return send(res, 503, { error: 'the amphora host is stopping' });
        return send(res, 200, await ensure(id, spec));
      }
      if (req.method === 'DELETE') {
        await remove(id, url.searchParams.get('stateDir') ?? undefined);
        return send(res, 204, undefined);
      }
    }
    send(res, 404, { error: 'not found' });
  }

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(orphanCheck);
      log.info({ amphorae: hosted.size }, 'amphora host stopping');
      await Promise.all([...hosted.keys()].map((id) => remove(id, undefined).catch(() => undefined)));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(opts.socketPath, { force: true });
      markClosed();
    })());

  const orphanCheck = setInterval(() => {
    if (!existsSync(opts.ownerDir)) {
      log.warn({ ownerDir: opts.ownerDir }, 'data directory removed; stopping every amphora');
      void close();
    }
  }, ORPHAN_CHECK_MS);
  orphanCheck.unref();

  await rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info({ socket: opts.socketPath }, 'amphora host listening');
  return { closed, close };
}

/** The spec of an amphora, or why it is not one. */
function parseSpec(body: unknown): HostedAmphoraSpec | string {
  const required = 'port, certDir and stateDir are required';
  if (typeof body !== 'object' || body === null) return required;
  const { port, certDir, stateDir, heartbeat } = body as Record<string, unknown>;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) return required;
  if (typeof certDir !== 'string' || typeof stateDir !== 'string' || !certDir || !stateDir) return required;
  if (heartbeat === undefined) return { port: port as number, certDir, stateDir };
  const checked = validateHeartbeatSettings(heartbeat);
  if ('error' in checked) return `heartbeat: ${checked.error}`;
  return { port: port as number, certDir, stateDir, heartbeat: checked.settings };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
