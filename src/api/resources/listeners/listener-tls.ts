import { ALPN_PROTOCOLS, TLS_VERSIONS } from '../../../common/constants.js';
import { badRequest, validationFailure } from '../../../common/errors.js';
import { pyRepr } from '../../validation/py-repr.js';

/**
 * TLS options listeners and pools share: Octavia's checks on cipher strings, TLS versions and ALPN
 * lists, the defaults it fills in for TLS-enabled objects, and the certificate references it must read.
 */

/** Octavia's default cipher string for TLS listeners and pools (the OWASP "B" suite). */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-SHA256',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'DHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
].join(':');
export const DEFAULT_TLS_VERSIONS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];
export const DEFAULT_LISTENER_ALPN: readonly string[] = ['h2', 'http/1.1', 'http/1.0'];
/** Pools do not offer HTTP/2 to members unless asked to. */
export const DEFAULT_POOL_ALPN: readonly string[] = ['http/1.1', 'http/1.0'];

const CIPHER_PATTERN = '^[A-Za-z0-9\\-+!:@=_.]*$';
const CIPHER_RE = new RegExp(CIPHER_PATTERN);

/** A cipher string HAProxy can take verbatim: OpenSSL names and operators only. */
export function checkCiphers(ciphers: unknown): void {
  if (typeof ciphers !== 'string' || CIPHER_RE.test(ciphers)) return;
  throw badRequest(
    `Invalid input for field/attribute tls_ciphers. Value: '${ciphers}'. Value should match the pattern ${CIPHER_PATTERN}`,
  );
}

/** A TLS version list: not empty (null means "use the default"), known versions only. */
export function checkTlsVersions(versions: unknown): void {
  if (!Array.isArray(versions)) return;
  if (versions.length === 0)
    throw validationFailure(
      'Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.',
    );
  const invalid = versions.filter((v) => !(TLS_VERSIONS as readonly unknown[]).includes(v));
  if (invalid.length > 0) throw validationFailure(`Invalid TLS versions: ${invalid.join(', ')}`);
}

/** An ALPN list: not empty, protocols HAProxy knows only. */
export function checkAlpnProtocols(protocols: unknown): void {
  if (!Array.isArray(protocols)) return;
  if (protocols.length === 0)
    throw validationFailure(
      'Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.',
    );
  const invalid = protocols.filter((p) => !(ALPN_PROTOCOLS as readonly unknown[]).includes(p));
  if (invalid.length > 0) throw validationFailure(`Invalid ALPN protocol: ${invalid.join(', ')}`);
}

/**
 * Certificate references must be readable from the certificate store. There is no certificate store
 * yet, so every reference is unreadable and refused as Octavia refuses one it cannot fetch; this makes
 * TERMINATED_HTTPS listeners and TLS pools with certificates impossible until the store exists.
 * A list of references is quoted as Python prints a list, a single one bare, as Octavia does.
 */
export function refuseCertificates(refs: string | string[]): void {
  if (Array.isArray(refs) && refs.length === 0) return;
  throw badRequest(`Could not retrieve certificate: ${Array.isArray(refs) ? pyRepr(refs) : refs}`);
}
