import type { Db } from '../db/database.js';
import type { IdentityProjectRow, IdentityUserRow } from '../db/schema-identity.js';
import type { AuthRequest, ProjectRef, UserRef } from './auth-request.js';
import {
  domainById,
  domainByRef,
  effectiveRoles,
  isEnabled,
  projectById,
  projectByName,
  userById,
  userByName,
} from './identity-store.js';
import { KeystoneError, unauthorized } from './keystone-errors.js';
import type { LoginThrottle } from './login-throttle.js';
import { hashPassword, passwordNeedsRehash, verifyAgainstNothing, verifyPassword } from './password-hash.js';
import { resolveTokenRow, type ResolvedToken } from './resolved-token.js';
import { findLiveToken, storeNewToken } from './token-store.js';

export interface AuthenticateOptions {
  db: Db;
  throttle: LoginThrottle;
  tokenTtlSeconds: number;
  /** The client's address, a throttling key of its own. */
  clientAddress: string;
  sleep?: (ms: number) => Promise<void>;
}

/** Who proved what: the user, and for a rescope the token it came from. */
interface Proven {
  user: IdentityUserRow;
  methods: string[];
  expiresAt: number;
  parentAuditId: string | null;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function findUser(db: Db, ref: UserRef): Promise<IdentityUserRow | undefined> {
  if ('id' in ref) return userById(db, ref.id);
  const domain = await domainByRef(db, ref.domain);
  return domain ? userByName(db, domain.id, ref.name) : undefined;
}

/** Check a password under the throttle; any failure is the same 401. */
async function provePassword(
  request: Extract<AuthRequest['identity'], { method: 'password' }>,
  opts: AuthenticateOptions,
): Promise<IdentityUserRow> {
  const { db, throttle } = opts;
  const user = await findUser(db, request.user);
  const userKey = user ? `user:${user.id}` : `ref:${JSON.stringify(request.user).toLowerCase().slice(0, 600)}`;
  const keys = [userKey, `addr:${opts.clientAddress}`];
  const admission = throttle.admit(keys);
  if (admission.waitMs > 0) await (opts.sleep ?? defaultSleep)(admission.waitMs);
  if (admission.refuse) throw unauthorized();
  const stored = user?.password_hash;
  const ok = stored ? await verifyPassword(request.password, stored) : await verifyAgainstNothing(request.password);
  if (!ok || !user) {
    throttle.recordFailure(keys);
    throw unauthorized();
  }
  throttle.recordSuccess(keys);
  if (passwordNeedsRehash(stored!)) {
    // Parameters were raised since this hash was made: store one at today's cost, now that we know the password.
    const fresh = await hashPassword(request.password);
    await db.kysely.updateTable('identity_user').set({ password_hash: fresh }).where('id', '=', user.id).execute();
  }
  return user;
}

async function proveIdentity(request: AuthRequest, opts: AuthenticateOptions, issuedAt: number): Promise<Proven> {
  const identity = request.identity;
  if (identity.method === 'password') {
    const user = await provePassword(identity, opts);
    const expiresAt = issuedAt + opts.tokenTtlSeconds * 1000;
    return { user, methods: ['password'], expiresAt, parentAuditId: null };
  }
  // Rescope: the existing token must still be valid; the new one lives no longer than it.
  const row = await findLiveToken(opts.db, identity.token);
  const resolved = row && (await resolveTokenRow(opts.db, row));
  if (!resolved) throw unauthorized();
  const methods: string[] = JSON.parse(resolved.token.methods);
  if (!methods.includes('token')) methods.unshift('token');
  return { user: resolved.user, methods, expiresAt: resolved.token.expires_at, parentAuditId: resolved.token.audit_id };
}

async function findProject(db: Db, ref: ProjectRef): Promise<IdentityProjectRow | undefined> {
  if ('id' in ref) return projectById(db, ref.id);
  const domain = await domainByRef(db, ref.domain);
  return domain ? projectByName(db, domain.id, ref.name) : undefined;
}

/** The project the token is scoped to, or null for an unscoped token. */
async function chooseProject(db: Db, request: AuthRequest, user: IdentityUserRow): Promise<IdentityProjectRow | null> {
  const scope = request.scope;
  if (scope.kind === 'unscoped') return null;
  if (scope.kind === 'unsupported') throw unauthorized();
  if (scope.kind === 'default') {
    // Keystone's rule: no scope asked, the default project if the user may use it, else an unscoped token.
    if (!user.default_project_id) return null;
    const project = await projectById(db, user.default_project_id);
    if (!project || !(await usableProject(db, project, user))) return null;
    return project;
  }
  const project = await findProject(db, scope.project);
  if (!project || !(await usableProject(db, project, user))) throw unauthorized();
  return project;
}

async function usableProject(db: Db, project: IdentityProjectRow, user: IdentityUserRow): Promise<boolean> {
  if (!isEnabled(project)) return false;
  const domain = await domainById(db, project.domain_id);
  if (!domain || !isEnabled(domain)) return false;
  return (await effectiveRoles(db, user.id, project.id)).length > 0;
}

/**
 * `POST /v3/auth/tokens`: prove the identity, pick the scope, store a new token. Returns the secret and
 * what it resolves to; throws a 401 for every failure (no hint of which part failed).
 */
export async function authenticate(
  request: AuthRequest,
  opts: AuthenticateOptions,
): Promise<{ secret: string; resolved: ResolvedToken }> {
  const issuedAt = Date.now();
  const proven = await proveIdentity(request, opts, issuedAt);
  const user = proven.user;
  const userDomain = await domainById(opts.db, user.domain_id);
  if (!isEnabled(user) || !userDomain || !isEnabled(userDomain)) throw unauthorized();
  const project = await chooseProject(opts.db, request, user);
  const { token, row } = await storeNewToken(opts.db, {
    userId: user.id,
    projectId: project?.id ?? null,
    methods: proven.methods,
    issuedAt,
    expiresAt: proven.expiresAt,
    parentAuditId: proven.parentAuditId,
  });
  const resolved = await resolveTokenRow(opts.db, row);
  // Only a concurrent change (a role removed, the user disabled) between the checks and now gets here.
  if (!resolved) throw new KeystoneError(401, 'The request you have made requires authentication.');
  return { secret: token, resolved };
}
