/**
 * Neutron's error body: `{"NeutronError": {"type", "message", "detail"}}`, with the exception class name as
 * `type` and Neutron's own message text, which clients (openstacksdk) show as they are.
 */
export class NeutronError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'NeutronError';
  }

  get body() {
    return { NeutronError: { type: this.type, message: this.message, detail: '' } };
  }
}

export const badRequest = (message: string) => new NeutronError(400, 'HTTPBadRequest', message);
export const invalidInput = (message: string) =>
  new NeutronError(400, 'InvalidInput', `Invalid input for operation: ${message}`);
export const forbidden = (action: string) =>
  new NeutronError(403, 'HTTPForbidden', `rule:${action} is disallowed by policy`);
export const conflict = (type: string, message: string) => new NeutronError(409, type, message);
export const routeNotFound = () => new NeutronError(404, 'HTTPNotFound', 'The resource could not be found.');

/** The 404 of each resource, as Neutron words it. */
export const notFound = {
  network: (id: string) => new NeutronError(404, 'NetworkNotFound', `Network ${id} could not be found.`),
  subnet: (id: string) => new NeutronError(404, 'SubnetNotFound', `Subnet ${id} could not be found.`),
  port: (id: string) => new NeutronError(404, 'PortNotFound', `Port ${id} could not be found.`),
  router: (id: string) => new NeutronError(404, 'RouterNotFound', `Router ${id} could not be found.`),
  floatingip: (id: string) => new NeutronError(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found.`),
  security_group: (id: string) => new NeutronError(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`),
  security_group_rule: (id: string) =>
    new NeutronError(404, 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`),
  extension: (alias: string) =>
    new NeutronError(404, 'ExtensionNotFound', `Extension with alias ${alias} does not exist`),
};

export type ResourceKind = keyof typeof notFound;
