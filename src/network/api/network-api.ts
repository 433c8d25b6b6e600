import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { TaviaConfig } from '../../common/config.js';
import { ApiError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { TokenValidator } from '../../identity/auth-context.js';
import type { FloatingIpForwarding } from '../floating/forwarding.js';
import { noauthCaller, tokenCaller } from './caller.js';
import { setCaller, type NetworkApiContext } from './context.js';
import { floatingIpRoutes } from './floating-ip-routes.js';
import { networkRoutes } from './network-routes.js';
import { badRequest, NeutronError, routeNotFound } from './neutron-error.js';
import { portRoutes } from './port-routes.js';
import { rootRoutes } from './root-routes.js';
import { routerRoutes } from './router-routes.js';
import { securityGroupRoutes } from './security-group-routes.js';

export interface NetworkApiOptions {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  /** Validates `X-Auth-Token` when `api.authStrategy` is `keystone`. */
  tokens?: TokenValidator;
  /** Synced after every floating IP change (startFloatingIpForwarding); without it the kernel waits for its interval. */
  forwarding?: Pick<FloatingIpForwarding, 'sync'>;
}

/** What keystonemiddleware answers for a missing or invalid token. */
const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

/** `/v2.0/networks.json`, `/v2.0/networks/` and `/v2.0/networks` are one route. */
export function canonicalNetworkPath(url: string): string {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  path = path.replace(/\.json$/, '');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path + query;
}

/**
 * The network API, the subset of Neutron v2.0 that Octavia's users touch: networks, subnets, ports, routers
 * (with interfaces), floating IPs and security groups over the stored network model. Not listening yet.
 */
export async function buildNetworkApi(opts: NetworkApiOptions): Promise<FastifyInstance> {
  const { config, tokens } = opts;
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'network-api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.api.bodyLimit,
    rewriteUrl: (req) => canonicalNetworkPath(req.url ?? '/'),
    genReqId: () => `req-${randomUUID()}`,
    routerOptions: { maxParamLength: 8192 },
    // Repeated query parameters arrive as arrays (filters OR them, `fields` adds up).
    frameworkErrors: (error, _req, reply) => {
      const status = error.statusCode ?? 400;
      const raw = reply as unknown as { code(n: number): { send(body: unknown): void } };
      raw.code(status).send(new NeutronError(status, 'HTTPBadRequest', error.message).body);
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      const parsed: unknown = JSON.parse(text);
      if (text.includes('\\u0000')) throw new Error('NUL');
      done(null, parsed);
    } catch {
      done(badRequest('Malformed request body'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    if (/%00/i.test(req.url)) throw badRequest('Invalid input: the request holds a NUL character');
    const path = req.url.split('?')[0];
    if (config.api.authStrategy !== 'keystone') {
      setCaller(req, noauthCaller(req));
      return;
    }
    // The version list is the one thing anybody may read (clients discover the API with it).
    if (path === '/') {
      setCaller(req, { projectId: undefined, isAdmin: false });
      return;
    }
    const header = req.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    const auth = token && tokens ? await tokens.validate(token) : undefined;
    if (!auth) {
      const identity = config.identity.externalUrl || `http://${config.identity.host}:${config.identity.port}`;
      return reply.code(401).header('www-authenticate', `Keystone uri="${identity}"`).send(UNAUTHORIZED);
    }
    setCaller(req, tokenCaller(auth));
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
  });

  app.setErrorHandler((error, req, reply) => {
    if (error instanceof NeutronError) return reply.code(error.statusCode).send(error.body);
    if (error instanceof ApiError) {
      // Faults of the shared network code (ports.ts), in Neutron's words where they have one.
      const type = /already allocated in subnet/.test(error.message)
        ? 'IpAddressAlreadyAllocated'
        : error.statusCode === 409
          ? 'Conflict'
          : error.statusCode === 503
            ? 'ServiceUnavailable'
            : 'HTTPBadRequest';
      return reply.code(error.statusCode).send(new NeutronError(error.statusCode, type, error.message).body);
    }
    const e = error as { statusCode?: number; message?: string };
    const status = e.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply
        .code(status)
        .send(
          new NeutronError(status, status === 413 ? 'HTTPRequestEntityTooLarge' : 'HTTPBadRequest', e.message ?? '')
            .body,
        );
    req.log.error({ err: error, url: req.url, method: req.method }, 'unhandled error');
    return reply
      .code(500)
      .send(
        new NeutronError(
          500,
          'HTTPInternalServerError',
          'Request Failed: internal server error while processing your request.',
        ).body,
      );
  });

  app.setNotFoundHandler((_req, reply) => {
    const e = routeNotFound();
    reply.code(404).send(e.body);
  });

  const ctx: NetworkApiContext = { db: opts.db, config, log: opts.log, forwarding: opts.forwarding };
  for (const register of [rootRoutes, networkRoutes, portRoutes, routerRoutes, floatingIpRoutes, securityGroupRoutes])
    await register(app, ctx);
  return app;
}
