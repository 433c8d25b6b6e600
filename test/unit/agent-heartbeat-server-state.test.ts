import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { haproxyConfigFacts } from '../../src/amphora/agent/heartbeat/haproxy-config-facts.js';
import { applicableServerState, saveServerState } from '../../src/amphora/agent/heartbeat/server-state-file.js';

const CONFIG = `# load balancer lb
global
    maxconn 100
    stats socket /run/lb/stats.sock mode 600 level admin expose-fd listeners
    server-state-file /run/lb/servers.state

defaults
    load-server-state-from-file global

frontend l1
    bind 127.10.0.5:80
    default_backend p1:l1

backend p1:l1
    mode http
    option httpchk GET '/health'
    server m1 127.10.200.1:8080 weight 1 check inter 1s fall 3 rise 2
    server m2 127.10.200.2:8080 weight 1 check inter 1s fall 3 rise 2
    server m3 127.10.200.3:8080 weight 1
    server m4 127.10.200.4:8080 weight 1 check inter 1s fall 3 rise 2 disabled
    server m5 127.10.200.5:8080 weight 1 check inter 1s fall 3 rise 2 addr 127.10.200.55 port 9000
    server m6 [fd00::6]:8080 weight 1 check inter 1s fall 3 rise 2
    server m7 127.10.200.7:8080 weight 1 check inter 1s fall 3 rise 2
`;

const HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
/** One state line per case, in HAProxy 2.6's format (m1: DOWN by its check). */
const LINES = {
  m1: '3 p1:l1 1 m1 127.10.200.1 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  m2: '3 p1:l1 2 m2 127.10.200.2 2 0 1 1 12 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0',
  /** m3 has no check now; its saved state would keep it DOWN forever. */
  m3: '3 p1:l1 3 m3 127.10.200.3 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** m4 is disabled by the new config. */
  m4: '3 p1:l1 4 m4 127.10.200.4 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** m5's check target moved (it had none). */
  m5: '3 p1:l1 5 m5 127.10.200.5 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  m6: '3 p1:l1 6 m6 fd00::6 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** m7 was in maintenance (disabled in the old config): its op state says nothing about its health. */
  m7: '3 p1:l1 7 m7 127.10.200.7 0 5 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** A server of a backend the new config no longer has. */
  gone: '4 p9:l1 1 m9 127.10.200.9 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** Another address for a server name (never happens with member ids, but must not override the config). */
  moved: '3 p1:l1 2 m2 127.10.200.99 0 0 1 1 12 8 2 0 6 0 0 0 - 8080 - 0 0 - - 0',
  /** m2 saved from a worker where it had no check. */
  unchecked: '3 p1:l1 2 m2 127.10.200.2 0 0 1 1 12 1 0 2 0 0 0 0 - 8080 - 0 0 - - 0',
};
const state = (...lines: string[]) => `1\n${HEADER}\n${lines.join('\n')}\n`;

const dir = mkdtempSync(join(tmpdir(), 'tavia-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('haproxy.cfg facts', () => {
  it('finds the stats socket, the state file and every server line', () => {
    const facts = haproxyConfigFacts(CONFIG);
    assert.equal(facts.statsSocket, '/run/lb/stats.sock');
    assert.equal(facts.serverStateFile, '/run/lb/servers.state');
    const servers = facts.backends.get('p1:l1')!;
    assert.deepEqual([...servers.keys()], ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    assert.deepEqual(servers.get('m1'), {
      address: '127.10.200.1',
      port: 8080,
      checked: true,
      disabled: false,
      checkAddress: undefined,
      checkPort: undefined,
    });
    assert.equal(servers.get('m3')!.checked, false);
    assert.equal(servers.get('m4')!.disabled, true);
    assert.deepEqual([servers.get('m5')!.checkAddress, servers.get('m5')!.checkPort], ['127.10.200.55', 9000]);
    assert.equal(servers.get('m6')!.address, 'fd00::6');
  });

  it('resolves a relative state file against server-state-base and ignores TCP stats sockets', () => {
    const facts = haproxyConfigFacts(
      'global\n  stats socket ipv4@127.0.0.1:9999\n  stats socket unix@/s.sock\n  server-state-base /var/state\n  server-state-file lb.state\n',
    );
    assert.equal(facts.statsSocket, '/s.sock');
    assert.equal(facts.serverStateFile, '/var/state/lb.state');
    assert.equal(haproxyConfigFacts('global\n  maxconn 5\n').serverStateFile, undefined);
  });
});

describe('server state carried over a reload', () => {
  const facts = haproxyConfigFacts(CONFIG);

  it('keeps the health of checked servers whose check did not change', () => {
    assert.equal(
      applicableServerState(state(LINES.m1, LINES.m2, LINES.m6), facts),
      state(LINES.m1, LINES.m2, LINES.m6),
    );
  });

  it('drops states the new config contradicts or that say nothing about health', () => {
    for (const [name, line] of Object.entries(LINES)) {
      if (['m1', 'm2', 'm6'].includes(name)) continue;
      assert.equal(applicableServerState(state(line), facts), undefined, name);
    }
    assert.equal(applicableServerState(state(LINES.m3, LINES.m1, LINES.gone), facts), state(LINES.m1));
  });

  it('refuses what is not a version 1 state dump', () => {
    assert.equal(applicableServerState('Unknown command.\n', facts), undefined);
    assert.equal(applicableServerState(`2\n${HEADER}\n${LINES.m1}\n`, facts), undefined);
    assert.equal(applicableServerState(`1\n${LINES.m1}\n`, facts), undefined);
  });

  it('saves the live state from the stats socket, or filters what an earlier save left', async () => {
    const socketPath = join(dir, 'stats.sock');
    const file = join(dir, 'servers.state');
    const local = haproxyConfigFacts(CONFIG.replaceAll('/run/lb/', `${dir}/`));
    // No HAProxy answers: the file left by a planned stop is filtered against the config about to start.
    writeFileSync(file, state(LINES.m1, LINES.m3));
    await saveServerState(local, 200);
    assert.equal(readFileSync(file, 'utf8'), state(LINES.m1));
    writeFileSync(file, state(LINES.m3));
    await saveServerState(local, 200);
    assert.equal(existsSync(file), false, 'nothing applies: no file, the new worker starts fresh');

    const live = createServer((socket) => {
      socket.once('data', (command) => {
        assert.equal(command.toString(), 'show servers state\n');
        socket.end(state(LINES.m2, LINES.m4));
      });
    });
    await new Promise<void>((resolve) => live.listen(socketPath, resolve));
    try {
      writeFileSync(file, state(LINES.m1));
      await saveServerState(local, 200);
      assert.equal(readFileSync(file, 'utf8'), state(LINES.m2), 'the running worker wins over an old file');
    } finally {
      await new Promise((resolve) => live.close(resolve));
    }
  });
});
