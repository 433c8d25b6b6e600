import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import type { TaviaConfig } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { Drivers } from '../controller/drivers.js';
import type { Db } from '../db/database.js';
import type { ServiceEndpoints, TokenValidator } from '../identity/auth-context.js';
import {
  bootstrapIdentity,
  buildIdentityApi,
  createExternalTokenValidator,
  createLocalTokenValidator,
} from '../identity/index.js';
import { buildNetworkApi } from '../network/api/network-api.js';
import { startFloatingIpForwarding, type FloatingIpForwarding } from '../network/floating/forwarding.js';

/** The HTTP services of a node with the `api` role, listening, and how to stop them. */
export interface PublicApis {
  /** The Octavia v2 API. */
  api: FastifyInstance;
  endpoints: ServiceEndpoints;
  /** `<identity>/v3` of the local identity service; undefined with an external Keystone. */
  authUrl?: string;
  /** Stop listening; `removeForwarding` (the node's amphorae stop too) also removes the floating IP rules. */
  close(opts: { removeForwarding: boolean }): Promise<void>;
}

const urlOf = (app: FastifyInstance, host: string): string => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
};

/**
 * Start what users talk to: the Octavia API, the network API (floating IPs forwarded by nftables when the
 * network driver is `loopback`) and, unless an external Keystone validates the tokens, the identity service,
 * whose first start creates the admin and demo users and their openrc files. The catalog lists each
 * service's URL once it listens (port 0 picks a free one).
 */
export async function startPublicApis(opts: {
  db: Db;
  config: TaviaConfig;
  drivers: Drivers;
  log: Logger;
  /** Instead of the configured identity service (tests). */
  tokens?: TokenValidator;
}): Promise<PublicApis> {
  const { db, config, drivers, log } = opts;
  const external = config.identity.externalUrl.replace(/\/+$/, '');
  const tokens = opts.tokens ?? (external ? createExternalTokenValidator(external) : createLocalTokenValidator(db));
  const endpoints: ServiceEndpoints = { identity: external, loadBalancer: '', network: '' };
  const started: FastifyInstance[] = [];
  let forwarding: FloatingIpForwarding | undefined;
  const closeAll = async (removeForwarding: boolean) => {
    for (const app of started.reverse()) await app.close().catch(() => {});
    await forwarding?.close({ removeRules: removeForwarding });
  };
  try {
    // Floating IPs forward only to addresses this node's amphorae really serve.
    if (config.drivers.network === 'loopback') forwarding = await startFloatingIpForwarding({ db, config, log });

    // Identity first (its bootstrap writes the openrc files), the Octavia API last: when it answers, all do.
    let authUrl: string | undefined;
    if (!external) {
      const identity = await buildIdentityApi({ db, config, log, endpoints: () => endpoints });
      started.push(identity);
      await identity.listen({ host: config.identity.host, port: config.identity.port });
      authUrl = `${urlOf(identity, config.identity.host)}/v3`;
      endpoints.identity = authUrl;
      await bootstrapIdentity(db, { dataDir: config.dataDir, authUrl, region: config.identity.region, log });
    }
    const network = await buildNetworkApi({ db, config, log, tokens, forwarding });
    started.push(network);
    await network.listen({ host: config.networkApi.host, port: config.networkApi.port });
    endpoints.network = urlOf(network, config.networkApi.host);

    const api = await buildApi({ db, config, drivers, log, tokens });
    started.push(api);
    await api.listen({ host: config.api.host, port: config.api.port });
    endpoints.loadBalancer = urlOf(api, config.api.host);

    log.info({ ...endpoints, authStrategy: config.api.authStrategy }, 'APIs listening');
    return { api, endpoints, authUrl, close: ({ removeForwarding }) => closeAll(removeForwarding) };
  } catch (err) {
    await closeAll(false);
    throw err;
  }
}
