import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkDomainName,
  checkHmPatterns,
  checkHttpOnlyFields,
  checkTimingNotCleared,
  checkTypeForPool,
  isValidUrlPath,
} from '../../src/api/resources/health-monitors/health-monitor-rules.js';
import { ApiError } from '../../src/common/errors.js';

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 400);
    return err.message;
  }
  assert.fail('expected a fault');
}

describe('health monitor rules', () => {
  it('accepts absolute URL paths only', () => {
    for (const ok of ['/', '/health', '/a/b?c=d&e', '/%20x']) assert.ok(isValidUrlPath(ok), ok);
    for (const bad of ['', 'health', 'http://h/x', '//h/x', '/a b', '/a\tb', '/a\nb'])
      assert.ok(!isValidUrlPath(bad), JSON.stringify(bad));
  });

  it('checks expected codes, domain names and HTTP versions', () => {
    for (const ok of ['200', '200,201', '200 , 202', '200-299'])
      assert.doesNotThrow(() => checkHmPatterns({ expected_codes: ok }), ok);
    for (const bad of ['20', '200-', '200-300-400', '2xx', '200;201'])
      assert.throws(() => checkHmPatterns({ expected_codes: bad }), ApiError, bad);
    assert.match(
      faultOf(() => checkHmPatterns({ expected_codes: Array(20).fill('200').join(',') })),
      /maximum character requirement of 64$/,
    );
    for (const ok of ['example.com', 'a', 'www.example.com.', '_srv.example.com', 'x-1.example'])
      assert.doesNotThrow(() => checkHmPatterns({ domain_name: ok }), ok);
    for (const bad of ['-a.com', 'a-.com', 'a..com', 'a b', 'my_host'])
      assert.throws(() => checkHmPatterns({ domain_name: bad }), ApiError, bad);
    assert.equal(checkHmPatterns({ http_version: '1.1' }).http_version, 1.1);
    assert.equal(checkHmPatterns({ http_version: 1 }).http_version, 1);
    assert.equal(
      faultOf(() => checkHmPatterns({ http_version: '1.2' })),
      "Invalid input for field/attribute http_version. Value: '1.2'. Value should be one of: 1.0, 1.1",
    );
  });

  it('matches monitor types to pool protocols', () => {
    for (const type of ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP']) {
      assert.doesNotThrow(() => checkTypeForPool('UDP', type, 5));
      assert.doesNotThrow(() => checkTypeForPool('SCTP', type, 5));
    }
    for (const type of ['HTTPS', 'PING', 'TLS-HELLO']) assert.throws(() => checkTypeForPool('SCTP', type, 5), ApiError);
    for (const type of ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO'])
      assert.doesNotThrow(() => checkTypeForPool('PROXY', type, 5));
    assert.equal(
      faultOf(() => checkTypeForPool('TCP', 'SCTP', 5)),
      'Validation failure: The SCTP type is only supported for pools of type UDP/SCTP.',
    );
    assert.doesNotThrow(() => checkTypeForPool('UDP', 'UDP-CONNECT', 3));
    assert.doesNotThrow(() => checkTypeForPool('UDP', 'UDP-CONNECT', undefined));
    assert.throws(() => checkTypeForPool('UDP', 'UDP-CONNECT', 2), ApiError);
  });

  it('keeps HTTP settings to HTTP monitors', () => {
    assert.doesNotThrow(() => checkHttpOnlyFields('HTTPS', { url_path: '/x' }, false));
    assert.doesNotThrow(() => checkHttpOnlyFields('TCP', { url_path: null, http_method: null }, false));
    assert.equal(
      faultOf(() => checkHttpOnlyFields('TCP', { expected_codes: '200' }, false)),
      'expected_codes is not a valid option for health monitors of type TCP',
    );
    assert.equal(
      faultOf(() => checkHttpOnlyFields('TCP', { url_path: null }, true)),
      'url_path is not a valid option for health monitors of type TCP',
    );
  });

  it('refuses to clear timing on update', () => {
    assert.doesNotThrow(() => checkTimingNotCleared({ delay: 3, name: null }));
    assert.equal(
      faultOf(() => checkTimingNotCleared({ timeout: null })),
      'None is not a valid option for timeout',
    );
  });

  it('needs HTTP/1.1 for a domain name', () => {
    assert.doesNotThrow(() => checkDomainName(null, null));
    assert.doesNotThrow(() => checkDomainName(1.0, null));
    assert.doesNotThrow(() => checkDomainName(1.1, 'example.com'));
    assert.equal(
      faultOf(() => checkDomainName(null, 'example.com')),
      "Validation failure: 'http_version' must be specified when 'domain_name' is provided.",
    );
    assert.equal(
      faultOf(() => checkDomainName(1, 'example.com')),
      'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check',
    );
  });
});
