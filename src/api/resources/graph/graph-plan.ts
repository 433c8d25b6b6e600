import { MAX_RULES_PER_POLICY } from '../../../common/constants.js';
import { conflict, notFound, validationFailure } from '../../../common/errors.js';
import { newId } from '../../../common/ids.js';
import type { QuotaName } from '../../quota-check.js';
import type { Clean } from '../../validation/fields.js';
import type { SessionPersistence } from '../../validation/session-persistence.js';
import { checkDomainName, checkHttpOnlyFields, checkTypeForPool } from '../health-monitors/health-monitor-rules.js';
import { readGraph, type ListenerShape, type PoolShape } from './graph-shape.js';
import { MAX_POLICY_POSITION, placeInOrder } from '../l7/l7policy-positions.js';
import {
  checkPolicyListenerProtocol,
  resolveRedirect,
  sanitizeRedirectArgs,
  type PolicyRedirect,
} from '../l7/l7policy-sanitize.js';
import { validateRuleData } from '../l7/l7rule-validate.js';
import { checkListenerCreate, checkPoolProtocol, l4Family } from '../listeners/listener-rules.js';
import { checkMemberAddresses, duplicateMember, memberKey } from '../members/member-model.js';
import { checkPoolCreate, resolveSessionPersistence } from '../pools/pool-rules.js';

/**
 * A graph create checked against every rule that does not need the database: which embedded pools are
 * references, that references resolve, and each resource's own rules (the same functions its API uses).
 * The result says exactly what to insert; ids of pools, listeners and policies are chosen here.
 */

export interface PoolPlan {
  id: string;
  fields: Clean;
  sessionPersistence: SessionPersistence | null;
  healthMonitor: Clean | null;
  members: Clean[];
}

export interface PolicyPlan {
  id: string;
  fields: Clean;
  /** The action and redirect attributes to store (a redirect pool by its planned id). */
  redirect: PolicyRedirect;
  position: number;
  rules: Clean[];
}

export interface ListenerPlan {
  id: string;
  fields: Clean;
  defaultPool: PoolPlan | null;
  /** In position order. */
  policies: PolicyPlan[];
}

/** Pools in creation order (the top-level ones, then those defined inside listeners), then the listeners. */
export interface GraphPlan {
  pools: PoolPlan[];
  listeners: ListenerPlan[];
}

/** What a graph hangs from: a new load balancer (POST loadbalancers) or an existing one (POST listeners). */
type GraphRoot = 'loadbalancer' | 'listener';

const graphOf = (root: GraphRoot) => `when creating a fully populated ${root}.`;

const nameOf = (pool: PoolShape): string | null =>
  typeof pool.fields.name === 'string' && pool.fields.name !== '' ? pool.fields.name : null;
/** A pool given by its name alone stands for the pool of that name defined elsewhere in the request. */
const isReference = (pool: PoolShape) =>
  Object.keys(pool.fields).every((key) => key === 'name') && !pool.healthMonitor && pool.members.length === 0;

/**
 * Sort the embedded pools into definitions and references, and check names: unique, resolvable, and
 * given in a load balancer's graph (below a single listener an unnamed pool is simply a definition).
 */
function poolDefinitions(shapes: { pools: PoolShape[]; embedded: PoolShape[] }, root: GraphRoot): PoolShape[] {
  const definitions = [...shapes.pools];
  const references: string[] = [];
  for (const pool of shapes.embedded) {
    const name = nameOf(pool);
    if (name === null && root === 'loadbalancer') throw validationFailure(`Pools must be named ${graphOf(root)}`);
    if (name !== null && isReference(pool)) references.push(name);
    else definitions.push(pool);
  }
  const names = definitions.map(nameOf).filter((n): n is string => n !== null);
  if (new Set(names).size !== names.length) throw validationFailure(`Pool names must be unique ${graphOf(root)}`);
  const missing = references.find((name) => !names.includes(name));
  if (missing !== undefined)
    throw validationFailure(`Pool '${missing}' was referenced but no full definition was found.`);
  return definitions;
}

/**
 * A pool definition under the rules of POST /pools, its health monitor's and its members' (the plan of
 * POST /pools itself, whose body may embed a health monitor and members).
 */
export function planPool(shape: PoolShape, rawBody: unknown): PoolPlan {
  const fields = shape.fields;
  for (const attr of ['protocol', 'lb_algorithm'])
    if (fields[attr] === null || fields[attr] === undefined)
      throw validationFailure(`Pool definition for '${nameOf(shape) ?? ''}' missing required attribute: ${attr}`);
  const protocol = fields.protocol as string;
  const sessionPersistence = resolveSessionPersistence(fields, rawBody, protocol, null, true) ?? null;
  checkPoolCreate(fields);
  const hm = shape.healthMonitor;
  if (hm) {
    checkTypeForPool(protocol, hm.type as string, hm.delay as number);
    checkHttpOnlyFields(hm.type as string, hm, false);
    checkDomainName(
      (hm.http_version as number | null | undefined) ?? null,
      (hm.domain_name as string | null | undefined) ?? null,
    );
  }
  const seen = new Set<string>();
  for (const member of shape.members) {
    checkMemberAddresses(member);
    const key = memberKey(member.address as string, member.protocol_port as number);
    if (seen.has(key)) throw duplicateMember(member.address as string, member.protocol_port as number);
    seen.add(key);
  }
  return { id: newId(), fields, sessionPersistence, healthMonitor: hm, members: shape.members };
}

type PoolLookup = (ref: PoolShape | null) => PoolPlan | null;

/** A listener's L7 policies as POST /l7policies checks them, numbered 1..n as successive creates would leave them. */
function planPolicies(protocol: string, shapes: ListenerShape['policies'], poolOf: PoolLookup): PolicyPlan[] {
  if (shapes.length > 0) checkPolicyListenerProtocol(protocol);
  const policies: PolicyPlan[] = [];
  let order: string[] = [];
  for (const p of shapes) {
    const id = newId();
    const redirectPool = poolOf(p.redirectPool);
    const sanitized = sanitizeRedirectArgs(
      { ...p.fields, ...(redirectPool ? { redirect_pool_id: redirectPool.id } : {}) },
      true,
    );
    const redirect = resolveRedirect(
      {
        action: p.fields.action as string,
        redirect_pool_id: null,
        redirect_url: null,
        redirect_prefix: null,
        redirect_http_code: null,
      },
      sanitized,
    );
    if (redirectPool && redirect.redirect_pool_id) checkPoolProtocol(protocol, redirectPool.fields.protocol as string);
    if (p.rules.length > MAX_RULES_PER_POLICY) throw conflict(`Too many rules on L7 policy ${id}`);
    for (const rule of p.rules)
      validateRuleData({
        type: rule.type as string,
        compare_type: rule.compare_type as string,
        key: (rule.key as string | null | undefined) ?? null,
        value: rule.value as string,
      });
    order = placeInOrder(order, id, (p.fields.position as number | null | undefined) ?? MAX_POLICY_POSITION);
    policies.push({ id, fields: p.fields, redirect, position: 0, rules: p.rules });
  }
  for (const policy of policies) policy.position = order.indexOf(policy.id) + 1;
  return policies.sort((a, b) => a.position - b.position);
}

/**
 * A listener as POST /listeners checks it; `earlier` are the request's listeners before it, which share
 * its ports. An embedded default pool takes the place of `default_pool_id`.
 */
function planListener(
  shape: ListenerShape,
  earlier: ListenerPlan[],
  poolOf: PoolLookup,
  root: GraphRoot,
): ListenerPlan {
  const fields = shape.fields;
  const protocol = fields.protocol as string;
  const port = fields.protocol_port as number;
  const defaultPool = poolOf(shape.defaultPool);
  // In a new load balancer a pool id can only name another load balancer's pool; below an existing one
  // the route looks the pool up.
  if (root === 'loadbalancer' && !defaultPool && typeof fields.default_pool_id === 'string')
    throw notFound(`Pool ${fields.default_pool_id} not found.`);
  if (defaultPool) checkPoolProtocol(protocol, defaultPool.fields.protocol as string);
  checkListenerCreate(fields);
  const clash = earlier.find(
    (other) => other.fields.protocol_port === port && l4Family(other.fields.protocol as string) === l4Family(protocol),
  );
  if (clash)
    throw conflict(
      `Another Listener on this Load Balancer is already using protocol ${clash.fields.protocol} and protocol_port ${port}`,
    );
  return { id: newId(), fields, defaultPool, policies: planPolicies(protocol, shape.policies, poolOf) };
}

/**
 * Plan a graph create: pools are resolved by name, then every object is checked as its own POST would
 * check it (pools first, then listeners in request order, as Octavia).
 */
function planShapes(
  shape: { listeners: ListenerShape[]; pools: PoolShape[] },
  rawBody: unknown,
  root: GraphRoot,
): GraphPlan {
  const embedded = shape.listeners.flatMap((l) => [
    ...(l.defaultPool ? [l.defaultPool] : []),
    ...l.policies.flatMap((p) => (p.redirectPool ? [p.redirectPool] : [])),
  ]);
  const definitions = poolDefinitions({ pools: shape.pools, embedded }, root);
  const pools = definitions.map((d) => planPool(d, rawBody));
  const byName = new Map(definitions.flatMap((d, i) => (nameOf(d) === null ? [] : [[nameOf(d)!, pools[i]!] as const])));
  const planOf = new Map(definitions.map((d, i) => [d, pools[i]!] as const));
  // A definition is its own plan; a reference is named, and poolDefinitions checked the name is defined.
  const poolOf: PoolLookup = (ref) => (ref ? (planOf.get(ref) ?? byName.get(nameOf(ref)!)!) : null);
  const listeners: ListenerPlan[] = [];
  for (const l of shape.listeners) listeners.push(planListener(l, listeners, poolOf, root));
  return { pools, listeners };
}

/** Plan the listeners and pools embedded in a validated POST loadbalancer body. */
export function planGraph(body: Clean, rawBody: unknown): GraphPlan {
  return planShapes(readGraph(body, rawBody), rawBody, 'loadbalancer');
}

/** Plan a POST listeners body: the listener, and the pools its default pool and L7 policies define. */
export function planListenerGraph(shape: ListenerShape, rawBody: unknown): GraphPlan {
  return planShapes({ listeners: [shape], pools: [] }, rawBody, 'listener');
}

const sum = <T>(items: T[], count: (item: T) => number) => items.reduce((n, item) => n + count(item), 0);

/** How many objects of each quota a plan adds. */
export function countPlan(plan: GraphPlan): Partial<Record<QuotaName, number>> {
  return {
    pool: plan.pools.length,
    healthmonitor: sum(plan.pools, (p) => (p.healthMonitor ? 1 : 0)),
    member: sum(plan.pools, (p) => p.members.length),
    listener: plan.listeners.length,
    l7policy: sum(plan.listeners, (l) => l.policies.length),
    l7rule: sum(plan.listeners, (l) => sum(l.policies, (p) => p.rules.length)),
  };
}
