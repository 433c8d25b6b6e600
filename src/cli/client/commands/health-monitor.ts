import { HEALTH_MONITOR, POOL } from '../resources.js';
import type { ResourceSpec } from './crud.js';
import { choice, enableDisable, int, str, typed, type FieldOption } from './fields.js';
import { flatList, idList } from './formatters.js';

export const MONITOR_TYPES = ['PING', 'HTTP', 'TCP', 'HTTPS', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'];
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'PATCH', 'CONNECT'];

export const MONITOR_ROWS = [
  'project_id',
  'name',
  'admin_state_up',
  'pools',
  'created_at',
  'provisioning_status',
  'updated_at',
  'delay',
  'expected_codes',
  'max_retries',
  'http_method',
  'timeout',
  'max_retries_down',
  'url_path',
  'type',
  'id',
  'operating_status',
  'http_version',
  'domain_name',
  'tags',
] as const;

export const MONITOR_COLUMNS = ['id', 'name', 'project_id', 'type', 'admin_state_up'] as const;

const common: FieldOption[] = [
  str('--name <name>', 'name', 'Set the health monitor name.'),
  int('--delay <delay>', 'delay', 'Set the time in seconds, between sending probes to members.'),
  str(
    '--domain-name <domain_name>',
    'domain_name',
    'Set the domain name, which be injected into the HTTP Host Header to the backend server for HTTP health check.',
  ),
  str(
    '--expected-codes <codes>',
    'expected_codes',
    'Set the list of HTTP status codes expected in response from the member to declare it healthy.',
  ),
  choice(
    '--http-method <http_method>',
    'http_method',
    HTTP_METHODS,
    'Set the HTTP method that the health monitor uses for requests.',
  ),
  typed('--http-version <http_version>', 'http_version', { kind: 'float' }, 'Set the HTTP version.'),
  int(
    '--timeout <timeout>',
    'timeout',
    'Set the maximum time, in seconds, that a monitor waits to connect before it times out. This value must be less than the delay value.',
  ),
  int(
    '--max-retries <max_retries>',
    'max_retries',
    'The number of successful checks before changing the operating status of the member to ONLINE.',
  ),
  str(
    '--url-path <url_path>',
    'url_path',
    'Set the HTTP URL path of the request sent by the monitor to test the health of a backend member.',
  ),
  int(
    '--max-retries-down <max_retries_down>',
    'max_retries_down',
    'Set the number of allowed check failures before changing the operating status of the member to ERROR.',
  ),
  ...enableDisable('health monitor'),
];

export const healthMonitorSpec: ResourceSpec = {
  kind: HEALTH_MONITOR,
  noun: 'health monitor',
  arg: 'health_monitor',
  rows: MONITOR_ROWS,
  columns: MONITOR_COLUMNS,
  formatters: { pools: idList, tags: flatList },
  tags: true,
  waits: true,
  create: {
    owner: { name: 'pool', help: 'Set the pool for the health monitor (name or ID).', kind: POOL, field: 'pool_id' },
    options: [
      ...common.map((o) => (['delay', 'timeout', 'max_retries'].includes(o.field) ? { ...o, required: true } : o)),
      choice('--type <type>', 'type', MONITOR_TYPES, 'Set the health monitor type.', { required: true }),
    ],
  },
  list: { options: [] },
  set: { options: common },
  unset: {
    flags: [
      ['--domain-name', 'domain_name', 'Clear the health monitor domain name.'],
      ['--expected-codes', 'expected_codes', 'Reset the health monitor expected codes to the API default.'],
      ['--http-method', 'http_method', 'Reset the health monitor HTTP method to the API default.'],
      ['--http-version', 'http_version', 'Reset the health monitor HTTP version to the API default.'],
      ['--max-retries-down', 'max_retries_down', 'Reset the health monitor max retries down to the API default.'],
      ['--name', 'name', 'Clear the health monitor name.'],
      ['--url-path', 'url_path', 'Clear the health monitor URL path.'],
    ],
  },
  delete: {},
};
