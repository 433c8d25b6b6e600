/**
 * Data-plane benchmark: traffic through a Tavia load balancer (process compute, loopback network, REST
 * amphora driver: real agents and real HAProxies) against hand-written minimal HAProxy configs measured in
 * the same run on the same backends, and how the control plane behaves around it:
 *
 *   (a) HTTP through the VIP vs a minimal `mode http` haproxy.cfg (wrk, keep-alive and close)
 *   (b) POST member -> first request served by it
 *   (c) TCP through the VIP vs a minimal `mode tcp` haproxy.cfg (wrk, keep-alive and close)
 *   (d) failed requests while configuration changes are applied through the API under constant load
 *   (e) graph create of a load balancer -> ACTIVE and -> VIP answers; cascade delete -> gone
 *
 *   npm run bench:dataplane [-- --quick | --help]   # needs wrk (apt-get install -y wrk) and /usr/sbin/haproxy
 *
 * Every loop is bounded in count and in time; all traffic stays on the loopback interface (127.0.0.0/8).
 * Everything started here is stopped at the end, also on error or Ctrl-C. See bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureChangesUnderLoad } from './dataplane/changes-under-load.js';
import { startBenchEnv } from './dataplane/environment.js';
import { measureGraphCreates } from './dataplane/graph-create.js';
import { measureMemberFirstServed } from './dataplane/member-first-served.js';
import { parseOptions, USAGE, type BenchOptions } from './dataplane/options.js';
import { measureThroughput } from './dataplane/throughput-section.js';
import { onPath } from './lib/process-tools.js';
import { fmt } from './lib/report.js';
import { killRunningWrk } from './lib/wrk.js';

/** Set by SIGINT/SIGTERM: the run stops, cleans up and exits 130. */
let interrupted = false;

async function run(options: BenchOptions, workDir: string, stops: Array<() => Promise<void>>): Promise<void> {
  const started = performance.now();
  const env = await startBenchEnv(workDir, stops);
  console.log(
    `Tavia data-plane benchmark: process compute, loopback network, REST amphora driver, SQLite; ` +
      `Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
  );
  console.log(
    `load balancer with an HTTP and a TCP listener, each with a ROUND_ROBIN pool of 2 members, created and ` +
      `serving in ${fmt(env.setupMs)} ms; VIPs ${env.http.taviaUrl} and ${env.tcp.taviaUrl}; vip_subnet_id ${env.subnetId}`,
  );
  await measureThroughput(
    '(a) HTTP GET through the HTTP listener vs a minimal mode http haproxy.cfg on the same 2 backends',
    env.http,
    options.slices,
  );
  await measureMemberFirstServed(env, options.memberTries);
  await measureThroughput(
    '(c) HTTP GET through the TCP listener vs a minimal mode tcp haproxy.cfg on the same 2 backends',
    env.tcp,
    options.slices,
  );
  await measureChangesUnderLoad(env, options.changes, options.quietSeconds);
  await measureGraphCreates(env, options.creates);
  console.log(
    '\nbackends: one HAProxy answering its name with `http-request return`; baselines: haproxy -W -db with ' +
      'a minimal haproxy.cfg (round robin; http with keep-alive, or tcp); wrk, proxies, backends and the Tavia node ' +
      `share the same CPUs. Whole run ${fmt((performance.now() - started) / 1000)} s.`,
  );
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const options = parseOptions(argv);
  if (!onPath('wrk')) {
    console.error('wrk is not installed; install it with: apt-get install -y wrk');
    return 2;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'tavia-dataplane-bench-'));
  const stops: Array<() => Promise<void>> = [];
  // One cleanup, shared by the normal end, an error and a signal: whoever comes first starts it, all await it.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      killRunningWrk();
      for (const stop of stops.splice(0).reverse()) await stop().catch((err) => console.error('cleanup:', err));
      rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = () => {
    interrupted = true;
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(options, workDir, stops);
    return 0;
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (!interrupted) console.error(err instanceof Error ? err.stack : err);
    process.exit(interrupted ? 130 : 1);
  },
);
