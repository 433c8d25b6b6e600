import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ApiError, faultBody } from '../common/errors.js';
import { loadBalancerRoutes } from './resources/load-balancers/load-balancers.js';
import { listenerRoutes } from './resources/listeners/listeners.js';
import { poolRoutes } from './resources/pools/pools.js';
import { memberRoutes } from './resources/members/members.js';
import { healthMonitorRoutes } from './resources/health-monitors/health-monitors.js';
import { l7PolicyRoutes } from './resources/l7/l7policies.js';
import { l7RuleRoutes } from './resources/l7/l7rules.js';
import { amphoraRoutes } from './resources/admin/amphorae.js';
import { providerRoutes } from './resources/admin/providers.js';
import { flavorRoutes } from './resources/admin/flavors.js';
import { availabilityZoneRoutes } from './resources/admin/availability-zones.js';
import { quotaRoutes } from './resources/admin/quotas.js';
import { versionRoutes } from './resources/versions.js';
import { openApiRoutes } from './openapi/openapi-routes.js';
import { parseJsonBody } from './json-body.js';
import { installAuthentication } from './policy/authentication.js';
import { installPolicyEnforcement, unguardedRoutes } from './policy/enforcement.js';
import type { ApiServices } from './services.js';

/**
 * Map every spelling Octavia accepts onto one route table: `/v2.0` is `/v2`, LBaaS resources may be
 * addressed without `/lbaas`, and a `.json` suffix is allowed.
 */
export function canonicalPath(url: string): string {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  path = path.replace(/^\/v2\.0(?=\/|$)/, '/v2');
  path = path.replace(/\.json$/, '');
  if (/^\/v2\/(?!lbaas\/|octavia\/|lbaas$|octavia$)[a-z_]+/.test(path)) path = path.replace(/^\/v2\//, '/v2/lbaas/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path + query;
}

/** Modules that each register the routes of one resource. */
type RouteModule = (app: FastifyInstance, services: ApiServices) => Promise<void>;
const ROUTE_MODULES: RouteModule[] = [
  loadBalancerRoutes,
  listenerRoutes,
  poolRoutes,
  memberRoutes,
  healthMonitorRoutes,
  l7PolicyRoutes,
  l7RuleRoutes,
  amphoraRoutes,
  providerRoutes,
  flavorRoutes,
  availabilityZoneRoutes,
  quotaRoutes,
];

/** Build the Octavia v2 API server (not yet listening). */
export async function buildApi(services: ApiServices): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log.child({ component: 'api' }) as FastifyBaseLogger,
    // Request start/end lines would cost more than the requests themselves; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.api.bodyLimit,
    rewriteUrl: (req) => canonicalPath(req.url ?? '/'),
    genReqId: () => `req-${randomUUID()}`,
    trustProxy: false,
    // Octavia answers 404 for any unknown id, however long; the router would otherwise say 414.
    routerOptions: { maxParamLength: 8192 },
    // Errors Fastify raises before routing (a malformed URL) get the fault format too.
    frameworkErrors: (error, _req, reply) => {
      const status = error.code === 'FST_ERR_BAD_URL' ? 400 : (error.statusCode ?? 400);
      const raw = reply as unknown as { code(n: number): { send(body: unknown): void } };
      raw.code(status).send(faultBody(status, status === 400 ? 'Invalid URL' : error.message));
    },
  });

  // Every body is read as JSON, whatever its content type, with Octavia's fault for invalid JSON.
  app.removeAllContentTypeParsers();
  const parse = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  };
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);

  // Authentication first, as keystonemiddleware sits in front of Octavia; then each route's policy.
  installAuthentication(app, services);
  installPolicyEnforcement(app, services);

  // A NUL can never name a resource, and PostgreSQL cannot even compare one: refuse it up front.
  app.addHook('onRequest', async (req) => {
    const url = req.url;
    if (!/%00/i.test(url)) return;
    const q = url.indexOf('?');
    if (/%00/i.test(q < 0 ? url : url.slice(0, q))) throw new ApiError(404, 'The resource could not be found.');
    throw new ApiError(400, 'Invalid input: the query string holds a NUL character');
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
  });

  app.setErrorHandler((error: FastifyError | ApiError, req, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(faultBody(error.statusCode, error.message));
    const status = error.statusCode ?? 500;
    if (status === 413) return reply.code(413).send(faultBody(413, 'Request Entity Too Large'));
    if (status >= 400 && status < 500) return reply.code(status).send(faultBody(status, error.message));
    req.log.error({ err: error, url: req.url, method: req.method }, 'unhandled error');
    return reply.code(500).send(faultBody(500, 'Internal Server Error'));
  });

  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send(faultBody(404, `The resource could not be found.`));
  });

  // First: it records every route registered after it, for the OpenAPI document.
  await openApiRoutes(app);
  await versionRoutes(app);
  for (const register of ROUTE_MODULES) await register(app, services);
  const unguarded = unguardedRoutes(app);
  if (unguarded.length > 0 && services.config.api.authStrategy === 'keystone')
    app.log.warn({ routes: unguarded }, 'routes without a policy: refused to every caller');
  return app;
}
