import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { HaproxyConfigFacts, ServerConfig } from './haproxy-config-facts.js';
import { runtimeCommand } from './runtime-socket.js';

/**
 * Member health across reloads and restarts. A new HAProxy worker knows nothing of its predecessor's health
 * checks: a member found DOWN would start UP again and take traffic until its checks fail anew (what Octavia
 * users saw as ERROR members flipping back to ONLINE). Before every reload, start and planned stop the agent
 * writes the running worker's `show servers state` to the config's `server-state-file`, which the new
 * worker loads (`load-server-state-from-file global`).
 *
 * Only states that still describe the same check of the same server are kept: HAProxy would otherwise let a
 * saved state override the new config, e.g. keep a member DOWN forever once it is re-enabled without a health
 * monitor, or put back an old address.
 */

/** HAProxy's `show servers state` format version this agent writes. */
const STATE_VERSION = '1';
/** `srv_check_state` bit: the health check runs. */
const CHECK_ENABLED = 0x4;

/** The lines of a saved or live server state that apply to the servers of `facts`; undefined when none do. */
export function applicableServerState(stateText: string, facts: HaproxyConfigFacts): string | undefined {
  const lines = stateText.split('\n');
  if (lines[0]?.trim() !== STATE_VERSION) return undefined;
  const header = lines[1]?.startsWith('# ') ? lines[1].slice(2).trim().split(/\s+/) : undefined;
  if (!header) return undefined;
  const column = new Map(header.map((name, i) => [name, i]));
  const kept: string[] = [];
  for (const line of lines.slice(2)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== header.length) continue;
    const get = (name: string) => fields[column.get(name) ?? -1];
    const server = facts.backends.get(get('be_name') ?? '')?.get(get('srv_name') ?? '');
    if (server && stillApplies(server, get)) kept.push(line.trim());
  }
  return kept.length === 0 ? undefined : `${STATE_VERSION}\n# ${header.join(' ')}\n${kept.join('\n')}\n`;
}

/**
 * A saved state is worth restoring when it is the result of the same health check on the same server, and
 * carries no maintenance or drain (those come from the config, which the new worker reads anyway).
 */
function stillApplies(server: ServerConfig, get: (name: string) => string | undefined): boolean {
  if (!server.checked || server.disabled) return false;
  if (get('srv_admin_state') !== '0') return false;
  if ((Number(get('srv_check_state')) & CHECK_ENABLED) === 0) return false;
  if (get('srv_addr') !== server.address || Number(get('srv_port')) !== server.port) return false;
  const checkAddress = get('srv_check_addr');
  if ((checkAddress === '-' ? undefined : checkAddress) !== server.checkAddress) return false;
  const checkPort = Number(get('srv_check_port'));
  return (checkPort === 0 ? undefined : checkPort) === server.checkPort;
}

/**
 * Write the server state the next worker of this config should start with: the running worker's (asked on the
 * stats socket), or, when none answers, what an earlier save left, each kept only where it still applies.
 * Never throws: a reload must not fail because health could not be carried over.
 */
export async function saveServerState(facts: HaproxyConfigFacts, timeoutMs?: number): Promise<void> {
  const file = facts.serverStateFile;
  if (!file) return;
  try {
    let state: string | undefined;
    if (facts.statsSocket) {
      state = await runtimeCommand(facts.statsSocket, 'show servers state', timeoutMs).catch(() => undefined);
      if (state !== undefined && !state.startsWith(`${STATE_VERSION}\n`)) state = undefined;
    }
    state ??= await readFile(file, 'utf8').catch(() => undefined);
    const kept = state === undefined ? undefined : applicableServerState(state, facts);
    if (kept === undefined) return await rm(file, { force: true });
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, kept, { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // Best effort: without a state file the new worker starts with fresh checks, as HAProxy always did.
  }
}
