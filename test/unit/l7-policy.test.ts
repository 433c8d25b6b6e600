import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../src/common/errors.js';
import { placeInOrder } from '../../src/api/resources/l7/l7policy-positions.js';
import {
  isRedirectUrl,
  resolveRedirect,
  sanitizeRedirectArgs,
  type PolicyRedirect,
} from '../../src/api/resources/l7/l7policy-sanitize.js';

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.statusCode, 400);
    return err.message;
  }
  assert.fail('expected a fault');
}

const POOL = '3bcb63eb-e15b-44c0-9b3c-4af998181520';
const NONE: PolicyRedirect = {
  action: 'REJECT',
  redirect_pool_id: null,
  redirect_url: null,
  redirect_prefix: null,
  redirect_http_code: null,
};
const create = (body: Record<string, unknown>) =>
  resolveRedirect({ ...NONE, action: body.action as string }, sanitizeRedirectArgs(body, true));

describe('L7 policy action sanitising', () => {
  it('drops the targets the stated action does not use', () => {
    assert.deepEqual(create({ action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_url: 'http://x' }), {
      ...NONE,
      action: 'REDIRECT_TO_POOL',
      redirect_pool_id: POOL,
    });
    assert.deepEqual(create({ action: 'REDIRECT_TO_URL', redirect_url: 'http://x', redirect_pool_id: POOL }), {
      ...NONE,
      action: 'REDIRECT_TO_URL',
      redirect_url: 'http://x',
      redirect_http_code: 302,
    });
    assert.deepEqual(create({ action: 'REJECT', redirect_pool_id: POOL, redirect_http_code: 301 }), NONE);
  });

  it('lets a redirect attribute the action keeps decide the action', () => {
    assert.deepEqual(create({ action: 'REJECT', redirect_prefix: 'http://p' }), {
      ...NONE,
      action: 'REDIRECT_PREFIX',
      redirect_prefix: 'http://p',
      redirect_http_code: 302,
    });
    assert.deepEqual(
      create({
        action: 'REDIRECT_PREFIX',
        redirect_prefix: 'http://p',
        redirect_url: 'http://u',
        redirect_http_code: 301,
      }),
      { ...NONE, action: 'REDIRECT_TO_URL', redirect_url: 'http://u', redirect_http_code: 301 },
    );
    assert.deepEqual(sanitizeRedirectArgs({ redirect_pool_id: POOL }, false), {
      redirect_pool_id: POOL,
      action: 'REDIRECT_TO_POOL',
      redirect_url: null,
      redirect_prefix: null,
      redirect_http_code: null,
    });
  });

  it('refuses a pool with a URL or prefix, and a redirect action without its target', () => {
    const both =
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time';
    assert.equal(
      faultOf(() => create({ action: 'REDIRECT_PREFIX', redirect_prefix: 'http://p', redirect_pool_id: POOL })),
      both,
    );
    assert.equal(
      faultOf(() => sanitizeRedirectArgs({ redirect_pool_id: POOL, redirect_url: 'http://u' }, false)),
      both,
    );
    assert.equal(
      faultOf(() => create({ action: 'REDIRECT_TO_URL', redirect_url: '' })),
      'Invalid L7 Policy arguments: redirect_url must not be None',
    );
    assert.equal(
      faultOf(() => create({ action: 'REDIRECT_TO_POOL' })),
      'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None',
    );
    assert.equal(
      faultOf(() => sanitizeRedirectArgs({}, false)),
      'Invalid L7 Policy arguments: Invalid update options',
    );
    assert.equal(
      faultOf(() => sanitizeRedirectArgs({ action: null }, false)),
      'Invalid L7 Policy action specified: None',
    );
  });

  it('checks the merged state of an update', () => {
    const url: PolicyRedirect = {
      ...NONE,
      action: 'REDIRECT_TO_URL',
      redirect_url: 'http://u',
      redirect_http_code: 307,
    };
    assert.deepEqual(resolveRedirect(url, { name: 'x' }), url);
    assert.deepEqual(resolveRedirect(url, { redirect_http_code: null }), { ...url, redirect_http_code: 302 });
    assert.equal(
      faultOf(() => resolveRedirect(url, { redirect_url: null })),
      'Invalid L7 Policy arguments: redirect_url must not be None',
    );
    assert.deepEqual(resolveRedirect(url, sanitizeRedirectArgs({ action: 'REJECT' }, false)), NONE);
  });

  it('accepts only http(s) URLs with a host', () => {
    for (const ok of [
      'http://a',
      'https://a.example:8443/p?q=1#f',
      'HTTP://A.EXAMPLE',
      'http://u:p@[::1]/',
      'http://x/%20',
    ])
      assert.ok(isRedirectUrl(ok), ok);
    for (const bad of [
      '',
      'a.example',
      'ftp://a',
      'http:a',
      'http://',
      'http:///a',
      'http://a b',
      'http://a/\t',
      'http://a/"',
      'http://a/%g0',
      'http://a:99999/',
    ])
      assert.ok(!isRedirectUrl(bad), bad);
  });
});

describe('L7 policy positions', () => {
  it('inserts before the holder of the position, appends past the end, and moves an existing policy', () => {
    assert.deepEqual(placeInOrder(['a', 'b', 'c'], 'n', 1), ['n', 'a', 'b', 'c']);
    assert.deepEqual(placeInOrder(['a', 'b', 'c'], 'n', 3), ['a', 'b', 'n', 'c']);
    assert.deepEqual(placeInOrder(['a', 'b', 'c'], 'n', 2147483647), ['a', 'b', 'c', 'n']);
    assert.deepEqual(placeInOrder(['a', 'b', 'c'], 'c', 1), ['c', 'a', 'b']);
    assert.deepEqual(placeInOrder(['a', 'b', 'c'], 'a', 3), ['b', 'c', 'a']);
  });

  it('always yields every policy once, with the placed one at min(position, n)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string(), { maxLength: 20 }),
        fc.string(),
        fc.integer({ min: 1, max: 2147483647 }),
        (ids, id, position) => {
          const order = placeInOrder(ids, id, position);
          const expected = new Set([...ids, id]);
          assert.equal(order.length, expected.size);
          assert.deepEqual(new Set(order), expected);
          assert.equal(order.indexOf(id) + 1, Math.min(position, expected.size));
          assert.deepEqual(
            order.filter((x) => x !== id),
            ids.filter((x) => x !== id),
            'the others keep their order',
          );
        },
      ),
    );
  });
});
