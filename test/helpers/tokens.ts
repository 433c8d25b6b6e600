import { randomBytes } from 'node:crypto';
import type { AuthContext, TokenValidator } from '../../src/identity/auth-context.js';

/** What a test token stands for; everything but the project and roles has a default. */
export interface FakeTokenSpec {
  projectId?: string;
  roles: string[];
  userId?: string;
  /** Default: an hour from now. */
  expiresAt?: Date;
}

/**
 * An in-memory `TokenValidator` for tests: `issue` mints a token for a context, `revoke` forgets it.
 * Like the identity service, it answers undefined for unknown, revoked and expired tokens.
 */
export class FakeTokens implements TokenValidator {
  private readonly tokens = new Map<string, AuthContext>();
  /** How many times `validate` ran: the API must validate once per request. */
  validations = 0;
  /** When set, `validate` throws (an unreachable identity service). */
  failing = false;
  /** When false, `validate` returns expired contexts too (to test the API's own expiry check). */
  checkExpiry = true;

  issue(spec: FakeTokenSpec): string {
    const token = `fake-${randomBytes(12).toString('hex')}`;
    const userId = spec.userId ?? `user-${randomBytes(4).toString('hex')}`;
    this.tokens.set(token, {
      userId,
      userName: userId,
      userDomainId: 'default',
      projectId: spec.projectId,
      projectName: spec.projectId,
      projectDomainId: spec.projectId === undefined ? undefined : 'default',
      roles: [...spec.roles],
      expiresAt: spec.expiresAt ?? new Date(Date.now() + 3600_000),
    });
    return token;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  async validate(token: string): Promise<AuthContext | undefined> {
    this.validations += 1;
    if (this.failing) throw new Error('identity service unreachable');
    const auth = this.tokens.get(token);
    if (!auth || (this.checkExpiry && auth.expiresAt.getTime() <= Date.now())) return undefined;
    return { ...auth, roles: [...auth.roles] };
  }
}
