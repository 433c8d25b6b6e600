import { validationFailure } from '../../../common/errors.js';
import type { PoolRow } from '../../../db/schema.js';
import {
  checkSessionPersistence,
  completeSessionPersistence,
  parseSessionPersistence,
  type SessionPersistence,
} from '../../validation/session-persistence.js';
import { checkTlsOptions } from '../listeners/listener-rules.js';
import { refuseCertificates } from '../listeners/listener-tls.js';

/** Octavia's semantic rules for pool bodies: session persistence, backend TLS certificates and options. */

type Body = Record<string, unknown>;
const isSet = (v: unknown) => v !== null && v !== undefined && v !== '';

/**
 * The session persistence a create or update stores, checked against the pool protocol; undefined
 * when the body does not mention it, null when it clears it. An update without `type` keeps the
 * stored type and merges into the stored object; a cookie name only survives on APP_COOKIE.
 */
export function resolveSessionPersistence(
  body: Body,
  rawBody: unknown,
  protocol: string,
  stored: SessionPersistence | null,
  create: boolean,
): SessionPersistence | null | undefined {
  if (!('session_persistence' in body)) return undefined;
  const given = parseSessionPersistence(body.session_persistence, create, rawBody);
  if (given === null) return null;
  const type = given.type ?? stored?.type;
  if (!type) throw validationFailure('Invalid session_persistence provided.');
  checkSessionPersistence({ ...given, type }, protocol);
  const merged = completeSessionPersistence({ ...(stored ?? {}), ...given, type });
  if (type !== 'APP_COOKIE') merged.cookie_name = null;
  return merged;
}

/** A new pool's certificates (none can be read yet) and TLS options. */
export function checkPoolCreate(body: Body): void {
  if (isSet(body.crl_container_ref) && !isSet(body.ca_tls_container_ref))
    throw validationFailure('A CA certificate reference is required to specify a revocation list.');
  if (isSet(body.tls_container_ref)) refuseCertificates([body.tls_container_ref as string]);
  if (isSet(body.ca_tls_container_ref)) refuseCertificates(body.ca_tls_container_ref as string);
  checkTlsOptions(body);
}

/** A pool update's certificates, judged with the stored CA and CRL, and its TLS options. */
export function checkPoolUpdate(body: Body, current: PoolRow): void {
  const crlRef = 'crl_container_ref' in body ? body.crl_container_ref : current.crl_container_ref;
  const storedCa = current.ca_tls_container_ref;
  let caRef: unknown = storedCa;
  if ('ca_tls_container_ref' in body) {
    caRef = body.ca_tls_container_ref;
    if (!isSet(caRef) && isSet(storedCa) && isSet(crlRef))
      throw validationFailure('A CA reference cannot be removed when a certificate revocation list is present.');
  }
  if (isSet(crlRef) && !isSet(caRef))
    throw validationFailure('A CA reference is required to specify a certificate revocation list.');
  if (isSet(body.tls_container_ref)) refuseCertificates([body.tls_container_ref as string]);
  if (isSet(caRef)) refuseCertificates(caRef as string);
  checkTlsOptions(body);
}
