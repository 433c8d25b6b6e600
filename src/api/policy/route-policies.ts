import { POLICY_PREFIX } from './rules.js';

/**
 * Which policy guards each route, and where its target project comes from:
 * - `caller`: the caller's own project (admin objects, flavors, providers); checked before the handler runs;
 * - `param`: the project named in the URL (`/quotas/{project_id}`); checked before the handler runs;
 * - `object`: the project owning the object the handler loads (or, for a create, the new object's project);
 *   the handler calls `authorize(req, projectId)` as soon as it knows it;
 * - `list`: a collection listed across projects; the handler calls `listProjectScope(req)`, which applies
 *   `get_all-global` or narrows the list to the caller's project.
 * A route missing from this table is refused to everyone in keystone mode (fail closed).
 */
export type PolicyTarget = 'caller' | 'param' | 'object' | 'list';

export interface RoutePolicy {
  /** The full policy name, `os_load-balancer_api:<resource>:<action>`. */
  policy: string;
  target: PolicyTarget;
}

/** Routes anyone may call without a token: the version documents and the API description. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /', 'GET /v2', 'GET /openapi', 'GET /openapi.json']);

const LBAAS = '/v2/lbaas';
const at = (policy: string, target: PolicyTarget): RoutePolicy => ({ policy: `${POLICY_PREFIX}:${policy}`, target });

/** The collection and item routes of a resource owned by a project and listed across the API. */
function ownedResource(path: string, name: string, item = ':id'): Array<[string, RoutePolicy]> {
  return [
    [`GET ${path}`, at(`${name}:get_all`, 'list')],
    [`POST ${path}`, at(`${name}:post`, 'object')],
    [`GET ${path}/${item}`, at(`${name}:get_one`, 'object')],
    [`PUT ${path}/${item}`, at(`${name}:put`, 'object')],
    [`DELETE ${path}/${item}`, at(`${name}:delete`, 'object')],
  ];
}

/** The CRUD routes of an object that belongs to no project (flavors, zones, profiles). */
function globalObject(path: string, name: string, item = ':id'): Array<[string, RoutePolicy]> {
  return [
    [`GET ${path}`, at(`${name}:get_all`, 'caller')],
    [`POST ${path}`, at(`${name}:post`, 'caller')],
    [`GET ${path}/${item}`, at(`${name}:get_one`, 'caller')],
    [`PUT ${path}/${item}`, at(`${name}:put`, 'caller')],
    [`DELETE ${path}/${item}`, at(`${name}:delete`, 'caller')],
  ];
}

const MEMBERS = `${LBAAS}/pools/:pool_id/members`;
const RULES = `${LBAAS}/l7policies/:policyId/rules`;
const AMPHORAE = '/v2/octavia/amphorae';

/** `<METHOD> <route pattern>` -> its policy. HEAD routes use their GET's entry. */
export const ROUTE_POLICIES: ReadonlyMap<string, RoutePolicy> = new Map<string, RoutePolicy>([
  ...ownedResource(`${LBAAS}/loadbalancers`, 'loadbalancer'),
  [`GET ${LBAAS}/loadbalancers/:id/status`, at('loadbalancer:get_status', 'object')],
  [`GET ${LBAAS}/loadbalancers/:id/statuses`, at('loadbalancer:get_status', 'object')],
  [`GET ${LBAAS}/loadbalancers/:id/stats`, at('loadbalancer:get_stats', 'object')],
  [`PUT ${LBAAS}/loadbalancers/:id/failover`, at('loadbalancer:put_failover', 'object')],
  ...ownedResource(`${LBAAS}/listeners`, 'listener'),
  [`GET ${LBAAS}/listeners/:id/stats`, at('listener:get_stats', 'object')],
  ...ownedResource(`${LBAAS}/pools`, 'pool'),
  ...ownedResource(`${LBAAS}/healthmonitors`, 'healthmonitor'),
  ...ownedResource(`${LBAAS}/l7policies`, 'l7policy'),
  // Members and rules: the target is the project of the pool or policy in the URL.
  [`GET ${MEMBERS}`, at('member:get_all', 'object')],
  [`POST ${MEMBERS}`, at('member:post', 'object')],
  [`PUT ${MEMBERS}`, at('member:put', 'object')],
  [`GET ${MEMBERS}/:member_id`, at('member:get_one', 'object')],
  [`PUT ${MEMBERS}/:member_id`, at('member:put', 'object')],
  [`DELETE ${MEMBERS}/:member_id`, at('member:delete', 'object')],
  [`GET ${RULES}`, at('l7rule:get_all', 'object')],
  [`POST ${RULES}`, at('l7rule:post', 'object')],
  [`GET ${RULES}/:ruleId`, at('l7rule:get_one', 'object')],
  [`PUT ${RULES}/:ruleId`, at('l7rule:put', 'object')],
  [`DELETE ${RULES}/:ruleId`, at('l7rule:delete', 'object')],
  [`GET ${LBAAS}/quotas`, at('quota:get_all', 'list')],
  [`GET ${LBAAS}/quotas/defaults`, at('quota:get_defaults', 'caller')],
  [`GET ${LBAAS}/quotas/:project_id/default`, at('quota:get_defaults', 'param')],
  [`GET ${LBAAS}/quotas/:project_id`, at('quota:get_one', 'param')],
  [`PUT ${LBAAS}/quotas/:project_id`, at('quota:put', 'param')],
  [`DELETE ${LBAAS}/quotas/:project_id`, at('quota:delete', 'param')],
  [`GET ${AMPHORAE}`, at('amphora:get_all', 'caller')],
  [`GET ${AMPHORAE}/:id`, at('amphora:get_one', 'caller')],
  [`DELETE ${AMPHORAE}/:id`, at('amphora:delete', 'caller')],
  [`PUT ${AMPHORAE}/:id/failover`, at('amphora:put_failover', 'caller')],
  [`PUT ${AMPHORAE}/:id/config`, at('amphora:put_config', 'caller')],
  [`GET ${AMPHORAE}/:id/stats`, at('amphora:get_stats', 'caller')],
  [`GET ${LBAAS}/providers`, at('provider:get_all', 'caller')],
  [`GET ${LBAAS}/providers/:provider/flavor_capabilities`, at('provider-flavor:get_all', 'caller')],
  [
    `GET ${LBAAS}/providers/:provider/availability_zone_capabilities`,
    at('provider-availability-zone:get_all', 'caller'),
  ],
  ...globalObject(`${LBAAS}/flavors`, 'flavor'),
  ...globalObject(`${LBAAS}/flavorprofiles`, 'flavor-profile'),
  ...globalObject(`${LBAAS}/availabilityzones`, 'availability-zone', ':name'),
  ...globalObject(`${LBAAS}/availabilityzoneprofiles`, 'availability-zone-profile'),
]);

/** The table key of a route: HEAD shares its GET's entry. */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}
