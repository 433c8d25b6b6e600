import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CURRENT_PARAMS,
  hashPassword,
  passwordNeedsRehash,
  verifyAgainstNothing,
  verifyPassword,
} from '../../src/identity/password-hash.js';

// Cheap parameters keep most cases fast; one case uses the real ones.
const CHEAP = { log2N: 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one (current parameters)', async () => {
    const stored = await hashPassword('correct horse');
    assert.match(
      stored,
      new RegExp(`^scrypt\\$${CURRENT_PARAMS.log2N}\\$${CURRENT_PARAMS.r}\\$${CURRENT_PARAMS.p}\\$`),
    );
    assert.equal(await verifyPassword('correct horse', stored), true);
    assert.equal(await verifyPassword('correct horsE', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('salts every hash: the same password hashes differently, and the hash holds no plain text', async () => {
    const a = await hashPassword('secret-password', CHEAP);
    const b = await hashPassword('secret-password', CHEAP);
    assert.notEqual(a, b);
    assert.ok(!a.includes('secret-password'));
    assert.equal(await verifyPassword('secret-password', a), true);
    assert.equal(await verifyPassword('secret-password', b), true);
  });

  it('keeps its parameters with the hash: an old, cheaper hash still verifies and asks to be redone', async () => {
    const old = await hashPassword('pw', CHEAP);
    assert.equal(await verifyPassword('pw', old), true);
    assert.equal(passwordNeedsRehash(old), true);
    assert.equal(passwordNeedsRehash(await hashPassword('pw')), false);
  });

  it('treats unreadable or tampered hashes as a mismatch, never an error', async () => {
    const good = await hashPassword('pw', CHEAP);
    const parts = good.split('$');
    for (const bad of [
      '',
      'plain',
      'bcrypt$10$8$1$a$b',
      [...parts.slice(0, 5), 'AAAA'].join('$'),
      // Absurd cost parameters are refused before any work is done.
      ['scrypt', '40', '8', '1', parts[4], parts[5]].join('$'),
      ['scrypt', '10', '0', '1', parts[4], parts[5]].join('$'),
    ]) {
      assert.equal(await verifyPassword('pw', bad!), false, bad);
    }
  });

  it('normalises Unicode, so the same text typed two ways matches', async () => {
    const stored = await hashPassword('caf\u00e9', CHEAP);
    assert.equal(await verifyPassword('cafe\u0301', stored), true);
  });

  it('spends a verification for users that do not exist and always says no', async () => {
    assert.equal(await verifyAgainstNothing('anything'), false);
  });
});
