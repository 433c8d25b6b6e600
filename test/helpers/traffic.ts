import assert from 'node:assert/strict';
import { Agent, createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { subnetIdByName } from './networks.js';
import type { TestService } from './service.js';

/**
 * Shared pieces of the end-to-end traffic tests: small backends on the addresses of the (future) private
 * subnet, bounded HTTP and TCP clients, and a load balancer built in one graph create whose objects are
 * then found again by name.
 */

/** Addresses of the private subnet the members live on (all of 127.0.0.0/8 binds on Linux). */
export const BACKEND_ADDRESSES = ['127.10.200.1', '127.10.200.2', '127.10.200.3'] as const;
/** How long the controller may take to settle after a change (an amphora process starts on LB create). */
export const SETTLE_MS = 60_000;
/** Upper bound for one request through the load balancer. */
export const REQUEST_TIMEOUT_MS = 3_000;
/** How long a held request (`/hold`) waits at most before the backend answers anyway. */
const HOLD_CAP_MS = 10_000;

/** The subnet every traffic test's VIP goes on: devstack's `private-subnet`, as a tenant's would. */
export function vipSubnetId(s: TestService): Promise<string> {
  return subnetIdByName(s.node.db, 'private-subnet');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value other than undefined; fail after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Ports nobody listens on, all different (each is held until all are picked). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: TcpServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createTcpServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function portOf(server: Server | TcpServer): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function listen(server: Server | TcpServer, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Close a server and every connection it holds. */
async function closeServer(server: Server | TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  if (!server.listening) return;
  await new Promise((r) => server.close(r));
}

/**
 * An HTTP member. `GET /headers` answers `{name, headers}` (what arrived, for insert_headers); `/session`
 * answers its name and sets an application cookie `SESSIONID`; `/hold` answers only when `release()` is
 * called (a long request for least-connections and timeouts); any other path answers the name.
 */
export class HttpBackend {
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<() => void>();
  private sessions = 0;
  private server: Server;
  /** The port it listens on (chosen by the kernel at start, kept across restarts). */
  port = 0;

  private constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.server = this.createServer();
  }

  static async start(name: string, address: string): Promise<HttpBackend> {
    const backend = new HttpBackend(name, address);
    await listen(backend.server, address, 0);
    backend.port = portOf(backend.server);
    return backend;
  }

  /** Requests now waiting on `/hold`. */
  get holding(): number {
    return this.held.size;
  }

  /** Answer every held request. */
  release(): void {
    for (const done of [...this.held]) done();
  }

  /** Stop listening and cut every connection (the member is down). */
  async stop(): Promise<void> {
    this.release();
    await closeServer(this.server, this.sockets);
  }

  /** Listen again on the same address and port (the member is back). */
  async restart(): Promise<void> {
    this.server = this.createServer();
    await listen(this.server, this.address, this.port);
  }

  private createServer(): Server {
    const server = createHttpServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/headers') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name: this.name, headers: req.headers }));
      } else if (path === '/session') {
        res.setHeader('set-cookie', `SESSIONID=${this.name}-${++this.sessions}; Path=/`);
        res.end(this.name);
      } else if (path === '/hold') {
        const done = () => {
          clearTimeout(cap);
          this.held.delete(done);
          if (!res.writableEnded) res.end(this.name);
        };
        const cap = setTimeout(done, HOLD_CAP_MS);
        this.held.add(done);
        res.once('close', done);
      } else {
        res.end(this.name);
      }
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    return server;
  }
}

/** A raw TCP member: writes its name and a newline as soon as a connection opens, then keeps it open. */
export class TcpBackend {
  private readonly sockets = new Set<Socket>();
  private readonly server: TcpServer;
  port = 0;

  private constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.server = createTcpServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.on('data', () => {});
      socket.on('end', () => socket.end());
      socket.write(`${this.name}\n`);
    });
  }

  static async start(name: string, address: string): Promise<TcpBackend> {
    const backend = new TcpBackend(name, address);
    await listen(backend.server, address, 0);
    backend.port = portOf(backend.server);
    return backend;
  }

  /** Connections now open to this backend. */
  get connections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }
}

/** Where a listener answers. */
export interface Endpoint {
  host: string;
  port: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** The client's own address, e.g. 127.0.0.2, to look like a different client. */
  localAddress?: string;
  timeoutMs?: number;
  /** A keep-alive agent to send the request on (instead of a new connection closed after the answer). */
  agent?: Agent;
}

/** One GET, on a new connection (`Connection: close`) unless an agent is given; rejects when nothing answers in time. */
export function httpGet(to: Endpoint, path = '/', options: RequestOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = request({
      host: to.host,
      port: to.port,
      path,
      method: 'GET',
      agent: options.agent ?? false,
      localAddress: options.localAddress,
      headers: { ...(options.agent ? {} : { connection: 'close' }), ...options.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on('error', (err) => reject(new Error(`GET http://${to.host}:${to.port}${path}: ${err.message}`)));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.end();
  });
}

/** `count` GETs one after the other; every one must answer 200; returns the bodies (member names). */
export async function namesOf(to: Endpoint, count: number, options: RequestOptions & { path?: string } = {}) {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await httpGet(to, options.path ?? '/', options);
    assert.equal(answer.status, 200, `request ${i}: ${answer.status} ${answer.body}`);
    names.push(answer.body);
  }
  return names;
}

/** How many times each name occurs. */
export function tally(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  return counts;
}

/** A raw TCP client that reads the first line the far end sends. */
export class TcpClient {
  private buffer = '';
  private readonly socket: Socket;
  private readonly line: Promise<string>;
  private closed = false;

  constructor(to: Endpoint) {
    this.socket = connect({ host: to.host, port: to.port });
    this.socket.setEncoding('utf8');
    this.socket.on('error', () => {});
    this.line = new Promise((resolve, reject) => {
      this.socket.on('data', (chunk: string) => {
        this.buffer += chunk;
        const end = this.buffer.indexOf('\n');
        if (end >= 0) resolve(this.buffer.slice(0, end));
      });
      this.socket.once('close', () => {
        this.closed = true;
        reject(new Error('closed before a line arrived'));
      });
    });
    this.line.catch(() => {});
  }

  /** The first line, or undefined if none arrived within `timeoutMs` (the connection stays open). */
  async firstLine(timeoutMs = REQUEST_TIMEOUT_MS): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    try {
      return await Promise.race([this.line, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolve once the far end has closed the connection, or false after `timeoutMs`. */
  async closedByPeer(timeoutMs: number): Promise<boolean> {
    return waitFor('peer close', timeoutMs, async () => (this.closed ? true : undefined)).catch(() => false);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Open a TCP connection, read the member's name, close it. */
export async function tcpName(to: Endpoint): Promise<string> {
  const client = new TcpClient(to);
  try {
    const line = await client.firstLine();
    if (line === undefined) throw new Error(`no answer from tcp://${to.host}:${to.port}`);
    return line;
  } finally {
    client.close();
  }
}

/** Wait for the controller, then fail with the flows' own errors if any job failed. */
export async function settled(s: TestService): Promise<void> {
  await s.settle(SETTLE_MS);
  const failed = await s.node.db.kysely
    .selectFrom('job')
    .select(['flow', 'error'])
    .where('state', '=', 'failed')
    .execute();
  assert.deepEqual(failed, []);
}

/** Send an API write, check its status, and wait for the controller to apply it. */
export async function change(
  s: TestService,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<any> {
  const res = await s.request(method, path, body);
  const expected = method === 'POST' ? 201 : method === 'PUT' ? 200 : 204;
  assert.equal(res.status, expected, `${method} ${path}: ${JSON.stringify(res.body)}`);
  await settled(s);
  return res.body;
}

/** A member of a graph-create body for a backend; the member is named after it. */
export const memberOf = (b: HttpBackend | TcpBackend, extra: Record<string, unknown> = {}) => ({
  name: b.name,
  address: b.address,
  protocol_port: b.port,
  ...extra,
});

/** A load balancer built by `createTrafficLoadBalancer`, its objects found again by name. */
export interface TrafficLoadBalancer {
  id: string;
  vip: string;
  /** Listener name -> id and where it answers. */
  listeners: Record<string, { id: string; endpoint: Endpoint }>;
  /** Pool name -> id. */
  pools: Record<string, string>;
  /** Pool name -> member name -> member id. */
  members: Record<string, Record<string, string>>;
}

async function listOf(s: TestService, path: string, key: string): Promise<any[]> {
  const res = await s.get(path);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body[key] as any[];
}

/**
 * Create a load balancer with its listeners and pools in one graph create (one amphora, one job), wait for
 * it, and look up every listener, pool and member by name. Everything must be named.
 */
export async function createTrafficLoadBalancer(
  s: TestService,
  graph: { name: string; listeners: unknown[]; pools?: unknown[] },
): Promise<TrafficLoadBalancer> {
  const res = await s.post('/v2/lbaas/loadbalancers', {
    loadbalancer: { vip_subnet_id: await vipSubnetId(s), ...graph },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const id = res.body.loadbalancer.id as string;
  const vip = res.body.loadbalancer.vip_address as string;
  await settled(s);
  const lb = await s.get(`/v2/lbaas/loadbalancers/${id}`);
  assert.equal(lb.body.loadbalancer.provisioning_status, 'ACTIVE');

  const out: TrafficLoadBalancer = { id, vip, listeners: {}, pools: {}, members: {} };
  for (const l of await listOf(s, `/v2/lbaas/listeners?loadbalancer_id=${id}`, 'listeners')) {
    assert.equal(l.provisioning_status, 'ACTIVE', `listener ${l.name}`);
    out.listeners[l.name] = { id: l.id, endpoint: { host: vip, port: l.protocol_port } };
  }
  for (const p of await listOf(s, `/v2/lbaas/pools?loadbalancer_id=${id}`, 'pools')) {
    assert.equal(p.provisioning_status, 'ACTIVE', `pool ${p.name}`);
    out.pools[p.name] = p.id;
    out.members[p.name] = {};
    for (const m of await listOf(s, `/v2/lbaas/pools/${p.id}/members`, 'members')) out.members[p.name]![m.name] = m.id;
  }
  return out;
}
