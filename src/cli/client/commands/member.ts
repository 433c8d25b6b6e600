import { MEMBER, POOL, SUBNET } from '../resources.js';
import type { ResourceSpec } from './crud.js';
import { enableDisable, int, ref, str, toggle, type FieldOption } from './fields.js';
import { flatList } from './formatters.js';

export const MEMBER_ROWS = [
  'address',
  'admin_state_up',
  'created_at',
  'id',
  'name',
  'operating_status',
  'project_id',
  'protocol_port',
  'provisioning_status',
  'subnet_id',
  'updated_at',
  'weight',
  'monitor_port',
  'monitor_address',
  'backup',
  'tags',
] as const;

export const MEMBER_COLUMNS = [
  'id',
  'name',
  'project_id',
  'provisioning_status',
  'address',
  'protocol_port',
  'operating_status',
  'weight',
] as const;

const common: FieldOption[] = [
  str('--name <name>', 'name', 'Name of the member.'),
  ...toggle(
    '--enable-backup',
    '--disable-backup',
    'backup',
    'Enable member backup (default is False).',
    'Disable member backup (default).',
  ),
  int(
    '--weight <weight>',
    'weight',
    'The weight of a member determines the portion of requests or connections it services compared to the other members of the pool.',
  ),
  int(
    '--monitor-port <monitor_port>',
    'monitor_port',
    'An alternate protocol port used for health monitoring a backend member.',
  ),
  str(
    '--monitor-address <monitor_address>',
    'monitor_address',
    'An alternate IP address used for health monitoring a backend member.',
  ),
  ...enableDisable('member'),
];

export const memberSpec: ResourceSpec = {
  kind: MEMBER,
  noun: 'member',
  arg: 'member',
  parent: { kind: POOL, name: 'pool', help: 'Pool that the member belongs to (name or ID).' },
  rows: MEMBER_ROWS,
  columns: MEMBER_COLUMNS,
  formatters: { tags: flatList },
  tags: true,
  waits: true,
  create: {
    options: [
      str('--address <ip_address>', 'address', 'The IP address of the backend member server.', { required: true }),
      ref('--subnet-id <subnet_id>', 'subnet_id', SUBNET, 'The subnet ID the member service is accessible from.'),
      int(
        '--protocol-port <protocol_port>',
        'protocol_port',
        'The protocol port number the backend member server is listening on.',
        { required: true },
      ),
      ...common,
    ],
  },
  list: { options: [] },
  set: { options: common },
  unset: {
    flags: [
      ['--backup', 'backup', 'Clear the backup member flag.'],
      ['--monitor-address', 'monitor_address', 'Clear the member monitor address.'],
      ['--monitor-port', 'monitor_port', 'Clear the member monitor port.'],
      ['--name', 'name', 'Clear the member name.'],
      ['--weight', 'weight', 'Reset the member weight to the API default.'],
    ],
  },
  delete: {},
};
