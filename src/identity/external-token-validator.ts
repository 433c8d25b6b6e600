import type { AuthContext, TokenValidator } from './auth-context.js';
import { hashToken } from './token-secret.js';

/** How long a validation result from the external Keystone is reused. */
const CACHE_MS = 2000;
const MAX_ENTRIES = 10_000;
const TIMEOUT_MS = 5000;

interface CacheEntry {
  context: AuthContext | undefined;
  until: number;
}

type Obj = Record<string, any>;

/** The AuthContext of a Keystone token body; undefined when the body is not one. */
export function authContextFromTokenBody(body: unknown): AuthContext | undefined {
  const token = (body as Obj | undefined)?.token as Obj | undefined;
  if (!token || typeof token.user?.id !== 'string' || typeof token.expires_at !== 'string') return undefined;
  const expiresAt = new Date(token.expires_at);
  if (Number.isNaN(expiresAt.getTime())) return undefined;
  const project = token.project as Obj | undefined;
  const roles = Array.isArray(token.roles) ? token.roles : [];
  return {
    userId: token.user.id,
    userName: String(token.user.name ?? ''),
    userDomainId: String(token.user.domain?.id ?? ''),
    projectId: typeof project?.id === 'string' ? project.id : undefined,
    projectName: typeof project?.name === 'string' ? project.name : undefined,
    projectDomainId: typeof project?.domain?.id === 'string' ? project.domain.id : undefined,
    roles: roles.map((r: Obj) => r?.name).filter((n: unknown): n is string => typeof n === 'string'),
    expiresAt,
  };
}

/**
 * Validates tokens with an external Keystone: `GET <v3 url>/auth/tokens` with the token as both the
 * caller and the subject (Keystone lets a user validate their own token). 401/404 mean invalid; any other
 * answer, or no answer, throws: the caller should report the identity service as unavailable rather
 * than call the token bad.
 */
export function createExternalTokenValidator(keystoneV3Url: string): TokenValidator {
  const url = `${keystoneV3Url.replace(/\/+$/, '')}/auth/tokens?nocatalog`;
  const cache = new Map<string, CacheEntry>();
  return {
    async validate(token: string): Promise<AuthContext | undefined> {
      if (typeof token !== 'string' || token.length === 0 || /[\r\n]/.test(token)) return undefined;
      const now = Date.now();
      const key = hashToken(token);
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.context && hit.context.expiresAt.getTime() > now ? hit.context : undefined;
      const res = await fetch(url, {
        headers: { 'x-auth-token': token, 'x-subject-token': token, accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      let context: AuthContext | undefined;
      if (res.status === 200) {
        context = authContextFromTokenBody(await res.json().catch(() => undefined));
        if (!context) throw new Error('the identity service answered an unreadable token body');
        if (context.expiresAt.getTime() <= now) context = undefined;
      } else {
        await res.body?.cancel();
        if (res.status !== 401 && res.status !== 404) throw new Error(`the identity service answered ${res.status}`);
      }
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, { context, until: now + CACHE_MS });
      return context;
    },
  };
}
