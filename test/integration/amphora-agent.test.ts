import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, type RunningAgent } from '../../src/amphora/agent/agent-server.js';
import { pidAlive } from '../../src/amphora/agent/haproxy-process.js';
import { agentClientTlsOptions } from '../../src/certs/agent-tls.js';
import { CertificateAuthority, type IssuedCertificate } from '../../src/certs/certificate-authority.js';
import { FileCertificateStore } from '../../src/certs/certificate-store.js';
import { freePort } from '../helpers/process-node.js';

interface AgentResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const AMPHORA_ID = randomUUID();
const LB_ID = randomUUID();

/** HAProxy pids (master or worker, not zombies) whose command line names `marker`. */
function haproxyPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('haproxy') && cmdline.includes(marker) && pidAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** One plain HTTP GET on a fresh connection; resolves the body or rejects on any failure. */
function get(port: number, agent: http.Agent | false = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

function startBackend(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end(name));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
}

function haproxyConfig(stateDir: string, frontendPort: number, backends: number[]): string {
  return [
    'global',
    '  daemon',
    '  nbthread 1',
    '  maxconn 1000',
    `  stats socket ${join(stateDir, 'stats.sock')} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  option http-keep-alive',
    '  option idle-close-on-response',
    '  option redispatch',
    'frontend fe',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend bk',
    'backend bk',
    '  balance roundrobin',
    ...backends.map((port, i) => `  server s${i + 1} 127.0.0.1:${port}`),
    '',
  ].join('\n');
}

describe('amphora agent', () => {
  let dir: string;
  let stateDir: string;
  let agent: RunningAgent;
  let controllerCert: IssuedCertificate;
  let frontendPort: number;
  const backends: { server: http.Server; port: number }[] = [];

  /** A request to the agent as the controller (or, with `tlsClient` false, without a client certificate). */
  function call(method: string, path: string, body?: string, withCert = true): Promise<AgentResponse> {
    const url = new URL(path, agent.url);
    const tls = withCert
      ? agentClientTlsOptions(controllerCert, AMPHORA_ID)
      : { ca: controllerCert.caPem, checkServerIdentity: () => undefined };
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: url.hostname, port: url.port, path: url.pathname, method, agent: false, timeout: 20_000, ...tls },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** `n` sequential requests through the frontend, each on a new connection. */
  async function sample(n: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push(await get(frontendPort));
    return seen;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tavia-agent-'));
    stateDir = join(dir, 'state');
    const ca = await CertificateAuthority.open(new FileCertificateStore(join(dir, 'ca')));
    controllerCert = await ca.issueClientCertificate();
    const serverCert = await ca.issueServerCertificate(AMPHORA_ID, { ipAddresses: ['127.0.0.1'] });
    agent = await startAgent({ stateDir, host: '127.0.0.1', port: await freePort(), tls: serverCert });
    backends.push(await startBackend('a'), await startBackend('b'));
    frontendPort = await freePort();
  });

  after(async () => {
    await agent?.close();
    for (const b of backends) b.server.closeAllConnections();
    await Promise.all(backends.map((b) => new Promise((resolve) => b.server.close(resolve))));
    for (const pid of haproxyPidsWith(dir ?? '\0')) process.kill(pid, 'SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the controller and refuses a client without a certificate', async () => {
    const root = await call('GET', '/');
    assert.equal(root.status, 200);
    assert.deepEqual(JSON.parse(root.text), { api_version: '1.0' });
    const info = JSON.parse((await call('GET', '/1.0/info')).text) as Record<string, string>;
    assert.equal(info.api_version, '1.0');
    assert.match(info.haproxy_version!, /^2\.\d+/);
    assert.equal(typeof info.hostname, 'string');
    await assert.rejects(call('GET', '/', undefined, false));
    const missing = await call('GET', '/1.0/nothing');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.text), { error: 'Not Found', http_code: 404 });
    assert.deepEqual(JSON.parse((await call('GET', '/1.0/listeners')).text), []);
    const noLb = await call('PUT', `/1.0/loadbalancer/${LB_ID}/start`);
    assert.equal(noLb.status, 404);
    assert.equal(JSON.parse(noLb.text).message, 'Loadbalancer Not Found');
  });

  it('stores a checked config and starts HAProxy on it', async () => {
    const config = haproxyConfig(stateDir, frontendPort, [backends[0]!.port, backends[1]!.port]);
    const put = await call('PUT', `/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, config);
    assert.equal(put.status, 202, put.text);
    const md5 = createHash('md5').update(config).digest('hex');
    assert.equal(put.headers.etag, md5);
    const stored = await call('GET', `/1.0/loadbalancer/${LB_ID}/haproxy`);
    assert.equal(stored.status, 200);
    assert.equal(stored.text, config);
    assert.equal(stored.headers.etag, md5);
    assert.deepEqual(JSON.parse((await call('GET', '/1.0/listeners')).text), [
      { status: 'STOPPED', uuid: LB_ID, type: 'HTTP' },
    ]);

    const start = await call('PUT', `/1.0/loadbalancer/${LB_ID}/start`);
    assert.equal(start.status, 202, start.text);
    assert.deepEqual(JSON.parse((await call('GET', '/1.0/listeners')).text), [
      { status: 'ACTIVE', uuid: LB_ID, type: 'HTTP' },
    ]);
    const seen = await sample(6);
    assert.deepEqual(new Set(seen), new Set(['a', 'b']));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `round robin: ${seen.join(',')}`);
  });

  it('refuses an invalid config and keeps serving the old one', async () => {
    const before = await call('GET', `/1.0/loadbalancer/${LB_ID}/haproxy`);
    const bad = await call('PUT', `/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, 'global\n  no-such-keyword 1\n');
    assert.equal(bad.status, 400);
    const body = JSON.parse(bad.text) as { message: string; details: string };
    assert.equal(body.message, 'Invalid request');
    assert.match(body.details, /no-such-keyword/);
    const after = await call('GET', `/1.0/loadbalancer/${LB_ID}/haproxy`);
    assert.equal(after.text, before.text);
    assert.equal((await call('PUT', `/1.0/loadbalancer/${LB_ID}/reload`)).status, 202);
    assert.deepEqual(new Set(await sample(4)), new Set(['a', 'b']));
    assert.equal((await call('PUT', `/1.0/loadbalancer/${LB_ID}/explode`)).status, 400);
  });

  it('reloads a new config under load without a failed request', async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const maxRequests = 6000;
    let stopAt = Date.now() + 5000; // hard bound; moved closer once the reload is done
    let done = 0;
    let afterReload = 0;
    let reloaded = false;
    const failures: string[] = [];
    const client = async (): Promise<void> => {
      while (Date.now() < stopAt && done < maxRequests) {
        done++;
        await get(frontendPort, keepAlive).catch((err: Error) => failures.push(err.message));
        if (reloaded) afterReload++;
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await sleep(300);
    const config = haproxyConfig(stateDir, frontendPort, [backends[1]!.port]);
    assert.equal((await call('PUT', `/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, config)).status, 202);
    const reload = await call('PUT', `/1.0/loadbalancer/${LB_ID}/reload`);
    assert.equal(reload.status, 202, reload.text);
    reloaded = true;
    stopAt = Math.min(stopAt, Date.now() + 500);
    await load;
    keepAlive.destroy();
    assert.ok(done < maxRequests, `the load hit its cap of ${maxRequests} before the reload finished`);
    assert.ok(afterReload > 20, `only ${afterReload} of ${done} requests ran after the reload`);
    assert.deepEqual(failures, [], `${failures.length} of ${done} requests failed`);
    assert.deepEqual(new Set(await sample(6)), new Set(['b']));
  });

  it('stops and removes the load balancer, and leaves no HAProxy behind', async () => {
    const pids = haproxyPidsWith(stateDir);
    assert.ok(pids.length >= 2, `master and worker expected, got ${pids.join(',')}`);
    const removed = await call('DELETE', `/1.0/listeners/${LB_ID}`);
    assert.equal(removed.status, 200, removed.text);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still alive`);
    assert.equal(await portOpen(frontendPort), false);
    assert.deepEqual(JSON.parse((await call('GET', '/1.0/listeners')).text), []);
    assert.equal((await call('GET', `/1.0/loadbalancer/${LB_ID}/haproxy`)).status, 404);
    assert.equal((await call('DELETE', `/1.0/listeners/${LB_ID}`)).status, 404);
  });

  it('closing the agent stops the HAProxy it runs', async () => {
    const config = haproxyConfig(stateDir, frontendPort, [backends[0]!.port]);
    assert.equal((await call('PUT', `/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, config)).status, 202);
    assert.equal((await call('PUT', `/1.0/loadbalancer/${LB_ID}/start`)).status, 202);
    assert.deepEqual(await sample(2), ['a', 'a']);
    const pids = haproxyPidsWith(stateDir);
    assert.ok(pids.length >= 2);
    await agent.close();
    for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still alive`);
    assert.equal(await portOpen(frontendPort), false);
  });
});
