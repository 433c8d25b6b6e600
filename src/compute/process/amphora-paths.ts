import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the process compute driver keeps one amphora's files: its certificates and pid file. */
export function processAmphoraDir(dataDir: string, amphoraId: string): string {
  return join(resolve(dataDir), 'amphorae', amphoraId);
}

/** HAProxy refuses Unix socket paths longer than 97 bytes (the kernel allows 107). */
const MAX_SOCKET_PATH = 97;
/** What the agent appends below its state directory for its longest socket: `/lb/<uuid>/master.sock`. */
const SOCKET_SUFFIX = '/lb/00000000-0000-0000-0000-000000000000/master.sock'.length;

/**
 * The agent's state directory (configs and HAProxy sockets): `<dataDir>/agents/<hash>`, short because the
 * agent's sockets live below it, or under the temp directory when even that is too long for a socket path.
 */
export function processAgentStateDir(dataDir: string, amphoraId: string): string {
  const name = createHash('sha256')
    .update(`${resolve(dataDir)}\0${amphoraId}`)
    .digest('hex')
    .slice(0, 12);
  const inDataDir = join(resolve(dataDir), 'agents', name);
  if (Buffer.byteLength(inDataDir) + SOCKET_SUFFIX <= MAX_SOCKET_PATH) return inDataDir;
  return join(tmpdir(), `tavia-amp-${name}`);
}

/**
 * A global maxconn HAProxy can honour on this host: it needs two descriptors per connection plus a margin, and an
 * unprivileged or container host may not let it raise the open-files limit to Octavia's 1000000 default.
 */
export function processAgentMaxConn(): number {
  const limits = existsSync('/proc/self/limits') ? readFileSync('/proc/self/limits', 'utf8') : '';
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1];
  const fds = hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard);
  return Math.max(100, Math.floor(fds / 4) - 500);
}

/** The amphora host's folder: its pid file, log and (when the path is short enough) its control socket. */
export function amphoraHostDir(dataDir: string): string {
  return join(resolve(dataDir), 'amphorae');
}

/** The amphora host's control socket; under the temp directory when the data directory's path is too long. */
export function amphoraHostSocket(dataDir: string): string {
  const inDataDir = join(amphoraHostDir(dataDir), 'host.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir;
  const name = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(tmpdir(), `tavia-host-${name}.sock`);
}
