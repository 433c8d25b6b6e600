import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaviaConfig } from '../common/config.js';

/**
 * The heartbeat HMAC key: the configured one, or one generated on first start and kept in
 * `<dataDir>/heartbeat.key` (0600), so every process of a node (and its amphorae) shares it. Two processes
 * starting at once both read the file the first of them created.
 */
export function heartbeatKey(config: TaviaConfig): string {
  if (config.health.heartbeatKey) return config.health.heartbeatKey;
  const path = join(config.dataDir, 'heartbeat.key');
  // Written whole under a temporary name, then linked into place: a reader never sees half a key.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const key = readFileSync(path, 'utf8').trim();
  if (!key) throw new Error(`${path} is empty; remove it to have a new key generated`);
  return key;
}
