import type { TaviaConfig } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { Drivers } from '../controller/drivers.js';
import type { Db } from '../db/database.js';
import type { TokenValidator } from '../identity/auth-context.js';

/** What every API module needs, handed to each Fastify plugin. */
export interface ApiServices {
  db: Db;
  config: TaviaConfig;
  drivers: Drivers;
  log: Logger;
  /** Validates `X-Auth-Token` when `api.authStrategy` is `keystone`. */
  tokens?: TokenValidator;
}
