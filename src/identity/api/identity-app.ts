import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parseJsonBody } from '../../api/json-body.js';
import type { TaviaConfig } from '../../common/config.js';
import { ApiError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { ServiceEndpoints } from '../auth-context.js';
import { KeystoneError, keystoneErrorBody } from '../keystone-errors.js';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSchedule } from '../login-throttle.js';
import { purgeExpiredTokens } from '../token-store.js';
import { adminRoutes } from './admin-routes.js';
import { assignmentRoutes } from './assignment-routes.js';
import type { IdentityServices } from './identity-services.js';
import { tokenRoutes } from './token-routes.js';
import { versionRoutes } from './version-routes.js';

/** How often expired token rows are removed. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

export interface IdentityApiOptions {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  /** Read when a token is issued: the listening ports are known only after listen. */
  endpoints: () => ServiceEndpoints;
  /** The brute-force schedule (tests shorten it). */
  throttle?: ThrottleSchedule;
  /** How the throttle waits (tests may observe the delays). */
  sleep?: (ms: number) => Promise<void>;
}

/** Build the Keystone v3 compatible identity service (not yet listening). */
export async function buildIdentityApi(opts: IdentityApiOptions): Promise<FastifyInstance> {
  const log = opts.log.child({ component: 'identity' });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.config.api.bodyLimit,
    genReqId: () => `req-${randomUUID()}`,
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    frameworkErrors: (error, _req, reply) => {
      const status = error.code === 'FST_ERR_BAD_URL' ? 400 : (error.statusCode ?? 400);
      const raw = reply as unknown as { code(n: number): { send(body: unknown): void } };
      raw.code(status).send(keystoneErrorBody(status, status === 400 ? 'Invalid URL.' : error.message));
    },
  });

  // Bodies are JSON whatever the content type says (keystoneauth always sends application/json).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // PostgreSQL cannot even compare a NUL, and no name or id holds one: refuse it before any query.
  app.addHook('onRequest', async (req) => {
    if (/%00/i.test(req.url)) throw new KeystoneError(400, 'Invalid input: the URL holds a NUL character.');
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    reply.header('vary', 'X-Auth-Token');
  });

  app.setErrorHandler((error: FastifyError | KeystoneError | ApiError, req, reply) => {
    if (error instanceof KeystoneError || error instanceof ApiError) {
      if (error.statusCode === 401) reply.header('www-authenticate', `Keystone uri="${req.protocol}://${req.host}"`);
      return reply.code(error.statusCode).send(keystoneErrorBody(error.statusCode, error.message));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(keystoneErrorBody(status, error.message));
    req.log.error({ err: error, url: req.url, method: req.method }, 'unhandled error');
    return reply
      .code(500)
      .send(keystoneErrorBody(500, 'An unexpected error prevented the server from fulfilling your request.'));
  });

  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send(keystoneErrorBody(404, 'The resource could not be found.'));
  });

  const services: IdentityServices = {
    db: opts.db,
    config: opts.config,
    log,
    endpoints: opts.endpoints,
    throttle: new LoginThrottle(opts.throttle ?? DEFAULT_THROTTLE),
    sleep: opts.sleep,
  };
  await versionRoutes(app);
  await tokenRoutes(app, services);
  await adminRoutes(app, services);
  await assignmentRoutes(app, services);

  // Expired tokens can never be valid again; their rows only take space.
  const purge = () =>
    purgeExpiredTokens(opts.db).then(
      (n) => n > 0 && log.debug({ tokens: n }, 'purged expired tokens'),
      (err: unknown) => log.warn({ err }, 'purging expired tokens failed'),
    );
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref();
  app.addHook('onReady', async () => void purge());
  app.addHook('onClose', async () => clearInterval(timer));
  return app;
}
