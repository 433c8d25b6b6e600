import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a token: 256 bits, so guessing one is hopeless. */
const TOKEN_BYTES = 32;

/** A new opaque token for a client: random bytes, base64url (safe in a header). */
export function newTokenSecret(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The form a token is stored and looked up in. A plain SHA-256 is enough: the token has 256 bits of
 * entropy, so the hash needs no salt or slowness; what it buys is that a database dump holds no usable token.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Keystone's audit ids: 16 random bytes, URL-safe base64 without padding (22 characters). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}
