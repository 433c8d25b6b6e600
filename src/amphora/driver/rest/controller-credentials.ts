import { CertificateAuthority, type IssuedCertificate } from '../../../certs/certificate-authority.js';
import { FileCertificateStore } from '../../../certs/certificate-store.js';

/**
 * The control plane CA and the controller's client certificate, opened on first use and shared by the
 * drivers of one node: the compute driver issues amphora server certificates, the REST driver dials with
 * the client certificate.
 */
export class ControllerCredentials {
  private caPromise?: Promise<CertificateAuthority>;
  private clientPromise?: Promise<IssuedCertificate>;

  constructor(private readonly dataDir: string) {}

  ca(): Promise<CertificateAuthority> {
    this.caPromise ??= CertificateAuthority.open(FileCertificateStore.forDataDir(this.dataDir));
    this.caPromise.catch(() => (this.caPromise = undefined));
    return this.caPromise;
  }

  client(): Promise<IssuedCertificate> {
    this.clientPromise ??= this.ca().then((ca) => ca.issueClientCertificate());
    this.clientPromise.catch(() => (this.clientPromise = undefined));
    return this.clientPromise;
  }
}
