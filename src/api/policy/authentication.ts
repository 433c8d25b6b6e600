import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { faultBody } from '../../common/errors.js';
import type { AuthContext } from '../../identity/auth-context.js';
import { noauthContext, setRequestContext, type RequestContext } from '../context.js';
import type { ApiServices } from '../services.js';
import { isAdminRoles } from './engine.js';
import { PUBLIC_ROUTES, routeKey } from './route-policies.js';

/** keystonemiddleware's answer to a missing, unknown, expired or revoked token (in Octavia's fault format). */
export const AUTHENTICATION_REQUIRED = 'The request you have made requires authentication.';
/** keystonemiddleware's answer when the identity service cannot be asked. */
export const IDENTITY_UNAVAILABLE = 'The identity service is unavailable; the token could not be validated.';

/** Whether the request hit a route anyone may call (the version documents, the API description). */
export function isPublicRoute(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return url !== undefined && PUBLIC_ROUTES.has(routeKey(req.method, url));
}

/** The request context a validated token stands for. */
export function tokenContext(auth: AuthContext): RequestContext {
  return {
    projectId: auth.projectId,
    isAdmin: isAdminRoles(auth.roles),
    roles: auth.roles,
    userId: auth.userId,
    authenticated: true,
  };
}

/** Where keystonemiddleware tells a client to get a token (`WWW-Authenticate`), when it is known. */
function identityUri(services: ApiServices): string | undefined {
  const { externalUrl, host, port } = services.config.identity;
  if (externalUrl) return externalUrl.replace(/\/v3\/?$/, '');
  return port > 0 ? `http://${host.includes(':') ? `[${host}]` : host}:${port}` : undefined;
}

function refuse(reply: FastifyReply, services: ApiServices): FastifyReply {
  const uri = identityUri(services);
  if (uri) reply.header('www-authenticate', `Keystone uri="${uri}"`);
  return reply.code(401).send(faultBody(401, AUTHENTICATION_REQUIRED));
}

/**
 * Authenticate every request once, before anything else reads it. In keystone mode a request without a
 * valid `X-Auth-Token` gets 401 (as keystonemiddleware in front of Octavia), and with no validator
 * configured every request does: the API never falls back to noauth.
 */
export function installAuthentication(app: FastifyInstance, services: ApiServices): void {
  const keystone = services.config.api.authStrategy === 'keystone';
  app.addHook('onRequest', async (req, reply) => {
    if (!keystone) {
      setRequestContext(req, noauthContext(req));
      return;
    }
    if (isPublicRoute(req)) return;
    const header = req.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token || !services.tokens) return refuse(reply, services);
    let auth: AuthContext | undefined;
    try {
      auth = await services.tokens.validate(token);
    } catch (err) {
      req.log.error({ err }, 'token validation failed');
      return reply.code(503).send(faultBody(503, IDENTITY_UNAVAILABLE));
    }
    // An expired token is refused even if the validator let it through.
    if (!auth || !(auth.expiresAt.getTime() > Date.now())) return refuse(reply, services);
    setRequestContext(req, tokenContext(auth));
  });
}
