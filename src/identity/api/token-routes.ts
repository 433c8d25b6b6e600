import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseAuthRequest } from '../auth-request.js';
import { authenticate } from '../authenticate.js';
import { buildCatalog } from '../catalog.js';
import { isEnabled, projectsOfUser } from '../identity-store.js';
import { badRequest, KeystoneError, forbiddenAction, notFound } from '../keystone-errors.js';
import { resolveToken, type ResolvedToken } from '../resolved-token.js';
import { tokenBody } from '../token-body.js';
import { revokeToken } from '../token-store.js';
import { projectView } from './entity-views.js';
import { baseUrl, callerOf, hasRole, header, isAdmin, selfUrl, type IdentityServices } from './identity-services.js';

/** `POST|GET|HEAD|DELETE /v3/auth/tokens`, and the caller's catalog and projects. */
export async function tokenRoutes(app: FastifyInstance, services: IdentityServices): Promise<void> {
  const { db, config } = services;
  const catalog = () => buildCatalog(services.endpoints(), config.identity.region);
  const wantsCatalog = (req: FastifyRequest) => !('nocatalog' in (req.query as object));

  app.post('/v3/auth/tokens', async (req, reply) => {
    const request = parseAuthRequest(req.body);
    const { secret, resolved } = await authenticate(request, {
      db,
      throttle: services.throttle,
      tokenTtlSeconds: config.identity.tokenTtlSeconds,
      clientAddress: req.ip,
      sleep: services.sleep,
    });
    req.log.info({ user: resolved.user.id, project: resolved.project?.id ?? null }, 'token issued');
    reply.code(201).header('x-subject-token', secret);
    return tokenBody(resolved, wantsCatalog(req) ? catalog() : undefined);
  });

  /**
   * The token named by X-Subject-Token, checked against the caller: a user may look at their own tokens,
   * an admin or a service at anyone's. An invalid subject is a 404 whoever asks.
   */
  async function subjectFor(req: FastifyRequest, action: string): Promise<{ secret: string; subject: ResolvedToken }> {
    const caller = await callerOf(req, services);
    const secret = header(req, 'x-subject-token');
    if (!secret) throw badRequest('The X-Subject-Token header is required.');
    const subject = await resolveToken(db, secret);
    if (!subject) throw notFound('token', secret.length <= 128 ? secret : `${secret.slice(0, 128)}...`);
    const allowed = subject.user.id === caller.user.id || isAdmin(caller) || hasRole(caller, 'service');
    if (!allowed) throw forbiddenAction(`identity:${action}`);
    return { secret, subject };
  }

  // Fastify answers HEAD from this route too: the same checks, headers only.
  app.get('/v3/auth/tokens', async (req, reply) => {
    const { secret, subject } = await subjectFor(req, 'validate_token');
    reply.header('x-subject-token', secret);
    return tokenBody(subject, wantsCatalog(req) ? catalog() : undefined);
  });

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const { secret, subject } = await subjectFor(req, 'revoke_token');
    await revokeToken(db, secret);
    req.log.info({ user: subject.user.id }, 'token revoked');
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (req) => {
    const caller = await callerOf(req, services);
    if (!caller.project)
      throw new KeystoneError(403, 'A project-scoped token is required to produce a service catalog.');
    return { catalog: catalog(), links: { self: selfUrl(req), previous: null, next: null } };
  });

  app.get('/v3/auth/projects', async (req) => {
    const caller = await callerOf(req, services);
    const projects = await projectsOfUser(db, caller.user.id);
    return {
      projects: projects.filter(isEnabled).map((p) => projectView(p, baseUrl(req))),
      links: { self: selfUrl(req), previous: null, next: null },
    };
  });

  // Domain-scoped roles are not offered, so no domain is ever available to scope to.
  app.get('/v3/auth/domains', async (req) => {
    await callerOf(req, services);
    return { domains: [], links: { self: selfUrl(req), previous: null, next: null } };
  });
}
