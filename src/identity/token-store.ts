import type { Db } from '../db/database.js';
import type { IdentityTokenRow } from '../db/schema-identity.js';
import { hashToken, newAuditId, newTokenSecret } from './token-secret.js';

/**
 * Issued tokens, stored by their hash. A token is live while it is neither expired nor revoked; deleting
 * its user or project removes it (foreign keys), so every process sharing the database refuses it.
 */

let revocations = 0;

/**
 * Counts revocations made by this process. Caches of validated tokens remember the count they were
 * filled at and are dropped when it moved, so a token revoked here is refused here at once.
 */
export function revocationGeneration(): number {
  return revocations;
}

export function noteRevocation(): void {
  revocations++;
}

export interface NewToken {
  userId: string;
  projectId: string | null;
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  /** The audit id of the token being rescoped, if any. */
  parentAuditId?: string | null;
}

/** Store a new token and return its secret (shown once, to the client) and its row. */
export async function storeNewToken(db: Db, spec: NewToken): Promise<{ token: string; row: IdentityTokenRow }> {
  const token = newTokenSecret();
  const row: IdentityTokenRow = {
    token_hash: hashToken(token),
    user_id: spec.userId,
    project_id: spec.projectId,
    methods: JSON.stringify(spec.methods),
    audit_id: newAuditId(),
    parent_audit_id: spec.parentAuditId ?? null,
    issued_at: spec.issuedAt,
    expires_at: spec.expiresAt,
    revoked_at: null,
  };
  await db.kysely.insertInto('identity_token').values(row).execute();
  return { token, row };
}

/** The stored row of a live token (not expired, not revoked); undefined otherwise. */
export async function findLiveToken(db: Db, token: string, now = Date.now()): Promise<IdentityTokenRow | undefined> {
  if (token.length === 0 || token.length > 512) return undefined;
  const row = await db.kysely
    .selectFrom('identity_token')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || Number(row.expires_at) <= now) return undefined;
  return { ...row, issued_at: Number(row.issued_at), expires_at: Number(row.expires_at) };
}

/** Revoke one token (by its secret). True when a live token was revoked. */
export async function revokeToken(db: Db, token: string): Promise<boolean> {
  const result = await db.kysely
    .updateTable('identity_token')
    .set({ revoked_at: Date.now() })
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  noteRevocation();
  return Number(result.numUpdatedRows) > 0;
}

/** Revoke every token of a user (a password change), or of a user on one project. */
export async function revokeUserTokens(db: Db, userId: string, projectId?: string): Promise<void> {
  let query = db.kysely
    .updateTable('identity_token')
    .set({ revoked_at: Date.now() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  await query.execute();
  noteRevocation();
}

/** Remove rows of tokens that expired more than `graceMs` ago; they can never be valid again. */
export async function purgeExpiredTokens(db: Db, graceMs = 60 * 60 * 1000): Promise<number> {
  const result = await db.kysely
    .deleteFrom('identity_token')
    .where('expires_at', '<', Date.now() - graceMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
