import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, so guessing costs an attacker memory as well as time).
 * The stored form carries its parameters, `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64), so they can be
 * raised later: old hashes still verify, and `passwordNeedsRehash` says when to store a fresh one.
 */

export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

/** 2^15 x 8 x 128 bytes = 32 MiB and ~0.1 s per hash: OWASP's lower bound for scrypt. */
export const CURRENT_PARAMS: ScryptParams = { log2N: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuse stored parameters beyond these: a tampered row must not make one verify allocate gigabytes. */
const MAX_LOG2N = 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hash a password with a fresh random salt and the current parameters. */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
  if (!ok(log2N, MAX_LOG2N) || !ok(r, MAX_R) || !ok(p, MAX_P)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || key.length !== KEY_LENGTH) return undefined;
  return { params: { log2N, r, p }, salt, key };
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with weaker parameters than the current ones. */
export function passwordNeedsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  const { log2N, r, p } = parsed.params;
  return log2N < CURRENT_PARAMS.log2N || r < CURRENT_PARAMS.r || p < CURRENT_PARAMS.p;
}

let dummyHash: Promise<string> | undefined;

/**
 * Spend the time of one verification for a user that does not exist (or has no password), so the
 * answer's timing does not tell which user names exist.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('no user has this password');
  await verifyPassword(password, await dummyHash);
  return false;
}
