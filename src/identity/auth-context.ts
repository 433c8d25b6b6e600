/**
 * Who a validated token speaks for. The identity service (local or an external Keystone) produces it;
 * the API's policy enforcement consumes it. Role names are as Keystone stores them (`admin`, `member`,
 * `reader`, `load-balancer_member`, ...), including roles implied by other roles.
 */
export interface AuthContext {
  userId: string;
  userName: string;
  userDomainId: string;
  /** The scoped project; undefined for an unscoped or domain-scoped token. */
  projectId: string | undefined;
  projectName: string | undefined;
  projectDomainId: string | undefined;
  roles: string[];
  expiresAt: Date;
}

/** Turns an `X-Auth-Token` into the context it stands for; undefined when invalid, expired or revoked. */
export interface TokenValidator {
  validate(token: string): Promise<AuthContext | undefined>;
}

/** The public URLs the identity service lists in its service catalog, read when a token is issued. */
export interface ServiceEndpoints {
  identity: string;
  loadBalancer: string;
  network: string;
}
