import { L7POLICY_ACTIONS, REDIRECT_HTTP_CODES } from '../../../common/constants.js';
import {
  bool,
  enumOf,
  int,
  listOf,
  required,
  str,
  validateNested,
  type Clean,
  type Field,
  type FieldMap,
} from '../../validation/fields.js';
import { HM_POST_FIELDS } from '../health-monitors/health-monitor-model.js';
import { checkHmPatterns } from '../health-monitors/health-monitor-rules.js';
import { MAX_POLICY_POSITION, MIN_POLICY_POSITION } from '../l7/l7policy-positions.js';
import { checkRedirectUrls } from '../l7/l7policy-sanitize.js';
import { RULE_CREATE_FIELDS } from '../l7/l7rule-model.js';
import { LISTENER_POST_FIELDS } from '../listeners/listener-fields.js';
import { MEMBER_POST_FIELDS } from '../members/member-model.js';
import { POOL_POST_FIELDS } from '../pools/pool-fields.js';
import { tagsField } from '../tags.js';

/**
 * The first reading of a graph create (the listeners and pools embedded in POST loadbalancer, the pools and
 * policies embedded in POST listeners, the health monitor and members embedded in POST pools): every
 * embedded object checked against its type, as Octavia's `*SingleCreate` types do before anything else.
 * Embedded objects take neither parent ids nor a project (they belong to the load balancer's), so those
 * are unknown attributes here; unknown-attribute faults name the object by its path in the body.
 */

/** The argument name Octavia's whole-body faults use for POST loadbalancer. */
const ARG = 'load_balancer';
const ROOT_PATH = 'load_balancer.loadbalancer';

const without = (fields: FieldMap, ...keys: string[]): FieldMap =>
  Object.fromEntries(Object.entries(fields).filter(([key]) => !keys.includes(key)));
const optional = (field: Field): Field => ({ ...field, required: false });
const nested: Field = { type: { kind: 'raw' } };
const nestedList: Field = listOf({ kind: 'raw' });

/** A pool may be a name-only reference, so its protocol and algorithm are checked later, with Octavia's own fault. */
const POOL_FIELDS: FieldMap = {
  ...without(POOL_POST_FIELDS, 'loadbalancer_id', 'listener_id', 'project_id', 'tenant_id'),
  protocol: optional(POOL_POST_FIELDS.protocol!),
  lb_algorithm: optional(POOL_POST_FIELDS.lb_algorithm!),
  healthmonitor: nested,
  members: nestedList,
};
const HEALTH_MONITOR_FIELDS = without(HM_POST_FIELDS, 'pool_id', 'project_id', 'tenant_id');
const MEMBER_FIELDS = without(MEMBER_POST_FIELDS, 'project_id', 'tenant_id');
const POLICY_FIELDS: FieldMap = {
  name: str(),
  description: str(),
  admin_state_up: bool(),
  action: required(enumOf(L7POLICY_ACTIONS)),
  redirect_pool: nested,
  redirect_url: str(2048),
  redirect_prefix: str(2048),
  position: int(MIN_POLICY_POSITION, MAX_POLICY_POSITION),
  rules: nestedList,
  tags: tagsField(),
  redirect_http_code: enumOf(REDIRECT_HTTP_CODES),
};
/**
 * Only the keys of a session persistence, so an unknown one is named by its path in this body; the
 * values are checked with the pool's own rules (`resolveSessionPersistence`) once the pool is planned.
 */
const SESSION_PERSISTENCE_KEYS: FieldMap = Object.fromEntries(
  ['type', 'cookie_name', 'persistence_timeout', 'persistence_granularity'].map((key) => [key, nested]),
);
const LISTENER_FIELDS: FieldMap = {
  ...without(LISTENER_POST_FIELDS, 'loadbalancer_id', 'project_id', 'tenant_id'),
  default_pool: nested,
  l7policies: nestedList,
};

/** An embedded pool as written: its own attributes, and its health monitor and members. */
export interface PoolShape {
  fields: Clean;
  healthMonitor: Clean | null;
  members: Clean[];
}

export interface PolicyShape {
  fields: Clean;
  redirectPool: PoolShape | null;
  rules: Clean[];
}

export interface ListenerShape {
  fields: Clean;
  defaultPool: PoolShape | null;
  policies: PolicyShape[];
}

export interface GraphShape {
  listeners: ListenerShape[];
  pools: PoolShape[];
}

/** Reads one embedded object: its type-checked attributes without the nested objects, which the caller reads. */
type Reader<T> = (value: unknown, name: string, path: string) => T;

/** `arg` is the argument name of the request's faults (`load_balancer`, `listener_`, `pool_`). */
function reader(rawBody: unknown, arg: string) {
  const check = (value: unknown, name: string, path: string, fields: FieldMap) =>
    validateNested(value, name, path, fields, arg, rawBody);
  const list = <T>(items: unknown, name: string, path: string, read: Reader<T>): T[] =>
    ((items as unknown[] | null | undefined) ?? []).map((item) => read(item, name, path));

  /** A checked pool body split into its own attributes, its health monitor and its members. */
  const poolChildren = (checked: Clean, path: string): PoolShape => {
    const { healthmonitor, members, ...fields } = checked;
    return {
      fields,
      healthMonitor:
        healthmonitor === null || healthmonitor === undefined
          ? null
          : checkHmPatterns(check(healthmonitor, 'healthmonitor', `${path}.healthmonitor`, HEALTH_MONITOR_FIELDS)),
      members: list(members, 'members', `${path}.members`, (m, n, p) => check(m, n, p, MEMBER_FIELDS)),
    };
  };
  const pool: Reader<PoolShape> = (value, name, path) => {
    const checked = check(value, name, path, POOL_FIELDS);
    if (checked.session_persistence !== null && checked.session_persistence !== undefined)
      check(
        checked.session_persistence,
        'session_persistence',
        `${path}.session_persistence`,
        SESSION_PERSISTENCE_KEYS,
      );
    return poolChildren(checked, path);
  };
  const policy: Reader<PolicyShape> = (value, name, path) => {
    const { redirect_pool: redirectPool, rules, ...fields } = check(value, name, path, POLICY_FIELDS);
    checkRedirectUrls(fields);
    return {
      fields,
      redirectPool:
        redirectPool === null || redirectPool === undefined
          ? null
          : pool(redirectPool, 'redirect_pool', `${path}.redirect_pool`),
      rules: list(rules, 'rules', `${path}.rules`, (r, n, p) => check(r, n, p, RULE_CREATE_FIELDS)),
    };
  };
  /** A checked listener body split into its own attributes, its default pool and its L7 policies. */
  const listenerChildren = (checked: Clean, path: string): ListenerShape => {
    const { default_pool: defaultPool, l7policies, ...fields } = checked;
    return {
      fields,
      defaultPool:
        defaultPool === null || defaultPool === undefined
          ? null
          : pool(defaultPool, 'default_pool', `${path}.default_pool`),
      policies: list(l7policies, 'l7policies', `${path}.l7policies`, policy),
    };
  };
  const listener: Reader<ListenerShape> = (value, name, path) =>
    listenerChildren(check(value, name, path, LISTENER_FIELDS), path);
  return { check, list, pool, poolChildren, listener, listenerChildren };
}

/**
 * Type-check the `listeners` and `pools` of a validated POST loadbalancer body (`rawBody` is the request
 * as sent, which Octavia quotes in its boolean faults).
 */
export function readGraph(body: Clean, rawBody: unknown): GraphShape {
  const read = reader(rawBody, ARG);
  const lists = read.check({ listeners: body.listeners, pools: body.pools }, 'loadbalancer', ROOT_PATH, {
    listeners: nestedList,
    pools: nestedList,
  });
  return {
    listeners: read.list(lists.listeners, 'listeners', `${ROOT_PATH}.listeners`, read.listener),
    pools: read.list(lists.pools, 'pools', `${ROOT_PATH}.pools`, read.pool),
  };
}

/** Type-check the health monitor and members embedded in a validated POST pools body. */
export function readPoolGraph(body: Clean, rawBody: unknown): PoolShape {
  return reader(rawBody, 'pool_').poolChildren(body, 'pool_.pool');
}

/** Type-check the default pool and L7 policies embedded in a validated POST listeners body. */
export function readListenerGraph(body: Clean, rawBody: unknown): ListenerShape {
  return reader(rawBody, 'listener_').listenerChildren(body, 'listener_.listener');
}
export { POOL_FIELDS as GRAPH_POOL_FIELDS, LISTENER_FIELDS as GRAPH_LISTENER_FIELDS };
export { POLICY_FIELDS as GRAPH_POLICY_FIELDS };
export { HEALTH_MONITOR_FIELDS as GRAPH_HEALTH_MONITOR_FIELDS, MEMBER_FIELDS as GRAPH_MEMBER_FIELDS };
