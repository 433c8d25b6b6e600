import type { Db } from '../db/database.js';
import type { AuthContext, TokenValidator } from './auth-context.js';
import { authContextOf, resolveToken } from './resolved-token.js';
import { hashToken } from './token-secret.js';
import { revocationGeneration } from './token-store.js';

/** How long a validation result is reused: a change made by another process shows within this. */
const CACHE_MS = 2000;
const MAX_ENTRIES = 10_000;

interface CacheEntry {
  context: AuthContext | undefined;
  until: number;
  generation: number;
}

/**
 * Validates tokens against the identity tables. Roles come from the current assignments (implied ones
 * included), so removing a role takes effect within the cache time; a token revoked by this process is
 * refused at once (the cache is dropped on every local revocation).
 */
export function createLocalTokenValidator(db: Db): TokenValidator {
  const cache = new Map<string, CacheEntry>();
  return {
    async validate(token: string): Promise<AuthContext | undefined> {
      if (typeof token !== 'string' || token.length === 0) return undefined;
      const key = hashToken(token);
      const now = Date.now();
      const generation = revocationGeneration();
      const hit = cache.get(key);
      if (hit && hit.until > now && hit.generation === generation) {
        return hit.context && hit.context.expiresAt.getTime() > now ? hit.context : undefined;
      }
      const resolved = await resolveToken(db, token);
      const context = resolved ? authContextOf(resolved) : undefined;
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, { context, until: now + CACHE_MS, generation });
      return context;
    },
  };
}
