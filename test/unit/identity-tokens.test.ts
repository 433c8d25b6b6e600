import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withImpliedRoleNames } from '../../src/identity/implied-roles.js';
import { keystoneTime } from '../../src/identity/keystone-format.js';
import { hashToken, newAuditId, newTokenSecret } from '../../src/identity/token-secret.js';

describe('token secrets', () => {
  it('are 32 random bytes in base64url, each different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const token = newTokenSecret();
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      seen.add(token);
    }
    assert.equal(seen.size, 200);
  });

  it('are stored as a SHA-256 that differs from the token and is the same every time', () => {
    const token = newTokenSecret();
    const hash = hashToken(token);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(hashToken(token), hash);
    assert.notEqual(hashToken(newTokenSecret()), hash);
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('audit ids are 22 URL-safe characters', () => {
    assert.match(newAuditId(), /^[A-Za-z0-9_-]{22}$/);
  });

  it('timestamps are written as Keystone writes them: microseconds and Z', () => {
    assert.equal(keystoneTime(Date.UTC(2026, 11, 5, 12, 0, 0, 0)), '2026-12-05T12:00:00.000000Z');
    assert.equal(keystoneTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
  });
});

describe('implied roles', () => {
  it('admin implies member and reader; member implies reader; others imply nothing', () => {
    assert.deepEqual(withImpliedRoleNames(['admin']), ['admin', 'member', 'reader']);
    assert.deepEqual(withImpliedRoleNames(['member', 'load-balancer_member']), [
      'member',
      'reader',
      'load-balancer_member',
    ]);
    assert.deepEqual(withImpliedRoleNames(['load-balancer_observer']), ['load-balancer_observer']);
    assert.deepEqual(withImpliedRoleNames(['reader', 'admin']), ['reader', 'admin', 'member']);
    assert.deepEqual(withImpliedRoleNames([]), []);
  });
});
