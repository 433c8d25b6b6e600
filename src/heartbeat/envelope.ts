import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { pythonJson } from './python-json.js';

/**
 * Octavia's heartbeat envelope: `zlib(json, level 9) + hex(HMAC-SHA256(key, zlib bytes))`. The receiver
 * checks the 64 hex characters at the end and, for older amphorae, a raw 32-byte digest.
 */

const HEX_DIGEST_BYTES = 64;
const RAW_DIGEST_BYTES = 32;
/** Octavia's receive buffer; a longer datagram is not a heartbeat. */
export const MAX_DATAGRAM_BYTES = 64 * 1024;
/** A heartbeat inflates to a few kB per listener; this bounds a zlib bomb. */
const MAX_INFLATED_BYTES = 4 * 1024 * 1024;
const INFLATE_CHUNK_BYTES = 2048;

/** Why a datagram was not accepted; the health manager counts each reason. */
export type EnvelopeRejection = 'too-short' | 'too-long' | 'bad-signature' | 'bad-compression' | 'bad-json';

export class EnvelopeError extends Error {
  constructor(readonly reason: EnvelopeRejection) {
    super(`heartbeat rejected: ${reason}`);
  }
}

/** Heartbeats arrive by the thousand with one key: its key object is made once, not per HMAC. */
let lastKey: { text: string; object: KeyObject } | undefined;
function keyObject(key: string): KeyObject {
  if (lastKey?.text !== key) lastKey = { text: key, object: createSecretKey(Buffer.from(key, 'utf8')) };
  return lastKey.object;
}

/** Sign `message` the way an Octavia amphora does. */
export function encodeEnvelope(message: unknown, key: string): Buffer {
  const payload = deflateSync(Buffer.from(pythonJson(message), 'utf8'), { level: 9 });
  const digest = createHmac('sha256', keyObject(key)).update(payload).digest('hex');
  return Buffer.concat([payload, Buffer.from(digest, 'ascii')]);
}

/** Verify and open a datagram; throws EnvelopeError. The JSON is returned unvalidated. */
export function decodeEnvelope(datagram: Buffer, key: string): unknown {
  if (datagram.length > MAX_DATAGRAM_BYTES) throw new EnvelopeError('too-long');
  if (datagram.length <= HEX_DIGEST_BYTES) throw new EnvelopeError('too-short');
  let payload = datagram.subarray(0, datagram.length - HEX_DIGEST_BYTES);
  if (!digestMatches(payload, datagram.subarray(datagram.length - HEX_DIGEST_BYTES), key, 'hex')) {
    payload = datagram.subarray(0, datagram.length - RAW_DIGEST_BYTES);
    if (!digestMatches(payload, datagram.subarray(datagram.length - RAW_DIGEST_BYTES), key, 'raw'))
      throw new EnvelopeError('bad-signature');
  }
  let text: string;
  try {
    // A heartbeat inflates to a few hundred bytes per listener: small chunks, not zlib's default 16 KiB buffer.
    text = inflateSync(payload, { maxOutputLength: MAX_INFLATED_BYTES, chunkSize: INFLATE_CHUNK_BYTES }).toString(
      'utf8',
    );
  } catch {
    throw new EnvelopeError('bad-compression');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new EnvelopeError('bad-json');
  }
}

function digestMatches(payload: Buffer, received: Buffer, key: string, form: 'hex' | 'raw'): boolean {
  const digest = createHmac('sha256', keyObject(key)).update(payload).digest();
  const expected = form === 'hex' ? Buffer.from(digest.toString('hex'), 'ascii') : digest;
  return received.length === expected.length && timingSafeEqual(received, expected);
}
