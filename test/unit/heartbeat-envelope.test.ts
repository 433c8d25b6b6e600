import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import { decodeEnvelope, encodeEnvelope, EnvelopeError } from '../../src/heartbeat/envelope.js';
import { orderedMessage, parseHeartbeat, type HeartbeatMessage } from '../../src/heartbeat/message.js';
import { pythonJson } from '../../src/heartbeat/python-json.js';

/**
 * The vectors below were produced once with CPython 3.11 (`json.dumps`, `zlib.compress(body, 9)`,
 * `hmac.new(key, payload, sha256).hexdigest()`), the way an Octavia amphora builds a heartbeat.
 */
const KEY = 'insecure-test-key';
const MESSAGE: HeartbeatMessage = {
  id: '6b4c1a8e-0f3d-4a3e-9b1a-2f5d8c7e9a10',
  seq: 1764086400123,
  listeners: {
    'a1b2c3d4-0000-4000-8000-000000000001': {
      status: 'OPEN',
      stats: { tx: 1024, rx: 512, conns: 3, totconns: 7, ereq: 0 },
    },
  },
  pools: {
    'p0000000-0000-4000-8000-000000000002:a1b2c3d4-0000-4000-8000-000000000001': {
      status: 'UP',
      members: {
        'm0000000-0000-4000-8000-000000000003': 'UP',
        'm0000000-0000-4000-8000-000000000004': 'DOWN',
        'm0000000-0000-4000-8000-000000000005': 'no check',
      },
    },
  },
  ver: 3,
};
const PYTHON_BODY =
  '{"id": "6b4c1a8e-0f3d-4a3e-9b1a-2f5d8c7e9a10", "seq": 1764086400123, "listeners": {"a1b2c3d4-0000-4000-8000-000000000001": ' +
  '{"status": "OPEN", "stats": {"tx": 1024, "rx": 512, "conns": 3, "totconns": 7, "ereq": 0}}}, "pools": ' +
  '{"p0000000-0000-4000-8000-000000000002:a1b2c3d4-0000-4000-8000-000000000001": {"status": "UP", "members": ' +
  '{"m0000000-0000-4000-8000-000000000003": "UP", "m0000000-0000-4000-8000-000000000004": "DOWN", ' +
  '"m0000000-0000-4000-8000-000000000005": "no check"}}}, "ver": 3}';
const PYTHON_DATAGRAM_HEX =
  '78da9d504d0f82300cfd2b646797ec0b41cf7a152ec6f318351a81294c6362f8efb6a0d1931a9bb469bbd7beb7ded8be64f3884d0be3a4' +
  '4d818bad2eb9b11af8ac9096ab6d5ca62e819995824d22d6c109e132991a91a20ba93476ab7d17a081b6c3b71bb3b2504e97860b346e28' +
  'a414c4cbe400ec820d679a6159be5c0debb1332e0957e211ca60b7a53c960a53e79b8600c41a7c78960996d00eda44dff7581dbdafc64d' +
  'c707e707396afe87e6754e8a6ba88be7c7ebef4cfa6df23bda107a916d563fe263c2373e723b7007361ee2022dddabbf03b564756c3331' +
  '3939636664653962643165636232663165623762306438653737376163326562303833633833643039393966333163353330656665643' +
  '034353536393231';

describe('heartbeat envelope', () => {
  it('serialises JSON byte for byte as Python json.dumps does', () => {
    assert.equal(pythonJson(orderedMessage(MESSAGE)), PYTHON_BODY);
    assert.equal(
      pythonJson({ 'caf\u00e9\u{1F600}': ['a"b\\c\n', 1, null, true], del: '\u007f' }),
      '{"caf\\u00e9\\ud83d\\ude00": ["a\\"b\\\\c\\n", 1, null, true], "del": "\\u007f"}',
    );
  });

  it('frames a known message as an Octavia amphora does: zlib of the exact JSON, then the hex HMAC of those bytes', () => {
    // Node bundles Chromium's zlib fork, whose deflate picks other (equally valid) blocks than CPython's
    // zlib 1.2.13, so the compressed bytes differ; the HMAC covers whatever bytes are sent, and the
    // signed JSON inside is byte for byte Python's.
    const datagram = encodeEnvelope(orderedMessage(MESSAGE), KEY);
    const payload = datagram.subarray(0, datagram.length - 64);
    assert.equal(inflateSync(payload).toString('utf8'), PYTHON_BODY);
    assert.equal(payload[0], 0x78);
    assert.equal(payload[1], 0xda, 'zlib header of compression level 9');
    assert.equal(
      datagram.subarray(datagram.length - 64).toString('ascii'),
      createHmac('sha256', KEY).update(payload).digest('hex'),
    );
    const python = Buffer.from(PYTHON_DATAGRAM_HEX, 'hex');
    assert.equal(inflateSync(python.subarray(0, python.length - 64)).toString('utf8'), PYTHON_BODY);
  });

  it('decodes the Python datagram and the legacy raw-digest form', () => {
    assert.deepEqual(decodeEnvelope(Buffer.from(PYTHON_DATAGRAM_HEX, 'hex'), KEY), MESSAGE);
    const payload = deflateSync(Buffer.from(PYTHON_BODY), { level: 9 });
    const legacy = Buffer.concat([payload, createHmac('sha256', KEY).update(payload).digest()]);
    assert.deepEqual(decodeEnvelope(legacy, KEY), MESSAGE);
  });

  it('refuses a forged, tampered, truncated or oversized datagram', () => {
    const good = Buffer.from(PYTHON_DATAGRAM_HEX, 'hex');
    const reason = (datagram: Buffer, key = KEY) => {
      try {
        decodeEnvelope(datagram, key);
        return 'accepted';
      } catch (err) {
        return err instanceof EnvelopeError ? err.reason : String(err);
      }
    };
    assert.equal(reason(good, 'another-key'), 'bad-signature');
    const tampered = Buffer.from(good);
    tampered[10] = tampered[10]! ^ 0xff;
    assert.equal(reason(tampered), 'bad-signature');
    assert.equal(reason(good.subarray(0, good.length - 1)), 'bad-signature');
    assert.equal(reason(good.subarray(0, 40)), 'too-short');
    assert.equal(reason(Buffer.alloc(70_000)), 'too-long');
    const notZlib = Buffer.from('not zlib at all, but signed');
    const signed = Buffer.concat([notZlib, Buffer.from(createHmac('sha256', KEY).update(notZlib).digest('hex'))]);
    assert.equal(reason(signed), 'bad-compression');
  });

  it('accepts only well-formed v2/v3 messages', () => {
    assert.deepEqual(parseHeartbeat(MESSAGE), MESSAGE);
    assert.equal(parseHeartbeat({ ...MESSAGE, ver: 1 }), undefined);
    assert.equal(parseHeartbeat({ ...MESSAGE, seq: -1 }), undefined);
    assert.equal(parseHeartbeat({ ...MESSAGE, id: 42 }), undefined);
    const badStats = structuredClone(MESSAGE) as unknown as { listeners: Record<string, { stats: { tx: unknown } }> };
    badStats.listeners['a1b2c3d4-0000-4000-8000-000000000001']!.stats.tx = '12';
    assert.equal(parseHeartbeat(badStats), undefined);
  });
});
