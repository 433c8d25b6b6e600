import type { FastifyRequest } from 'fastify';
import { validationFailure } from '../common/errors.js';

/**
 * Who is asking. Until the identity service exists (its own issue) the API runs as Octavia does with
 * `auth_strategy = noauth`: every caller is an administrator, and the project comes from the
 * `X-Project-Id` header or the body's `project_id`.
 */
export interface RequestContext {
  projectId: string | undefined;
  isAdmin: boolean;
}

export function requestContext(req: FastifyRequest): RequestContext {
  const header = req.headers['x-project-id'] ?? req.headers['x-tenant-id'];
  const projectId = Array.isArray(header) ? header[0] : header;
  return { projectId: projectId || undefined, isAdmin: true };
}

/** The project a new resource belongs to: the body's, else the caller's; Octavia's 400 when neither. */
export function owningProject(ctx: RequestContext, body: Record<string, unknown>): string {
  const fromBody = (body.project_id ?? body.tenant_id) as string | null | undefined;
  const projectId = fromBody ?? ctx.projectId;
  if (!projectId)
    throw validationFailure(
      'Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    );
  return projectId;
}
