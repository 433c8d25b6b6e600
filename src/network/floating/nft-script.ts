import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

/**
 * The nftables state of floating IPs, as text for `nft -f -`. Pure functions, so what the kernel is told
 * can be checked without one.
 */

/** One association: traffic to `floating` goes to `fixed`. */
export interface Forward {
  floating: string;
  fixed: string;
}

const TABLE_PREFIX = 'tavia_';

/** The table of one node data directory: every node (and test) on the machine has its own. */
export function forwardingTableName(dataDir: string): string {
  return TABLE_PREFIX + createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
}

/** True for a name forwardingTableName makes. */
export const isForwardingTable = (name: string) => new RegExp(`^${TABLE_PREFIX}[0-9a-f]{8}$`).test(name);

/**
 * The data dir is written into the table's comment so a later node can tell a table whose data dir is gone
 * (a crashed test's) and remove it. Only plain paths are written: anything nft would need quoted differently
 * gets no comment, and such a table is never taken for stale.
 */
export function ownerComment(dataDir: string): string | undefined {
  return /^[A-Za-z0-9_./-]{1,200}$/.test(dataDir) ? dataDir : undefined;
}

/**
 * One atomic transaction: create the table and its two NAT chains if missing, empty them, add one DNAT
 * rule per association. `output` catches traffic from this host (loopback clients); `prerouting` traffic
 * arriving from elsewhere. Addresses that are not IPv4 are skipped (they could not be forwarded anyway).
 */
export function renderForwardingScript(table: string, forwards: Forward[], comment?: string): string {
  const lines = [
    comment ? `add table ip ${table} { comment "${comment}"; }` : `add table ip ${table}`,
    `add chain ip ${table} output { type nat hook output priority -100; policy accept; }`,
    `add chain ip ${table} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `flush table ip ${table}`,
  ];
  for (const f of forwards) {
    if (!isIPv4(f.floating) || !isIPv4(f.fixed)) continue;
    for (const chain of ['output', 'prerouting'])
      lines.push(`add rule ip ${table} ${chain} ip daddr ${f.floating} dnat to ${f.fixed}`);
  }
  return lines.join('\n') + '\n';
}

/** Table names of family `ip` in `nft list tables` output. */
export function parseTableNames(listing: string): string[] {
  const names: string[] = [];
  for (const line of listing.split('\n')) {
    const m = /^table ip (\S+)$/.exec(line.trim());
    if (m) names.push(m[1]!);
  }
  return names;
}

/** The comment of a table in `nft list table` output, if it has one. */
export function parseTableComment(listing: string): string | undefined {
  const m = /^\s*comment "([^"]*)"\s*$/m.exec(listing);
  return m?.[1];
}

/** The associations a table now holds (`output` chain), from `nft list table` output. */
export function parseForwards(listing: string): Forward[] {
  const forwards: Forward[] = [];
  let chain = '';
  for (const line of listing.split('\n')) {
    const chainMatch = /^\s*chain (\S+) \{/.exec(line);
    if (chainMatch) chain = chainMatch[1]!;
    const rule = /^\s*ip daddr (\S+) dnat to (\S+)\s*$/.exec(line);
    if (rule && chain === 'output') forwards.push({ floating: rule[1]!, fixed: rule[2]! });
  }
  return forwards;
}
