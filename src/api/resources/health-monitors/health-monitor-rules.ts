import { badRequest, validationFailure } from '../../../common/errors.js';
import type { Clean } from '../../validation/fields.js';
import { pyStr } from '../../validation/py-repr.js';

/**
 * Health monitor rules beyond field types, with Octavia's fault strings: value patterns, which monitor
 * types a pool accepts, the HTTP-only fields, and the domain name / HTTP version pair.
 */

/** Octavia's `udp_connect_min_interval_health_monitor` default, seconds. */
const UDP_CONNECT_MIN_DELAY = 3;

/** Types whose checks speak HTTP; only they take http_method, url_path and expected_codes. */
export const HTTP_MONITOR_TYPES = ['HTTP', 'HTTPS'];
const HTTP_ONLY_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;

export const HM_DEFAULTS = { http_method: 'GET', url_path: '/', expected_codes: '200', max_retries_down: 3 } as const;

const EXPECTED_CODES_PATTERN = String.raw`^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$`;
const DOMAIN_NAME_PATTERN = String.raw`^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$`;
const EXPECTED_CODES_RE = new RegExp(EXPECTED_CODES_PATTERN);
const DOMAIN_NAME_RE = new RegExp(DOMAIN_NAME_PATTERN);
/** Width of the `expected_codes` column; longer lists are refused rather than failing in the database. */
const MAX_EXPECTED_CODES_LENGTH = 64;
const HTTP_VERSIONS = [1.0, 1.1];

const invalid = (field: string, value: unknown, why: string) =>
  badRequest(`Invalid input for field/attribute ${field}. Value: '${pyStr(value)}'. ${why}`);

/** Python's str() of a float, as Octavia prints http_version ("1.0", not "1"). */
const pyFloat = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/**
 * A URL path as Octavia accepts it: absolute ("/..."), without scheme, host, port or user info, and
 * without whitespace or control characters (a query string is allowed).
 */
export function isValidUrlPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !/[\s\x00-\x1f\x7f]/.test(path);
}

/**
 * Check the string fields with a pattern and `http_version` (an enum of floats). Returns the body with
 * `http_version` as a number, since JSON may carry it as a string.
 */
export function checkHmPatterns(body: Clean): Clean {
  const out = { ...body };
  if (typeof body.url_path === 'string' && !isValidUrlPath(body.url_path))
    throw invalid('url_path', body.url_path, 'Value must be a valid URL Path string');
  if (typeof body.expected_codes === 'string') {
    if (!EXPECTED_CODES_RE.test(body.expected_codes))
      throw invalid('expected_codes', body.expected_codes, `Value should match the pattern ${EXPECTED_CODES_PATTERN}`);
    if (body.expected_codes.length > MAX_EXPECTED_CODES_LENGTH)
      throw invalid(
        'expected_codes',
        body.expected_codes,
        `Value should have a maximum character requirement of ${MAX_EXPECTED_CODES_LENGTH}`,
      );
  }
  if (typeof body.domain_name === 'string' && !DOMAIN_NAME_RE.test(body.domain_name))
    throw invalid('domain_name', body.domain_name, `Value should match the pattern ${DOMAIN_NAME_PATTERN}`);
  if (body.http_version !== undefined && body.http_version !== null) {
    const raw = body.http_version;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!HTTP_VERSIONS.includes(n))
      throw invalid('http_version', raw, `Value should be one of: ${HTTP_VERSIONS.map(pyFloat).join(', ')}`);
    out.http_version = n;
  }
  return out;
}

/**
 * Which monitor types a pool takes: UDP and SCTP pools only UDP-CONNECT, SCTP, TCP and HTTP; other pools
 * anything but UDP-CONNECT and SCTP. A UDP-CONNECT delay must be at least the configured minimum.
 */
export function checkTypeForPool(poolProtocol: string, type: string, delay: number | undefined): void {
  if (poolProtocol === 'UDP' || poolProtocol === 'SCTP') {
    if (!['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'].includes(type))
      throw validationFailure(
        `The associated pool protocol is ${poolProtocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.`,
      );
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw validationFailure(`The ${type} type is only supported for pools of type UDP/SCTP.`);
  }
  if (type === 'UDP-CONNECT' && delay !== undefined && delay < UDP_CONNECT_MIN_DELAY)
    throw validationFailure(
      `The request delay value ${delay} should be larger than ${UDP_CONNECT_MIN_DELAY} for UDP-CONNECT health monitor type.`,
    );
}

const notAnOption = (value: string, option: string) => badRequest(`${value} is not a valid option for ${option}`);

/**
 * HTTP-only fields on another type: on create a 400 when given a value; on update when present at all
 * (even null), as Octavia.
 */
export function checkHttpOnlyFields(type: string, body: Clean, onUpdate: boolean): void {
  if (HTTP_MONITOR_TYPES.includes(type)) return;
  for (const field of HTTP_ONLY_FIELDS) {
    const given = onUpdate ? field in body : body[field] !== undefined && body[field] !== null && body[field] !== '';
    if (given) throw notAnOption(field, `health monitors of type ${type}`);
  }
}

/** PUT may not clear the timing fields: Octavia's 400 "None is not a valid option for delay". */
export function checkTimingNotCleared(body: Clean): void {
  for (const field of ['delay', 'max_retries', 'timeout']) {
    if (field in body && body[field] === null) throw notAnOption('None', field);
  }
}

/** A domain name check sends a Host header, which needs HTTP/1.1. Takes the values the monitor will have. */
export function checkDomainName(httpVersion: number | null, domainName: string | null): void {
  if (!domainName) return;
  if (httpVersion === null) throw validationFailure("'http_version' must be specified when 'domain_name' is provided.");
  if (httpVersion < 1.1)
    throw notAnOption(`http_version ${pyFloat(httpVersion)}`, 'health monitors HTTP 1.1 domain name health check');
}
