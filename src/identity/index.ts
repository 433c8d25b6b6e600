/** The identity service's public face: what the node and the command line wire in. */
export { buildIdentityApi, type IdentityApiOptions } from './api/identity-app.js';
export { createLocalTokenValidator } from './local-token-validator.js';
export { createExternalTokenValidator } from './external-token-validator.js';
export { bootstrapIdentity, type BootstrapOptions } from './bootstrap.js';
export { registerIdentityCommands } from './cli-commands.js';
