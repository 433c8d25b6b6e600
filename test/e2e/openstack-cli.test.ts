import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openstack, runSourced, type CliRun } from '../helpers/openstack-cli.js';
import { TestService } from '../helpers/service.js';
import { BACKEND_ADDRESSES, HttpBackend, namesOf, tally, waitFor } from '../helpers/traffic.js';

/**
 * The walkthrough users type, with the real `openstack` CLI (Debian's python3-openstackclient and
 * python3-octaviaclient) against a Tavia node: its own identity service (the demo-openrc and admin-openrc it
 * writes), its network API and real amphorae. Then the VIP and a floating IP carry HTTP to both members.
 */

/** The tavia CLI from source, as the tests run everything else. */
const TAVIA_CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const REAL_DRIVERS = { compute: 'process', network: 'loopback', amphora: 'rest' };

/** The run must succeed; its stdout. */
function ok(run: CliRun, what: string): string {
  assert.equal(run.code, 0, `${what} failed (${run.code}): ${run.stderr}${run.stdout}`);
  return run.stdout;
}

const json = (run: CliRun, what: string) => JSON.parse(ok(run, what));

describe('the openstack CLI walkthrough', { timeout: 600_000 }, () => {
  let svc: TestService;
  let demo: string;
  let admin: string;
  const backends: HttpBackend[] = [];
  const timings: Array<[string, number]> = [];
  const cli = async (rc: string, ...args: string[]) => {
    const run = await openstack(rc, ...args);
    timings.push([`openstack ${args.slice(0, 3).join(' ')}`, run.ms]);
    return run;
  };
  const tavia = async (rc: string, ...args: string[]) => {
    const run = await runSourced(rc, `node --import tsx ${TAVIA_CLI}`, args);
    timings.push([`tavia ${args.slice(0, 3).join(' ')}`, run.ms]);
    return run;
  };

  before(async () => {
    svc = await TestService.start({ drivers: REAL_DRIVERS, api: { authStrategy: 'keystone' } });
    demo = join(svc.config.dataDir, 'demo-openrc');
    admin = join(svc.config.dataDir, 'admin-openrc');
    backends.push(await HttpBackend.start('member-a', BACKEND_ADDRESSES[0]));
    backends.push(await HttpBackend.start('member-b', BACKEND_ADDRESSES[1]));
  });

  after(async () => {
    await Promise.all(backends.map((b) => b.stop()));
    await svc?.stop();
    if (process.env.TAVIA_TEST_TIMINGS)
      for (const [what, ms] of timings) console.log(`${ms.toFixed(0).padStart(6)} ms  ${what}`);
  });

  /** The walkthrough, with every command run by `client`: the openstack CLI, or tavia's twin of it. */
  async function walkthrough(client: (rc: string, ...args: string[]) => Promise<CliRun>): Promise<void> {
    const created = json(
      await client(
        demo,
        'loadbalancer',
        'create',
        '--name',
        'lb1',
        '--vip-subnet-id',
        'private-subnet',
        '--wait',
        '-f',
        'json',
      ),
      'loadbalancer create',
    );
    assert.equal(created.name, 'lb1');
    assert.match(created.vip_address, /^127\.10\./);

    const listed = ok(
      await client(demo, 'loadbalancer', 'list', '-f', 'value', '-c', 'name', '-c', 'provisioning_status'),
      'list',
    );
    assert.equal(listed.trim(), 'lb1 ACTIVE');
    const shown = json(await client(demo, 'loadbalancer', 'show', 'lb1', '-f', 'json'), 'loadbalancer show');
    assert.equal(shown.id, created.id);
    assert.equal(shown.operating_status === 'ONLINE' || shown.operating_status === 'OFFLINE', true);

    ok(
      await client(
        demo,
        'loadbalancer',
        'listener',
        'create',
        '--name',
        'l1',
        '--protocol',
        'HTTP',
        '--protocol-port',
        '80',
        '--wait',
        'lb1',
      ),
      'listener create',
    );
    ok(
      await client(
        demo,
        'loadbalancer',
        'pool',
        'create',
        '--name',
        'p1',
        '--lb-algorithm',
        'ROUND_ROBIN',
        '--listener',
        'l1',
        '--protocol',
        'HTTP',
        '--wait',
      ),
      'pool create',
    );
    for (const b of backends)
      ok(
        await client(
          demo,
          'loadbalancer',
          'member',
          'create',
          '--name',
          b.name,
          '--address',
          b.address,
          '--protocol-port',
          String(b.port),
          '--wait',
          'p1',
        ),
        'member create',
      );
    ok(
      await client(
        demo,
        'loadbalancer',
        'healthmonitor',
        'create',
        '--delay',
        '5',
        '--max-retries',
        '2',
        '--timeout',
        '10',
        '--type',
        'HTTP',
        '--url-path',
        '/',
        '--wait',
        'p1',
      ),
      'healthmonitor create',
    );

    const vip = { host: shown.vip_address as string, port: 80 };
    const throughVip = tally(await namesOf(vip, 10));
    assert.deepEqual(throughVip, { 'member-a': 5, 'member-b': 5 });

    const tree = json(await client(demo, 'loadbalancer', 'status', 'show', 'lb1'), 'status show');
    const members = tree.loadbalancer.listeners[0].pools[0].members as Array<{ name: string }>;
    assert.deepEqual(members.map((m) => m.name).sort(), ['member-a', 'member-b']);

    // Statistics come from heartbeats: wait for the ten requests to be counted.
    await waitFor('stats to count the requests', 15_000, async () => {
      const stats = json(await client(demo, 'loadbalancer', 'stats', 'show', 'lb1', '-f', 'json'), 'stats show');
      return stats.total_connections >= 10 ? stats : undefined;
    });

    ok(
      await client(demo, 'loadbalancer', 'listener', 'set', '--timeout-client-data', '30000', '--wait', 'l1'),
      'listener set',
    );
    const timeout = ok(
      await client(demo, 'loadbalancer', 'listener', 'show', 'l1', '-f', 'value', '-c', 'timeout_client_data'),
      'listener show',
    );
    assert.equal(timeout.trim(), '30000');

    // The amphora API is an administrator's: the demo user is refused, the admin sees the real amphora.
    const refused = await client(demo, 'loadbalancer', 'amphora', 'list', '-c', 'lb_network_ip', '-f', 'value');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /403|Forbidden|not allow/i);
    const networkIps = ok(
      await client(admin, 'loadbalancer', 'amphora', 'list', '-c', 'lb_network_ip', '-f', 'value'),
      'amphora list',
    );
    assert.equal(networkIps.trim(), '127.0.0.1');

    const vipPort = ok(
      await client(demo, 'loadbalancer', 'show', 'lb1', '-f', 'value', '-c', 'vip_port_id'),
      'show vip_port_id',
    ).trim();
    const fip = ok(
      await client(demo, 'floating', 'ip', 'create', 'public', '-f', 'value', '-c', 'floating_ip_address'),
      'floating ip create',
    ).trim();
    assert.match(fip, /^127\.24\.4\./);
    ok(await client(demo, 'floating', 'ip', 'set', '--port', vipPort, fip), 'floating ip set');
    const fips = json(await client(demo, 'floating', 'ip', 'list', '-f', 'json'), 'floating ip list') as Array<
      Record<string, unknown>
    >;
    const listedFip = fips.find((f) => f['Floating IP Address'] === fip);
    assert.equal(listedFip?.Port, vipPort);
    assert.equal(listedFip?.['Fixed IP Address'], vip.host);
    const subnets = ok(await client(demo, 'subnet', 'list', '-f', 'value', '-c', 'Name'), 'subnet list').split('\n');
    assert.ok(subnets.includes('private-subnet') && subnets.includes('public-subnet'), subnets.join(','));

    const throughFip = tally(await namesOf({ host: fip, port: 80 }, 10));
    assert.deepEqual(throughFip, { 'member-a': 5, 'member-b': 5 });

    ok(await client(demo, 'floating', 'ip', 'delete', fip), 'floating ip delete');
    ok(await client(demo, 'loadbalancer', 'delete', '--cascade', '--wait', 'lb1'), 'loadbalancer delete --cascade');
    assert.equal(
      ok(await client(demo, 'loadbalancer', 'list', '-f', 'value', '-c', 'id'), 'list after delete').trim(),
      '',
    );
  }

  it('lets the admin add a project and a user with the identity commands; a wrong password is refused', async () => {
    ok(await cli(admin, 'project', 'create', 'team2'), 'project create');
    ok(await cli(admin, 'user', 'create', '--project', 'team2', '--password', 'team2-secret', 'alice'), 'user create');
    for (const role of ['member', 'load-balancer_member'])
      ok(await cli(admin, 'role', 'add', '--user', 'alice', '--project', 'team2', role), `role add ${role}`);
    const assignments = json(
      await cli(admin, 'role', 'assignment', 'list', '--user', 'alice', '--names', '-f', 'json'),
      'role assignment list',
    ) as Array<{ Role: string; Project: string }>;
    assert.deepEqual(assignments.map((a) => `${a.Role}@${a.Project}`).sort(), [
      'load-balancer_member@team2@Default',
      'member@team2@Default',
    ]);
    const refused = await cli(demo, 'user', 'list');
    assert.notEqual(refused.code, 0, 'only an admin lists users');

    const aliceRc = join(svc.config.dataDir, 'alice-openrc');
    const demoRc = readFileSync(demo, 'utf8');
    const asAlice = (password: string) =>
      demoRc
        .replace(/OS_USERNAME=.*/, 'OS_USERNAME=alice')
        .replace(/OS_PASSWORD=.*/, `OS_PASSWORD=${password}`)
        .replace(/OS_PROJECT_NAME=.*/, 'OS_PROJECT_NAME=team2')
        .replace(/OS_TENANT_NAME=.*/, 'OS_TENANT_NAME=team2');
    writeFileSync(aliceRc, asAlice('team2-secret'), { mode: 0o600 });
    assert.equal(ok(await cli(aliceRc, 'loadbalancer', 'list', '-f', 'value', '-c', 'id'), 'alice list').trim(), '');
    writeFileSync(aliceRc, asAlice('wrong'), { mode: 0o600 });
    const wrong = await cli(aliceRc, 'loadbalancer', 'list');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /401|authenticat/i);
  });

  it('runs with the openstack CLI: VIP and floating IP balance, --cascade deletes', () => walkthrough(cli));

  it('runs with the tavia CLI', () => walkthrough(tavia));
});
