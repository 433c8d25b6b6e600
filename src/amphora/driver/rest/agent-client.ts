import { request } from 'node:https';
import type { IssuedCertificate } from '../../../certs/certificate-authority.js';
import { agentClientTlsOptions } from '../../../certs/agent-tls.js';

/** Octavia's amphora agent port, used when the compute id does not name one. */
export const DEFAULT_AGENT_PORT = 9443;
/** One agent call may run `haproxy -c` and a reload; anything longer is a dead agent. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface AgentEndpoint {
  host: string;
  port: number;
  /** The amphora id: the name the agent's server certificate must carry. */
  amphoraId: string;
}

export interface AgentResponse {
  status: number;
  body: string;
}

/**
 * Where an amphora's agent listens: `lb_network_ip`, on the port a compute driver may append to its
 * compute id as `:<port>` (the process driver runs many agents on one address), else 9443.
 */
export function agentEndpoint(amphora: {
  id: string;
  lb_network_ip: string | null;
  compute_id: string | null;
}): AgentEndpoint {
  if (!amphora.lb_network_ip) throw new Error(`amphora ${amphora.id} has no management address`);
  const port = /:(\d+)$/.exec(amphora.compute_id ?? '')?.[1];
  return { host: amphora.lb_network_ip, port: port ? Number(port) : DEFAULT_AGENT_PORT, amphoraId: amphora.id };
}

/** One HTTPS call to an agent over mutual TLS with the controller's client certificate; bounded. */
export function agentRequest(
  endpoint: AgentEndpoint,
  client: IssuedCertificate,
  method: string,
  path: string,
  body?: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<AgentResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...agentClientTlsOptions(client, endpoint.amphoraId),
        host: endpoint.host,
        port: endpoint.port,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`agent ${endpoint.host}:${endpoint.port} timed out on ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}
