import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_NETWORK_IDS } from '../../src/network/default-networks.js';
import { buildNetworkApi } from '../../src/network/api/network-api.js';
import { DEFAULT_ROUTER } from '../../src/network/routers.js';
import { TestService } from '../helpers/service.js';

/**
 * The network API (Neutron v2.0 subset) on a node's database: shapes, filters and name lookups as
 * openstacksdk does them, router1, floating IPs with Neutron's checks, security groups of VIP ports
 * following listeners, and the port-security refusal.
 */

interface Res {
  status: number;
  body: any;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', 'x-project-id': 'project-a', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('network API', () => {
  let svc: TestService;
  let api: FastifyInstance;
  let base = '';
  const net = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(base, method, path, body, headers);

  before(async () => {
    // The loopback network driver: VIP ports are stored, so they show up in the network API.
    svc = await TestService.start({ drivers: { compute: 'noop', network: 'loopback', amphora: 'noop' } });
    api = await buildNetworkApi({ db: svc.node.db, config: svc.config, log: svc.node.log });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await api?.close();
    await svc?.stop();
  });

  it('answers the version document and the resource list', async () => {
    const root = await net('GET', '/');
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, {
      versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${base}/v2.0/`, rel: 'self' }] }],
    });
    const v2 = await net('GET', '/v2.0/');
    assert.ok(v2.body.resources.some((r: any) => r.collection === 'floatingips'));
    const ext = await net('GET', '/v2.0/extensions');
    const aliases = ext.body.extensions.map((e: any) => e.alias);
    for (const a of ['router', 'security-group', 'port-security', 'external-net']) assert.ok(aliases.includes(a), a);
    assert.equal((await net('GET', '/v2.0/extensions/dvr')).status, 404);
  });

  it('lists the default networks and subnets with Neutron shapes, filters and name lookups', async () => {
    const nets = await net('GET', '/v2.0/networks');
    assert.equal(nets.status, 200);
    const names = nets.body.networks.map((n: any) => n.name).sort();
    assert.deepEqual(names, ['private', 'public']);
    const pub = nets.body.networks.find((n: any) => n.name === 'public');
    assert.equal(pub['router:external'], true);
    assert.deepEqual(pub.subnets, [DEFAULT_NETWORK_IDS.publicSubnet]);
    assert.match(pub.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const key of [
      'project_id',
      'tenant_id',
      'revision_number',
      'tags',
      'description',
      'mtu',
      'port_security_enabled',
      'status',
    ])
      assert.ok(key in pub, key);

    const external = await net('GET', '/v2.0/networks?router:external=True');
    assert.deepEqual(
      external.body.networks.map((n: any) => n.name),
      ['public'],
    );
    const either = await net('GET', '/v2.0/networks?name=public&name=private&fields=id&fields=name');
    assert.equal(either.body.networks.length, 2);
    assert.deepEqual(Object.keys(either.body.networks[0]).sort(), ['id', 'name']);

    // openstacksdk's find: GET by the name as an id (404), then the name filter.
    const byId = await net('GET', '/v2.0/subnets/private-subnet');
    assert.equal(byId.status, 404);
    assert.deepEqual(byId.body, {
      NeutronError: { type: 'SubnetNotFound', message: 'Subnet private-subnet could not be found.', detail: '' },
    });
    const byName = await net('GET', '/v2.0/subnets?name=private-subnet');
    assert.equal(byName.body.subnets.length, 1);
    const subnet = byName.body.subnets[0];
    assert.equal(subnet.id, DEFAULT_NETWORK_IDS.privateSubnet);
    assert.equal(subnet.cidr, '127.10.0.0/16');
    assert.deepEqual(subnet.dns_nameservers, []);
    assert.deepEqual(subnet.allocation_pools, [{ start: '127.10.0.2', end: '127.10.191.254' }]);
    const ofNetwork = await net('GET', `/v2.0/subnets?network_id=${DEFAULT_NETWORK_IDS.public}`);
    assert.deepEqual(
      ofNetwork.body.subnets.map((s: any) => s.name),
      ['public-subnet'],
    );
    assert.equal((await net('GET', '/v2.0/networks?no_such_attribute=1')).status, 400);
    const missing = await net('GET', '/v2.0/networks/4e0f5f5c-0000-4000-8000-000000000000');
    assert.equal(missing.body.NeutronError.type, 'NetworkNotFound');
    assert.equal((await net('GET', '/v2.0/nothing-here')).status, 404);
  });

  it('has router1 joining private-subnet to public', async () => {
    const routers = await net('GET', '/v2.0/routers?name=router1');
    assert.equal(routers.body.routers.length, 1);
    const router = routers.body.routers[0];
    assert.equal(router.id, DEFAULT_ROUTER.id);
    assert.equal(router.external_gateway_info.network_id, DEFAULT_NETWORK_IDS.public);
    assert.equal(router.external_gateway_info.external_fixed_ips[0].subnet_id, DEFAULT_NETWORK_IDS.publicSubnet);
    const ports = await net('GET', `/v2.0/ports?device_id=${router.id}&device_owner=network:router_interface`);
    assert.equal(ports.body.ports.length, 1);
    assert.deepEqual(ports.body.ports[0].fixed_ips, [
      { subnet_id: DEFAULT_NETWORK_IDS.privateSubnet, ip_address: '127.10.0.1' },
    ]);
  });

  it('creates, associates, disassociates and deletes floating IPs with Neutron checks', async () => {
    const lb = await svc.createLoadBalancer({ vip_subnet_id: DEFAULT_NETWORK_IDS.privateSubnet });
    const vipPort = await net('GET', `/v2.0/ports/${lb.vip_port_id}`);
    assert.equal(vipPort.status, 200);
    assert.equal(vipPort.body.port.device_owner, 'Octavia');
    assert.equal(vipPort.body.port.device_id, `lb-${lb.id}`);
    assert.equal(vipPort.body.port.name, `octavia-lb-${lb.id}`);
    assert.equal(vipPort.body.port['binding:vnic_type'], 'normal');
    assert.deepEqual(vipPort.body.port.fixed_ips, [
      { subnet_id: DEFAULT_NETWORK_IDS.privateSubnet, ip_address: lb.vip_address },
    ]);
    const byIp = await net('GET', `/v2.0/ports?fixed_ips=ip_address=${lb.vip_address}`);
    assert.deepEqual(
      byIp.body.ports.map((p: any) => p.id),
      [lb.vip_port_id],
    );

    const notExternal = await net('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.private },
    });
    assert.equal(notExternal.status, 400);

    const created = await net('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.public },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fip = created.body.floatingip;
    assert.match(fip.floating_ip_address, /^127\.24\.4\.\d+$/);
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_id, null);
    assert.equal(fip.project_id, 'project-a');
    const holder = await net('GET', `/v2.0/ports?device_owner=network:floatingip&device_id=${fip.id}`);
    assert.deepEqual(holder.body.ports[0].fixed_ips[0].ip_address, fip.floating_ip_address);

    const set = await net('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: lb.vip_port_id } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.floatingip.status, 'ACTIVE');
    assert.equal(set.body.floatingip.fixed_ip_address, lb.vip_address);
    assert.equal(set.body.floatingip.router_id, DEFAULT_ROUTER.id);
    assert.equal(set.body.floatingip.port_details.device_id, `lb-${lb.id}`);
    const byAddress = await net('GET', `/v2.0/floatingips?floating_ip_address=${fip.floating_ip_address}`);
    assert.deepEqual(
      byAddress.body.floatingips.map((f: any) => f.id),
      [fip.id],
    );

    // One floating IP per fixed IP.
    const second = await net('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.public, port_id: lb.vip_port_id },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.NeutronError.type, 'FloatingIPPortAlreadyAssociated');
    const fipCount = (await net('GET', '/v2.0/floatingips')).body.floatingips.length;
    assert.equal(fipCount, 1, 'the refused create left nothing behind');

    const unset = await net('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(unset.body.floatingip.status, 'DOWN');
    assert.equal(unset.body.floatingip.fixed_ip_address, null);
    assert.equal(unset.body.floatingip.router_id, null);

    const deleted = await net('DELETE', `/v2.0/floatingips/${fip.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await net('GET', `/v2.0/floatingips/${fip.id}`)).body.NeutronError.type, 'FloatingIPNotFound');
    assert.equal(
      (await net('GET', `/v2.0/ports?device_id=${fip.id}`)).body.ports.length,
      0,
      'its address is free again',
    );
  });

  it("refuses a floating IP for a port whose subnet no router reaches, with Neutron's 404", async () => {
    const network = await net('POST', '/v2.0/networks', { network: { name: 'isolated' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await net('POST', '/v2.0/subnets', {
      subnet: { name: 'isolated-subnet', network_id: network.body.network.id, cidr: '127.31.0.0/24', ip_version: 4 },
    });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    assert.equal(subnet.body.subnet.gateway_ip, '127.31.0.1');
    assert.deepEqual(subnet.body.subnet.allocation_pools, [{ start: '127.31.0.2', end: '127.31.0.254' }]);
    const overlap = await net('POST', '/v2.0/subnets', {
      subnet: { network_id: network.body.network.id, cidr: '127.31.0.128/25', ip_version: 4 },
    });
    assert.equal(overlap.status, 400);
    const port = await net('POST', '/v2.0/ports', { port: { network_id: network.body.network.id, name: 'p1' } });
    assert.equal(port.status, 201, JSON.stringify(port.body));
    assert.equal(port.body.port.fixed_ips[0].ip_address, '127.31.0.2');
    assert.equal(port.body.port.security_groups.length, 1, 'the default group');

    const fip = await net('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: DEFAULT_NETWORK_IDS.public },
    });
    const refused = await net('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, {
      floatingip: { port_id: port.body.port.id },
    });
    assert.equal(refused.status, 404);
    assert.deepEqual(refused.body, {
      NeutronError: {
        type: 'ExternalGatewayForFloatingIPNotFound',
        message: `External network ${DEFAULT_NETWORK_IDS.public} is not reachable from subnet ${subnet.body.subnet.id}.  Therefore, cannot associate Port ${port.body.port.id} with a Floating IP.`,
        detail: '',
      },
    });
    assert.equal((await net('GET', `/v2.0/floatingips/${fip.body.floatingip.id}`)).body.floatingip.port_id, null);

    // Joined to router1, the same association works; the interface cannot go while the FIP needs it.
    const add = await net('PUT', `/v2.0/routers/${DEFAULT_ROUTER.id}/add_router_interface`, {
      subnet_id: subnet.body.subnet.id,
    });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.subnet_id, subnet.body.subnet.id);
    const ok = await net('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, {
      floatingip: { port_id: port.body.port.id },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const remove = await net('PUT', `/v2.0/routers/${DEFAULT_ROUTER.id}/remove_router_interface`, {
      subnet_id: subnet.body.subnet.id,
    });
    assert.equal(remove.status, 409);
    assert.equal(remove.body.NeutronError.type, 'RouterInterfaceInUseByFloatingIP');
    // Deleting the port drops the association, as Neutron does.
    assert.equal((await net('DELETE', `/v2.0/ports/${port.body.port.id}`)).status, 204);
    const after = await net('GET', `/v2.0/floatingips/${fip.body.floatingip.id}`);
    assert.equal(after.body.floatingip.port_id, null);
    assert.equal(after.body.floatingip.status, 'DOWN');
    const removed = await net('PUT', `/v2.0/routers/${DEFAULT_ROUTER.id}/remove_router_interface`, {
      subnet_id: subnet.body.subnet.id,
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal((await net('DELETE', `/v2.0/subnets/${subnet.body.subnet.id}`)).status, 204);
    assert.equal((await net('DELETE', `/v2.0/networks/${network.body.network.id}`)).status, 204);
  });

  it('keeps the VIP security group in step with the listeners', async () => {
    const lb = await svc.createLoadBalancer({ vip_subnet_id: DEFAULT_NETWORK_IDS.privateSubnet });
    const groupOf = async () => {
      const res = await net('GET', `/v2.0/security-groups?name=lb-${lb.id}`);
      return res.body.security_groups[0];
    };
    const initial = await groupOf();
    assert.ok(initial, 'the load balancer create made its group');
    assert.deepEqual(initial.security_group_rules, []);
    const port = await net('GET', `/v2.0/ports/${lb.vip_port_id}`);
    assert.deepEqual(port.body.port.security_groups, [initial.id]);

    const l1 = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 8080 },
    });
    assert.equal(l1.status, 201);
    await svc.settle();
    const l2 = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 9443 },
    });
    assert.equal(l2.status, 201);
    await svc.settle();
    const open = (g: any) =>
      g.security_group_rules.map((r: any) => [r.direction, r.protocol, r.port_range_min, r.port_range_max]).sort();
    assert.deepEqual(open(await groupOf()), [
      ['ingress', 'tcp', 8080, 8080],
      ['ingress', 'tcp', 9443, 9443],
    ]);
    assert.equal((await svc.del(`/v2/lbaas/listeners/${l1.body.listener.id}`)).status, 204);
    await svc.settle();
    assert.deepEqual(open(await groupOf()), [['ingress', 'tcp', 9443, 9443]]);

    assert.equal((await svc.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
    await svc.settle();
    assert.equal(await groupOf(), undefined, 'the group goes with the VIP port');
  });

  it('makes the default security group on demand and manages groups and rules', async () => {
    const listed = await net('GET', '/v2.0/security-groups?name=default', undefined, { 'x-project-id': 'project-sg' });
    const own = listed.body.security_groups.filter((g: any) => g.project_id === 'project-sg');
    assert.equal(own.length, 1);
    assert.equal(own[0].security_group_rules.length, 4);
    const again = await net('GET', '/v2.0/security-groups', undefined, { 'x-project-id': 'project-sg' });
    assert.equal(
      again.body.security_groups.filter((g: any) => g.project_id === 'project-sg' && g.name === 'default').length,
      1,
    );

    const group = await net(
      'POST',
      '/v2.0/security-groups',
      { security_group: { name: 'web' } },
      { 'x-project-id': 'project-sg' },
    );
    assert.equal(group.status, 201);
    const rule = await net('POST', '/v2.0/security-group-rules', {
      security_group_rule: {
        security_group_id: group.body.security_group.id,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 80,
        port_range_max: 80,
        remote_ip_prefix: '10.0.0.5/8',
      },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    assert.equal(rule.body.security_group_rule.normalized_cidr, '10.0.0.0/8');
    const duplicate = await net('POST', '/v2.0/security-group-rules', {
      security_group_rule: {
        security_group_id: group.body.security_group.id,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 80,
        port_range_max: 80,
        remote_ip_prefix: '10.0.0.5/8',
      },
    });
    assert.equal(duplicate.status, 409);
    const bad = await net('POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: group.body.security_group.id, direction: 'sideways' },
    });
    assert.equal(bad.status, 400);
    const rules = await net('GET', `/v2.0/security-group-rules?security_group_id=${group.body.security_group.id}`);
    assert.equal(rules.body.security_group_rules.length, 3);
    assert.equal((await net('DELETE', `/v2.0/security-groups/${group.body.security_group.id}`)).status, 204);
  });

  it('refuses a VIP on a network without port security with a 400, leaving nothing behind', async () => {
    const network = await net('POST', '/v2.0/networks', { network: { name: 'no-sec', port_security_enabled: false } });
    assert.equal(network.body.network.port_security_enabled, false);
    const subnet = await net('POST', '/v2.0/subnets', {
      subnet: { network_id: network.body.network.id, cidr: '127.32.0.0/24', ip_version: 4 },
    });
    assert.equal(subnet.status, 201);
    const before = (await net('GET', '/v2.0/ports')).body.ports.length;
    for (const vip of [{ vip_subnet_id: subnet.body.subnet.id }, { vip_network_id: network.body.network.id }]) {
      const res = await svc.post('/v2/lbaas/loadbalancers', { loadbalancer: vip });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.faultstring, /port_security_enabled=false/);
    }
    assert.equal((await net('GET', '/v2.0/ports')).body.ports.length, before);
    const lbs = await svc.get('/v2/lbaas/loadbalancers');
    assert.ok(lbs.body.loadbalancers.every((l: any) => l.vip_network_id !== network.body.network.id));
  });

  it('answers bad bodies with 400 and changes nothing', async () => {
    const count = async () => (await net('GET', '/v2.0/networks')).body.networks.length;
    const before = await count();
    for (const body of [
      undefined,
      { network: 'x' },
      { network: { name: 5 } },
      { network: { bogus: 1 } },
      { network: { admin_state_up: 'maybe' } },
    ]) {
      const res = await net('POST', '/v2.0/networks', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(res.body.NeutronError, JSON.stringify(res.body));
    }
    const raw = await fetch(`${base}/v2.0/networks`, {
      method: 'POST',
      body: '{not json',
      headers: { 'x-project-id': 'p' },
    });
    assert.equal(raw.status, 400);
    assert.equal(await count(), before);
  });
});
