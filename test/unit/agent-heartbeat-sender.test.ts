import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HeartbeatSender, type HeartbeatSource } from '../../src/amphora/agent/heartbeat/heartbeat-sender.js';
import { parseTarget, validateHeartbeatSettings } from '../../src/amphora/agent/heartbeat/heartbeat-settings.js';
import { decodeEnvelope } from '../../src/heartbeat/envelope.js';
import { parseHeartbeat, type HeartbeatMessage } from '../../src/heartbeat/message.js';

const KEY = 'sender-test-key';
const dir = mkdtempSync(join(tmpdir(), 'tavia-sender-'));
const cleanups: Array<() => Promise<unknown> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** What a fake HAProxy reports; tests change it between messages. */
interface FakeWorker {
  pid: number;
  stot: number;
  bin: number;
  bout: number;
}

/**
 * A Unix socket speaking HAProxy's interactive CLI like the workers of one HAProxy with one listener `l-<name>`:
 * `prompt`, `show info` and `show stat`. A connection stays with the worker that accepted it; after `reload()`
 * that worker says `Stopping: 1` and new connections go to the new one.
 */
async function fakeHaproxy(name: string, first: FakeWorker, mode: 'answer' | 'hang' = 'answer') {
  const path = join(dir, `${name}.sock`);
  const held: Socket[] = [];
  let current = first;
  const server: Server = createServer((socket) => {
    held.push(socket);
    const worker = current;
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const command = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (mode === 'hang') continue;
        const stopping = worker === current ? 0 : 1;
        if (command === 'prompt') socket.write('\n> ');
        else if (command === 'show info')
          socket.write(
            `Name: HAProxy\nPid: ${worker.pid}\nStopping: ${stopping}\nStart_time_sec: ${worker.pid * 10}\n\n> `,
          );
        else if (command === 'show stat')
          socket.write(
            [
              '# pxname,svname,scur,slim,stot,bin,bout,ereq,status,weight,type,check_status',
              `l-${name},FRONTEND,2,100,${worker.stot},${worker.bin},${worker.bout},0,OPEN,,0,`,
              `p-${name}:l-${name},m-${name},0,,0,0,0,,UP,1,2,L7OK`,
              `p-${name}:l-${name},BACKEND,0,,0,0,0,,UP,1,1,`,
              '',
              '> ',
            ].join('\n'),
          );
        else socket.write('Unknown command.\n\n> ');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => {
    for (const s of held) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const source: HeartbeatSource = { lbId: name, statsSocket: path, countersFile: join(dir, `${name}.json`) };
  return {
    ...source,
    connections: () => held.length,
    open: () => held.filter((s) => !s.destroyed && !s.readableEnded).length,
    dropConnections: () => held.forEach((s) => s.destroy()),
    /** A reload: `next` serves new connections, the old worker says it is stopping. */
    reload: (next: FakeWorker) => (current = next),
  };
}

/** A UDP socket collecting decoded heartbeats. */
async function receiver(): Promise<{ target: string; messages: HeartbeatMessage[]; socket: UdpSocket }> {
  const socket = createSocket('udp4');
  const messages: HeartbeatMessage[] = [];
  socket.on('message', (datagram) => {
    const message = parseHeartbeat(decodeEnvelope(datagram, KEY));
    assert.ok(message, 'a valid v3 heartbeat');
    messages.push(message);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { target: `127.0.0.1:${socket.address().port}`, messages, socket };
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('heartbeat settings', () => {
  it('accepts ip:port targets only', () => {
    assert.deepEqual(parseTarget('127.0.0.1:5555'), { host: '127.0.0.1', port: 5555, family: 4 });
    assert.deepEqual(parseTarget('[::1]:5555'), { host: '::1', port: 5555, family: 6 });
    for (const bad of ['localhost:5555', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:5555', '[127.0.0.1]:5'])
      assert.equal(parseTarget(bad), undefined, bad);
  });

  it('names the first bad field', () => {
    const ok = { targets: ['127.0.0.1:5555'], key: 'k', intervalMs: 1000 };
    assert.deepEqual(validateHeartbeatSettings(ok), { settings: ok });
    assert.deepEqual(validateHeartbeatSettings({ ...ok, targets: [] }), { settings: { ...ok, targets: [] } });
    assert.match((validateHeartbeatSettings({ ...ok, targets: 'x' }) as { error: string }).error, /^targets/);
    assert.match((validateHeartbeatSettings({ ...ok, targets: ['x:1'] }) as { error: string }).error, /'x:1'/);
    assert.match((validateHeartbeatSettings({ ...ok, key: '' }) as { error: string }).error, /^key/);
    assert.match((validateHeartbeatSettings({ ...ok, intervalMs: 0 }) as { error: string }).error, /^intervalMs/);
    assert.match((validateHeartbeatSettings({ ...ok, intervalMs: 1.5 }) as { error: string }).error, /^intervalMs/);
    assert.match((validateHeartbeatSettings(null) as { error: string }).error, /object/);
  });
});

describe('heartbeat sender', () => {
  it('sends nothing without targets', async () => {
    const source = await fakeHaproxy('idle', { pid: 1, stot: 0, bin: 0, bout: 0 });
    const sender = new HeartbeatSender({ amphoraId: 'amp-idle', sources: async () => [source] });
    cleanups.push(() => sender.close());
    assert.equal(await sender.beat(), undefined);
    sender.configure({ targets: [], key: KEY, intervalMs: 10 });
    assert.equal(await sender.beat(), undefined);
    assert.equal(sender.stats.lastSeq, undefined);
  });

  it('numbers messages from the clock upwards and sends each to the next target in turn', async () => {
    const a = await receiver();
    const b = await receiver();
    const source = await fakeHaproxy('rr', { pid: 7, stot: 0, bin: 0, bout: 0 });
    const before = Date.now();
    const sender = new HeartbeatSender({ amphoraId: 'amp-rr', sources: async () => [source] });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [a.target, b.target], key: KEY, intervalMs: 3_600_000 });
    const sent: number[] = [];
    for (let i = 0; i < 4; i++) sent.push((await sender.beat())!.seq);
    await until('4 datagrams', 2000, () => a.messages.length + b.messages.length === 4);
    assert.ok(sent[0]! >= before && sent[0]! <= Date.now(), 'the first seq is the start time in ms');
    assert.deepEqual(sent, [sent[0]!, sent[0]! + 1, sent[0]! + 2, sent[0]! + 3]);
    assert.deepEqual(
      a.messages.map((m) => m.seq),
      [sent[0], sent[2]],
    );
    assert.deepEqual(
      b.messages.map((m) => m.seq),
      [sent[1], sent[3]],
    );
    assert.equal(a.messages[0]!.id, 'amp-rr');
    assert.deepEqual(a.messages[0]!.pools, { 'p-rr:l-rr': { status: 'UP', members: { 'm-rr': 'UP' } } });
    assert.equal(sender.stats.sent, 4);
  });

  it('leaves out a load balancer whose HAProxy is dead or does not answer in time', async () => {
    const live = await fakeHaproxy('live', { pid: 8, stot: 5, bin: 50, bout: 500 });
    const hung = await fakeHaproxy('hung', { pid: 9, stot: 0, bin: 0, bout: 0 }, 'hang');
    const dead: HeartbeatSource = {
      lbId: 'dead',
      statsSocket: join(dir, 'nobody.sock'),
      countersFile: join(dir, 'd.json'),
    };
    const none: HeartbeatSource = {
      lbId: 'none',
      statsSocket: undefined,
      countersFile: join(dir, 'n.json'),
    };
    const r = await receiver();
    const sender = new HeartbeatSender({
      amphoraId: 'amp-partial',
      sources: async () => [dead, hung, live, none],
      readTimeoutMs: 200,
    });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [r.target], key: KEY, intervalMs: 3_600_000 });
    const started = Date.now();
    const message = (await sender.beat())!;
    assert.ok(Date.now() - started < 1500, `one beat is bounded (${Date.now() - started} ms)`);
    assert.deepEqual(Object.keys(message.listeners), ['l-live']);
    assert.deepEqual(message.listeners['l-live']!.stats, { tx: 500, rx: 50, conns: 2, totconns: 5, ereq: 0 });
    assert.equal(sender.stats.unreadable, 3);
  });

  it("counts the old worker's traffic up to the switch, read just before and after a reload", async () => {
    const old: FakeWorker = { pid: 20, stot: 10, bin: 100, bout: 1000 };
    const fake = await fakeHaproxy('reload', old);
    const r = await receiver();
    const sender = new HeartbeatSender({ amphoraId: 'amp-reload', sources: async () => [fake] });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [r.target], key: KEY, intervalMs: 3_600_000 });
    assert.equal((await sender.beat())!.listeners['l-reload']!.stats.totconns, 10);
    Object.assign(old, { stot: 13, bin: 130, bout: 1300 });
    await sender.captureBeforeReload(fake);
    // Between that reading and the switch the old worker still served a little.
    Object.assign(old, { stot: 14, bin: 140, bout: 1400 });
    fake.reload({ pid: 21, stot: 2, bin: 20, bout: 200 });
    const stats = (await sender.beat())!.listeners['l-reload']!.stats;
    assert.deepEqual(stats, { tx: 400 + 200, rx: 40 + 20, conns: 2, totconns: 4 + 2, ereq: 0 });
    const again = (await sender.beat())!.listeners['l-reload']!.stats;
    assert.deepEqual([again.tx, again.rx, again.totconns], [0, 0, 0]);
  });

  it('lets go of the connection before HAProxy stops, so it does not keep a worker alive', async () => {
    const fake = await fakeHaproxy('release', { pid: 40, stot: 0, bin: 0, bout: 0 });
    const r = await receiver();
    const sender = new HeartbeatSender({ amphoraId: 'amp-release', sources: async () => [fake] });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [r.target], key: KEY, intervalMs: 3_600_000 });
    await sender.beat();
    assert.equal(fake.open(), 1);
    sender.release('release');
    await until('the connection closed', 2000, () => fake.open() === 0);
  });

  it('keeps one connection per HAProxy, and moves to the new worker when the old one says it is stopping', async () => {
    const old: FakeWorker = { pid: 30, stot: 1, bin: 10, bout: 100 };
    const fake = await fakeHaproxy('lasting', old);
    const r = await receiver();
    const sender = new HeartbeatSender({ amphoraId: 'amp-lasting', sources: async () => [fake] });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [r.target], key: KEY, intervalMs: 3_600_000 });
    for (let i = 0; i < 5; i++) assert.ok((await sender.beat())!.listeners['l-lasting']);
    assert.equal(fake.connections(), 1, 'five heartbeats, one connection');

    // A reload the agent did not see: the old worker counted a little more before the new one took over.
    Object.assign(old, { stot: 3, bin: 30, bout: 300 });
    fake.reload({ pid: 31, stot: 2, bin: 20, bout: 200 });
    const after = (await sender.beat())!.listeners['l-lasting']!.stats;
    assert.equal(fake.connections(), 2);
    assert.deepEqual(
      [after.totconns, after.rx, after.tx],
      [2 + 2, 20 + 20, 200 + 200],
      "the old worker's last, then the new",
    );
    const idle = (await sender.beat())!.listeners['l-lasting']!.stats;
    assert.deepEqual([idle.totconns, idle.rx, idle.tx], [0, 0, 0]);
    assert.equal(fake.connections(), 2, 'the new worker is kept');

    // HAProxy closed the idle connection (stats timeout): the next read opens another one, nothing is missed.
    fake.dropConnections();
    assert.ok((await sender.beat())!.listeners['l-lasting'], 'still reported');
    assert.equal(fake.connections(), 3);
  });

  it('beats on its own every interval, and stops when the targets are taken away', async () => {
    const r = await receiver();
    const sender = new HeartbeatSender({ amphoraId: 'amp-timer', sources: async () => [] });
    cleanups.push(() => sender.close());
    sender.configure({ targets: [r.target], key: KEY, intervalMs: 20 });
    await until('5 scheduled heartbeats', 3000, () => r.messages.length >= 5);
    const seqs = r.messages.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1);
    sender.configure({ targets: [], key: KEY, intervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const count = r.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(r.messages.length, count, 'no targets: no more messages');
  });
});
