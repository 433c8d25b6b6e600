import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { runClient } from '../../src/cli/client/index.js';
import { TestService } from '../helpers/service.js';

const REF = '/work/shared/reference/octavia-11-cli';
const refJson = (name: string) => JSON.parse(readFileSync(`${REF}/${name}`, 'utf8'));
const refText = (name: string) => readFileSync(`${REF}/${name}`, 'utf8');
const SUBNET = '11111111-2222-3333-4444-555555555555';

interface Run {
  code: number;
  out: string;
  err: string;
}

let svc: TestService;

async function cli(argv: string[], extraEnv: Record<string, string> = {}, isTTY = false): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runClient(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {
      OS_AUTH_TYPE: 'none',
      OS_ENDPOINT: svc.url,
      OS_PROJECT_ID: 'project-a',
      TAVIA_WAIT_INTERVAL_MS: '20',
      ...extraEnv,
    },
    isTTY,
  });
  return { code, out, err };
}

/** `tavia loadbalancer ...` expected to succeed. */
async function lb(...argv: string[]): Promise<string> {
  const r = await cli(['loadbalancer', ...argv]);
  assert.equal(r.code, 0, `loadbalancer ${argv.join(' ')} failed: ${r.err}`);
  return r.out;
}

const json = async (...argv: string[]) => JSON.parse(await lb(...argv, '-f', 'json'));

/** Same keys in the same order, and each value of the same JSON type as the reference. */
function assertSameShape(actual: Record<string, unknown>, reference: Record<string, unknown>, what: string): void {
  assert.deepEqual(Object.keys(actual), Object.keys(reference), `${what}: keys`);
  for (const [key, refValue] of Object.entries(reference)) {
    if (refValue === null || actual[key] === null) continue;
    const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
    assert.equal(kind(actual[key]), kind(refValue), `${what}: type of ${key}`);
  }
}

before(async () => {
  svc = await TestService.start();
});
after(async () => {
  await svc.stop();
});

describe('the openstack loadbalancer walkthrough', () => {
  const ids: Record<string, string> = {};

  test('create lb -> listener -> pool -> members -> health monitor, each with --wait', async () => {
    const created = await json('create', '--name', 'demo', '--vip-subnet-id', SUBNET, '--wait');
    assertSameShape(created, refJson('lb_create.json'), 'lb create');
    assert.equal(created.provisioning_status, 'ACTIVE');
    assert.equal(created.listeners, '');
    ids.lb = created.id;

    const listener = await json(
      'listener',
      'create',
      '--name',
      'demo-l1',
      '--protocol',
      'http',
      '--protocol-port',
      '80',
      '--wait',
      'demo',
    );
    assertSameShape(listener, refJson('listener_create.json'), 'listener create');
    assert.equal(listener.provisioning_status, 'ACTIVE');
    assert.equal(listener.protocol, 'HTTP', 'the protocol choice is case-insensitive');
    assert.equal(listener.loadbalancers, ids.lb);
    ids.listener = listener.id;

    const pool = await json(
      'pool',
      'create',
      '--name',
      'demo-p1',
      '--protocol',
      'HTTP',
      '--lb-algorithm',
      'ROUND_ROBIN',
      '--listener',
      'demo-l1',
      '--wait',
    );
    assertSameShape(pool, refJson('pool_create.json'), 'pool create');
    assert.equal(pool.listeners, ids.listener);
    ids.pool = pool.id;

    const m1 = await json(
      'member',
      'create',
      '--name',
      'demo-m1',
      '--address',
      '10.0.0.4',
      '--protocol-port',
      '80',
      '--wait',
      'demo-p1',
    );
    assertSameShape(m1, refJson('member_create.json'), 'member create');
    const m2 = await json(
      'member',
      'create',
      '--name',
      'demo-m2',
      '--address',
      '10.0.0.5',
      '--protocol-port',
      '80',
      '--wait',
      'demo-p1',
    );
    assert.equal(m2.provisioning_status, 'ACTIVE');
    ids.member = m1.id;

    const hm = await json(
      'healthmonitor',
      'create',
      '--name',
      'demo-hm',
      '--delay',
      '5',
      '--timeout',
      '10',
      '--max-retries',
      '2',
      '--type',
      'HTTP',
      '--url-path',
      '/',
      '--wait',
      'demo-p1',
    );
    assertSameShape(hm, refJson('hm_create.json'), 'health monitor create');
    assert.equal(hm.pools, ids.pool);
    ids.hm = hm.id;

    const shown = await json('show', 'demo');
    assertSameShape(shown, refJson('lb_show.json'), 'lb show');
    assert.equal(shown.listeners, ids.listener);
    assert.equal(shown.pools, ids.pool);
  });

  test('lists print the reference columns in json, table, csv, value and yaml', async () => {
    const lbs = await json('list');
    assert.equal(lbs.length, 1);
    assertSameShape(lbs[0], refJson('lb_list.json')[0], 'lb list');
    assertSameShape((await json('listener', 'list'))[0], refJson('listener_list.json')[0], 'listener list');
    assertSameShape((await json('pool', 'list'))[0], refJson('pool_list.json')[0], 'pool list');
    assertSameShape((await json('healthmonitor', 'list'))[0], refJson('hm_list.json')[0], 'hm list');
    assertSameShape((await json('amphora', 'list'))[0], refJson('amphora_list.json')[0], 'amphora list');
    const members = await json('member', 'list', 'demo-p1');
    assert.deepEqual(members.map((m: { name: string }) => m.name).sort(), ['demo-m1', 'demo-m2']);
    assertSameShape(members[0], refJson('member_list.json')[0], 'member list');

    // The table's header block is the reference's, line for line, when the widths agree.
    const table = await lb('member', 'list', 'demo-p1', '--sort-column', 'name');
    const refLines = refText('member_list.table').split('\n');
    const lines = table.split('\n');
    assert.equal(lines.length, refLines.length);
    const sameWidthHeader = (s: string) => s.replace(/ +\|/g, ' |').replace(/-+/g, '-');
    assert.equal(sameWidthHeader(lines[1]!), sameWidthHeader(refLines[1]!));
    assert.match(lines[3]!, /\| demo-m1 \| project-a +\| ACTIVE +\| 10\.0\.0\.4 \| +80 \| NO_MONITOR +\| +1 \|$/);

    const csv = await lb('list', '-f', 'csv');
    assert.equal(
      csv.split('\n')[0],
      '"id","name","project_id","vip_address","provisioning_status","operating_status","provider"',
    );
    assert.equal(await lb('list', '-f', 'value', '-c', 'id'), `${ids.lb}\n`);
    const yaml = parseYaml(await lb('list', '-f', 'yaml')) as Array<Record<string, unknown>>;
    assert.deepEqual(yaml, lbs);
  });

  test('show prints every format; -c picks fields', async () => {
    const table = await lb('show', 'demo');
    assert.match(table, /^\+-+\+-+\+\n\| Field +\| Value +\|\n/);
    assert.match(table, new RegExp(`\\| id +\\| ${ids.lb} \\|`));
    assert.match(table, /\| admin_state_up +\| True +\|/);
    assert.match(table, /\| additional_vips +\| \[\] +\|/);
    assert.equal(await lb('show', 'demo', '-f', 'value', '-c', 'name', '-c', 'provisioning_status'), 'demo\nACTIVE\n');
    assert.deepEqual(await json('show', ids.lb!, '-c', 'id', '-c', 'name'), { id: ids.lb, name: 'demo' });
    assert.equal(await lb('show', 'demo', '-f', 'shell', '-c', 'name'), 'name="demo"\n');
    const yaml = parseYaml(await lb('pool', 'show', 'demo-p1', '-f', 'yaml')) as Record<string, unknown>;
    assert.equal(yaml.healthmonitor_id, ids.hm);
    assert.equal(yaml.members, await json('pool', 'show', 'demo-p1').then((p) => p.members));
    const member = await json('member', 'show', 'demo-p1', 'demo-m1');
    assert.equal(member.id, ids.member);
    const bad = await cli(['loadbalancer', 'show', 'demo', '-c', 'nothing']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /No recognized column names in \['nothing'\]/);
  });

  test('set and unset change fields (and tags), --wait returns once ACTIVE', async () => {
    await lb('set', '--name', 'demo2', '--description', 'first', '--tag', 'a', '--tag', 'b', '--wait', 'demo');
    let shown = await json('show', 'demo2');
    assert.equal(shown.description, 'first');
    assert.equal(shown.tags, 'a\nb');
    assert.equal(shown.provisioning_status, 'ACTIVE');
    await lb('unset', '--description', '--tag', 'a', '--wait', 'demo2');
    shown = await json('show', 'demo2');
    assert.equal(shown.description, '');
    assert.equal(shown.tags, 'b');
    await lb('set', '--name', 'demo', '--no-tag', '--tag', 'c', '--wait', ids.lb!);
    assert.equal((await json('show', 'demo')).tags, 'c', '--no-tag with --tag overwrites the tags');
    await lb('set', '--no-tag', '--wait', 'demo');
    assert.equal((await json('show', 'demo')).tags, '');

    await lb('member', 'set', '--weight', '5', '--wait', 'demo-p1', 'demo-m1');
    assert.equal((await json('member', 'show', 'demo-p1', 'demo-m1')).weight, 5);
    await lb('member', 'unset', '--weight', '--wait', 'demo-p1', 'demo-m1');
    assert.equal((await json('member', 'show', 'demo-p1', 'demo-m1')).weight, 1);
    await lb(
      'listener',
      'set',
      '--connection-limit',
      '100',
      '--insert-headers',
      'X-Forwarded-For=true',
      '--wait',
      'demo-l1',
    );
    const listener = await json('listener', 'show', 'demo-l1');
    assert.equal(listener.connection_limit, 100);
    assert.equal(listener.insert_headers, 'X-Forwarded-For=true');
    await lb('healthmonitor', 'set', '--delay', '7', '--wait', 'demo-hm');
    assert.equal((await json('healthmonitor', 'show', 'demo-hm')).delay, 7);
  });

  test('stats show and status show (the JSON tree)', async () => {
    const stats = await json('stats', 'show', 'demo');
    assertSameShape(stats, refJson('stats_show.json'), 'stats show');
    assert.equal((await json('listener', 'stats', 'show', 'demo-l1')).total_connections, 0);
    const statusText = await lb('status', 'show', 'demo');
    assert.match(statusText, /^\{\n {4}"loadbalancer": \{\n {8}"id"/, 'indented by 4 as octaviaclient prints it');
    const tree = JSON.parse(statusText);
    const reference = refJson('status_show.json');
    const pool = tree.loadbalancer.listeners[0].pools[0];
    const refPool = reference.loadbalancer.listeners[0].pools[0];
    assert.deepEqual(Object.keys(tree.loadbalancer).sort(), Object.keys(reference.loadbalancer).sort());
    assert.deepEqual(Object.keys(pool).sort(), Object.keys(refPool).sort());
    assert.deepEqual(Object.keys(pool.health_monitor).sort(), Object.keys(refPool.health_monitor).sort());
    assert.equal(pool.members.length, 2);
    assert.deepEqual(Object.keys(pool.members[0]).sort(), Object.keys(refPool.members[0]).sort());
  });

  test('l7 policies and rules, quotas, providers', async () => {
    const policy = await json('l7policy', 'create', '--name', 'pol', '--action', 'REJECT', '--wait', 'demo-l1');
    assert.equal(policy.provisioning_status, 'ACTIVE');
    const rule = await json(
      'l7rule',
      'create',
      '--compare-type',
      'STARTS_WITH',
      '--type',
      'PATH',
      '--value',
      '/api',
      '--wait',
      'pol',
    );
    assert.equal(rule.value, '/api');
    assert.equal((await json('l7policy', 'show', 'pol')).rules, rule.id);
    assert.equal((await json('l7rule', 'show', 'pol', rule.id)).compare_type, 'STARTS_WITH');
    await lb('l7rule', 'delete', '--wait', 'pol', rule.id);
    assert.deepEqual(await json('l7rule', 'list', 'pol'), []);
    await lb('l7policy', 'delete', '--wait', 'pol');

    const quota = await json('quota', 'set', '--loadbalancer', '7', 'project-a');
    assert.equal(quota.load_balancer, 7);
    assert.equal((await json('quota', 'show', 'project-a')).load_balancer, 7);
    await lb('quota', 'reset', 'project-a');
    assert.equal((await json('quota', 'show', 'project-a')).load_balancer, -1);
    const providers = await json('provider', 'list');
    assert.ok(providers.some((p: { name: string }) => p.name === 'amphora'));
  });

  test('names resolve like the openstack CLI: unknown and ambiguous names are errors', async () => {
    const missing = await cli(['loadbalancer', 'show', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.err, "Unable to find load balancer with name or ID 'nope'\n");
    const missingPool = await cli(['loadbalancer', 'member', 'list', 'no-such-pool']);
    assert.equal(missingPool.code, 1);
    assert.match(missingPool.err, /Unable to find pool with name or ID 'no-such-pool'/);
    const missingUuid = await cli(['loadbalancer', 'show', '00000000-0000-0000-0000-000000000000']);
    assert.equal(missingUuid.code, 1);
    assert.match(missingUuid.err, /Unable to find load balancer/);

    await lb('create', '--name', 'dup', '--vip-subnet-id', SUBNET, '--wait');
    await lb('create', '--name', 'dup', '--vip-subnet-id', SUBNET, '--wait');
    const ambiguous = await cli(['loadbalancer', 'show', 'dup']);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.err, /Found 2 load balancers named 'dup': use the ID instead/);
    for (const dup of await json('list', '--name', 'dup')) await lb('delete', '--wait', dup.id);
    assert.equal((await json('list')).length, 1);
  });

  test('API faults exit 1 with the faultstring and HTTP status, and change nothing', async () => {
    const before = await json('member', 'list', 'demo-p1');
    const badIp = await cli([
      'loadbalancer',
      'member',
      'create',
      '--address',
      '10.0.0.999',
      '--protocol-port',
      '80',
      'demo-p1',
    ]);
    assert.equal(badIp.code, 1);
    assert.match(
      badIp.err,
      /^Invalid input for field\/attribute address\. Value: '10\.0\.0\.999'\. Value should be IPv4 or IPv6 format \(HTTP 400\)( \(Request-ID: req-[0-9a-f-]+\))?\n$/,
    );
    const dupPort = await cli([
      'loadbalancer',
      'listener',
      'create',
      '--protocol',
      'HTTP',
      '--protocol-port',
      '80',
      'demo',
    ]);
    assert.equal(dupPort.code, 1);
    assert.match(
      dupPort.err,
      /Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80 \(HTTP 409\)/,
    );
    const noVip = await cli(['loadbalancer', 'create', '--name', 'x']);
    assert.equal(noVip.code, 1);
    assert.match(noVip.err, /Requires one of --vip-subnet-id, --vip-network-id or --vip-port-id/);
    assert.deepEqual(await json('member', 'list', 'demo-p1'), before);
    assert.equal((await json('listener', 'list')).length, 1);
    assert.equal((await json('list')).length, 1);
  });

  test('usage errors exit 2 and send nothing', async () => {
    const cases: string[][] = [
      ['loadbalancer', 'list', '--bogus'],
      ['loadbalancer', 'listener', 'create', '--protocol-port', '81', 'demo'],
      ['loadbalancer', 'listener', 'create', '--protocol', 'FOO', '--protocol-port', '81', 'demo'],
      ['loadbalancer', 'listener', 'create', '--protocol', 'TCP', '--protocol-port', 'eighty', 'demo'],
      ['loadbalancer', 'listener', 'create', '--protocol', 'TCP', '--protocol-port', '81'],
      ['loadbalancer', 'show'],
      ['loadbalancer', 'frobnicate'],
      ['loadbalancer', 'list', '-f', 'shell'],
      ['loadbalancer', 'set', '--enable', '--disable', 'demo'],
      ['loadbalancer', 'show', 'demo', 'extra'],
    ];
    for (const argv of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')} -> ${r.code} ${r.err}`);
      assert.match(r.err, /error/, argv.join(' '));
      assert.equal(r.out, '');
    }
    assert.equal((await json('listener', 'list')).length, 1);
  });

  test('--help works for every level and documents the exit codes', async () => {
    for (const argv of [
      ['loadbalancer', '--help'],
      ['loadbalancer', 'listener', 'create', '--help'],
      ['loadbalancer', 'member', 'set', '-h'],
      ['loadbalancer', 'stats', 'show', '--help'],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /Exit codes:\n {2}0 {2}success\n {2}1 .*\n {2}2 {2}usage error/, argv.join(' '));
    }
    const create = await cli(['loadbalancer', 'listener', 'create', '--help']);
    assert.match(create.out, /Usage: tavia loadbalancer listener create \[options\] <loadbalancer>/);
    assert.match(create.out, /--protocol-port <port>/);
    assert.match(create.out, /--wait/);
    const top = await cli(['loadbalancer', '--help']);
    assert.match(top.out, /OS_AUTH_TYPE/);
    assert.match(top.out, /healthmonitor/);
  });

  test('the progress indicator is drawn only when stderr is a terminal', async () => {
    const quiet = await cli(['loadbalancer', 'set', '--description', 'x', '--wait', 'demo']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.err, '');
    const tty = await cli(['loadbalancer', 'set', '--description', 'y', '--wait', 'demo'], {}, true);
    assert.equal(tty.code, 0);
    assert.match(tty.err, /waiting for load balancer [0-9a-f-]+: (PENDING_UPDATE|ACTIVE) \(\d+\.\ds\)/);
    assert.ok(tty.err.endsWith('\r\x1b[2K'), 'the line is cleared at the end');
  });

  test('delete --cascade --wait removes the whole tree', async () => {
    const r = await cli(['loadbalancer', 'delete', '--cascade', '--wait', 'demo']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(await json('list'), []);
    assert.deepEqual(await json('listener', 'list'), []);
    assert.deepEqual(await json('pool', 'list'), []);
    assert.deepEqual(await json('healthmonitor', 'list'), []);
    const gone = await cli(['loadbalancer', 'show', ids.lb!]);
    assert.equal(gone.code, 1);
    assert.equal(await lb('list'), '\n');
  });
});
