import { L7POLICY, L7RULE, LISTENER, POOL } from '../resources.js';
import { CliError } from '../runtime.js';
import type { ResourceSpec } from './crud.js';
import { choice, enableDisable, int, ref, str, typed, type FieldOption } from './fields.js';
import { flatList, idList } from './formatters.js';

export const L7POLICY_ACTIONS = ['REDIRECT_TO_POOL', 'REDIRECT_TO_URL', 'REJECT', 'REDIRECT_PREFIX'];
export const REDIRECT_CODES = [301, 302, 303, 307, 308];
export const L7RULE_COMPARE_TYPES = ['REGEX', 'EQUAL_TO', 'CONTAINS', 'ENDS_WITH', 'STARTS_WITH'];
export const L7RULE_TYPES = [
  'FILE_TYPE',
  'PATH',
  'COOKIE',
  'HOST_NAME',
  'HEADER',
  'SSL_CONN_HAS_CERT',
  'SSL_VERIFY_RESULT',
  'SSL_DN_FIELD',
];

export const L7POLICY_ROWS = [
  'listener_id',
  'description',
  'admin_state_up',
  'rules',
  'project_id',
  'created_at',
  'provisioning_status',
  'updated_at',
  'redirect_pool_id',
  'redirect_url',
  'redirect_prefix',
  'action',
  'position',
  'id',
  'operating_status',
  'name',
  'redirect_http_code',
  'tags',
] as const;

export const L7POLICY_COLUMNS = [
  'id',
  'name',
  'project_id',
  'provisioning_status',
  'action',
  'position',
  'admin_state_up',
] as const;

export const L7RULE_ROWS = [
  'created_at',
  'compare_type',
  'provisioning_status',
  'invert',
  'admin_state_up',
  'updated_at',
  'value',
  'key',
  'project_id',
  'type',
  'id',
  'operating_status',
  'tags',
] as const;

export const L7RULE_COLUMNS = [
  'id',
  'project_id',
  'provisioning_status',
  'compare_type',
  'type',
  'key',
  'value',
  'invert',
  'admin_state_up',
] as const;

const policyCommon: FieldOption[] = [
  str('--name <name>', 'name', 'Set the l7policy name.'),
  str('--description <description>', 'description', 'Set l7policy description.'),
  ref('--redirect-pool <pool>', 'redirect_pool_id', POOL, 'Set the pool to redirect requests to (name or ID).', {
    conflicts: ['redirectUrl', 'redirectPrefix'],
  }),
  str('--redirect-url <url>', 'redirect_url', 'Set the URL to redirect requests to.', {
    conflicts: ['redirectPrefix'],
  }),
  str('--redirect-prefix <url>', 'redirect_prefix', 'Set the URL Prefix to redirect requests to.'),
  int('--position <position>', 'position', 'Sequence number of this L7 Policy.'),
  int(
    '--redirect-http-code <redirect_http_code>',
    'redirect_http_code',
    `Set the HTTP response code for REDIRECT_URL or REDIRECT_PREFIX action L7Policy (${REDIRECT_CODES.join(', ')}).`,
  ),
  ...enableDisable('l7policy'),
];

function checkRedirectCode(body: Record<string, unknown>): void {
  const code = body.redirect_http_code;
  if (code !== undefined && !REDIRECT_CODES.includes(code as number)) {
    throw new CliError(
      `Invalid input for field/attribute redirect_http_code: ${code} is not one of ${REDIRECT_CODES.join(', ')}`,
    );
  }
}

export const l7policySpec: ResourceSpec = {
  kind: L7POLICY,
  noun: 'l7policy',
  arg: 'policy',
  rows: L7POLICY_ROWS,
  columns: L7POLICY_COLUMNS,
  formatters: { rules: idList, tags: flatList },
  tags: true,
  waits: true,
  create: {
    owner: {
      name: 'listener',
      help: 'Listener to add l7policy to (name or ID).',
      kind: LISTENER,
      field: 'listener_id',
    },
    options: [
      choice('--action <action>', 'action', L7POLICY_ACTIONS, 'Set the action of the policy.', { required: true }),
      ...policyCommon,
    ],
    check: checkRedirectCode,
  },
  list: {
    options: [
      ref(
        '--listener <listener>',
        'listener_id',
        LISTENER,
        'List l7policies that applied to the given listener (name or ID).',
      ),
    ],
  },
  set: {
    options: [
      choice('--action <action>', 'action', L7POLICY_ACTIONS, 'Set the action of the policy.'),
      ...policyCommon,
    ],
  },
  unset: {
    flags: [
      ['--description', 'description', 'Clear the l7policy description.'],
      ['--name', 'name', 'Clear the l7policy name.'],
      ['--redirect-http-code', 'redirect_http_code', 'Clear the l7policy redirect HTTP code.'],
    ],
  },
  delete: {},
};

const ruleCommon = (required: boolean): FieldOption[] => [
  choice(
    '--compare-type <compare_type>',
    'compare_type',
    L7RULE_COMPARE_TYPES,
    'Set the compare type for the l7rule.',
    { required },
  ),
  typed('--invert', 'invert', { kind: 'const', value: true }, 'Invert l7rule.'),
  str('--value <value>', 'value', 'Set the rule value to match on.', { required }),
  str('--key <key>', 'key', "Set the key for the l7rule's value to match on."),
  choice('--type <type>', 'type', L7RULE_TYPES, 'Set the type for the l7rule.', { required }),
  ...enableDisable('l7rule'),
];

export const l7ruleSpec: ResourceSpec = {
  kind: L7RULE,
  noun: 'l7rule',
  arg: 'rule_id',
  parent: { kind: L7POLICY, name: 'l7policy', help: 'l7policy to which the rule belongs (name or ID).' },
  rows: L7RULE_ROWS,
  columns: L7RULE_COLUMNS,
  formatters: { tags: flatList },
  tags: true,
  waits: true,
  create: { options: ruleCommon(true) },
  list: { options: [] },
  set: { options: ruleCommon(false) },
  unset: {
    flags: [
      ['--invert', 'invert', 'Reset the l7rule invert to the API default.'],
      ['--key', 'key', 'Clear the l7rule key.'],
    ],
  },
  delete: {},
};
