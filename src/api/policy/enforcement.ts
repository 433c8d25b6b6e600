import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { faultBody, forbidden } from '../../common/errors.js';
import type { Database } from '../../db/schema.js';
import { requestContext, type RequestContext } from '../context.js';
import type { ApiServices } from '../services.js';
import { isPublicRoute } from './authentication.js';
import { isAllowed, type Credentials } from './engine.js';
import { PUBLIC_ROUTES, ROUTE_POLICIES, routeKey, type RoutePolicy } from './route-policies.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The policy guarding the route, attached from `ROUTE_POLICIES` when the route is registered. */
    policy?: RoutePolicy;
  }
}

/** Requests whose policy was checked: a guarded route that answers without a check is a bug (see onSend). */
const checked = new WeakSet<FastifyRequest>();
/** Routes registered without an entry in `ROUTE_POLICIES`, per server. */
const unguarded = new WeakMap<FastifyInstance, string[]>();

export function credentialsOf(ctx: RequestContext): Credentials {
  return { roles: ctx.roles, projectId: ctx.projectId, isAdmin: ctx.isAdmin };
}

function routePolicy(req: FastifyRequest): RoutePolicy | undefined {
  return req.routeOptions.config.policy;
}

/**
 * Refuse the call (403, Octavia's "Policy does not allow this request to be performed.") unless the route's
 * policy (or `policy`, when given) allows it on an object of `projectId`. Call it before any transaction.
 */
export function authorize(req: FastifyRequest, projectId: string | null | undefined, policy?: string): void {
  checked.add(req);
  const name = policy ?? routePolicy(req)?.policy;
  if (!name || !isAllowed(name, credentialsOf(requestContext(req)), { projectId })) throw forbidden();
}

const single = (v: unknown): string | undefined =>
  Array.isArray(v) ? (v[v.length - 1] as string | undefined) : (v as string | undefined);

/**
 * Octavia's rule for lists that span projects: a global reader (`<resource>:get_all-global`) sees every
 * project, or the one `?project_id=` names; anyone else sees only their own project, needs `get_all` on it,
 * and gets 403 for `?project_id=` of another project or with no project at all (an unscoped token).
 * Returns the project the list is narrowed to, or undefined for all of them.
 */
export function listProjectScope(req: FastifyRequest): string | undefined {
  checked.add(req);
  const route = routePolicy(req);
  if (!route) throw forbidden();
  const ctx = requestContext(req);
  const creds = credentialsOf(ctx);
  const query = req.query as Record<string, unknown>;
  const requested = single(query.project_id ?? query.tenant_id);
  if (isAllowed(`${route.policy}-global`, creds, { projectId: requested })) return undefined;
  const project = requested ?? ctx.projectId;
  if (project === undefined || !isAllowed(route.policy, creds, { projectId: project })) throw forbidden();
  return project;
}

/** A list scope keeping the rows of one project (or every row, for undefined). */
export function ownedBy<T extends keyof Database>(
  table: T,
  projectId: string | undefined,
): ((q: SelectQueryBuilder<Database, T, Database[T]>) => SelectQueryBuilder<Database, T, Database[T]>) | undefined {
  if (projectId === undefined) return undefined;
  return (q) => q.where(() => sql<SqlBool>`${sql.ref(`${table}.project_id`)} = ${projectId}`);
}

/**
 * Attach each route's policy as it is registered, check the policies whose target is known before the
 * handler runs (the caller's project, or the URL's), and refuse in keystone mode any route the table
 * does not name. The handlers check object targets themselves (`authorize`, `listProjectScope`).
 */
export function installPolicyEnforcement(app: FastifyInstance, services: ApiServices): void {
  const keystone = services.config.api.authStrategy === 'keystone';
  const missing: string[] = [];
  unguarded.set(app, missing);

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const key = routeKey(method, route.url ?? route.path);
      const policy = ROUTE_POLICIES.get(key);
      if (policy) route.config = { ...route.config, policy };
      else if (!PUBLIC_ROUTES.has(key) && !missing.includes(key)) missing.push(key);
    }
  });

  app.addHook('preHandler', async (req) => {
    // Unknown paths reach the not-found handler, which answers 404 to every authenticated caller.
    if (req.routeOptions.url === undefined || isPublicRoute(req)) return;
    const route = routePolicy(req);
    if (!route) {
      if (keystone) throw forbidden();
      return;
    }
    if (route.target === 'caller') authorize(req, requestContext(req).projectId);
    else if (route.target === 'param') authorize(req, (req.params as Record<string, string>).project_id);
  });

  // A guarded route that answered success without asking the policy is a programming error: never let it pass.
  if (keystone)
    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode >= 400 || req.routeOptions.url === undefined || isPublicRoute(req) || checked.has(req))
        return payload;
      req.log.error({ url: req.url, method: req.method }, 'route answered without a policy check');
      reply.code(500).type('application/json');
      return JSON.stringify(faultBody(500, 'Internal Server Error'));
    });
}

/** Routes of `app` that `ROUTE_POLICIES` does not name (`"<METHOD> <pattern>"`), for tests and startup logs. */
export function unguardedRoutes(app: FastifyInstance): string[] {
  return [...(unguarded.get(app) ?? [])];
}
