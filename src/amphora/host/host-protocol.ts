import type { HeartbeatSettings } from '../agent/heartbeat/heartbeat-settings.js';

/**
 * The control channel between a controller and the amphora host (HTTP with JSON over a Unix socket in
 * the data directory): the controller asks for amphorae to be started and removed; the host runs them.
 */

/** What the host needs to run one amphora's agent. */
export interface HostedAmphoraSpec {
  /** Agent listen port on the agents' address; 0 lets the host pick a free one. */
  port: number;
  /** server.pem, server.key and ca.pem issued by the control plane CA for this amphora. */
  certDir: string;
  /** The agent's configs and HAProxy sockets. */
  stateDir: string;
  /**
   * Where the agent sends heartbeats. Also applied to an agent that already runs: a control plane that
   * restarted may have its health manager on another port.
   */
  heartbeat?: HeartbeatSettings;
}

/** One amphora the host runs. */
export interface HostedAmphora {
  id: string;
  port: number;
  /** True when this request started the agent (it booted its stored configs); false when it already ran. */
  started: boolean;
  /** Stored configs whose HAProxy did not start when the agent booted. */
  bootFailures: Array<{ lbId: string; error: string }>;
}

/** Error body of the control API. */
export interface HostError {
  error: string;
  /** `port-in-use` when the requested agent port is taken. */
  code?: string;
}

/** Amphora ids become path segments and directory names. */
export const HOSTED_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
