import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readAgentCertificate, writeAgentCertificate } from '../../amphora/agent/agent-cert-files.js';
import type { HeartbeatSettings } from '../../amphora/agent/heartbeat/heartbeat-settings.js';
import { AGENT_HOST } from '../../amphora/host/amphora-host.js';
import type { ControllerCredentials } from '../../amphora/driver/rest/controller-credentials.js';
import type { AmphoraBuildRequest, BuiltAmphora, ComputeDriver, RecoveredAmphora } from '../compute-driver.js';
import { AmphoraHostClient, AmphoraHostError } from './amphora-host-client.js';
import { processAgentStateDir, processAmphoraDir } from './amphora-paths.js';

export { AGENT_HOST };
const COMPUTE_ID = /^process:([A-Za-z0-9-]+):(\d+)$/;

/**
 * Amphorae as local processes: each amphora is an agent (its own port on 127.0.0.1, its own server
 * certificate from the control plane CA in `<dataDir>/amphorae/<id>/certs`) with its own HAProxy, run by
 * the node's amphora host (`tavia amphora-host`, one detached process for all of them: see
 * src/amphora/host/amphora-host.ts for why). The compute id is `process:<amphora id>:<agent port>`.
 *
 * Amphorae outlive a crashed controller; `recover` finds them again after a restart (or boots them from
 * their stored configs when the host itself was stopped), and `close` with `stopAmphorae` stops them all.
 */
export class ProcessComputeDriver implements ComputeDriver {
  readonly name = 'process';
  private readonly host: AmphoraHostClient;

  constructor(
    private readonly dataDir: string,
    private readonly credentials: ControllerCredentials,
    /** Where the amphorae send heartbeats; given to every agent built or recovered (without it they send none). */
    private readonly heartbeat?: HeartbeatSettings,
  ) {
    this.host = new AmphoraHostClient(dataDir);
  }

  async build(request: AmphoraBuildRequest): Promise<BuiltAmphora> {
    const id = request.amphoraId;
    const certDir = join(processAmphoraDir(this.dataDir, id), 'certs');
    // A resumed build of an amphora whose agent already runs keeps that agent and its certificate.
    const running = (await this.host.find(id)) !== undefined;
    const cert = running
      ? await readAgentCertificate(certDir)
      : await (await this.credentials.ca()).issueServerCertificate(id, { ipAddresses: [AGENT_HOST] });
    if (!running) await writeAgentCertificate(certDir, cert);
    const hosted = await this.host.ensureAmphora(id, {
      port: 0,
      certDir,
      stateDir: this.stateDir(id),
      heartbeat: this.heartbeat,
    });
    return { computeId: computeId(id, hosted.port), lbNetworkIp: AGENT_HOST, certExpiration: cert.notAfter };
  }

  async destroy(computeIdText: string): Promise<void> {
    const id = COMPUTE_ID.exec(computeIdText)?.[1];
    if (!id) return;
    await this.host.removeAmphora(id, this.stateDir(id));
    await rm(processAmphoraDir(this.dataDir, id), { recursive: true, force: true });
    await rm(this.stateDir(id), { recursive: true, force: true });
  }

  /**
   * Make an amphora that should exist run again: nothing to do when the host still runs it (the
   * controller alone restarted); otherwise its agent starts on its old port (or a new one when that is
   * taken) and boots the HAProxies of its stored configs.
   */
  async recover(amphoraId: string, computeIdText: string): Promise<RecoveredAmphora | undefined> {
    const match = COMPUTE_ID.exec(computeIdText);
    if (!match || match[1] !== amphoraId) return undefined;
    const certDir = join(processAmphoraDir(this.dataDir, amphoraId), 'certs');
    const spec = { certDir, stateDir: this.stateDir(amphoraId), heartbeat: this.heartbeat };
    let hosted;
    try {
      hosted = await this.host.ensureAmphora(amphoraId, { ...spec, port: Number(match[2]) });
    } catch (err) {
      if (!(err instanceof AmphoraHostError && err.body?.code === 'port-in-use')) throw err;
      hosted = await this.host.ensureAmphora(amphoraId, { ...spec, port: 0 });
    }
    return {
      computeId: computeId(amphoraId, hosted.port),
      lbNetworkIp: AGENT_HOST,
      restarted: hosted.started,
      bootFailures: hosted.bootFailures,
    };
  }

  /** With `stopAmphorae` (the node that runs the worker stops cleanly), stop the host and every amphora. */
  async close(options: { stopAmphorae: boolean }): Promise<void> {
    if (options.stopAmphorae) await this.host.shutdown();
  }

  /** The host's pid, for tests and diagnostics. */
  hostPid(): Promise<number | undefined> {
    return this.host.hostPid();
  }

  private stateDir(id: string): string {
    return processAgentStateDir(this.dataDir, id);
  }
}

function computeId(amphoraId: string, port: number): string {
  return `process:${amphoraId}:${port}`;
}
