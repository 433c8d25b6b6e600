import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthRequest } from '../../src/identity/auth-request.js';
import { KeystoneError } from '../../src/identity/keystone-errors.js';

const password = (user: object, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope === undefined ? {} : { scope }) },
});

describe('auth request parsing', () => {
  it('reads a password by name and domain with a project scope by name', () => {
    const parsed = parseAuthRequest(
      password(
        { name: 'demo', domain: { name: 'Default' }, password: 'pw' },
        { project: { name: 'demo', domain: { id: 'default' } } },
      ),
    );
    assert.deepEqual(parsed, {
      identity: { method: 'password', user: { name: 'demo', domain: { name: 'Default' } }, password: 'pw' },
      scope: { kind: 'project', project: { name: 'demo', domain: { id: 'default' } } },
    });
  });

  it('reads a user id, a token rescope, and the scope spellings', () => {
    assert.deepEqual(parseAuthRequest(password({ id: 'u1', password: 'pw' })).scope, { kind: 'default' });
    assert.deepEqual(parseAuthRequest(password({ id: 'u1', password: 'pw' }, 'unscoped')).scope, { kind: 'unscoped' });
    assert.deepEqual(parseAuthRequest(password({ id: 'u1', password: 'pw' }, { domain: { id: 'default' } })).scope, {
      kind: 'unsupported',
    });
    const rescope = parseAuthRequest({
      auth: { identity: { methods: ['token'], token: { id: 'abc' } }, scope: { project: { id: 'p1' } } },
    });
    assert.deepEqual(rescope, {
      identity: { method: 'token', token: 'abc' },
      scope: { kind: 'project', project: { id: 'p1' } },
    });
  });

  const status = (body: unknown) => {
    try {
      parseAuthRequest(body);
      return 0;
    } catch (err) {
      assert.ok(err instanceof KeystoneError);
      return err.statusCode;
    }
  };

  it('answers 400 for malformed bodies', () => {
    for (const body of [
      undefined,
      [],
      {},
      { auth: 1 },
      { auth: {} },
      { auth: { identity: { methods: 'password' } } },
      { auth: { identity: { methods: [] } } },
      { auth: { identity: { methods: ['password'] } } },
      { auth: { identity: { methods: ['password'], password: { user: { name: 'x', password: 'y' } } } } },
      password({ name: 'x', domain: {}, password: 'y' }),
      password({ name: 'x', domain: { id: 'default' } }),
      password({ name: 'x', domain: { id: 'default' }, password: 5 }),
      password({ name: '', domain: { id: 'default' }, password: 'y' }),
      password({ id: 'u', password: 'y' }, { project: {} }),
      password({ id: 'u', password: 'y' }, 7),
      { auth: { identity: { methods: ['token'], token: {} } } },
    ]) {
      assert.equal(status(body), 400, JSON.stringify(body));
    }
  });

  it('answers 401 for methods it does not offer', () => {
    assert.equal(status({ auth: { identity: { methods: ['totp'], totp: {} } } }), 401);
    assert.equal(status({ auth: { identity: { methods: ['password', 'token'] } } }), 401);
  });
});
