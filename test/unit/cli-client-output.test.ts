import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderList, renderOne, type OutputOptions } from '../../src/cli/client/output/formats.js';
import { cellsOf, idList, keyValues } from '../../src/cli/client/commands/formatters.js';
import { LOAD_BALANCER_COLUMNS, LOAD_BALANCER_ROWS, STATS_ROWS } from '../../src/cli/client/commands/load-balancer.js';
import { MEMBER_COLUMNS } from '../../src/cli/client/commands/member.js';
import { identityV3Url } from '../../src/cli/client/auth/session.js';
import { readAuthSettings } from '../../src/cli/client/auth/auth-settings.js';

const REF = '/work/shared/reference/octavia-11-cli';
const ref = (name: string) => readFileSync(`${REF}/${name}`, 'utf8');
const refJson = (name: string) => JSON.parse(ref(name));

const opts = (extra: Partial<OutputOptions> = {}): OutputOptions => ({
  format: 'table',
  columns: [],
  noindent: false,
  printEmpty: false,
  quote: 'nonnumeric',
  prefix: '',
  sortColumns: [],
  sortDescending: false,
  ...extra,
});

const lbRows = () =>
  (refJson('lb_list.json') as Record<string, unknown>[]).map((lb) => cellsOf(lb, LOAD_BALANCER_COLUMNS));

test('a list table matches what the openstack CLI printed, byte for byte', () => {
  assert.equal(renderList(LOAD_BALANCER_COLUMNS, lbRows(), opts()), ref('lb_list.table'));
});

test('numeric columns are right-aligned as cliff does (member list)', () => {
  const rows = (refJson('member_list.json') as Record<string, unknown>[]).map((m) => cellsOf(m, MEMBER_COLUMNS));
  assert.equal(renderList(MEMBER_COLUMNS, rows, opts()), ref('member_list.table'));
});

test('a show table (Field/Value) matches the reference, None/True/[] printed like Python', () => {
  const lb = refJson('lb_show.json') as Record<string, unknown>;
  assert.equal(renderOne(LOAD_BALANCER_ROWS, cellsOf(lb, LOAD_BALANCER_ROWS), opts()), ref('lb_show.table'));
  const stats = refJson('stats_show.json') as Record<string, unknown>;
  assert.equal(renderOne(STATS_ROWS, cellsOf(stats, STATS_ROWS), opts()), ref('stats_show.table'));
});

test('-f json reproduces the reference file, -f value -c id the id list', () => {
  assert.equal(renderList(LOAD_BALANCER_COLUMNS, lbRows(), opts({ format: 'json' })), ref('lb_list.json'));
  assert.equal(
    renderList(LOAD_BALANCER_COLUMNS, lbRows(), opts({ format: 'value', columns: ['id'] })),
    ref('lb_list_value_id.txt'),
  );
  const lb = refJson('lb_show.json') as Record<string, unknown>;
  assert.equal(
    renderOne(LOAD_BALANCER_ROWS, cellsOf(lb, LOAD_BALANCER_ROWS), opts({ format: 'json' })),
    ref('lb_show.json'),
  );
});

test('--noindent prints Python json.dumps one-liners', () => {
  const out = renderList(['id', 'n'], [['a', 1]], opts({ format: 'json', noindent: true }));
  assert.equal(out, '[{"id": "a", "n": 1}]\n');
});

test('csv quotes headers and strings but not numbers, booleans bare, None as ""', () => {
  const out = renderList(['id', 'port', 'up', 'pool'], [['a"b', 80, true, null]], opts({ format: 'csv' }));
  assert.equal(out, '"id","port","up","pool"\n"a""b",80,True,""\n');
  const minimal = renderList(['id', 'port'], [['x,y', 80]], opts({ format: 'csv', quote: 'minimal' }));
  assert.equal(minimal, 'id,port\n"x,y",80\n');
});

test('yaml sorts keys and quotes strings that YAML 1.1 would misread', () => {
  const out = renderOne(
    ['name', 'created_at', 'admin_state_up', 'tags'],
    ['x', '2026-11-25T12:19:51', true, ''],
    opts({ format: 'yaml' }),
  );
  assert.equal(out, "admin_state_up: true\ncreated_at: '2026-11-25T12:19:51'\nname: x\ntags: ''\n");
});

test('shell format escapes quotes and applies --prefix', () => {
  const out = renderOne(['id', 'description'], ['1', 'say "hi"'], opts({ format: 'shell', prefix: 'lb_' }));
  assert.equal(out, 'lb_id="1"\nlb_description="say \\"hi\\""\n');
});

test('-c keeps the command order, drops unknown names, and refuses when none is known', () => {
  const out = renderList(LOAD_BALANCER_COLUMNS, lbRows(), opts({ format: 'value', columns: ['name', 'id', 'bogus'] }));
  assert.equal(out.split('\n')[0], '3bcb63eb-e15b-44c0-9b3c-4af998181520 lb1');
  assert.throws(
    () => renderList(LOAD_BALANCER_COLUMNS, lbRows(), opts({ columns: ['bogus'] })),
    /No recognized column names in \['bogus'\]/,
  );
});

test('--sort-column orders rows, --sort-descending reverses', () => {
  const rows = [
    ['b', 2],
    ['a', 10],
    ['c', 1],
  ];
  assert.equal(renderList(['k', 'n'], rows, opts({ format: 'value', sortColumns: ['n'] })), 'c 1\nb 2\na 10\n');
  assert.equal(
    renderList(['k', 'n'], rows, opts({ format: 'value', sortColumns: ['k'], sortDescending: true })),
    'c 1\nb 2\na 10\n',
  );
});

test('an empty list prints one blank line, or the bare header with --print-empty', () => {
  assert.equal(renderList(['id'], [], opts()), '\n');
  assert.equal(renderList(['id'], [], opts({ printEmpty: true })), '+----+\n| id |\n+----+\n+----+\n');
});

test('multi-line cells (several ids) span several table lines', () => {
  const cells = cellsOf({ listeners: [{ id: 'l1' }, { id: 'l2' }], name: 'x' }, ['listeners', 'name'], {
    listeners: idList,
  });
  assert.deepEqual(cells, ['l1\nl2', 'x']);
  const out = renderOne(['listeners', 'name'], cells, opts());
  assert.match(out, /\| listeners \| l1    \|\n\|           \| l2    \|\n/);
  assert.equal(keyValues({ type: 'APP_COOKIE', cookie_name: 'c' }), 'type=APP_COOKIE\ncookie_name=c');
  assert.equal(keyValues(null), null);
});

test('OS_AUTH_URL with or without /v3, and the settings read from flags over env', () => {
  assert.equal(identityV3Url('http://k:5000'), 'http://k:5000/v3');
  assert.equal(identityV3Url('http://k:5000/v3/'), 'http://k:5000/v3');
  const s = readAuthSettings(
    { osUsername: 'flag-user' },
    { OS_USERNAME: 'env-user', OS_PASSWORD: 'pw', OS_AUTH_URL: 'http://k' },
  );
  assert.equal(s.authType, 'password');
  assert.equal(s.username, 'flag-user');
  assert.equal(s.userDomainId, 'default');
  assert.equal(readAuthSettings({}, { OS_ENDPOINT: 'http://x' }).authType, 'none');
  assert.equal(readAuthSettings({}, { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://x' }).authType, 'none');
  assert.equal(readAuthSettings({}, { OS_TOKEN: 't', OS_AUTH_URL: 'http://k' }).authType, 'token');
  assert.throws(() => readAuthSettings({}, { OS_AUTH_TYPE: 'kerberos' }), /Unsupported auth type/);
  assert.throws(() => readAuthSettings({}, { OS_INTERFACE: 'private' }), /Unknown interface/);
});
