import { decodeEnvelope, EnvelopeError, type EnvelopeRejection } from '../heartbeat/envelope.js';
import { parseHeartbeat, type HeartbeatMessage } from '../heartbeat/message.js';

/** Why a datagram never reached a batch. */
export type IntakeRejection = EnvelopeRejection | 'malformed';

/**
 * Open one datagram: signature, compression, JSON, then the message's shape. Nothing here touches the
 * database, so a flood of forged datagrams costs one HMAC each.
 */
export function openDatagram(
  datagram: Buffer,
  key: string,
): { message: HeartbeatMessage } | { rejected: IntakeRejection } {
  let decoded: unknown;
  try {
    decoded = decodeEnvelope(datagram, key);
  } catch (err) {
    if (err instanceof EnvelopeError) return { rejected: err.reason };
    throw err;
  }
  const message = parseHeartbeat(decoded);
  return message ? { message } : { rejected: 'malformed' };
}
