import type { FastifyRequest } from 'fastify';
import { validationFailure } from '../common/errors.js';

/**
 * Who is asking, fixed once per request by the authentication hook (`policy/authentication.ts`):
 * - `keystone`: from the validated `X-Auth-Token` (its project, user and roles; `isAdmin` by Octavia's
 *   `context_is_admin` rule);
 * - `noauth`: as Octavia's noauth mode, everyone is an administrator and the project comes from the
 *   `X-Project-Id` header (or, for a create, the body's `project_id`).
 */
export interface RequestContext {
  projectId: string | undefined;
  isAdmin: boolean;
  roles: readonly string[];
  userId: string | undefined;
  /** True when a token was validated (keystone mode). */
  authenticated: boolean;
}

const contexts = new WeakMap<FastifyRequest, RequestContext>();

export function setRequestContext(req: FastifyRequest, ctx: RequestContext): void {
  contexts.set(req, ctx);
}

/** The context the authentication hook stored; never guessed, so a missing hook cannot grant admin. */
export function requestContext(req: FastifyRequest): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('no request context: the authentication hook did not run for this request');
  return ctx;
}

/** Octavia's noauth context: an administrator, in the project the headers name. */
export function noauthContext(req: FastifyRequest): RequestContext {
  const header = req.headers['x-project-id'] ?? req.headers['x-tenant-id'];
  const projectId = Array.isArray(header) ? header[0] : header;
  return { projectId: projectId || undefined, isAdmin: true, roles: [], userId: undefined, authenticated: false };
}

/**
 * The project a new resource belongs to: the body's, else the caller's; Octavia's 400 when neither.
 * Whether the caller may create in that project is the policy's question (`authorize`), asked next.
 */
export function owningProject(ctx: RequestContext, body: Record<string, unknown>): string {
  const fromBody = (body.project_id ?? body.tenant_id) as string | null | undefined;
  const projectId = fromBody ?? ctx.projectId;
  if (!projectId)
    throw validationFailure(
      'Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    );
  return projectId;
}
