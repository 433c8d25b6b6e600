/**
 * Octavia's default RBAC, as data. Two layers, as in Octavia's policy files:
 * - base rules (`load-balancer:read`, `load-balancer:write`, ...), built from roles and ownership, with the
 *   deprecated `load-balancer_*` roles OR-ed in next to Keystone's `reader` / `member` / `admin` (Octavia
 *   keeps both while `enforce_new_defaults` is off, its default);
 * - one API policy per `os_load-balancer_api:<resource>:<action>`, each pointing at a base rule.
 */

/** A policy check: a role the caller holds, ownership of the target, the admin context, another rule, or a combination. */
export type Check =
  { role: string } | { owner: true } | { isAdmin: true } | { rule: string } | { anyOf: Check[] } | { allOf: Check[] };

const role = (name: string): Check => ({ role: name });
const rule = (name: string): Check => ({ rule: name });
const anyOf = (...checks: Check[]): Check => ({ anyOf: checks });
const allOf = (...checks: Check[]): Check => ({ allOf: checks });
const OWNER: Check = { owner: true };
const IS_ADMIN: Check = { isAdmin: true };

/** The rules every API policy is written with. */
export const BASE_RULES: Record<string, Check> = {
  // Who counts as an administrator of the request context (Octavia's `is_admin:True`).
  context_is_admin: anyOf(role('admin'), role('load-balancer_admin')),
  'load-balancer:owner': OWNER,
  'load-balancer:observer_and_owner': anyOf(
    allOf(role('reader'), rule('load-balancer:owner')),
    allOf(role('load-balancer_observer'), rule('load-balancer:owner')),
  ),
  'load-balancer:global_observer': anyOf(role('admin'), role('load-balancer_global_observer')),
  'load-balancer:member_and_owner': anyOf(
    allOf(role('member'), rule('load-balancer:owner')),
    allOf(role('load-balancer_member'), rule('load-balancer:owner')),
  ),
  'load-balancer:admin': anyOf(IS_ADMIN, role('admin'), role('load-balancer_admin')),
  'load-balancer:quota-admin': anyOf(role('admin'), role('load-balancer_quota_admin')),
  'load-balancer:read': anyOf(
    rule('load-balancer:observer_and_owner'),
    rule('load-balancer:global_observer'),
    rule('load-balancer:member_and_owner'),
    rule('load-balancer:admin'),
  ),
  'load-balancer:read-global': anyOf(rule('load-balancer:global_observer'), rule('load-balancer:admin')),
  'load-balancer:write': anyOf(rule('load-balancer:member_and_owner'), rule('load-balancer:admin')),
  'load-balancer:read-quota': anyOf(rule('load-balancer:read'), rule('load-balancer:quota-admin')),
  'load-balancer:read-quota-global': anyOf(
    rule('load-balancer:global_observer'),
    rule('load-balancer:quota-admin'),
    rule('load-balancer:admin'),
  ),
  'load-balancer:write-quota': anyOf(rule('load-balancer:quota-admin'), rule('load-balancer:admin')),
  // Other OpenStack services (e.g. a service user syncing members) may list members.
  'load-balancer:read-or-service': anyOf(rule('load-balancer:read'), role('service')),
};

/** The prefix of every API policy name. */
export const POLICY_PREFIX = 'os_load-balancer_api';

const READ = 'load-balancer:read';
const READ_GLOBAL = 'load-balancer:read-global';
const WRITE = 'load-balancer:write';
const ADMIN = 'load-balancer:admin';

/** `<resource>:<action>` -> base rule, for one resource. */
function resource(name: string, actions: Record<string, string>): Array<[string, string]> {
  return Object.entries(actions).map(([action, base]) => [`${POLICY_PREFIX}:${name}:${action}`, base]);
}

/** The collection actions of a project-owned resource that is listed across the whole API. */
const owned = (extra: Record<string, string> = {}) => ({
  get_all: READ,
  'get_all-global': READ_GLOBAL,
  get_one: READ,
  post: WRITE,
  put: WRITE,
  delete: WRITE,
  ...extra,
});

const adminOnly = (...actions: string[]) => Object.fromEntries(actions.map((a) => [a, ADMIN]));

/** Every API policy and the base rule it grants with (Octavia's defaults). */
export const API_POLICIES: Record<string, string> = Object.fromEntries([
  ...resource('loadbalancer', owned({ get_stats: READ, get_status: READ, put_failover: ADMIN })),
  ...resource('listener', owned({ get_stats: READ })),
  ...resource('pool', owned()),
  ...resource('healthmonitor', owned()),
  ...resource('l7policy', owned()),
  // Members and rules are listed below their pool or policy only: no global listing.
  ...resource('member', {
    get_all: 'load-balancer:read-or-service',
    get_one: READ,
    post: WRITE,
    put: WRITE,
    delete: WRITE,
  }),
  ...resource('l7rule', { get_all: READ, get_one: READ, post: WRITE, put: WRITE, delete: WRITE }),
  ...resource('quota', {
    get_all: 'load-balancer:read-quota',
    'get_all-global': 'load-balancer:read-quota-global',
    get_one: 'load-balancer:read-quota',
    get_defaults: 'load-balancer:read-quota',
    put: 'load-balancer:write-quota',
    delete: 'load-balancer:write-quota',
  }),
  ...resource('amphora', adminOnly('get_all', 'get_one', 'delete', 'put_failover', 'put_config', 'get_stats')),
  ...resource('provider', { get_all: READ }),
  ...resource('provider-flavor', adminOnly('get_all')),
  ...resource('provider-availability-zone', adminOnly('get_all')),
  ...resource('flavor', { get_all: READ, get_one: READ, ...adminOnly('post', 'put', 'delete') }),
  ...resource('flavor-profile', adminOnly('get_all', 'get_one', 'post', 'put', 'delete')),
  ...resource('availability-zone', { get_all: READ, get_one: READ, ...adminOnly('post', 'put', 'delete') }),
  ...resource('availability-zone-profile', adminOnly('get_all', 'get_one', 'post', 'put', 'delete')),
]);
