import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type TlsOptions } from 'node:tls';
import type { IssuedCertificate } from './certificate-authority.js';

/** The minimum TLS version on the amphora agent channel, both sides. */
const MIN_VERSION = 'TLSv1.2';

/**
 * TLS options of the amphora agent's API server: its own certificate, and only clients holding a
 * certificate from the control plane CA are let in.
 */
export function agentServerTlsOptions(server: IssuedCertificate): TlsOptions {
  return {
    cert: server.certPem,
    key: server.keyPem,
    ca: server.caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: MIN_VERSION,
  };
}

/**
 * TLS options the controller dials an amphora agent with: its client certificate, trust in the
 * control plane CA only, and the peer must be the amphora `amphoraId` whatever address was dialled
 * (the controller connects by IP; the certificate names the amphora).
 */
export function agentClientTlsOptions(client: IssuedCertificate, amphoraId: string): ConnectionOptions {
  return {
    cert: client.certPem,
    key: client.keyPem,
    ca: client.caPem,
    rejectUnauthorized: true,
    minVersion: MIN_VERSION,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(amphoraId, cert),
  };
}
