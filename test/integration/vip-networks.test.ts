import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { newId, nowTimestamp } from '../../src/common/ids.js';
import { createLogger } from '../../src/common/logger.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import { numberToIpv4, ipv4ToNumber } from '../../src/network/ipv4.js';
import { LoopbackNetworkDriver } from '../../src/network/loopback/loopback-network-driver.js';
import { createPortWithAddress } from '../../src/network/ports.js';
import { findSubnet } from '../../src/network/subnets.js';
import { startNode } from '../../src/service/node.js';
import { networkIdByName, subnetIdByName } from '../helpers/networks.js';
import { freshDatabaseUrl, TEST_DIALECT, TestService } from '../helpers/service.js';

/**
 * VIPs from the stored network model (loopback network driver): the default networks, each form of VIP
 * request Octavia takes, the faults for bad ones, unique addresses under concurrency (in one process and
 * across two), and the port's life with its load balancer.
 */

const LBS = '/v2/lbaas/loadbalancers';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

/** A network with one IPv4 subnet (or none), written straight into the tables (the Neutron API is issue 5's). */
async function addNetwork(
  db: Db,
  name: string,
  subnet: { cidr: string; pools: Array<{ start: string; end: string }> } | null,
): Promise<{ networkId: string; subnetId: string }> {
  const networkId = newId();
  const subnetId = newId();
  const now = nowTimestamp();
  await db.kysely
    .insertInto('network')
    .values({
      id: networkId,
      project_id: null,
      name,
      admin_state_up: true,
      status: 'ACTIVE',
      shared: true,
      router_external: false,
      port_security_enabled: true,
      mtu: 1500,
      created_at: now,
      updated_at: null,
    })
    .execute();
  if (!subnet) return { networkId, subnetId };
  await db.kysely
    .insertInto('subnet')
    .values({
      id: subnetId,
      network_id: networkId,
      project_id: null,
      name: `${name}-subnet`,
      cidr: subnet.cidr,
      ip_version: 4,
      gateway_ip: null,
      allocation_pools: JSON.stringify(subnet.pools),
      enable_dhcp: false,
      created_at: now,
      updated_at: null,
    })
    .execute();
  return { networkId, subnetId };
}

/** `count` ports holding consecutive addresses from `first`, written in one go (faster than allocating them). */
async function fillPorts(db: Db, networkId: string, subnetId: string, first: number, count: number): Promise<void> {
  const now = nowTimestamp();
  const ports = Array.from({ length: count }, (_, i) => ({ id: newId(), n: first + i }));
  for (let i = 0; i < ports.length; i += 500) {
    const chunk = ports.slice(i, i + 500);
    await db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('port')
        .values(
          chunk.map((p) => ({
            id: p.id,
            network_id: networkId,
            project_id: 'filler',
            name: 'filler',
            device_owner: 'compute:nova',
            device_id: `vm-${p.id}`,
            mac_address: 'fa:16:3e:00:00:00',
            admin_state_up: true,
            status: 'ACTIVE',
            created_at: now,
            updated_at: null,
          })),
        )
        .execute();
      await trx
        .insertInto('port_fixed_ip')
        .values(
          chunk.map((p) => ({ port_id: p.id, subnet_id: subnetId, ip_address: numberToIpv4(p.n), ip_number: p.n })),
        )
        .execute();
    });
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

describe('VIPs from the stored network model (loopback network driver)', () => {
  let svc: TestService;
  let db: Db;
  let privateNet: string;
  let privateSubnet: string;
  let publicNet: string;
  let publicSubnet: string;

  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'noop', network: 'loopback', amphora: 'noop' } });
    db = svc.node.db;
    privateNet = await networkIdByName(db, 'private');
    privateSubnet = await subnetIdByName(db, 'private-subnet');
    publicNet = await networkIdByName(db, 'public');
    publicSubnet = await subnetIdByName(db, 'public-subnet');
  });
  after(() => svc.stop());

  /** Rows a refused request must not leave behind. */
  async function counts() {
    const count = async (table: 'port' | 'port_fixed_ip' | 'load_balancer' | 'job') =>
      Number(
        (
          await db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      ports: await count('port'),
      fixedIps: await count('port_fixed_ip'),
      loadBalancers: await count('load_balancer'),
      jobs: await count('job'),
    };
  }

  async function expectRefused(loadbalancer: Record<string, unknown>, status: number, faultstring: string) {
    const before = await counts();
    const res = await svc.post(LBS, { loadbalancer });
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
    assert.deepEqual(await counts(), before, 'a refused request stored nothing');
  }

  async function createLb(loadbalancer: Record<string, unknown>): Promise<Record<string, any>> {
    const res = await svc.post(LBS, { loadbalancer });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.loadbalancer;
  }

  async function deleteLb(id: string): Promise<void> {
    await svc.settle();
    const res = await svc.del(`${LBS}/${id}`);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    await svc.settle();
    assert.equal((await svc.get(`${LBS}/${id}`)).status, 404);
  }

  const portRow = (id: string) => db.kysely.selectFrom('port').selectAll().where('id', '=', id).executeTakeFirst();
  const fixedIpsOf = (portId: string) =>
    db.kysely.selectFrom('port_fixed_ip').selectAll().where('port_id', '=', portId).execute();

  /** A port as a user would make it in Neutron: no device, one address on `subnetId`. */
  async function userPort(subnetId: string, address?: string): Promise<{ id: string; address: string }> {
    const subnet = (await findSubnet(db.kysely, subnetId))!;
    const port = await createPortWithAddress(
      db,
      subnet,
      { projectId: 'project-a', name: 'user-port', deviceOwner: '', deviceId: '' },
      address === undefined ? undefined : ipv4ToNumber(address)!,
    );
    return { id: port.portId, address: port.address };
  }

  it('creates the default networks at start, once, and a second start over the same database adds none', async () => {
    const networks = await db.kysely.selectFrom('network').selectAll().orderBy('name').execute();
    assert.deepEqual(
      networks.map((n) => ({
        name: n.name,
        shared: Boolean(n.shared),
        external: Boolean(n.router_external),
        status: n.status,
      })),
      [
        { name: 'private', shared: true, external: false, status: 'ACTIVE' },
        { name: 'public', shared: true, external: true, status: 'ACTIVE' },
      ],
    );
    const subnets = await db.kysely.selectFrom('subnet').selectAll().orderBy('name').execute();
    assert.deepEqual(
      subnets.map((s) => ({
        name: s.name,
        network_id: s.network_id,
        cidr: s.cidr,
        ip_version: s.ip_version,
        gateway_ip: s.gateway_ip,
        allocation_pools: JSON.parse(s.allocation_pools),
      })),
      [
        {
          name: 'private-subnet',
          network_id: privateNet,
          cidr: '127.10.0.0/16',
          ip_version: 4,
          gateway_ip: '127.10.0.1',
          allocation_pools: [{ start: '127.10.0.2', end: '127.10.191.254' }],
        },
        {
          name: 'public-subnet',
          network_id: publicNet,
          cidr: '127.24.4.0/24',
          ip_version: 4,
          gateway_ip: '127.24.4.1',
          allocation_pools: [{ start: '127.24.4.2', end: '127.24.4.254' }],
        },
      ],
    );

    const second = await startNode(svc.config, { api: false, worker: false }, createLogger('silent'));
    await second.stop();
    assert.equal((await db.kysely.selectFrom('network').select('id').execute()).length, 2);
    assert.equal((await db.kysely.selectFrom('subnet').select('id').execute()).length, 2);
  });

  it('vip_subnet_id: the first pool address, on a port made for the load balancer', async () => {
    const lb = await createLb({ vip_subnet_id: privateSubnet });
    assert.equal(lb.vip_address, '127.10.0.2');
    assert.equal(lb.vip_subnet_id, privateSubnet);
    assert.equal(lb.vip_network_id, privateNet);
    const port = await portRow(lb.vip_port_id);
    assert.ok(port, 'the VIP port is stored');
    assert.equal(port.name, `octavia-lb-${lb.id}`);
    assert.equal(port.device_owner, 'Octavia');
    assert.equal(port.device_id, `lb-${lb.id}`);
    assert.equal(port.network_id, privateNet);
    assert.equal(port.project_id, 'project-a');
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(
      (await fixedIpsOf(port.id)).map((ip) => [ip.subnet_id, ip.ip_address]),
      [[privateSubnet, '127.10.0.2']],
    );
    const next = await createLb({ vip_subnet_id: privateSubnet });
    assert.equal(next.vip_address, '127.10.0.3');
  });

  it('vip_subnet_id with vip_address: any free host address of the CIDR, in the pool or not', async () => {
    const outsidePool = await createLb({ vip_subnet_id: privateSubnet, vip_address: '127.10.200.10' });
    assert.equal(outsidePool.vip_address, '127.10.200.10');
    const inPool = await createLb({ vip_subnet_id: publicSubnet, vip_address: '127.24.4.77' });
    assert.equal(inPool.vip_address, '127.24.4.77');
    assert.equal(inPool.vip_network_id, publicNet);
    assert.deepEqual(
      (await fixedIpsOf(inPool.vip_port_id)).map((ip) => ip.ip_address),
      ['127.24.4.77'],
    );
  });

  it('vip_network_id: a subnet of the network, the one holding vip_address, or the one named', async () => {
    const any = await createLb({ vip_network_id: publicNet });
    assert.equal(any.vip_subnet_id, publicSubnet);
    assert.equal(any.vip_network_id, publicNet);
    assert.match(any.vip_address, /^127\.24\.4\.\d+$/);

    const byAddress = await createLb({ vip_network_id: privateNet, vip_address: '127.10.200.11' });
    assert.equal(byAddress.vip_subnet_id, privateSubnet);
    assert.equal(byAddress.vip_address, '127.10.200.11');

    const named = await createLb({ vip_network_id: privateNet, vip_subnet_id: privateSubnet });
    assert.equal(named.vip_subnet_id, privateSubnet);
    assert.match(named.vip_address, /^127\.10\.\d+\.\d+$/);

    await expectRefused(
      { vip_network_id: privateNet, vip_subnet_id: publicSubnet },
      400,
      `Subnet ${publicSubnet} not found.`,
    );
    await expectRefused(
      { vip_network_id: privateNet, vip_address: '127.24.4.9' },
      400,
      'Validation failure: Supplied network does not contain a subnet for VIP address specified.',
    );
  });

  it('vip_port_id: the port fixed IP; the port is attached, refused to a second load balancer, and survives the delete', async () => {
    const port = await userPort(privateSubnet, '127.10.200.20');
    const lb = await createLb({ vip_port_id: port.id });
    assert.equal(lb.vip_port_id, port.id);
    assert.equal(lb.vip_address, '127.10.200.20');
    assert.equal(lb.vip_subnet_id, privateSubnet);
    assert.equal(lb.vip_network_id, privateNet);
    assert.equal((await portRow(port.id))!.device_id, `lb-${lb.id}`);

    await expectRefused(
      { vip_port_id: port.id },
      400,
      `Validation failure: Port ${port.id} is already used by device lb-${lb.id} `,
    );

    await deleteLb(lb.id);
    const after = await portRow(port.id);
    assert.ok(after, 'a port the user supplied is not deleted');
    assert.equal(after.name, 'user-port');
    assert.equal(after.device_id, '', 'and is free again');
    assert.deepEqual(
      (await fixedIpsOf(port.id)).map((ip) => ip.ip_address),
      ['127.10.200.20'],
    );
    // Free again: another load balancer may take it.
    const again = await createLb({ vip_port_id: port.id, vip_address: '127.10.200.20', vip_subnet_id: privateSubnet });
    assert.equal(again.vip_address, '127.10.200.20');
    await deleteLb(again.id);
  });

  it('vip_port_id with an address or subnet the port does not hold is refused', async () => {
    const port = await userPort(privateSubnet);
    await expectRefused(
      { vip_port_id: port.id, vip_address: '127.10.200.99' },
      400,
      'Validation failure: Specified VIP address not found on the specified VIP port.',
    );
    await expectRefused(
      { vip_port_id: port.id, vip_subnet_id: publicSubnet },
      400,
      `Validation failure: VIP port ${port.id} has no fixed IP on subnet ${publicSubnet}.`,
    );
    assert.equal((await portRow(port.id))!.device_id, '', 'a refused request leaves the port free');
  });

  it('unknown subnet, network or port: a 400 fault and nothing stored', async () => {
    const unknown = newId();
    await expectRefused({ vip_subnet_id: unknown }, 400, `Subnet ${unknown} not found.`);
    await expectRefused({ vip_network_id: unknown }, 400, `Network ${unknown} not found.`);
    await expectRefused({ vip_port_id: unknown }, 400, `Port ${unknown} not found.`);
    await expectRefused({ vip_network_id: privateNet, vip_subnet_id: unknown }, 400, `Subnet ${unknown} not found.`);
    await expectRefused(
      { vip_port_id: (await userPort(privateSubnet)).id, vip_subnet_id: unknown },
      400,
      `Subnet ${unknown} not found.`,
    );
  });

  it('an address outside the subnet, or its network or broadcast address, is refused', async () => {
    for (const address of ['10.0.0.5', '127.11.0.5', '127.10.0.0', '127.10.255.255', '::1'])
      await expectRefused(
        { vip_subnet_id: privateSubnet, vip_address: address },
        400,
        `IP address ${address} is not a valid IP for the specified subnet.`,
      );
  });

  it('an address in use (or the gateway) is a 409', async () => {
    await createLb({ vip_subnet_id: privateSubnet, vip_address: '127.10.200.30' });
    await expectRefused(
      { vip_subnet_id: privateSubnet, vip_address: '127.10.200.30' },
      409,
      `IP address 127.10.200.30 already allocated in subnet ${privateSubnet}`,
    );
    await expectRefused(
      { vip_network_id: privateNet, vip_address: '127.10.200.30' },
      409,
      `IP address 127.10.200.30 already allocated in subnet ${privateSubnet}`,
    );
    await expectRefused(
      { vip_subnet_id: privateSubnet, vip_address: '127.10.0.1' },
      409,
      `IP address 127.10.0.1 already allocated in subnet ${privateSubnet}`,
    );
  });

  it('30 concurrent creates get 30 distinct addresses, each on its own port', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        svc.post(LBS, { loadbalancer: i % 2 ? { vip_subnet_id: privateSubnet } : { vip_network_id: privateNet } }),
      ),
    );
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    const lbs = results.map((r) => r.body.loadbalancer);
    assert.equal(new Set(lbs.map((lb) => lb.vip_address)).size, 30);
    assert.equal(new Set(lbs.map((lb) => lb.vip_port_id)).size, 30);
    for (const lb of lbs) {
      assert.deepEqual(
        (await fixedIpsOf(lb.vip_port_id)).map((ip) => ip.ip_address),
        [lb.vip_address],
      );
    }
    await svc.settle();
  });

  it('a delete frees the address and removes the port; deallocating again changes nothing', async () => {
    const lb = await createLb({ vip_subnet_id: privateSubnet, vip_address: '127.10.200.40' });
    await deleteLb(lb.id);
    assert.equal(await portRow(lb.vip_port_id), undefined);
    assert.deepEqual(await fixedIpsOf(lb.vip_port_id), []);
    const vip = { address: lb.vip_address, portId: lb.vip_port_id, subnetId: privateSubnet, networkId: privateNet };
    await new LoopbackNetworkDriver(db).deallocateVip(lb.id, vip);
    const reuse = await createLb({ vip_subnet_id: privateSubnet, vip_address: '127.10.200.40' });
    assert.equal(reuse.vip_address, '127.10.200.40');
  });

  it('a full pool: the lowest gap is reused; then Neutron 409 on a subnet, Octavia 400 on a network', async () => {
    const { networkId, subnetId } = await addNetwork(db, 'tiny', {
      cidr: '127.30.0.0/29',
      pools: [{ start: '127.30.0.2', end: '127.30.0.6' }],
    });
    const driver = new LoopbackNetworkDriver(db);
    const lbIds = Array.from({ length: 5 }, () => newId());
    const vips = [];
    for (const loadBalancerId of lbIds)
      vips.push(await driver.allocateVip({ loadBalancerId, projectId: 'p', subnetId }));
    assert.deepEqual(
      vips.map((v) => v.address),
      ['127.30.0.2', '127.30.0.3', '127.30.0.4', '127.30.0.5', '127.30.0.6'],
    );
    await expectRefused({ vip_subnet_id: subnetId }, 409, `No more IP addresses available on network ${networkId}.`);
    await expectRefused(
      { vip_network_id: networkId },
      400,
      'Validation failure: Subnet(s) in the supplied network do not contain enough available IPs.',
    );
    await driver.deallocateVip(lbIds[2]!, vips[2]!);
    assert.equal(await portRow(vips[2]!.portId), undefined);
    const reused = await createLb({ vip_network_id: networkId });
    assert.equal(reused.vip_address, '127.30.0.4');

    const empty = await addNetwork(db, 'empty', null);
    await expectRefused(
      { vip_network_id: empty.networkId },
      400,
      'Validation failure: Supplied network does not contain a subnet.',
    );
  });

  it('allocation stays fast with 1,000 ports on the subnet (next address, and the gap search)', async (t) => {
    const big = await addNetwork(db, 'big', {
      cidr: '127.32.0.0/16',
      pools: [{ start: '127.32.0.1', end: '127.32.3.232' }],
    });
    const first = ipv4ToNumber('127.32.0.1')!;
    await fillPorts(db, big.networkId, big.subnetId, first, 1000 - 200);
    const driver = new LoopbackNetworkDriver(db);
    const time = async (subnetId = big.subnetId) => {
      const start = performance.now();
      const vip = await driver.allocateVip({ loadBalancerId: newId(), projectId: 'p', subnetId });
      return { ms: performance.now() - start, vip };
    };
    // The same allocation on an empty subnet: what a port and its address cost without any scan.
    const empty = await addNetwork(db, 'baseline', {
      cidr: '127.33.0.0/16',
      pools: [{ start: '127.33.0.1', end: '127.33.3.232' }],
    });
    const emptyTimes: number[] = [];
    for (let i = 0; i < 50; i++) emptyTimes.push((await time(empty.subnetId)).ms);
    // 800 ports held: the next 200 allocations each take the address after the highest, reaching 1,000.
    const nextTimes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const { ms, vip } = await time();
      assert.equal(vip.address, numberToIpv4(first + 800 + i));
      nextTimes.push(ms);
    }
    // The pool (1,000 addresses) is now full: free 50 scattered ones and time the gap search that finds them.
    const held = await db.kysely
      .selectFrom('port_fixed_ip')
      .select(['port_id', 'ip_number'])
      .where('subnet_id', '=', big.subnetId)
      .orderBy('ip_number')
      .execute();
    assert.equal(held.length, 1000);
    const freed = held.filter((_, i) => i % 20 === 7).map((h) => h.ip_number!);
    await db.kysely
      .deleteFrom('port_fixed_ip')
      .where('subnet_id', '=', big.subnetId)
      .where('ip_number', 'in', freed)
      .execute();
    const gapTimes: number[] = [];
    for (const expected of freed) {
      const { ms, vip } = await time();
      assert.equal(vip.address, numberToIpv4(expected), 'the lowest free address once the pool is full');
      gapTimes.push(ms);
    }
    emptyTimes.sort((a, b) => a - b);
    nextTimes.sort((a, b) => a - b);
    gapTimes.sort((a, b) => a - b);
    const summary =
      `${TEST_DIALECT}: empty subnet p50 ${percentile(emptyTimes, 0.5).toFixed(2)} ms (50 runs); 1,000 ports on the subnet: next-address allocation p50 ${percentile(nextTimes, 0.5).toFixed(2)} ms ` +
      `p99 ${percentile(nextTimes, 0.99).toFixed(2)} ms (200 runs); gap search p50 ${percentile(gapTimes, 0.5).toFixed(2)} ms ` +
      `p99 ${percentile(gapTimes, 0.99).toFixed(2)} ms (50 runs)`;
    t.diagnostic(summary);
    // Generous bounds, relative to the empty subnet so a busy machine does not fail them: this is the whole
    // allocateVip (subnet read, port and address insert, commit), which must not grow with the ports held.
    const base = percentile(emptyTimes, 0.5);
    assert.ok(percentile(nextTimes, 0.5) < Math.max(20, 3 * base), summary);
    assert.ok(percentile(gapTimes, 0.5) < Math.max(50, 6 * base), summary);
  });
});

interface Child {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  errors: () => string;
  exited: Promise<number | null>;
}

describe('two nodes starting at once on a fresh database', () => {
  /** A node-like child process: migrate, ensure the defaults, wait for "go", allocate `count` VIPs (5 at a time). */
  const CHILD = (count: number) => `
    import { randomUUID } from 'node:crypto';
    import { migrateToLatest, openDatabase } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/db/database.ts')).href)};
    import { ensureDefaultNetworks } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/network/default-networks.ts')).href)};
    import { LoopbackNetworkDriver } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/network/loopback/loopback-network-driver.ts')).href)};
    const db = openDatabase(process.env.CHILD_DB_URL, process.env.CHILD_DATA_DIR);
    await migrateToLatest(db);
    await ensureDefaultNetworks(db);
    const subnet = await db.kysely.selectFrom('subnet').select('id').where('name', '=', 'private-subnet').executeTakeFirstOrThrow();
    process.stdout.write('ready\\n');
    await new Promise((go) => process.stdin.once('data', go));
    const driver = new LoopbackNetworkDriver(db);
    const addresses = [];
    for (let i = 0; i < ${count}; i += 5) {
      const batch = await Promise.all([0, 1, 2, 3, 4].map(() =>
        driver.allocateVip({ loadBalancerId: randomUUID(), projectId: 'p', subnetId: subnet.id })));
      addresses.push(...batch.map((v) => v.address));
    }
    process.stdout.write(JSON.stringify(addresses) + '\\n');
    await db.close();
    process.stdin.destroy();
  `;

  it('creates one copy of the defaults and hands out distinct addresses across processes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tavia-vip-'));
    const database = await freshDatabaseUrl();
    const children: Child[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD(100)], {
          cwd: REPO,
          env: { ...process.env, CHILD_DB_URL: database.url, CHILD_DATA_DIR: dataDir },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        children.push({ child, output: () => out, errors: () => err, exited });
      }
      const deadline = Date.now() + 30_000;
      // Both are ready (migrated, defaults ensured) before either allocates, so the allocations overlap.
      while (!children.every((c) => c.output().includes('ready\n'))) {
        const dead = children.find((c) => c.child.exitCode !== null);
        assert.ok(!dead, `a child died: ${dead?.errors()}`);
        assert.ok(Date.now() < deadline, 'children did not get ready in time');
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const c of children) c.child.stdin.write('go\n');
      let timer: NodeJS.Timeout | undefined;
      const codes = await Promise.race([
        Promise.all(children.map((c) => c.exited)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('children did not finish in time')),
            Math.max(1, deadline - Date.now()),
          );
        }),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(codes, [0, 0], children.map((c) => c.errors()).join('\n'));
      const addresses = children.flatMap((c) => JSON.parse(c.output().split('\n')[1]!) as string[]);
      assert.equal(addresses.length, 200);
      assert.equal(new Set(addresses).size, 200, 'no address handed out twice');

      const db = openDatabase(database.url, dataDir);
      try {
        const networks = await db.kysely.selectFrom('network').select('name').orderBy('name').execute();
        assert.deepEqual(
          networks.map((n) => n.name),
          ['private', 'public'],
        );
        assert.equal((await db.kysely.selectFrom('subnet').select('id').execute()).length, 2);
        // 200 VIPs, and router1's gateway and interface: one router1, however many nodes start at once.
        assert.equal((await db.kysely.selectFrom('port_fixed_ip').select('ip_address').execute()).length, 202);
        assert.equal((await db.kysely.selectFrom('router').select('id').execute()).length, 1);
      } finally {
        await db.close();
      }
    } finally {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('noop network driver', () => {
  it('still accepts any subnet id, as Octavia noop does', async () => {
    const svc = await TestService.start();
    try {
      const res = await svc.post(LBS, { loadbalancer: { vip_subnet_id: newId() } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.loadbalancer.vip_address, '198.51.100.1');
      await svc.settle();
    } finally {
      await svc.stop();
    }
  });
});
