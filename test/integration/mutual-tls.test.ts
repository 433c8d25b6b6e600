import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentClientTlsOptions, agentServerTlsOptions } from '../../src/certs/agent-tls.js';
import { CertificateAuthority, type IssuedCertificate } from '../../src/certs/certificate-authority.js';
import { FileCertificateStore } from '../../src/certs/certificate-store.js';

/** Every request gives up after this long, so a hung handshake fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 5000;
const AMPHORA_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';

interface Outcome {
  status: number;
  body: string;
}

/** One GET over TLS with `tls` options; resolves with the answer, rejects with the TLS/socket error. */
function get(port: number, tls: ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/info', method: 'GET', agent: false, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('mutual TLS between the controller and an amphora agent', () => {
  const dirs: string[] = [];
  let ca: CertificateAuthority;
  let controller: IssuedCertificate;
  let server: Server;
  let port: number;
  /** Handshake errors the server reported (`tlsClientError`): its side of a refusal. */
  const serverRefusals: NodeJS.ErrnoException[] = [];
  let handled = 0;

  /** The next handshake refusal the server records (bounded wait). */
  async function nextServerRefusal(seen: number): Promise<NodeJS.ErrnoException> {
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    while (serverRefusals.length <= seen) {
      if (Date.now() > deadline) throw new Error('the server recorded no refused handshake');
      await sleep(10);
    }
    return serverRefusals[seen]!;
  }

  before(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'tavia-mtls-')));
    ca = await CertificateAuthority.open(FileCertificateStore.forDataDir(dirs[0]!));
    controller = await ca.issueClientCertificate();
    const amphora = await ca.issueServerCertificate(AMPHORA_ID, { ipAddresses: ['127.0.0.1'] });
    server = createServer(agentServerTlsOptions(amphora), (req, res) => {
      handled++;
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ client: peer.subject?.CN ?? null }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    server.on('tlsClientError', (err: NodeJS.ErrnoException) => serverRefusals.push(err));
  });

  after(async () => {
    if (server) {
      server.closeAllConnections();
      await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), sleep(REQUEST_TIMEOUT_MS)]);
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lets the controller in with its client certificate, and the amphora proves its id', async () => {
    const before = handled;
    const answer = await get(port, agentClientTlsOptions(controller, AMPHORA_ID));
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { client: 'tavia-controller' });
    assert.equal(handled, before + 1);
  });

  it('refuses a client without a certificate', async () => {
    const { cert: _cert, key: _key, ...noCert } = agentClientTlsOptions(controller, AMPHORA_ID);
    const seen = serverRefusals.length;
    const before = handled;
    await assert.rejects(get(port, noCert), (err: NodeJS.ErrnoException) => {
      // TLS 1.3: the client learns of the refusal from the server's alert (or a reset, if that comes first).
      assert.match(`${err.code}`, /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET/);
      return true;
    });
    const refusal = await nextServerRefusal(seen);
    assert.match(`${refusal.code} ${refusal.message}`, /PEER_DID_NOT_RETURN_A_CERTIFICATE/i);
    assert.equal(handled, before, 'the request never reached the handler');
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const stranger = await CertificateAuthority.open(FileCertificateStore.forDataDir(dirs[1]!));
    const foreign = await stranger.issueClientCertificate();
    // The client still trusts our CA, so only the server's check can fail.
    const tls = { ...agentClientTlsOptions(foreign, AMPHORA_ID), ca: ca.certPem };
    const before = handled;
    await assert.rejects(get(port, tls), (err: NodeJS.ErrnoException) => {
      // Node checks the client's chain once the TLS 1.3 handshake is done and drops the connection.
      assert.match(`${err.code}`, /ERR_SSL_TLSV13_ALERT_UNKNOWN_CA|ECONNRESET/);
      return true;
    });
    assert.equal(handled, before, 'the request never reached the handler');
  });

  it('refuses a server certificate naming another amphora', async () => {
    const before = handled;
    await assert.rejects(
      get(port, agentClientTlsOptions(controller, 'another-amphora')),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
        assert.match(err.message, /another-amphora/);
        return true;
      },
    );
    assert.equal(handled, before, 'no request was sent');
  });

  it('refuses a server certificate the client cannot chain to its CA', async () => {
    const stranger = await CertificateAuthority.open(FileCertificateStore.forDataDir(dirs[1]!));
    const tls = { ...agentClientTlsOptions(controller, AMPHORA_ID), ca: stranger.certPem };
    const before = handled;
    await assert.rejects(get(port, tls), (err: NodeJS.ErrnoException) => {
      // The server sends our CA along with its certificate; the client does not trust it.
      assert.match(
        err.code ?? '',
        /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
      );
      return true;
    });
    assert.equal(handled, before, 'no request was sent');
  });
});
