import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalTokenValidator } from '../../src/identity/local-token-validator.js';
import { purgeExpiredTokens } from '../../src/identity/token-store.js';
import { issueToken, TestIdentity } from '../helpers/identity.js';

describe('identity: token expiry', () => {
  let id: TestIdentity;
  before(async () => {
    id = await TestIdentity.start({ overrides: { identity: { port: 0, tokenTtlSeconds: 1 } } });
  });
  after(() => id.stop());

  it('refuses a token once its lifetime is over, everywhere, and purges its row later', async () => {
    const admin = await issueToken(id.url, 'admin', await id.password('admin'), 'admin');
    const demo = await issueToken(id.url, 'demo', await id.password('demo'), 'demo');
    const ttl = Date.parse(demo.body.token.expires_at) - Date.parse(demo.body.token.issued_at);
    assert.equal(ttl, 1000);
    const validator = createLocalTokenValidator(id.db);
    assert.ok(await validator.validate(demo.token));
    await new Promise((r) => setTimeout(r, 1200));
    // The validator's cache does not outlive the token.
    assert.equal(await validator.validate(demo.token), undefined);
    assert.equal(await createLocalTokenValidator(id.db).validate(demo.token), undefined);
    const check = await id.request('GET', '/v3/auth/tokens', {
      token: demo.token,
      headers: { 'x-subject-token': demo.token },
    });
    assert.equal(check.status, 401, 'an expired caller is unauthenticated');
    const rescope = await id.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: admin.token } } } },
    });
    assert.equal(rescope.status, 401, 'an expired token cannot be rescoped');
    assert.equal(await purgeExpiredTokens(id.db, 0), 2);
    assert.equal((await id.db.kysely.selectFrom('identity_token').selectAll().execute()).length, 0);
  });
});

describe('identity: brute force on the token endpoint', () => {
  let id: TestIdentity;
  const waits: number[] = [];
  before(async () => {
    id = await TestIdentity.start({
      api: {
        // The real schedule's shape, shortened: 3 free failures, then 100 ms doubling to 800 ms.
        throttle: { freeFailures: 3, baseDelayMs: 100, maxDelayMs: 800, forgetAfterMs: 60_000, maxQueueMs: 10_000 },
        sleep: async (ms) => {
          waits.push(ms);
          await new Promise((r) => setTimeout(r, ms));
        },
      },
    });
  });
  after(() => id.stop());

  async function attempt(password: string): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const res = await id.request('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { id: 'default' }, password } },
          },
          scope: { project: { name: 'demo', domain: { id: 'default' } } },
        },
      },
    });
    return { status: res.status, ms: performance.now() - started };
  }

  it('answers each further wrong password later, and the right password still works (after its wait)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const { status, ms } = await attempt('wrong-password');
      assert.equal(status, 401);
      times.push(ms);
    }
    assert.deepEqual(waits, [100, 200, 400]);
    // The answers themselves slow down by at least the waits.
    assert.ok(times[4]! >= 100 && times[5]! >= 200 && times[6]! >= 400, times.join(','));
    const ok = await attempt(await id.password('demo'));
    assert.equal(ok.status, 201);
    assert.ok(ok.ms >= 800, `the right password waited ${ok.ms} ms too`);
    assert.deepEqual(waits, [100, 200, 400, 800]);
    // A success resets the count: the next failures are free again.
    waits.length = 0;
    assert.equal((await attempt('wrong')).status, 401);
    assert.deepEqual(waits, []);
  });

  it('queues parallel guesses one delay apart instead of letting them through together', async () => {
    for (let i = 0; i < 4; i++) await attempt('wrong'); // now 5 failures: the next waits 200 ms
    waits.length = 0;
    const started = performance.now();
    const results = await Promise.all([attempt('a'), attempt('b'), attempt('c')]);
    assert.ok(results.every((r) => r.status === 401));
    const sorted = [...waits].sort((a, b) => a - b);
    assert.equal(sorted.length, 3);
    [200, 400, 600].forEach((expected, i) => assert.ok(Math.abs(sorted[i]! - expected) <= 50, sorted.join(',')));
    assert.ok(performance.now() - started >= 550);
    assert.equal((await attempt(await id.password('demo'))).status, 201);
  });
});
