import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IssuedCertificate } from '../../certs/certificate-authority.js';

/** An amphora agent's certificate folder: server.pem, server.key (0600) and ca.pem. */

export async function writeAgentCertificate(certDir: string, cert: IssuedCertificate): Promise<void> {
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  await writeFile(join(certDir, 'server.pem'), cert.certPem, { mode: 0o644 });
  await writeFile(join(certDir, 'server.key'), cert.keyPem, { mode: 0o600 });
  await writeFile(join(certDir, 'ca.pem'), cert.caPem, { mode: 0o644 });
}

export async function readAgentCertificate(certDir: string): Promise<IssuedCertificate> {
  const read = (name: string) => readFile(join(certDir, name), 'utf8');
  const [certPem, keyPem, caPem] = await Promise.all([read('server.pem'), read('server.key'), read('ca.pem')]);
  const cert = new X509Certificate(certPem);
  return { certPem, keyPem, caPem, serialNumber: cert.serialNumber, notAfter: new Date(cert.validTo) };
}
