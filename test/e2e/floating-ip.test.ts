import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { buildNetworkApi } from '../../src/network/api/network-api.js';
import { DEFAULT_NETWORK_IDS } from '../../src/network/default-networks.js';
import { startFloatingIpForwarding, type FloatingIpForwarding } from '../../src/network/floating/forwarding.js';
import { runNft } from '../../src/network/floating/nft.js';
import { forwardingTableName, parseForwards } from '../../src/network/floating/nft-script.js';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  createTrafficLoadBalancer,
  freePorts,
  httpGet,
  HttpBackend,
  memberOf,
  namesOf,
  tally,
  waitFor,
} from '../helpers/traffic.js';

/**
 * A floating IP that really forwards: associated with a load balancer's VIP port through the network API,
 * HTTP to the floating address reaches both members (nftables DNAT); disassociated, it answers no more.
 */

const REAL_DRIVERS = { compute: 'process', network: 'loopback', amphora: 'rest' };

describe('floating IPs forward to the load balancer', { timeout: 180_000 }, () => {
  let svc: TestService;
  let api: FastifyInstance;
  let forwarding: FloatingIpForwarding;
  let base = '';
  const backends: HttpBackend[] = [];
  const net = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-project-id': 'project-a' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    svc = await TestService.start({ drivers: REAL_DRIVERS });
    // A short interval: the test also changes the database behind the API's back, as another process would.
    forwarding = await startFloatingIpForwarding({
      db: svc.node.db,
      config: svc.config,
      log: svc.node.log,
      intervalMs: 200,
    });
    api = await buildNetworkApi({ db: svc.node.db, config: svc.config, log: svc.node.log, forwarding });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    backends.push(await HttpBackend.start('member-a', BACKEND_ADDRESSES[0]));
    backends.push(await HttpBackend.start('member-b', BACKEND_ADDRESSES[1]));
  });

  after(async () => {
    await api?.close();
    await forwarding?.close({ removeRules: true });
    await Promise.all(backends.map((b) => b.stop()));
    await svc?.stop();
  });

  it('nftables is usable on this machine', async () => {
    assert.equal((await runNft(['list', 'tables'])).code, 0, 'nft list tables');
    assert.equal(forwarding.active, true);
    assert.equal(forwarding.table, forwardingTableName(svc.config.dataDir));
  });

  it('carries HTTP through the floating IP to both members, and stops when disassociated', async () => {
    const [port] = await freePorts(1);
    const lb = await createTrafficLoadBalancer(svc, {
      name: 'fip',
      listeners: [
        {
          name: 'l1',
          protocol: 'HTTP',
          protocol_port: port,
          default_pool: {
            name: 'p1',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: backends.map((b) => memberOf(b)),
          },
        },
      ],
    });
    const shown = await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`);
    const vipPortId = shown.body.loadbalancer.vip_port_id as string;
    assert.deepEqual(tally(await namesOf({ host: lb.vip, port: port! }, 4)), { 'member-a': 2, 'member-b': 2 });

    // An address far from the pool's start, so a parallel suite's first floating IP is another one.
    const wanted = `127.24.4.${100 + Math.floor(Math.random() * 150)}`;
    const created = await net('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.public, floating_ip_address: wanted },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fip = created.body.floatingip;
    const through = { host: fip.floating_ip_address as string, port: port! };
    await assert.rejects(httpGet(through, '/', { timeoutMs: 1000 }), 'nothing answers an unassociated floating IP');

    const set = await net('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vipPortId } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.floatingip.fixed_ip_address, lb.vip);
    const rules = await runNft(['list', 'table', 'ip', forwarding.table]);
    assert.deepEqual(parseForwards(rules.stdout), [{ floating: fip.floating_ip_address, fixed: lb.vip }]);
    // The API synced before answering: the very next request goes through.
    assert.deepEqual(tally(await namesOf(through, 10)), { 'member-a': 5, 'member-b': 5 });

    const unset = await net('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(unset.status, 200);
    await assert.rejects(httpGet(through, '/', { timeoutMs: 1000 }), 'the floating IP no longer answers');

    // A change made by another process (straight into the database) is picked up by the periodic sync.
    await svc.node.db.kysely
      .updateTable('floating_ip')
      .set({ port_id: vipPortId, fixed_ip_address: lb.vip, status: 'ACTIVE' })
      .where('id', '=', fip.id)
      .execute();
    await waitFor('the periodic sync to forward again', 5000, async () => {
      try {
        return (await httpGet(through, '/', { timeoutMs: 500 })).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });

    // Deleting the load balancer deletes its VIP port, which drops the association (as Neutron does).
    assert.equal((await svc.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
    await svc.settle(60_000);
    const after = await net('GET', `/v2.0/floatingips/${fip.id}`);
    assert.equal(after.body.floatingip.port_id, null);
    await forwarding.sync();
    assert.deepEqual(parseForwards((await runNft(['list', 'table', 'ip', forwarding.table])).stdout), []);
    assert.equal((await net('DELETE', `/v2.0/floatingips/${fip.id}`)).status, 204);
  });

  it("removes a stale table of a gone data dir at start, leaves live ones, and a clean stop removes the node's own", async () => {
    const stale = 'tavia_0badc0de';
    const gone = `/tmp/tavia-gone-${process.pid}-${Date.now()}`;
    const made = await runNft(
      ['-f', '-'],
      `add table ip ${stale} { comment "${gone}"; }\nadd chain ip ${stale} output { type nat hook output priority -100; policy accept; }\n`,
    );
    assert.equal(made.code, 0, made.stderr);
    const other = await startFloatingIpForwarding({
      db: svc.node.db,
      config: { ...svc.config, dataDir: `${svc.config.dataDir}/other` },
      log: svc.node.log,
    });
    try {
      assert.notEqual((await runNft(['list', 'table', 'ip', stale])).code, 0, 'the stale table is gone');
      assert.equal((await runNft(['list', 'table', 'ip', forwarding.table])).code, 0, 'a live node keeps its table');
    } finally {
      await other.close({ removeRules: true });
      await runNft(['delete', 'table', 'ip', stale]);
    }
    assert.notEqual((await runNft(['list', 'table', 'ip', other.table])).code, 0, 'a clean stop removes the table');
  });
});
