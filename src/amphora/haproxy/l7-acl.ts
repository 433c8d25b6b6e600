import { toBool, type L7PolicyRow, type L7RuleRow } from '../../db/schema.js';
import { quoteArg, quoteLogFormat } from './haproxy-text.js';

const MATCH: Record<string, string> = {
  REGEX: '-m reg',
  STARTS_WITH: '-m beg',
  ENDS_WITH: '-m end',
  CONTAINS: '-m sub',
  EQUAL_TO: '-m str',
};

/** The sample fetch (and flags) an L7 rule type tests, per Octavia's mapping. */
function fetchOf(rule: L7RuleRow): string {
  const key = rule.key ?? '';
  switch (rule.type) {
    case 'HOST_NAME':
      return 'req.hdr(host) -i';
    case 'PATH':
      return 'path';
    case 'FILE_TYPE':
      return 'path_end';
    case 'HEADER':
      return `req.hdr(${key})`;
    case 'COOKIE':
      return `req.cook(${key})`;
    case 'SSL_DN_FIELD':
      return `ssl_c_s_dn(${key})`;
    default:
      throw new Error(`L7 rule ${rule.id}: unknown type ${rule.type}`);
  }
}

/** One `acl <rule_id> ...` line testing an L7 rule (without its invert flag, which goes on the condition). */
export function aclLine(rule: L7RuleRow): string {
  if (rule.type === 'SSL_CONN_HAS_CERT') return `acl ${rule.id} ssl_c_used`;
  if (rule.type === 'SSL_VERIFY_RESULT') return `acl ${rule.id} ssl_c_verify eq ${Number.parseInt(rule.value, 10)}`;
  const match = MATCH[rule.compare_type];
  if (match === undefined) throw new Error(`L7 rule ${rule.id}: unknown compare type ${rule.compare_type}`);
  // path_end already matches suffixes: an EQUAL_TO file type keeps that default rather than `-m str`.
  const matchPart = rule.type === 'FILE_TYPE' && rule.compare_type === 'EQUAL_TO' ? '' : ` ${match}`;
  return `acl ${rule.id} ${fetchOf(rule)}${matchPart} ${quoteArg(rule.value)}`;
}

/** The AND of a policy's rules as an HAProxy condition, `!` before inverted ones. */
export const conditionOf = (rules: readonly L7RuleRow[]): string =>
  rules.map((r) => (toBool(r.invert) ? `!${r.id}` : r.id)).join(' ');

/**
 * Octavia's documented order between policy actions: every REJECT first, then URL and prefix redirects,
 * then pool redirects; position decides only within one class. The frontend writes action lines sorted
 * by this rank, so HAProxy's top-down evaluation of `http-request` rules gives exactly that order.
 */
export const precedenceOf = (policy: L7PolicyRow): number =>
  policy.action === 'REJECT' ? 0 : policy.action === 'REDIRECT_TO_POOL' ? 2 : 1;

/**
 * The action line of an L7 policy, or undefined when it has nothing to act on. Rejects and redirects are
 * `http-request` rules; pool redirects are `use_backend`, which HAProxy evaluates after every
 * http-request rule.
 */
export function policyActionLine(
  policy: L7PolicyRow,
  rules: readonly L7RuleRow[],
  backendOf: (poolId: string) => string | undefined,
): string | undefined {
  const cond = `if ${conditionOf(rules)}`;
  const code = policy.redirect_http_code ?? 302;
  switch (policy.action) {
    case 'REJECT':
      return `http-request deny ${cond}`;
    case 'REDIRECT_TO_URL':
      return policy.redirect_url === null
        ? undefined
        : `http-request redirect code ${code} location ${quoteLogFormat(policy.redirect_url)} ${cond}`;
    case 'REDIRECT_PREFIX':
      return policy.redirect_prefix === null
        ? undefined
        : `http-request redirect code ${code} prefix ${quoteLogFormat(policy.redirect_prefix)} ${cond}`;
    case 'REDIRECT_TO_POOL': {
      const backend = policy.redirect_pool_id === null ? undefined : backendOf(policy.redirect_pool_id);
      return backend === undefined ? undefined : `use_backend ${backend} ${cond}`;
    }
    default:
      return undefined;
  }
}
