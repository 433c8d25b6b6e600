import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../identity/auth-context.js';
import { badRequest, forbidden } from './neutron-error.js';

/**
 * Who is asking. With Keystone tokens: the token's project, and admin when it carries the `admin` role.
 * Without (noauth): everyone is an admin and the project comes from `X-Project-Id`, as in the Octavia API.
 */
export interface Caller {
  projectId: string | undefined;
  isAdmin: boolean;
}

export function noauthCaller(req: FastifyRequest): Caller {
  const header = req.headers['x-project-id'] ?? req.headers['x-tenant-id'];
  const projectId = Array.isArray(header) ? header[0] : header;
  return { projectId: projectId || undefined, isAdmin: true };
}

export function tokenCaller(auth: AuthContext): Caller {
  return { projectId: auth.projectId, isAdmin: auth.roles.includes('admin') };
}

/** What decides whether a caller may see or change a stored object. */
export interface Owned {
  projectId: string | null;
  /** Visible to every project (shared and external networks, and their subnets). */
  public?: boolean;
}

export const owns = (caller: Caller, item: Owned) =>
  caller.isAdmin || (caller.projectId !== undefined && item.projectId === caller.projectId);

export const sees = (caller: Caller, item: Owned) => owns(caller, item) || item.public === true;

/**
 * The project a new object belongs to: the body's `project_id`/`tenant_id` (an admin may name any project,
 * others only their own), else the caller's.
 */
export function owningProject(caller: Caller, body: Record<string, unknown>, action: string): string {
  const named = body.project_id ?? body.tenant_id;
  if (named !== undefined && named !== null) {
    if (typeof named !== 'string' || named === '') throw badRequest(`Invalid input for project_id.`);
    if (!caller.isAdmin && named !== caller.projectId) throw forbidden(action);
    return named;
  }
  if (!caller.projectId)
    throw badRequest('Invalid input for operation: a project is required (X-Project-Id, or project_id in the body).');
  return caller.projectId;
}
