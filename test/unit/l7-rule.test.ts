import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/common/errors.js';
import { validateRuleData, type RuleData } from '../../src/api/resources/l7/l7rule-validate.js';

const rule = (
  type: string,
  compare_type: string | null,
  value: string | null,
  key: string | null = null,
): RuleData => ({ type, compare_type, key, value });

function faultOf(data: RuleData): string | undefined {
  try {
    validateRuleData(data);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 400);
    return err.message.replace(/^Error parsing L7Rule: /, '');
  }
}

describe('L7 rule data', () => {
  it('needs a token-character key for HEADER and COOKIE rules', () => {
    assert.equal(faultOf(rule('HEADER', 'EQUAL_TO', 'v')), 'Invalid L7 Rule: L7 rule type requires a key');
    for (const key of ['X-Forwarded-For', "a!#$%&'*+-.^_`|~9"])
      assert.equal(faultOf(rule('HEADER', 'EQUAL_TO', 'v', key)), undefined, key);
    for (const key of ['two words', 'a:b', 'a,b', 'a"b', 'é'])
      assert.equal(faultOf(rule('COOKIE', 'EQUAL_TO', 'v', key)), 'Invalid characters in key', key);
  });

  it('limits values to header or cookie characters unless they are regular expressions', () => {
    assert.equal(faultOf(rule('HEADER', 'CONTAINS', '"quoted value\twith tab"', 'X')), undefined);
    assert.equal(faultOf(rule('HEADER', 'CONTAINS', 'bare value', 'X')), 'Invalid characters in header value');
    assert.equal(faultOf(rule('COOKIE', 'EQUAL_TO', 'a,b/c:d', 'c')), undefined);
    for (const v of ['a;b', 'a"b', 'a\\b', 'a b'])
      assert.equal(faultOf(rule('COOKIE', 'EQUAL_TO', v, 'c')), 'Invalid characters in cookie value', v);
    assert.equal(faultOf(rule('PATH', 'ENDS_WITH', '/a/b.html')), undefined);
    assert.equal(faultOf(rule('HOST_NAME', 'EQUAL_TO', 'ä.example')), 'Invalid characters in comparison value');
    assert.equal(faultOf(rule('PATH', 'REGEX', '^/a b$')), undefined);
    assert.match(faultOf(rule('PATH', 'REGEX', 'a**')) ?? '', /^Unable to parse regular expression: /);
  });

  it('allows FILE_TYPE only with REGEX or EQUAL_TO, and no compare type at all is refused', () => {
    assert.equal(faultOf(rule('FILE_TYPE', 'EQUAL_TO', 'png')), undefined);
    for (const compare of ['STARTS_WITH', 'ENDS_WITH', 'CONTAINS'])
      assert.equal(
        faultOf(rule('FILE_TYPE', compare, 'png')),
        'Invalid L7 Rule: invalid comparison type for rule type',
      );
    assert.equal(faultOf(rule('PATH', null, '/a')), 'Invalid L7 Rule: invalid comparison type for rule type');
    assert.equal(faultOf(rule('QUERY', 'EQUAL_TO', 'a')), 'Invalid L7 Rule: invalid rule type');
  });

  it('checks the SSL rule types as Octavia does', () => {
    assert.equal(faultOf(rule('SSL_CONN_HAS_CERT', 'EQUAL_TO', 'TRUE')), undefined);
    assert.equal(faultOf(rule('SSL_VERIFY_RESULT', 'EQUAL_TO', '21')), undefined);
    assert.equal(
      faultOf(rule('SSL_VERIFY_RESULT', 'EQUAL_TO', '2.5')),
      'Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0',
    );
    assert.equal(
      faultOf(rule('SSL_VERIFY_RESULT', 'EQUAL_TO', '1', 'k')),
      'Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT does not use the "key" field.',
    );
    assert.equal(faultOf(rule('SSL_DN_FIELD', 'REGEX', '^client-[0-9]+$', 'OU')), undefined);
    assert.match(faultOf(rule('SSL_DN_FIELD', 'REGEX', '(', 'OU')) ?? '', /^Unable to parse regular expression: /);
    assert.equal(
      faultOf(rule('SSL_DN_FIELD', 'EQUAL_TO', 'x', 'O_U')),
      'Invalid L7 Rule: Invalid L7rule distinguished name field.',
    );
  });

  it('refuses an empty value and line breaks anywhere', () => {
    assert.equal(faultOf(rule('PATH', 'EQUAL_TO', null)), 'Invalid L7 Rule: L7 rule type requires a value');
    assert.equal(faultOf(rule('HEADER', 'REGEX', 'a\r\nb', 'X')), 'Invalid characters in value');
    assert.equal(faultOf(rule('HEADER', 'REGEX', 'a', 'X\n')), 'Invalid characters in key');
  });
});
