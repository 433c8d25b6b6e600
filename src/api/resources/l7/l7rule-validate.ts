import { badRequest } from '../../../common/errors.js';

/** The attributes that decide whether an L7 rule makes sense (after a PUT, the merged values). */
export interface RuleData {
  type: string | null;
  compare_type: string | null;
  key: string | null;
  value: string | null;
}

/** RFC 7230 token characters, for HEADER / COOKIE keys (Octavia's character class also lets a comma through). */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** A bare header value: visible ASCII, no spaces. */
const HEADER_VALUE = /^[\x21-\x7e]+$/;
/** A header value in double quotes, which may also hold spaces and tabs. */
const QUOTED_HEADER_VALUE = /^"[\t\x20-\x7e]*"$/;
/** Cookie value characters: visible ASCII except `"`, `;` and `\`. */
const COOKIE_VALUE = /^[\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]+$/;
/** An X.509 distinguished-name field name, e.g. `CN` or `OU`. */
const DN_FIELD = /^[a-zA-Z][A-Za-z0-9-]*$/;
const CR_OR_LF = /[\r\n]/;

const MATCHING_COMPARES = new Set(['STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO']);

/** A rule problem, in the words of Octavia's inner exception; `validateRuleData` wraps it. */
class RuleProblem extends Error {}
const invalidRule = (msg: string) => new RuleProblem(`Invalid L7 Rule: ${msg}`);
const invalidChars = (what: string) => new RuleProblem(`Invalid characters in ${what}`);

/**
 * Octavia compiles REGEX values with Python's `re`; HAProxy matches them with PCRE. A JavaScript
 * RegExp is the closest check available here: it catches unbalanced groups, bad quantifiers and the like.
 */
function checkRegex(value: string): void {
  try {
    new RegExp(value);
  } catch (err) {
    throw new RuleProblem(`Unable to parse regular expression: ${(err as Error).message}`);
  }
}

function checkHeaderValue(value: string, what: string): void {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw invalidChars(what);
}

function checkKeyed(
  rule: RuleData & { value: string },
  valueWhat: string,
  valueCheck: (v: string, what: string) => void,
): void {
  if (!rule.key) throw invalidRule('L7 rule type requires a key');
  if (!TOKEN.test(rule.key)) throw invalidChars('key');
  if (rule.compare_type === 'REGEX') checkRegex(rule.value);
  else if (rule.compare_type !== null && MATCHING_COMPARES.has(rule.compare_type)) valueCheck(rule.value, valueWhat);
  else throw invalidRule('invalid comparison type for rule type');
}

function checkSslRule(rule: RuleData & { value: string }): void {
  const { type, key, value, compare_type: compare } = rule;
  const equalToOnly = `L7rule type ${type} only supports the EQUAL_TO compare type.`;
  let msg: string | undefined;
  if (type === 'SSL_CONN_HAS_CERT') {
    if (key) msg = `L7rule type ${type} does not use the "key" field.`;
    else if (value.toLowerCase() !== 'true') msg = `L7rule value ${value} is not a boolean True string.`;
    else if (compare !== 'EQUAL_TO') msg = equalToOnly;
  } else if (type === 'SSL_VERIFY_RESULT') {
    if (key) msg = `L7rule type ${type} does not use the "key" field.`;
    else if (!/^[0-9]+$/.test(value)) msg = `L7rule type ${type} needs a int value, which is >= 0`;
    else if (compare !== 'EQUAL_TO') msg = equalToOnly;
  } else {
    if (compare === 'REGEX') checkRegex(value);
    if (!key) msg = `L7rule type ${type} needs to specify a key and a value.`;
    else if (!DN_FIELD.test(key)) msg = 'Invalid L7rule distinguished name field.';
  }
  if (msg) throw invalidRule(msg);
}

function checkRule(rule: RuleData): void {
  if (!rule.value) throw invalidRule('L7 rule type requires a value');
  // A line break would end the HAProxy ACL line early; no rule type can use one.
  if (rule.key && CR_OR_LF.test(rule.key)) throw invalidChars('key');
  if (CR_OR_LF.test(rule.value)) throw invalidChars('value');
  const withValue = { ...rule, value: rule.value };
  switch (rule.type) {
    case 'HEADER':
      return checkKeyed(withValue, 'header value', checkHeaderValue);
    case 'COOKIE':
      return checkKeyed(withValue, 'cookie value', (v, what) => {
        if (!COOKIE_VALUE.test(v)) throw invalidChars(what);
      });
    case 'HOST_NAME':
    case 'PATH':
      if (rule.compare_type === 'REGEX') return checkRegex(rule.value);
      if (rule.compare_type !== null && MATCHING_COMPARES.has(rule.compare_type))
        return checkHeaderValue(rule.value, 'comparison value');
      throw invalidRule('invalid comparison type for rule type');
    case 'FILE_TYPE':
      if (rule.compare_type === 'REGEX') return checkRegex(rule.value);
      if (rule.compare_type === 'EQUAL_TO') return checkHeaderValue(rule.value, 'comparison value');
      throw invalidRule('invalid comparison type for rule type');
    case 'SSL_CONN_HAS_CERT':
    case 'SSL_VERIFY_RESULT':
    case 'SSL_DN_FIELD':
      return checkSslRule(withValue);
    default:
      throw invalidRule('invalid rule type');
  }
}

/**
 * Check that a rule's type, compare type, key and value fit together (Octavia's `l7rule_data`),
 * answering 400 "Error parsing L7Rule: ..." as Octavia does.
 */
export function validateRuleData(rule: RuleData): void {
  try {
    checkRule(rule);
  } catch (err) {
    if (err instanceof RuleProblem) throw badRequest(`Error parsing L7Rule: ${err.message}`);
    throw err;
  }
}
