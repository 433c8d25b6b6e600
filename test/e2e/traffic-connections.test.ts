import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  change,
  createTrafficLoadBalancer,
  freePorts,
  HttpBackend,
  httpGet,
  memberOf,
  tally,
  TcpBackend,
  TcpClient,
  tcpName,
  waitFor,
  type Endpoint,
  type TrafficLoadBalancer,
} from '../helpers/traffic.js';

/**
 * Connections through one real HAProxy: raw TCP balanced across members, a listener's connection_limit,
 * and the client and member timeouts of an HTTP listener (changed by PUT).
 */

const [A, B, C] = BACKEND_ADDRESSES;
const TIMEOUT_MS = 500;

describe('traffic: TCP listeners, connection limits and timeouts', () => {
  let svc: TestService | undefined;
  let lb: TrafficLoadBalancer;
  const stops: Array<() => Promise<void>> = [];
  let slow: HttpBackend;
  let limited: TcpBackend;
  const at = (listener: string): Endpoint => lb.listeners[listener]!.endpoint;

  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'process', network: 'loopback', amphora: 'rest' } });
    const tcp = await Promise.all([TcpBackend.start('ta', A), TcpBackend.start('tb', B), TcpBackend.start('tc', C)]);
    limited = await TcpBackend.start('limited', A);
    slow = await HttpBackend.start('slow', B);
    for (const b of [...tcp, limited, slow]) stops.push(() => b.stop());
    const [tcpPort, limitedPort, timeoutPort] = await freePorts(3);
    const tcpPool = (name: string, members: TcpBackend[]) => ({
      name,
      protocol: 'TCP',
      lb_algorithm: 'ROUND_ROBIN',
      members: members.map((m) => memberOf(m)),
    });
    lb = await createTrafficLoadBalancer(svc, {
      name: 'connections',
      listeners: [
        { name: 'tcp', protocol: 'TCP', protocol_port: tcpPort, default_pool: tcpPool('tcp', tcp) },
        {
          name: 'limited',
          protocol: 'TCP',
          protocol_port: limitedPort,
          connection_limit: 2,
          default_pool: tcpPool('limited', [limited]),
        },
        {
          name: 'timeouts',
          protocol: 'HTTP',
          protocol_port: timeoutPort,
          timeout_client_data: TIMEOUT_MS,
          timeout_member_data: TIMEOUT_MS,
          default_pool: { name: 'timeouts', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [memberOf(slow)] },
        },
      ],
    });
  });

  after(async () => {
    await svc?.stop();
    await Promise.all(stops.map((stop) => stop()));
  });

  it('a TCP listener balances raw TCP connections across its members', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(await tcpName(at('tcp')));
    assert.deepEqual(tally(names), { ta: 2, tb: 2, tc: 2 });
    for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], names.join());
  });

  it('a listener with admin_state_up=false refuses connections, and serves again when enabled', async () => {
    const listenerPath = `/v2/lbaas/listeners/${lb.listeners.tcp!.id}`;
    await change(svc!, 'PUT', listenerPath, { listener: { admin_state_up: false } });
    await assert.rejects(tcpName(at('tcp')));
    await change(svc!, 'PUT', listenerPath, { listener: { admin_state_up: true } });
    assert.match(await tcpName(at('tcp')), /^t[abc]$/);
  });

  it('connection_limit holds back connections beyond the limit until one closes', async () => {
    const clients: TcpClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        clients.push(new TcpClient(at('limited')));
        assert.equal(await clients[i]!.firstLine(), 'limited');
      }
      const third = new TcpClient(at('limited'));
      clients.push(third);
      assert.equal(await third.firstLine(1000), undefined, 'a third connection is not served while two are open');
      assert.equal(limited.connections, 2);
      clients[0]!.close();
      assert.equal(await third.firstLine(), 'limited', 'served once one of the two closed');
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('timeout_member_data ends a request the member does not answer; a listener PUT lengthens it', async () => {
    let started = Date.now();
    const cut = await httpGet(at('timeouts'), '/hold');
    const waited = Date.now() - started;
    assert.equal(cut.status, 504, cut.body);
    assert.ok(waited >= TIMEOUT_MS - 50 && waited < 2500, `answered after ${waited} ms`);
    slow.release();

    await change(svc!, 'PUT', `/v2/lbaas/listeners/${lb.listeners.timeouts!.id}`, {
      listener: { timeout_member_data: 5000 },
    });
    started = Date.now();
    const held = httpGet(at('timeouts'), '/hold');
    await waitFor('the member holds the request', 2000, async () => (slow.holding > 0 ? true : undefined));
    // Released well after the old timeout: the answer is the member's.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 300 - (Date.now() - started)));
    slow.release();
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'slow');
  });

  it('timeout_client_data closes a connection whose client sends nothing', async () => {
    const started = Date.now();
    const idle = new TcpClient(at('timeouts'));
    try {
      assert.ok(await idle.closedByPeer(3000), 'HAProxy closes the idle connection');
      const waited = Date.now() - started;
      assert.ok(waited >= TIMEOUT_MS - 50, `closed after ${waited} ms`);
    } finally {
      idle.close();
    }
  });
});
