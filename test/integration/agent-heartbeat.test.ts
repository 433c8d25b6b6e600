import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import https from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAgentCertificate } from '../../src/amphora/agent/agent-cert-files.js';
import { startAgent, type RunningAgent } from '../../src/amphora/agent/agent-server.js';
import { pidAlive } from '../../src/amphora/agent/haproxy-process.js';
import { runtimeCommand } from '../../src/amphora/agent/heartbeat/runtime-socket.js';
import { parseShowInfo, parseShowStat } from '../../src/amphora/agent/heartbeat/show-stat.js';
import { startAmphoraHost } from '../../src/amphora/host/amphora-host.js';
import { renderHaproxyConfig } from '../../src/amphora/haproxy/render-config.js';
import { agentClientTlsOptions } from '../../src/certs/agent-tls.js';
import { CertificateAuthority, type IssuedCertificate } from '../../src/certs/certificate-authority.js';
import { FileCertificateStore } from '../../src/certs/certificate-store.js';
import { createLogger } from '../../src/common/logger.js';
import type { LoadBalancerGraph } from '../../src/db/load-balancer-graph.js';
import { decodeEnvelope } from '../../src/heartbeat/envelope.js';
import { parseHeartbeat, type HeartbeatMessage } from '../../src/heartbeat/message.js';
import { g } from '../helpers/graph-factory.js';
import { freePort } from '../helpers/process-node.js';
import { HttpBackend, waitFor } from '../helpers/traffic.js';

/**
 * The heartbeat sender against a real agent, a real HAProxy and real backends: what arrives on a UDP socket
 * is decoded and checked against the traffic this test sent, through reloads and an agent restart.
 */

const KEY = 'agent-heartbeat-test-key';
const INTERVAL_MS = 100;
const AMPHORA_ID = randomUUID();
const LB_ID = randomUUID();
/** A TCP listener: HAProxy counts its bytes as they are on the wire, so they can be checked exactly. */
const LISTENER_ID = randomUUID();
/** An HTTP listener without a pool, for request errors (HTTP mode counts parsed bytes, not wire bytes). */
const HTTP_LISTENER_ID = randomUUID();
const POOL_ID = randomUUID();
const BACKEND = `${POOL_ID}:${LISTENER_ID}`;
const MEMBER_A = randomUUID();
const MEMBER_B = randomUUID();
/** A member whose server accepts connections and never answers: its health check fails only at its timeout. */
const MEMBER_SLOW = randomUUID();
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

/** Every heartbeat received, in arrival order, from every receiver. */
const received: HeartbeatMessage[] = [];
/** What the test sent through the TCP listener and got back, and the bad requests sent to the HTTP one. */
const traffic = { connections: 0, bytesSent: 0, bytesReceived: 0, badRequests: 0 };

async function udpReceiver(): Promise<{ socket: UdpSocket; target: string; count: () => number }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', (datagram) => {
    const message = parseHeartbeat(decodeEnvelope(datagram, KEY));
    assert.ok(message, 'every datagram is a valid signed v3 heartbeat');
    received.push(message);
    count++;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, target: `127.0.0.1:${socket.address().port}`, count: () => count };
}

/** Send `request` on a new connection and read everything until the far end closes. */
function rawRequest(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('request timed out')));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** HTTP requests through the TCP listener, one connection each, counting the bytes each way exactly. */
async function sendRequests(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const request = `GET /req-${i}-${'x'.repeat(i % 7)} HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n`;
    const answer = await rawRequest(port, request);
    assert.match(answer.toString('utf8'), /^HTTP\/1\.1 200/);
    traffic.connections++;
    traffic.bytesSent += Buffer.byteLength(request);
    traffic.bytesReceived += answer.length;
  }
}

/** Requests HAProxy cannot parse (each on its own connection): request errors of the HTTP listener. */
async function sendBadRequests(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = (await rawRequest(port, 'NOT A REQUEST\r\n\r\n')).toString('utf8');
    assert.match(answer, /^HTTP\/1\.[01] 400/, answer);
    traffic.badRequests++;
  }
}

/** The sums of every delta received for a listener, as a health manager adds them up. */
function summed(listenerId = LISTENER_ID): { tx: number; rx: number; totconns: number; ereq: number } {
  const sum = { tx: 0, rx: 0, totconns: 0, ereq: 0 };
  for (const m of received) {
    const stats = m.listeners[listenerId]?.stats;
    if (!stats) continue;
    for (const k of ['tx', 'rx', 'totconns', 'ereq'] as const) {
      assert.ok(stats[k] >= 0, `seq ${m.seq}: ${k} is ${stats[k]}`);
      sum[k] += stats[k];
    }
  }
  return sum;
}

/** Wait until the summed deltas match the traffic sent, then check a few more messages add nothing. */
async function countersMatchTraffic(): Promise<void> {
  const expected = () => ({
    tcp: { tx: traffic.bytesReceived, rx: traffic.bytesSent, totconns: traffic.connections, ereq: 0 },
    http: { totconns: traffic.badRequests, ereq: traffic.badRequests },
  });
  const actual = () => {
    const http = summed(HTTP_LISTENER_ID);
    return { tcp: summed(), http: { totconns: http.totconns, ereq: http.ereq } };
  };
  await waitFor('summed deltas equal to the traffic', 10_000, async () =>
    JSON.stringify(actual()) === JSON.stringify(expected()) ? true : undefined,
  ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(actual())} != ${JSON.stringify(expected())}`));
  const seen = received.length;
  await waitFor('three more heartbeats', 5_000, async () => (received.length >= seen + 3 ? true : undefined));
  assert.deepEqual(actual(), expected(), 'nothing counted twice');
}

/** The first heartbeat received after `since` messages that satisfies `match`. */
function heartbeatWhere(
  what: string,
  since: number,
  match: (m: HeartbeatMessage) => boolean,
): Promise<HeartbeatMessage> {
  return waitFor(what, 15_000, async () => received.slice(since).find(match));
}

const memberStatus = (m: HeartbeatMessage, member: string) => m.pools[BACKEND]?.members[member];

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** HAProxy pids (not zombies) whose command line names `marker`. */
function haproxyPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('haproxy') && cmdline.includes(marker) && pidAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}

describe('amphora agent heartbeats', () => {
  let dir: string;
  let stateDir: string;
  let certDir: string;
  let lbDir: string;
  let controllerCert: IssuedCertificate;
  let serverCert: IssuedCertificate;
  let agent: RunningAgent | undefined;
  let child: ChildProcess | undefined;
  let agentPort: number;
  let frontendPort: number;
  let httpPort: number;
  let receivers: Array<Awaited<ReturnType<typeof udpReceiver>>>;
  let a: HttpBackend;
  let b: HttpBackend;
  let slow: Awaited<ReturnType<typeof silentServer>>;
  let weightA = 1;

  /** The load balancer's config as the REST driver renders it: members A and B, optionally the silent one. */
  function config(withSlow: boolean): string {
    const graph: LoadBalancerGraph = g.lb();
    graph.loadBalancer.id = LB_ID;
    graph.loadBalancer.vip_address = '127.0.0.1';
    graph.listeners = [
      g.listener({
        id: LISTENER_ID,
        load_balancer_id: LB_ID,
        protocol: 'TCP',
        protocol_port: frontendPort,
        default_pool_id: POOL_ID,
      }),
      g.listener({ id: HTTP_LISTENER_ID, load_balancer_id: LB_ID, protocol_port: httpPort }),
    ];
    graph.pools = [g.pool({ id: POOL_ID, load_balancer_id: LB_ID, protocol: 'TCP' })];
    graph.members = [
      g.member({ id: MEMBER_A, pool_id: POOL_ID, address: '127.0.0.1', protocol_port: a.port, weight: weightA }),
      g.member({ id: MEMBER_B, pool_id: POOL_ID, address: '127.0.0.1', protocol_port: b.port }),
      ...(withSlow
        ? [g.member({ id: MEMBER_SLOW, pool_id: POOL_ID, address: '127.0.0.1', protocol_port: slow.port })]
        : []),
    ];
    // Checks every second, DOWN after one failure, UP after one success; a silent server fails after 3 s.
    graph.healthMonitors = [g.hm({ pool_id: POOL_ID, delay: 1, timeout: 3, max_retries: 1, max_retries_down: 1 })];
    return renderHaproxyConfig(graph, {
      statsSocketPath: join(lbDir, 'stats.sock'),
      serverStateFilePath: join(lbDir, 'servers.state'),
      certDir: join(lbDir, 'certs'),
      maxConnCap: 1000,
    });
  }

  function call(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: agentPort,
          path,
          method,
          agent: false,
          timeout: 30_000,
          ...agentClientTlsOptions(controllerCert, AMPHORA_ID),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Upload a config and reload (or start) HAProxy, as the REST amphora driver does. */
  async function apply(withSlow: boolean): Promise<void> {
    const put = await call('PUT', `/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, config(withSlow));
    assert.equal(put.status, 202, put.text);
    const reload = await call('PUT', `/1.0/loadbalancer/${LB_ID}/reload`);
    assert.equal(reload.status, 202, reload.text);
  }

  /** `show info;show stat` of the worker that answers the stats socket. */
  async function showStat() {
    const text = await runtimeCommand(join(lbDir, 'stats.sock'), 'show info;show stat');
    const worker = parseShowInfo(text);
    assert.ok(worker, text);
    return { worker, stats: parseShowStat(text) };
  }

  /** The first `show stat` answered by a worker other than `oldPid`. */
  async function firstStatAfter(oldPid: number) {
    return waitFor('an answer from the new worker', 10_000, async () => {
      const answer = await showStat();
      return answer.worker.pid !== oldPid ? answer : undefined;
    });
  }

  /** Start the agent as its own process (`tavia amphora-agent`), as on an amphora VM. */
  async function startAgentProcess(): Promise<void> {
    writeFileSync(join(dir, 'heartbeat.key'), `${KEY}\n`);
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'amphora-agent',
        ...['--state-dir', stateDir, '--cert-dir', certDir, '--port', String(agentPort)],
        ...['--amphora-id', AMPHORA_ID, '--heartbeat-key-file', join(dir, 'heartbeat.key')],
        ...['--heartbeat-target', receivers[0]!.target, '--heartbeat-interval-ms', String(INTERVAL_MS)],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor('the agent process answers', 20_000, async () => {
      if (child?.exitCode !== null) throw new Error(`agent exited: ${stderr}`);
      return (await call('GET', '/')).status === 200 ? true : undefined;
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tavia-hb-'));
    stateDir = join(dir, 'state');
    certDir = join(dir, 'certs');
    lbDir = join(stateDir, 'lb', LB_ID);
    const ca = await CertificateAuthority.open(new FileCertificateStore(join(dir, 'ca')));
    controllerCert = await ca.issueClientCertificate();
    serverCert = await ca.issueServerCertificate(AMPHORA_ID, { ipAddresses: ['127.0.0.1'] });
    await writeAgentCertificate(certDir, serverCert);
    receivers = [await udpReceiver(), await udpReceiver()];
    a = await HttpBackend.start('a', '127.0.0.1');
    b = await HttpBackend.start('b', '127.0.0.1');
    slow = await silentServer();
    [agentPort, frontendPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    agent = await startAgent({
      stateDir,
      host: '127.0.0.1',
      port: agentPort,
      tls: serverCert,
      heartbeat: { targets: [receivers[0]!.target], key: KEY, intervalMs: INTERVAL_MS },
    });
  });

  after(async () => {
    await agent?.close();
    if (child?.exitCode === null) child.kill('SIGKILL');
    for (const pid of haproxyPidsWith(dir ?? '\0')) process.kill(pid, 'SIGKILL');
    await a?.stop();
    await b?.stop();
    for (const s of slow?.sockets ?? []) s.destroy();
    await new Promise((resolve) => (slow ? slow.server.close(resolve) : resolve(undefined)));
    for (const r of receivers ?? []) r.socket.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the listener, its pool and members, signed, with the amphora id and growing sequence numbers', async () => {
    const empty = await heartbeatWhere('a heartbeat before any load balancer', 0, () => true);
    assert.equal(empty.id, AMPHORA_ID, "the id comes from the server certificate's name");
    assert.deepEqual([empty.listeners, empty.pools, empty.ver], [{}, {}, 3]);

    const since = received.length;
    await apply(false);
    const up = await heartbeatWhere(
      'both members UP',
      since,
      (m) => memberStatus(m, MEMBER_A) === 'UP' && memberStatus(m, MEMBER_B) === 'UP',
    );
    assert.equal(up.listeners[LISTENER_ID]?.status, 'OPEN');
    assert.equal(up.pools[BACKEND]?.status, 'UP');
    assert.deepEqual(Object.keys(up.pools), [BACKEND]);
    const seqs = received.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, 'one more per message');
    assert.ok(seqs[0]! > Date.now() - 60_000 && seqs[0]! <= Date.now(), 'the first seq is the clock in ms');
  });

  it('moves to the targets PUT /1.0/config names, and refuses bad settings', async () => {
    const bad = await call('PUT', '/1.0/config', JSON.stringify({ targets: ['nowhere'], key: KEY, intervalMs: 100 }));
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).details, /nowhere/);
    assert.equal((await call('PUT', '/1.0/config', 'not json')).status, 400);
    assert.equal((await call('GET', '/1.0/config')).status, 405);

    const settings = { targets: [receivers[1]!.target], key: KEY, intervalMs: INTERVAL_MS };
    const put = await call('PUT', '/1.0/config', JSON.stringify(settings));
    assert.equal(put.status, 202, put.text);
    const atSecond = receivers[1]!.count();
    await waitFor('heartbeats at the new target', 5_000, async () =>
      receivers[1]!.count() >= atSecond + 3 ? true : undefined,
    );
    const atFirst = receivers[0]!.count();
    await waitFor('three more at the new target', 5_000, async () =>
      receivers[1]!.count() >= atSecond + 6 ? true : undefined,
    );
    assert.ok(receivers[0]!.count() <= atFirst + 1, 'the old target gets nothing more (one may have been in flight)');
  });

  it('sends counter deltas whose sums equal the requests and bytes sent', async () => {
    await sendRequests(frontendPort, 40);
    await sendBadRequests(httpPort, 3);
    await countersMatchTraffic();
    assert.ok(traffic.bytesReceived > 40 * 50, 'responses were counted');
  });

  it('neither loses nor doubles counters when HAProxy reloads', async () => {
    // Heartbeats sent by hand here, so the traffic before each reload is never read by a scheduled one: what
    // the old worker counted reaches the health manager only through the reading taken just before the reload.
    const settings = { targets: [receivers[1]!.target], key: KEY, intervalMs: INTERVAL_MS };
    const paused = await call('PUT', '/1.0/config', JSON.stringify({ ...settings, intervalMs: 3_600_000 }));
    assert.equal(paused.status, 202);
    for (let round = 0; round < 3; round++) {
      await agent!.heartbeat.beat();
      await sendRequests(frontendPort, 15);
      await sendBadRequests(httpPort, 1);
      const { worker } = await showStat();
      weightA++;
      await apply(false);
      assert.notEqual((await showStat()).worker.pid, worker.pid, 'a new worker serves');
      await sendRequests(frontendPort, 5);
    }
    await agent!.heartbeat.beat();
    assert.equal((await call('PUT', '/1.0/config', JSON.stringify(settings))).status, 202);
    await countersMatchTraffic();
  });

  it('reports a member whose backend stopped DOWN', async () => {
    const since = received.length;
    await b.stop();
    const down = await heartbeatWhere('member B DOWN', since, (m) => memberStatus(m, MEMBER_B) === 'DOWN');
    assert.equal(memberStatus(down, MEMBER_A), 'UP');
    assert.equal(down.pools[BACKEND]?.status, 'UP');
    await sendRequests(frontendPort, 6);
    await countersMatchTraffic();
  });

  it('keeps members DOWN through a reload: the first show stat of the new worker says DOWN', async () => {
    let since = received.length;
    await apply(true);
    await heartbeatWhere(
      'the silent member DOWN by its check timeout',
      since,
      (m) => memberStatus(m, MEMBER_SLOW) === 'DOWN',
    );

    // A config change reloads HAProxy; the agent saves the members' health first.
    const before = await showStat();
    since = received.length;
    weightA++;
    await apply(true);
    const first = await firstStatAfter(before.worker.pid);
    const status = (id: string) => first.stats.servers.find((s) => s.name === id)?.status;
    assert.equal(status(MEMBER_SLOW), 'DOWN', 'the silent member is still DOWN');
    assert.equal(status(MEMBER_B), 'DOWN', 'the stopped member is still DOWN');
    assert.equal(status(MEMBER_A), 'UP');
    const flapped = received.slice(since).filter((m) => memberStatus(m, MEMBER_SLOW) === 'UP');
    assert.deepEqual(flapped, [], 'no heartbeat said UP');

    // Without the saved state (what a plain reload does), the silent member comes back UP until its check times out.
    rmSync(join(lbDir, 'servers.state'));
    const master = Number(readFileSync(join(lbDir, 'haproxy.pid'), 'utf8'));
    const plainBefore = await showStat();
    process.kill(master, 'SIGUSR2');
    since = received.length;
    const plain = await firstStatAfter(plainBefore.worker.pid);
    assert.equal(plain.stats.servers.find((s) => s.name === MEMBER_SLOW)?.status, 'UP', 'the control shows the flap');
    // The heartbeats follow the new worker even though the agent did not make this reload.
    const flap = await heartbeatWhere('the flap reported', since, (m) => memberStatus(m, MEMBER_SLOW) === 'UP');
    await heartbeatWhere(
      'the silent member DOWN again',
      received.indexOf(flap),
      (m) => memberStatus(m, MEMBER_SLOW) === 'DOWN',
    );
    await countersMatchTraffic();
  });

  it('counts nothing twice when a restarted agent adopts the HAProxy still running', async () => {
    // A planned stop saves the members' health; the agent process then boots the stored config again.
    await agent!.close();
    agent = undefined;
    assert.ok(existsSync(join(lbDir, 'servers.state')), 'health saved at the planned stop');
    let since = received.length;
    await startAgentProcess();
    const booted = await heartbeatWhere(
      'the listener from the new HAProxy',
      since,
      (m) => m.listeners[LISTENER_ID] !== undefined,
    );
    assert.equal(memberStatus(booted, MEMBER_SLOW), 'DOWN', 'health restored at the start');
    assert.ok(booted.seq > received[since - 1]!.seq, 'the restarted agent numbers above the old one');
    await sendRequests(frontendPort, 10);
    await countersMatchTraffic();

    // The agent dies; HAProxy keeps serving; traffic goes on while no agent reports it.
    const haproxy = Number(readFileSync(join(lbDir, 'haproxy.pid'), 'utf8'));
    child!.kill('SIGKILL');
    await waitFor('the agent process gone', 5_000, async () =>
      child!.exitCode !== null || child!.signalCode !== null ? true : undefined,
    );
    assert.ok(pidAlive(haproxy), 'HAProxy outlives its agent');
    await sendRequests(frontendPort, 12);
    since = received.length;
    await startAgentProcess();
    assert.equal(Number(readFileSync(join(lbDir, 'haproxy.pid'), 'utf8')), haproxy, 'the same HAProxy, adopted');
    await heartbeatWhere('a heartbeat of the adopting agent', since, (m) => m.listeners[LISTENER_ID] !== undefined);
    await sendRequests(frontendPort, 3);
    await countersMatchTraffic();
    const seqs = received.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++)
      assert.ok(seqs[i]! > seqs[i - 1]!, `seq grows: ${seqs[i - 1]} then ${seqs[i]}`);
  });

  it('removes a load balancer while heartbeats read it: HAProxy stops at once, the next heartbeats report nothing', async () => {
    // Without the silent member first: a soft stop waits for its health check in flight (up to its 3 s timeout).
    await apply(false);
    await waitFor('only the new master and worker left', 10_000, async () =>
      haproxyPidsWith(lbDir).length === 2 ? true : undefined,
    );
    const pids = haproxyPidsWith(lbDir);
    const started = Date.now();
    const removed = await call('DELETE', `/1.0/listeners/${LB_ID}`);
    assert.equal(removed.status, 200, removed.text);
    assert.ok(Date.now() - started < 2_500, `removal took ${Date.now() - started} ms`);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still alive`);
    const since = received.length;
    const empty = await heartbeatWhere('a heartbeat without the load balancer', since, () => true);
    assert.deepEqual([empty.listeners, empty.pools], [{}, {}]);
  });
});

describe('amphora host heartbeat settings', () => {
  let dir: string;
  let host: Awaited<ReturnType<typeof startAmphoraHost>>;
  let socketPath: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tavia-hbhost-'));
    socketPath = join(dir, 'host.sock');
    host = await startAmphoraHost({ socketPath, ownerDir: dir, log: createLogger('silent') });
  });

  after(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function hostCall(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ socketPath, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it('starts an agent with the settings it is given and applies new ones to an agent already running', async () => {
    const ca = await CertificateAuthority.open(new FileCertificateStore(join(dir, 'ca')));
    const id = randomUUID();
    const certDir = join(dir, 'certs');
    await writeAgentCertificate(certDir, await ca.issueServerCertificate(id, { ipAddresses: ['127.0.0.1'] }));
    const [first, second] = [await udpReceiver(), await udpReceiver()];
    try {
      const spec = { port: 0, certDir, stateDir: join(dir, 'state') };
      const heartbeat = (target: string) => ({ targets: [target], key: KEY, intervalMs: 50 });
      const refused = await hostCall('PUT', `/amphorae/${id}`, {
        ...spec,
        heartbeat: { ...heartbeat(first.target), key: '' },
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /^heartbeat: key/);

      const since = received.length;
      assert.equal(
        (await hostCall('PUT', `/amphorae/${id}`, { ...spec, heartbeat: heartbeat(first.target) })).status,
        200,
      );
      const hello = await heartbeatWhere('a heartbeat of the hosted amphora', since, (m) => m.id === id);
      assert.deepEqual([hello.listeners, hello.pools], [{}, {}]);

      // A control plane that restarted with its health manager elsewhere ensures the amphora again.
      const again = await hostCall('PUT', `/amphorae/${id}`, { ...spec, heartbeat: heartbeat(second.target) });
      assert.equal(again.status, 200);
      assert.equal(again.body.started, false, 'the running agent is kept');
      await waitFor('heartbeats at the new address', 5_000, async () => (second.count() >= 3 ? true : undefined));
      assert.equal(received.filter((m) => m.id === id).length, first.count() + second.count());
    } finally {
      first.socket.close();
      second.socket.close();
    }
  });
});
