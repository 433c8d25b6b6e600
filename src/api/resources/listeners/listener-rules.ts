import { isIP } from 'node:net';
import { LISTENER_POOL_PROTOCOL_MAP, TCP_FAMILY_PROTOCOLS, type ListenerProtocol } from '../../../common/constants.js';
import { badRequest, validationFailure } from '../../../common/errors.js';
import { pyRepr } from '../../validation/py-repr.js';
import { checkAlpnProtocols, checkCiphers, checkTlsVersions, refuseCertificates } from './listener-tls.js';

/**
 * Octavia's semantic rules for listener bodies (digest sections 1.2, 3.4, 3.5), beyond field types:
 * which headers, certificates and TLS options go with which protocol. Pure functions over the
 * validated body, so the routes stay short and the rules are tested on their own.
 */

const HTTP_HEADERS = [
  'X-Forwarded-For',
  'X-Forwarded-Port',
  'X-Forwarded-Proto',
  'X-Forwarded-IP',
  'X-Client-IP',
  'X-Real-IP',
];
const SSL_HEADERS = [
  'X-SSL-Client-Verify',
  'X-SSL-Client-Has-Cert',
  'X-SSL-Client-DN',
  'X-SSL-Client-CN',
  'X-SSL-Issuer',
  'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before',
  'X-SSL-Client-Not-After',
];
const HEADER_PROTOCOLS = ['HTTP', 'TERMINATED_HTTPS'];
const NO_TLS_PROTOCOLS = ['UDP', 'SCTP'];

type Body = Record<string, unknown>;
const isSet = (v: unknown) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);

/** Listener protocols that share a port space: two listeners of one family may not share a port. */
export function l4Family(protocol: string): string {
  return TCP_FAMILY_PROTOCOLS.includes(protocol) ? 'TCP' : protocol;
}

/** A pool may serve a listener only if its protocol is in Octavia's compatibility table. */
export function checkPoolProtocol(listenerProtocol: string, poolProtocol: string): void {
  const allowed = LISTENER_POOL_PROTOCOL_MAP[listenerProtocol as ListenerProtocol] ?? [];
  if (!(allowed as readonly string[]).includes(poolProtocol))
    throw validationFailure(
      `The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`,
    );
}

/**
 * Header insertion: HTTP-like listeners only, known header names only, client-certificate headers on
 * TERMINATED_HTTPS only. Octavia quotes the offending names as Python prints them: the dict's keys
 * view on create, a plain list on update.
 */
export function checkInsertHeaders(headers: unknown, protocol: string, onUpdate: boolean): void {
  if (typeof headers !== 'object' || headers === null || Object.keys(headers).length === 0) return;
  if (!HEADER_PROTOCOLS.includes(protocol))
    throw badRequest(`insert-headers is not a valid option for a ${protocol} protocol listener.`);
  const names = Object.keys(headers);
  for (const value of Object.values(headers as Record<string, string>))
    if (value.length > 255)
      throw badRequest(
        `Invalid input for field/attribute insert_headers. Value: '${pyRepr(headers)}'. Value should have a maximum character requirement of 255`,
      );
  if (names.some((n) => !HTTP_HEADERS.includes(n) && !SSL_HEADERS.includes(n)))
    throw badRequest(
      `${onUpdate ? pyRepr(names) : `dict_keys(${pyRepr(names)})`} is not a valid option for insert_headers`,
    );
  const ssl = names.filter((n) => SSL_HEADERS.includes(n));
  if (protocol !== 'TERMINATED_HTTPS' && ssl.length > 0)
    throw badRequest(`${pyRepr(ssl)} is not a valid option for ${protocol} protocol listener.`);
}

/** A CIDR as Python's ip_network(strict=False) reads it: an address with an optional prefix length. */
export function cidrFamily(cidr: string): 4 | 6 | undefined {
  const [address, prefix, extra] = cidr.split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const family = isIP(address);
  if (family === 0) return undefined;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return undefined;
  }
  return family as 4 | 6;
}

/** Every allowed CIDR must parse, and each must share its IP family with some VIP of the load balancer. */
export function checkAllowedCidrs(cidrs: unknown, vips: string[], hasVipSecurityGroups: boolean): void {
  if (!Array.isArray(cidrs) || cidrs.length === 0) return;
  for (const cidr of cidrs as string[])
    if (cidrFamily(cidr) === undefined)
      throw badRequest(
        `Invalid input for field/attribute allowed_cidrs. Value: '${pyRepr(cidrs)}'. Value should be IPv4 or IPv6 CIDR format`,
      );
  if (hasVipSecurityGroups)
    throw validationFailure('Allowed CIDRs are not allowed when using custom VIP Security Groups.');
  for (const cidr of cidrs as string[]) {
    if (!vips.some((vip) => isIP(vip) === cidrFamily(cidr)))
      throw validationFailure(`CIDR ${cidr} IP version incompatible with all VIPs ${pyRepr(vips)} IP version.`);
  }
}

/** The TLS option lists and cipher string, wherever they appear (create or update). */
export function checkTlsOptions(body: Body): void {
  checkCiphers(body.tls_ciphers);
  checkTlsVersions(body.tls_versions);
  checkAlpnProtocols(body.alpn_protocols);
}

/** The certificate references of a listener body that must be fetched: SNI first, then the default. */
function serverCertificateRefs(body: Body): string[] {
  const refs = [...((body.sni_container_refs as string[] | null | undefined) ?? [])];
  if (isSet(body.default_tls_container_ref)) refs.push(body.default_tls_container_ref as string);
  return refs;
}

const hasCertificateRefs = (body: Body) =>
  isSet(body.default_tls_container_ref) || isSet(body.client_ca_tls_container_ref) || isSet(body.sni_container_refs);

/** Octavia's checks of a new listener's headers, certificates, client authentication, HSTS and TLS options. */
export function checkListenerCreate(body: Body): void {
  const protocol = body.protocol as string;
  checkInsertHeaders(body.insert_headers, protocol, false);
  if (NO_TLS_PROTOCOLS.includes(protocol) && hasCertificateRefs(body))
    throw validationFailure(`${protocol} protocol listener does not support TLS.`);
  if (protocol !== 'TERMINATED_HTTPS' && hasCertificateRefs(body))
    throw validationFailure(
      'Certificate container references are only allowed on TERMINATED_HTTPS protocol listeners.',
    );
  const serverCerts = serverCertificateRefs(body);
  if (isSet(body.client_ca_tls_container_ref) && serverCerts.length === 0)
    throw validationFailure(
      'An SNI or default certificate container reference must be provided with a client CA container reference.',
    );
  if (protocol === 'TERMINATED_HTTPS' && serverCerts.length === 0)
    throw validationFailure(
      'An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.',
    );
  const clientAuth = (body.client_authentication as string | null | undefined) ?? 'NONE';
  if (clientAuth !== 'NONE' && !isSet(body.client_ca_tls_container_ref))
    throw validationFailure(`Client authentication setting ${clientAuth} requires a client CA container reference.`);
  if (isSet(body.client_crl_container_ref) && !isSet(body.client_ca_tls_container_ref))
    throw validationFailure(
      'A client authentication CA reference is required to specify a client authentication revocation list.',
    );
  checkHsts(body, protocol, false);
  checkTlsOptions(body);
  refuseCertificates(serverCerts);
  if (isSet(body.client_ca_tls_container_ref)) refuseCertificates(body.client_ca_tls_container_ref as string);
}

/** What a listener update is checked against: the stored listener's protocol and settings. */
export interface StoredListener {
  protocol: string;
  client_ca_tls_container_ref: string | null;
  client_crl_container_ref: string | null;
  hsts_max_age: number | null;
}

/** Octavia's checks of a listener update; the protocol and certificate state come from the stored listener. */
export function checkListenerUpdate(body: Body, stored: StoredListener): void {
  const protocol = stored.protocol;
  if (NO_TLS_PROTOCOLS.includes(protocol) && (hasCertificateRefs(body) || isSet(body.insert_headers)))
    throw validationFailure(`${protocol} protocol listener does not support TLS or header insertion.`);
  if (protocol !== 'TERMINATED_HTTPS' && hasCertificateRefs(body))
    throw validationFailure(
      'Certificate container references are only allowed on TERMINATED_HTTPS protocol listeners.',
    );
  const clientAuth = body.client_authentication as string | null | undefined;
  const caRef =
    'client_ca_tls_container_ref' in body
      ? (body.client_ca_tls_container_ref as string | null)
      : stored.client_ca_tls_container_ref;
  const crlRef =
    'client_crl_container_ref' in body
      ? (body.client_crl_container_ref as string | null)
      : stored.client_crl_container_ref;
  if (clientAuth && clientAuth !== 'NONE' && !isSet(caRef))
    throw validationFailure(`Client authentication setting ${clientAuth} requires a client CA container reference.`);
  checkInsertHeaders(body.insert_headers, protocol, true);
  refuseCertificates(serverCertificateRefs(body));
  if (isSet(crlRef) && !isSet(caRef))
    throw validationFailure(
      'A client authentication CA reference is required to specify a client authentication revocation list.',
    );
  if (isSet(caRef)) refuseCertificates(caRef as string);
  checkHsts(body, protocol, true, stored.hsts_max_age);
  checkTlsOptions(body);
}

/** HSTS belongs to TERMINATED_HTTPS listeners, and its two flags mean nothing without a max age. */
function checkHsts(body: Body, protocol: string, onUpdate: boolean, storedMaxAge: number | null = null): void {
  const maxAge = body.hsts_max_age;
  const flags = body.hsts_include_subdomains === true || body.hsts_preload === true;
  if (!onUpdate && flags && typeof maxAge !== 'number')
    throw validationFailure(
      'HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.',
    );
  if (onUpdate && flags && typeof maxAge !== 'number' && storedMaxAge === null)
    throw validationFailure(
      'Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.',
    );
  if (typeof maxAge === 'number' && protocol !== 'TERMINATED_HTTPS')
    throw validationFailure('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.');
}
