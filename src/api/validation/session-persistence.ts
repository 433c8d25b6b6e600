import { SESSION_PERSISTENCE_TYPES } from '../../common/constants.js';
import { validationFailure } from '../../common/errors.js';
import { enumOf, int, ip, str, validateNested, type FieldMap } from './fields.js';

/**
 * A pool's `session_persistence` object: its shape, and Octavia's rules on which persistence types and
 * fields go with which pool protocols (digest section 3.3).
 */
export interface SessionPersistence {
  type: string;
  cookie_name: string | null;
  persistence_timeout: number | null;
  persistence_granularity: string | null;
}

const fieldsFor = (typeRequired: boolean): FieldMap => ({
  type: { ...enumOf(SESSION_PERSISTENCE_TYPES), required: typeRequired },
  cookie_name: str(),
  persistence_timeout: int(),
  persistence_granularity: ip(),
});

/**
 * Check the shape of a `session_persistence` value from a request. On create `type` is mandatory; on
 * update it may be left out (it is then inherited from the pool). `null` stays null: it clears.
 */
export function parseSessionPersistence(
  value: unknown,
  create: boolean,
  body: unknown,
): Partial<SessionPersistence> | null {
  if (value === null || value === undefined) return null;
  return validateNested(
    value,
    'session_persistence',
    'pool_.pool.session_persistence',
    fieldsFor(create),
    'pool_',
    body,
  ) as Partial<SessionPersistence>;
}

const UDP_LIKE = ['UDP', 'SCTP'];
// Control characters, space and the RFC 6265 separators may not appear in a cookie name.
const BAD_COOKIE_CHARS = /[\x00-\x20\x22\x28\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]|[^\x00-\xff]/;

/**
 * Octavia's rules for a session persistence on a pool of `protocol`: UDP and SCTP pools take only
 * SOURCE_IP (with an optional timeout and granularity), other pools never take those two fields, and
 * `cookie_name` belongs to APP_COOKIE alone, which requires it. `sp.type` must already be resolved.
 */
export function checkSessionPersistence(sp: Partial<SessionPersistence>, protocol: string): void {
  const given = (v: unknown) => v !== null && v !== undefined && v !== '' && v !== 0;
  if (UDP_LIKE.includes(protocol)) {
    if (sp.type === 'SOURCE_IP' && given(sp.cookie_name))
      throw validationFailure(
        `session_persistence SOURCE_IP type for ${protocol} protocol only accepts: type, persistence_timeout, persistence_granularity.`,
      );
    if (given(sp.cookie_name)) throw validationFailure(`Cookie names are not supported for ${protocol} pools.`);
    if (sp.type !== 'SOURCE_IP')
      throw validationFailure(
        `Session persistence of type ${sp.type} is not supported for ${protocol} protocol pools.`,
      );
  } else if (given(sp.persistence_timeout) || given(sp.persistence_granularity)) {
    throw validationFailure('persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.');
  }
  if (given(sp.cookie_name)) {
    if (sp.type !== 'APP_COOKIE')
      throw validationFailure(
        'Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".',
      );
    if (BAD_COOKIE_CHARS.test(sp.cookie_name!)) throw validationFailure('Supplied "cookie_name" is invalid.');
  }
  if (sp.type === 'APP_COOKIE' && !given(sp.cookie_name))
    throw validationFailure(
      'Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.',
    );
}

/** The stored form: every field present, in the order Octavia prints them. */
export function completeSessionPersistence(sp: Partial<SessionPersistence>): SessionPersistence {
  return {
    type: sp.type!,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  };
}
