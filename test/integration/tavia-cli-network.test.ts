import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClient } from '../../src/cli/client/index.js';
import { issueToken, openrcVariables } from '../helpers/identity.js';
import { TestService } from '../helpers/service.js';

/**
 * `tavia floating ip|subnet|network ...` against a keystone-mode node: its identity service, its network
 * API (found in the catalog) and its Octavia API.
 */

interface Run {
  code: number;
  out: string;
  err: string;
}

let svc: TestService;
let env: Record<string, string>;
let token: string;
let networkUrl: string;
let portId: string;

async function cli(argv: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runClient(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { ...env, ...extraEnv },
    isTTY: false,
  });
  return { code, out, err };
}

/** A command expected to succeed. */
async function ok(...argv: string[]): Promise<string> {
  const r = await cli(argv);
  assert.equal(r.code, 0, `${argv.join(' ')} failed: ${r.err}`);
  assert.equal(r.err, '');
  return r.out;
}

const json = async (...argv: string[]) => JSON.parse(await ok(...argv, '-f', 'json'));

async function neutron(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(networkUrl + path, {
    method,
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

before(async () => {
  svc = await TestService.start({ api: { authStrategy: 'keystone' } });
  env = openrcVariables(readFileSync(join(svc.config.dataDir, 'demo-openrc'), 'utf8'));
  const issued = await issueToken(
    env.OS_AUTH_URL!.replace(/\/v3\/?$/, ''),
    env.OS_USERNAME!,
    env.OS_PASSWORD!,
    env.OS_PROJECT_NAME!,
  );
  token = issued.token;
  const service = (issued.body.token.catalog as any[]).find((s) => s.type === 'network');
  networkUrl = String(service.endpoints.find((e: any) => e.interface === 'public').url).replace(/\/+$/, '');

  // A load balancer on private-subnet, as in the walkthrough.
  const subnetId = (await ok('subnet', 'show', 'private-subnet', '-f', 'value', '-c', 'id')).trim();
  const lb = await svc.request(
    'POST',
    '/v2/lbaas/loadbalancers',
    { loadbalancer: { name: 'lb1', vip_subnet_id: subnetId } },
    { 'x-auth-token': token },
  );
  assert.equal(lb.status, 201, JSON.stringify(lb.body));
  const privateNetworkId = (await ok('network', 'show', 'private', '-f', 'value', '-c', 'id')).trim();
  // The noop network driver keeps the VIP port out of the network service: a port of our own stands in.
  portId = (await neutron('POST', '/v2.0/ports', { port: { network_id: privateNetworkId, name: 'web' } })).port.id;
});

after(async () => {
  await svc?.stop();
});

test('subnet list shows both default subnets; --network narrows it; show and -c work', async () => {
  const subnets = await json('subnet', 'list');
  assert.deepEqual(Object.keys(subnets[0]), ['ID', 'Name', 'Network', 'Subnet']);
  const names = subnets.map((s: any) => s.Name).sort();
  assert.deepEqual(names, ['private-subnet', 'public-subnet']);
  const publicOnly = await json('subnet', 'list', '--network', 'public');
  assert.deepEqual(
    publicOnly.map((s: any) => s.Name),
    ['public-subnet'],
  );
  const shown = await json('subnet', 'show', 'public-subnet');
  assert.equal(shown.name, 'public-subnet');
  assert.equal(shown.cidr, publicOnly[0].Subnet);
  assert.ok(Array.isArray(shown.allocation_pools));
  const table = await ok('subnet', 'show', 'public-subnet');
  assert.match(table, /\| allocation_pools +\| \d+\.\d+\.\d+\.\d+-\d+\.\d+\.\d+\.\d+ +\|/);
});

test('network list and show print openstack columns and fields', async () => {
  const networks = await json('network', 'list');
  assert.deepEqual(Object.keys(networks[0]), ['ID', 'Name', 'Subnets']);
  const pub = networks.find((n: any) => n.Name === 'public');
  assert.ok(Array.isArray(pub.Subnets) && pub.Subnets.length === 1);
  assert.equal(await ok('network', 'show', 'public', '-f', 'value', '-c', 'name', '-c', 'id'), `${pub.ID}\npublic\n`);
  const byId = await json('network', 'show', pub.ID);
  assert.equal(byId['router:external'], true);
  assert.match(await ok('network', 'show', 'public'), /\| router:external +\| External +\|/);
  assert.match(await ok('network', 'list', '-f', 'csv'), /^"ID","Name","Subnets"\n/);
});

test('floating ip create, set --port, list, show, unset, delete', async () => {
  const created = await json('floating', 'ip', 'create', 'public', '--description', 'walkthrough');
  assert.equal(created.status, 'DOWN');
  assert.equal(created.port_id, null);
  assert.equal(created.name, created.floating_ip_address);
  assert.equal(created.description, 'walkthrough');
  assert.deepEqual(created.tags, []);
  const address: string = created.floating_ip_address;

  assert.equal(await ok('floating', 'ip', 'set', '--port', portId, address), '');
  const listed = await json('floating', 'ip', 'list');
  const row = listed.find((r: any) => r.ID === created.id);
  // The keys (and their order) openstack floating ip list -f json prints.
  assert.deepEqual(Object.keys(row), [
    'ID',
    'Floating IP Address',
    'Fixed IP Address',
    'Port',
    'Floating Network',
    'Project',
  ]);
  assert.equal(row.Port, portId);
  assert.match(row['Fixed IP Address'], /^127\.\d+\.\d+\.\d+$/);
  assert.equal(row['Floating Network'], created.floating_network_id);
  assert.equal(row.Project, created.project_id);
  const filtered = await json('floating', 'ip', 'list', '--port', portId);
  assert.deepEqual(
    filtered.map((r: any) => r.ID),
    [created.id],
  );

  const shown = await json('floating', 'ip', 'show', address);
  assert.equal(shown.id, created.id);
  assert.equal(shown.status, 'ACTIVE');
  assert.equal(shown.fixed_ip_address, row['Fixed IP Address']);
  // openstack prints port_details with format_dict even in JSON.
  assert.match(shown.port_details, /^admin_state_up='True', .*name='web', /);
  const shell = await ok('floating', 'ip', 'show', created.id, '-f', 'shell', '-c', 'port_id');
  assert.equal(shell, `port_id="${portId}"\n`);

  assert.equal(await ok('floating', 'ip', 'unset', '--port', address), '');
  const after = await json('floating', 'ip', 'show', created.id);
  assert.equal(after.port_id, null);
  assert.equal(after.fixed_ip_address, null);

  assert.equal(await ok('floating', 'ip', 'delete', address), '');
  const gone = await cli(['floating', 'ip', 'show', created.id]);
  assert.equal(gone.code, 1);
  assert.match(gone.err, new RegExp(`No FloatingIP found for ${created.id}`));
});

test('floating ip create --port associates at once; delete takes several and reports failures', async () => {
  const a = await json('floating', 'ip', 'create', 'public', '--port', 'web');
  assert.equal(a.port_id, portId);
  assert.equal(a.status, 'ACTIVE');
  const b = await json('floating', 'ip', 'create', 'public');
  const partly = await cli(['floating', 'ip', 'delete', a.id, '127.99.99.99', b.floating_ip_address]);
  assert.equal(partly.code, 1);
  assert.match(partly.err, /Failed to delete floating_ip with name or ID '127\.99\.99\.99': No FloatingIP found/);
  assert.match(partly.err, /1 of 3 floating_ips failed to delete\./);
  assert.deepEqual(await json('floating', 'ip', 'list'), []);
});

test('errors: unknown network, the API refusing, no network endpoint', async () => {
  const unknown = await cli(['floating', 'ip', 'create', 'no-such-net']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.err, 'No Network found for no-such-net\n');
  assert.equal((await cli(['network', 'show', 'no-such-net'])).code, 1);
  assert.equal((await cli(['subnet', 'list', '--network', 'no-such-net'])).code, 1);

  // private is not external: the network service refuses with a NeutronError body, which is printed.
  const refused = await cli(['floating', 'ip', 'create', 'private']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /is not a valid external network\. \(HTTP 400\)/);
  assert.deepEqual(await json('floating', 'ip', 'list'), []);

  const noauth = await cli(['network', 'list'], { OS_AUTH_TYPE: 'none', OS_ENDPOINT: svc.url });
  assert.equal(noauth.code, 1);
  assert.match(noauth.err, /No 'network' endpoint in the service catalog/);
  assert.equal(noauth.out, '');

  const usage = await cli(['floating', 'ip', 'set']);
  assert.equal(usage.code, 2);
});
