import type { Db } from '../db/database.js';
import type {
  IdentityDomainRow,
  IdentityProjectRow,
  IdentityTokenRow,
  IdentityUserRow,
} from '../db/schema-identity.js';
import type { AuthContext } from './auth-context.js';
import { domainById, effectiveRoles, isEnabled, projectById, userById, type RoleRef } from './identity-store.js';
import { findLiveToken } from './token-store.js';

/** A live token with everything it stands for, read from the tables as they are now. */
export interface ResolvedToken {
  token: IdentityTokenRow;
  user: IdentityUserRow;
  userDomain: IdentityDomainRow;
  project?: IdentityProjectRow;
  projectDomain?: IdentityDomainRow;
  /** Current roles on the project, implied ones included; empty for an unscoped token. */
  roles: RoleRef[];
}

/**
 * Resolve a token: undefined when it is unknown, expired or revoked, when its user, project or their
 * domains are disabled or gone, or when the user holds no role on the scoped project any more.
 */
export async function resolveToken(db: Db, secret: string): Promise<ResolvedToken | undefined> {
  const token = await findLiveToken(db, secret);
  if (!token) return undefined;
  return resolveTokenRow(db, token);
}

export async function resolveTokenRow(db: Db, token: IdentityTokenRow): Promise<ResolvedToken | undefined> {
  const user = await userById(db, token.user_id);
  if (!user || !isEnabled(user)) return undefined;
  const userDomain = await domainById(db, user.domain_id);
  if (!userDomain || !isEnabled(userDomain)) return undefined;
  if (token.project_id === null) return { token, user, userDomain, roles: [] };
  const project = await projectById(db, token.project_id);
  if (!project || !isEnabled(project)) return undefined;
  const projectDomain = project.domain_id === userDomain.id ? userDomain : await domainById(db, project.domain_id);
  if (!projectDomain || !isEnabled(projectDomain)) return undefined;
  const roles = await effectiveRoles(db, user.id, project.id);
  if (roles.length === 0) return undefined;
  return { token, user, userDomain, project, projectDomain, roles };
}

export function authContextOf(resolved: ResolvedToken): AuthContext {
  return {
    userId: resolved.user.id,
    userName: resolved.user.name,
    userDomainId: resolved.user.domain_id,
    projectId: resolved.project?.id,
    projectName: resolved.project?.name,
    projectDomainId: resolved.project?.domain_id,
    roles: resolved.roles.map((r) => r.name),
    expiresAt: new Date(resolved.token.expires_at),
  };
}
