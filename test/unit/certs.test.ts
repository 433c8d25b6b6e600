import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTROLLER_CLIENT_NAME, CertificateAuthority } from '../../src/certs/certificate-authority.js';
import { FileCertificateStore } from '../../src/certs/certificate-store.js';

const AMPHORA_ID = '5f0d6a3e-8b7c-4f21-9d3a-2c1b0e9f8a76';
const DAY_MS = 24 * 60 * 60 * 1000;

const dirs: string[] = [];
function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tavia-certs-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Asserts `certPem` was signed by `caPem`'s key and names it as issuer. */
function assertIssuedBy(certPem: string, caPem: string): void {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  assert.ok(cert.checkIssued(ca), 'issuer name matches the CA subject');
  assert.ok(cert.verify(ca.publicKey), 'signature verifies with the CA key');
}

describe('CertificateAuthority on a filesystem store', () => {
  let dataDir: string;
  let ca: CertificateAuthority;

  before(async () => {
    dataDir = newDataDir();
    ca = await CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir));
  });

  it('creates <dataDir>/certs/ca.key (0600) and ca.pem on first open', () => {
    const keyPath = join(dataDir, 'certs', 'ca.key');
    const certPath = join(dataDir, 'certs', 'ca.pem');
    assert.ok(existsSync(keyPath) && existsSync(certPath));
    assert.equal(mode(keyPath), 0o600);
    assert.equal(mode(join(dataDir, 'certs')), 0o700);
    const cert = new X509Certificate(ca.certPem);
    assert.ok(cert.ca, 'basicConstraints CA:TRUE');
    assert.equal(cert.subject, 'CN=Tavia control plane CA');
    assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey), 'self-signed');
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath, 'utf8'))));
    assert.ok(ca.notAfter.getTime() > Date.now() + 9 * 365 * DAY_MS);
  });

  it('loads the same CA again instead of creating another', async () => {
    const again = await CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir));
    assert.equal(again.fingerprint, ca.fingerprint);
    assert.equal(again.certPem, ca.certPem);
    // And what the reloaded CA issues verifies against the first one's certificate.
    const issued = await again.issueServerCertificate(AMPHORA_ID);
    assertIssuedBy(issued.certPem, ca.certPem);
  });

  it('another data directory gets another CA', async () => {
    const other = await CertificateAuthority.open(FileCertificateStore.forDataDir(newDataDir()));
    assert.notEqual(other.fingerprint, ca.fingerprint);
    const issued = await other.issueServerCertificate(AMPHORA_ID);
    assert.equal(new X509Certificate(issued.certPem).verify(new X509Certificate(ca.certPem).publicKey), false);
  });

  it('issues an amphora server certificate named after the amphora id, with IP SANs', async () => {
    const issued = await ca.issueServerCertificate(AMPHORA_ID, { ipAddresses: ['192.0.2.10', '2001:db8::5'] });
    assertIssuedBy(issued.certPem, ca.certPem);
    assert.equal(issued.caPem, ca.certPem);
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subject, `CN=${AMPHORA_ID}`);
    assert.equal(cert.subjectAltName, `DNS:${AMPHORA_ID}, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:5`);
    assert.equal(cert.checkHost(AMPHORA_ID), AMPHORA_ID);
    assert.equal(cert.checkHost('other-amphora'), undefined);
    assert.equal(cert.checkIP('192.0.2.10'), '192.0.2.10');
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth only
    assert.ok(cert.checkPrivateKey(createPrivateKey(issued.keyPem)));
    assert.equal(cert.serialNumber.toLowerCase(), issued.serialNumber.toLowerCase());
  });

  it('issues the controller client certificate', async () => {
    const issued = await ca.issueClientCertificate();
    assertIssuedBy(issued.certPem, ca.certPem);
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subject, `CN=${CONTROLLER_CLIENT_NAME}`);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']); // clientAuth only
    assert.ok(cert.checkPrivateKey(createPrivateKey(issued.keyPem)));
  });

  it('sets the expiry as requested (default two years) and reports it', async () => {
    const start = Date.now();
    const byDefault = await ca.issueServerCertificate(AMPHORA_ID);
    const short = await ca.issueClientCertificate('controller-2', { validityDays: 3 });
    for (const [issued, days] of [
      [byDefault, 730],
      [short, 3],
    ] as const) {
      const expected = start + days * DAY_MS;
      // X.509 times have one-second resolution.
      assert.ok(Math.abs(issued.notAfter.getTime() - expected) < 5000, `${days} days`);
      const validTo = new Date(new X509Certificate(issued.certPem).validTo).getTime();
      assert.equal(validTo, issued.notAfter.getTime());
      assert.ok(new Date(new X509Certificate(issued.certPem).validFrom).getTime() <= start);
    }
  });

  it('never outlives the CA', async () => {
    const issued = await ca.issueServerCertificate(AMPHORA_ID, { validityDays: 100 * 365 });
    assert.equal(issued.notAfter.getTime(), ca.notAfter.getTime());
  });

  it('gives every certificate its own key and serial number', async () => {
    const a = await ca.issueServerCertificate(AMPHORA_ID);
    const b = await ca.issueServerCertificate(AMPHORA_ID);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.notEqual(a.keyPem, b.keyPem);
  });

  it('refuses names and addresses that cannot go into a certificate', async () => {
    await assert.rejects(ca.issueServerCertificate('CN=evil,O=x'), /not usable as a certificate DNS name/);
    await assert.rejects(ca.issueServerCertificate(''), /not usable as a certificate DNS name/);
    await assert.rejects(ca.issueServerCertificate('-leading'), /not usable as a certificate DNS name/);
    await assert.rejects(
      ca.issueServerCertificate(AMPHORA_ID, { ipAddresses: ['999.1.1.1'] }),
      /not an IP address: 999\.1\.1\.1/,
    );
    await assert.rejects(ca.issueClientCertificate(undefined, { validityDays: 0 }), /positive number of days/);
  });
});

describe('FileCertificateStore', () => {
  it('hands processes opening the same directory together one CA', async () => {
    const dataDir = newDataDir();
    const cas = await Promise.all(
      Array.from({ length: 5 }, () => CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir))),
    );
    const fingerprints = new Set(cas.map((c) => c.fingerprint));
    assert.equal(fingerprints.size, 1);
    const onDisk = await CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir));
    assert.equal(onDisk.fingerprint, cas[0]!.fingerprint);
  });

  it('refuses a CA key that does not belong to the CA certificate', async () => {
    const dataDir = newDataDir();
    const other = newDataDir();
    await CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir));
    await CertificateAuthority.open(FileCertificateStore.forDataDir(other));
    writeFileSync(join(dataDir, 'certs', 'ca.key'), readFileSync(join(other, 'certs', 'ca.key'), 'utf8'));
    await assert.rejects(
      CertificateAuthority.open(FileCertificateStore.forDataDir(dataDir)),
      /stored CA key does not match the CA certificate/,
    );
  });
});
