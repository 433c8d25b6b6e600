import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalPath } from '../../src/api/app.js';
import { pageLinks, parseListParams, selectFields } from '../../src/api/listing.js';
import { ApiError } from '../../src/common/errors.js';

const SPEC = {
  columns: { id: 'id', name: 'name', created_at: 'created_at', admin_state_up: 'admin_state_up' },
  kinds: { admin_state_up: 'bool' as const },
};

describe('parseListParams', () => {
  it('defaults to the max limit and orders by created_at then id', () => {
    const p = parseListParams({}, SPEC, 1000);
    assert.equal(p.limit, 1000);
    assert.deepEqual(
      p.sort.map((s) => [s.key, s.desc]),
      [
        ['created_at', false],
        ['id', false],
      ],
    );
  });

  it('reads sort=k:dir lists and the legacy sort_key/sort_dir', () => {
    assert.deepEqual(
      parseListParams({ sort: 'name:desc' }, SPEC, 1000).sort.map((s) => [s.key, s.desc]),
      [
        ['name', true],
        ['created_at', true],
        ['id', true],
      ],
    );
    assert.deepEqual(parseListParams({ sort_key: 'name', sort_dir: 'desc' }, SPEC, 1000).sort[0], {
      column: 'name',
      key: 'name',
      desc: true,
    });
  });

  it('refuses unknown sort keys, filters and bad limits with a 400', () => {
    for (const q of [
      { sort: 'bogus' },
      { bogus: 'x' },
      { limit: 'abc' },
      { sort: 'name:sideways' },
      { admin_state_up: 'maybe' },
    ]) {
      assert.throws(
        () => parseListParams(q, SPEC, 1000),
        (e: unknown) => e instanceof ApiError && e.statusCode === 400,
      );
    }
  });

  it('caps limit at the max and reads filters with their types', () => {
    const p = parseListParams({ limit: '5000', admin_state_up: 'false', name: 'lb1' }, SPEC, 1000);
    assert.equal(p.limit, 1000);
    assert.deepEqual(p.filters, [
      { column: 'admin_state_up', value: false },
      { column: 'name', value: 'lb1' },
    ]);
  });
});

describe('pageLinks', () => {
  it('gives next for a full page and previous when a marker was sent, as Octavia', () => {
    const p = parseListParams({ limit: '2', marker: 'a' }, SPEC, 1000);
    const links = pageLinks('http://h/v2/lbaas/loadbalancers', p, ['b', 'c']);
    assert.deepEqual(links, [
      { href: 'http://h/v2/lbaas/loadbalancers?limit=2&marker=b&page_reverse=True', rel: 'previous' },
      { href: 'http://h/v2/lbaas/loadbalancers?limit=2&marker=c', rel: 'next' },
    ]);
    assert.deepEqual(pageLinks('http://h/x', parseListParams({ limit: '3' }, SPEC, 1000), ['a']), []);
  });
});

describe('selectFields', () => {
  it('keeps the requested attributes in the resource order', () => {
    assert.deepEqual(selectFields({ id: 1, name: 'n', x: 2 }, ['name', 'id']), { id: 1, name: 'n' });
  });
});

describe('canonicalPath', () => {
  it('maps every spelling Octavia accepts onto /v2/lbaas', () => {
    assert.equal(canonicalPath('/v2.0/lbaas/loadbalancers?x=1'), '/v2/lbaas/loadbalancers?x=1');
    assert.equal(canonicalPath('/v2/loadbalancers/abc.json'), '/v2/lbaas/loadbalancers/abc');
    assert.equal(canonicalPath('/v2.0/octavia/amphorae/'), '/v2/octavia/amphorae');
    assert.equal(canonicalPath('/v2.0'), '/v2');
    assert.equal(canonicalPath('/'), '/');
  });
});
