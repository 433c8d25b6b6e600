import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_THROTTLE, LoginThrottle, throttleDelayMs } from '../../src/identity/login-throttle.js';

describe('brute-force delay schedule', () => {
  it('is free for the first failures, then doubles from 0.25 s up to 8 s', () => {
    const delays = Array.from({ length: 12 }, (_, failures) => throttleDelayMs(failures));
    assert.deepEqual(delays, [0, 0, 0, 0, 250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(throttleDelayMs(10_000), DEFAULT_THROTTLE.maxDelayMs);
  });
});

describe('login throttle', () => {
  function clocked() {
    let now = 1_000_000;
    const throttle = new LoginThrottle(DEFAULT_THROTTLE, () => now);
    return { throttle, advance: (ms: number) => (now += ms) };
  }

  it('makes each further failure wait longer, and a success resets the key', () => {
    const { throttle, advance } = clocked();
    const keys = ['user:alice', 'addr:127.0.0.1'];
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const { waitMs, refuse } = throttle.admit(keys);
      assert.equal(refuse, false);
      waits.push(waitMs);
      advance(waitMs);
      throttle.recordFailure(keys);
    }
    assert.deepEqual(waits, [0, 0, 0, 0, 250, 500, 1000]);
    assert.equal(throttle.admit(keys).waitMs, 2000);
    advance(2000);
    throttle.recordSuccess(keys);
    assert.equal(throttle.failures('user:alice'), 0);
    assert.equal(throttle.admit(keys).waitMs, 0);
  });

  it('queues attempts that arrive together one delay apart, and refuses beyond the queue limit', () => {
    const { throttle } = clocked();
    for (let i = 0; i < 6; i++) throttle.recordFailure(['user:bob']); // next delay: 1 s
    const waits = Array.from({ length: 40 }, () => throttle.admit(['user:bob']));
    assert.deepEqual(
      waits.slice(0, 3).map((w) => w.waitMs),
      [1000, 2000, 3000],
    );
    const refused = waits.filter((w) => w.refuse);
    assert.ok(refused.length > 0, 'a long queue is cut off');
    assert.ok(waits.every((w) => w.waitMs <= DEFAULT_THROTTLE.maxQueueMs));
  });

  it('counts keys separately: the slowest key decides', () => {
    const { throttle } = clocked();
    for (let i = 0; i < 5; i++) throttle.recordFailure(['addr:10.0.0.1']);
    assert.equal(throttle.admit(['user:carol', 'addr:10.0.0.2']).waitMs, 0);
    assert.equal(throttle.admit(['user:carol', 'addr:10.0.0.1']).waitMs, 500);
  });

  it('forgets a key after a quiet spell', () => {
    const { throttle, advance } = clocked();
    for (let i = 0; i < 8; i++) throttle.recordFailure(['user:dave']);
    assert.ok(throttle.admit(['user:dave']).waitMs > 0);
    advance(DEFAULT_THROTTLE.forgetAfterMs + 1);
    assert.equal(throttle.failures('user:dave'), 0);
    assert.equal(throttle.admit(['user:dave']).waitMs, 0);
  });

  it('keeps a bounded number of keys', () => {
    const { throttle } = clocked();
    for (let i = 0; i < 10_050; i++) throttle.recordFailure([`user:${i}`]);
    assert.equal(throttle.failures('user:0'), 0, 'the oldest key was dropped');
    assert.equal(throttle.failures('user:10049'), 1);
  });
});
