import { X509Certificate as NodeX509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import type { CertificateStore, StoredCa } from './certificate-store.js';

/** A certificate and its fresh private key, as PEM, with the CA that signed it (what a TLS endpoint loads). */
export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  caPem: string;
  serialNumber: string;
  notAfter: Date;
}

export interface IssueOptions {
  /** Lifetime; Octavia's cert_validity_time default is two years. Capped at the CA's own expiry. */
  validityDays?: number;
}

export interface ServerIssueOptions extends IssueOptions {
  /** Addresses the controller may dial the amphora at, added as IP subjectAltNames. */
  ipAddresses?: string[];
}

/** The controller's client certificate name when none is given. */
export const CONTROLLER_CLIENT_NAME = 'tavia-controller';

const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 730;
/** notBefore is backdated so an amphora whose clock runs a little behind still accepts a fresh cert. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const CA_NAME = 'Tavia control plane CA';
/** A DNS name (an amphora id is a UUID): letters, digits, hyphens, dot-separated labels. */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The control plane's private CA for the amphora agent's mutual-TLS API: each amphora gets a server
 * certificate named after its id, the controller a client certificate; both sides trust only this CA.
 */
export class CertificateAuthority {
  private constructor(
    /** The CA certificate, PEM: the trust anchor both sides load. */
    readonly certPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  /** Load the CA from `store`, creating and saving it on first start. */
  static async open(store: CertificateStore): Promise<CertificateAuthority> {
    const stored = (await store.loadCa()) ?? (await store.saveCaIfAbsent(await createCa()));
    return CertificateAuthority.fromStored(stored);
  }

  private static async fromStored(stored: StoredCa): Promise<CertificateAuthority> {
    const privateKey = createPrivateKey(stored.keyPem);
    const nodeCert = new NodeX509Certificate(stored.certPem);
    if (!nodeCert.checkPrivateKey(privateKey)) throw new Error('the stored CA key does not match the CA certificate');
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await crypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
    return new CertificateAuthority(stored.certPem, new x509.X509Certificate(stored.certPem), signingKey);
  }

  /** SHA-256 fingerprint of the CA certificate (colon-separated hex, as Node prints it). */
  get fingerprint(): string {
    return new NodeX509Certificate(this.certPem).fingerprint256;
  }

  get notAfter(): Date {
    return this.cert.notAfter;
  }

  /** A server certificate for the amphora agent: CN and DNS subjectAltName = the amphora id. */
  async issueServerCertificate(amphoraId: string, opts: ServerIssueOptions = {}): Promise<IssuedCertificate> {
    checkDnsName(amphoraId);
    const names: x509.JsonGeneralNames = [{ type: 'dns', value: amphoraId }];
    for (const ip of opts.ipAddresses ?? []) {
      if (isIP(ip) === 0) throw new Error(`not an IP address: ${ip}`);
      names.push({ type: 'ip', value: ip });
    }
    return this.issue(amphoraId, x509.ExtendedKeyUsage.serverAuth, names, opts);
  }

  /** The controller's client certificate, presented to every amphora agent. */
  async issueClientCertificate(name = CONTROLLER_CLIENT_NAME, opts: IssueOptions = {}): Promise<IssuedCertificate> {
    checkDnsName(name);
    return this.issue(name, x509.ExtendedKeyUsage.clientAuth, [{ type: 'dns', value: name }], opts);
  }

  private async issue(
    commonName: string,
    usage: x509.ExtendedKeyUsage,
    altNames: x509.JsonGeneralNames,
    opts: IssueOptions,
  ): Promise<IssuedCertificate> {
    const keys = await generateKeys();
    const now = Date.now();
    const requested = new Date(now + validityMs(opts.validityDays ?? LEAF_VALIDITY_DAYS));
    const notAfter = requested < this.cert.notAfter ? requested : this.cert.notAfter;
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: newSerialNumber(),
        subject: [{ CN: [commonName] }],
        issuer: this.cert.subjectName,
        notBefore: new Date(now - CLOCK_SKEW_MS),
        notAfter,
        signingAlgorithm: SIGNING_ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: this.signingKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([usage]),
          new x509.SubjectAlternativeNameExtension(altNames),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
          await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return {
      certPem: cert.toString('pem'),
      keyPem: await privateKeyPem(keys.privateKey),
      caPem: this.certPem,
      serialNumber: cert.serialNumber,
      notAfter: cert.notAfter,
    };
  }
}

/** A new self-signed CA (key usage: signing certificates only). */
async function createCa(): Promise<StoredCa> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: newSerialNumber(),
      name: [{ CN: [CA_NAME] }],
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(now + validityMs(CA_VALIDITY_DAYS)),
      signingAlgorithm: SIGNING_ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { keyPem: await privateKeyPem(keys.privateKey), certPem: cert.toString('pem') };
}

function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** 126 random bits; the first byte is 0x40-0x7f so the DER integer is positive and minimally encoded. */
function newSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function validityMs(days: number): number {
  if (!(days > 0) || !Number.isFinite(days)) throw new Error(`certificate validity must be a positive number of days`);
  return days * DAY_MS;
}

function checkDnsName(name: string): void {
  if (!DNS_NAME.test(name)) throw new Error(`not usable as a certificate DNS name: ${JSON.stringify(name)}`);
}
