import type { ListenerRow, PoolRow } from '../../db/schema.js';

/**
 * Where the agent stores the TLS material HAProxy reads, by object id, under one directory. The renderer
 * only names these files; the agent writes them before it loads the configuration.
 */
export const tlsFiles = (certDir: string) => ({
  /** crt-list of a TERMINATED_HTTPS listener: default certificate first, then the SNI ones. */
  listenerCrtList: (listenerId: string) => `${certDir}/${listenerId}.crt-list`,
  listenerClientCa: (listenerId: string) => `${certDir}/${listenerId}-client-ca.pem`,
  listenerClientCrl: (listenerId: string) => `${certDir}/${listenerId}-client-crl.pem`,
  /** Client certificate (with key) a pool presents to its members. */
  poolCert: (poolId: string) => `${certDir}/${poolId}.pem`,
  poolCa: (poolId: string) => `${certDir}/${poolId}-ca.pem`,
  poolCrl: (poolId: string) => `${certDir}/${poolId}-crl.pem`,
});

const VERSION_FLAGS: Record<string, string> = {
  SSLv3: 'no-sslv3',
  TLSv1: 'no-tlsv10',
  'TLSv1.1': 'no-tlsv11',
  'TLSv1.2': 'no-tlsv12',
  'TLSv1.3': 'no-tlsv13',
};

const jsonList = (text: string | null): string[] | null => (text === null ? null : (JSON.parse(text) as string[]));

/** `ciphers`, `no-<version>` for every version not allowed, and `alpn`, shared by binds and servers. */
export function tlsTuning(row: Pick<ListenerRow | PoolRow, 'tls_ciphers' | 'tls_versions' | 'alpn_protocols'>): string {
  let out = '';
  if (row.tls_ciphers) out += ` ciphers ${row.tls_ciphers}`;
  const versions = jsonList(row.tls_versions);
  if (versions) for (const [v, flag] of Object.entries(VERSION_FLAGS)) if (!versions.includes(v)) out += ` ${flag}`;
  const alpn = jsonList(row.alpn_protocols);
  if (alpn && alpn.length > 0) out += ` alpn ${alpn.join(',')}`;
  return out;
}
