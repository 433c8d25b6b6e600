import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  forwardingTableName,
  isForwardingTable,
  ownerComment,
  parseForwards,
  parseTableComment,
  parseTableNames,
  renderForwardingScript,
} from '../../src/network/floating/nft-script.js';

describe('nftables script for floating IPs', () => {
  it('names one table per data dir', () => {
    const a = forwardingTableName('/tmp/a');
    assert.match(a, /^tavia_[0-9a-f]{8}$/);
    assert.equal(a, forwardingTableName('/tmp/a'));
    assert.notEqual(a, forwardingTableName('/tmp/b'));
    assert.ok(isForwardingTable(a));
    assert.ok(!isForwardingTable('filter'));
  });

  it('flushes and rewrites both chains in one script, skipping what is not IPv4', () => {
    const script = renderForwardingScript(
      'tavia_00000001',
      [
        { floating: '127.24.4.9', fixed: '127.10.0.5' },
        { floating: 'fe80::1', fixed: '127.10.0.6' },
        { floating: '127.24.4.10; drop', fixed: '127.10.0.7' },
      ],
      '/tmp/x',
    );
    const lines = script.trim().split('\n');
    assert.equal(lines[0], 'add table ip tavia_00000001 { comment "/tmp/x"; }');
    assert.ok(lines.indexOf('flush table ip tavia_00000001') < lines.findIndex((l) => l.startsWith('add rule')));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('add rule')),
      [
        'add rule ip tavia_00000001 output ip daddr 127.24.4.9 dnat to 127.10.0.5',
        'add rule ip tavia_00000001 prerouting ip daddr 127.24.4.9 dnat to 127.10.0.5',
      ],
    );
    assert.ok(lines.some((l) => l.includes('hook output priority -100')));
    assert.ok(lines.some((l) => l.includes('hook prerouting priority dstnat')));
  });

  it('writes a comment only for plain paths', () => {
    assert.equal(ownerComment('/tmp/tavia-test-abc'), '/tmp/tavia-test-abc');
    assert.equal(ownerComment('/tmp/has "quote"'), undefined);
    assert.equal(ownerComment('/tmp/new\nline'), undefined);
  });

  it('reads tables, comments and rules back from nft listings', () => {
    assert.deepEqual(parseTableNames('table ip filter\ntable ip6 x\ntable ip tavia_0000000a\n'), [
      'filter',
      'tavia_0000000a',
    ]);
    const listing = `table ip tavia_0000000a {
\tcomment "/tmp/d"
\tchain output {
\t\ttype nat hook output priority -100; policy accept;
\t\tip daddr 127.24.4.9 dnat to 127.10.0.5
\t}

\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip daddr 127.24.4.9 dnat to 127.10.0.5
\t}
}`;
    assert.equal(parseTableComment(listing), '/tmp/d');
    assert.deepEqual(parseForwards(listing), [{ floating: '127.24.4.9', fixed: '127.10.0.5' }]);
  });
});
