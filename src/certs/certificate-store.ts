import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The CA's private key (PKCS#8 PEM) and its self-signed certificate (PEM). */
export interface StoredCa {
  keyPem: string;
  certPem: string;
}

/**
 * Where the certificate authority lives. A driver, like compute and network: the filesystem one
 * serves a single host or a shared volume; a secret store can replace it without touching the CA.
 */
export interface CertificateStore {
  /** The stored CA, or undefined when none was created yet. */
  loadCa(): Promise<StoredCa | undefined>;
  /**
   * Store `ca` unless another process stored one first; returns the CA that won, so processes
   * starting together on one data directory all end up with the same CA.
   */
  saveCaIfAbsent(ca: StoredCa): Promise<StoredCa>;
}

/** How long a process that lost the creation race waits for the winner to finish writing. */
const RACE_WAIT_MS = 5000;

/** Keeps the CA as `<dir>/ca.key` (mode 0600) and `<dir>/ca.pem`. */
export class FileCertificateStore implements CertificateStore {
  readonly keyPath: string;
  readonly certPath: string;

  constructor(readonly dir: string) {
    this.keyPath = join(dir, 'ca.key');
    this.certPath = join(dir, 'ca.pem');
  }

  /** The store of a Tavia data directory: `<dataDir>/certs`. */
  static forDataDir(dataDir: string): FileCertificateStore {
    return new FileCertificateStore(join(dataDir, 'certs'));
  }

  async loadCa(): Promise<StoredCa | undefined> {
    // ca.pem is written last, so its presence means the pair is complete.
    if (!existsSync(this.certPath)) {
      if (existsSync(this.keyPath)) return this.waitForCert();
      return undefined;
    }
    return { keyPem: await readFile(this.keyPath, 'utf8'), certPem: await readFile(this.certPath, 'utf8') };
  }

  async saveCaIfAbsent(ca: StoredCa): Promise<StoredCa> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmpKey = this.keyPath + suffix;
    const tmpCert = this.certPath + suffix;
    try {
      await writeFile(tmpKey, ca.keyPem, { mode: 0o600, flag: 'wx' });
      await writeFile(tmpCert, ca.certPem, { mode: 0o644, flag: 'wx' });
      try {
        await link(tmpKey, this.keyPath); // fails with EEXIST when another process got there first
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        return await this.waitForCert();
      }
      await rename(tmpCert, this.certPath);
      return ca;
    } finally {
      await rm(tmpKey, { force: true });
      await rm(tmpCert, { force: true });
    }
  }

  /** ca.key exists: its writer is about to add ca.pem. Bounded, so a half-written store fails loudly. */
  private async waitForCert(): Promise<StoredCa> {
    const deadline = Date.now() + RACE_WAIT_MS;
    while (!existsSync(this.certPath)) {
      if (Date.now() > deadline) {
        throw new Error(`incomplete certificate authority in ${this.dir}: ca.key without ca.pem`);
      }
      await sleep(50);
    }
    return { keyPem: await readFile(this.keyPath, 'utf8'), certPem: await readFile(this.certPath, 'utf8') };
  }
}
