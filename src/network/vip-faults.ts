import { ApiError, badRequest, conflict, validationFailure } from '../common/errors.js';

/**
 * The faults a VIP request can meet. Octavia's own checks (unknown subnet, network or port, a port in use,
 * a network without a fitting subnet) keep Octavia's strings; what Octavia leaves to Neutron (an address
 * outside the subnet, an address taken, a full subnet) carries Neutron's message and status, which
 * Octavia passes through to the caller.
 */
export const vipFaults = {
  subnetNotFound: (id: string) => badRequest(`Subnet ${id} not found.`),
  networkNotFound: (id: string) => badRequest(`Network ${id} not found.`),
  portNotFound: (id: string) => badRequest(`Port ${id} not found.`),
  // Octavia's string ends with a space.
  portInUse: (id: string, deviceId: string) => validationFailure(`Port ${id} is already used by device ${deviceId} `),
  addressNotOnPort: () => validationFailure('Specified VIP address not found on the specified VIP port.'),
  portSubnetUnknown: () =>
    validationFailure("VIP port's subnet could not be determined. Please specify either a VIP subnet or address."),
  subnetNotOnPort: (portId: string, subnetId: string) =>
    validationFailure(`VIP port ${portId} has no fixed IP on subnet ${subnetId}.`),
  noSubnetForAddress: () => validationFailure('Supplied network does not contain a subnet for VIP address specified.'),
  networkWithoutSubnet: () => validationFailure('Supplied network does not contain a subnet.'),
  networkFull: () => validationFailure('Subnet(s) in the supplied network do not contain enough available IPs.'),
  addressNotInSubnet: (address: string) =>
    badRequest(`IP address ${address} is not a valid IP for the specified subnet.`),
  addressInUse: (address: string, subnetId: string) =>
    conflict(`IP address ${address} already allocated in subnet ${subnetId}`),
  subnetFull: (networkId: string) => conflict(`No more IP addresses available on network ${networkId}.`),
  unsupportedSubnet: (id: string) =>
    badRequest(`Subnet ${id} is not an IPv4 subnet; the loopback network driver allocates IPv4 addresses only.`),
  portSecurityDisabled: (networkId: string) =>
    badRequest(
      `Network ${networkId} has port_security_enabled=false: a load balancer VIP needs a security group on its port. Use a network with port security enabled.`,
    ),
  contended: (subnetId: string) =>
    new ApiError(503, `Too many concurrent address allocations on subnet ${subnetId}; please try again.`),
};
