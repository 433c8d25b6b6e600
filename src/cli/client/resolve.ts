import { ApiFault } from './api-client.js';
import type { Session } from './auth/session.js';
import type { ResourceKind } from './resources.js';
import { CliError } from './runtime.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuidLike = (value: string) => UUID.test(value);

/**
 * Find one object by name or ID as the openstack CLI does: a UUID is fetched directly, anything else
 * (or a UUID nobody has) is looked up with `?name=`; no match and several matches are errors.
 */
export async function findObject(
  session: Session,
  kind: ResourceKind,
  nameOrId: string,
  parentId?: string,
): Promise<Record<string, any>> {
  const client = session.loadBalancer;
  const itemPath = `${kind.collection(parentId)}/${encodeURIComponent(nameOrId)}`;
  const byId = async () => {
    try {
      const body = await client.get<Record<string, any>>(itemPath);
      return body?.[kind.itemKey] as Record<string, any> | undefined;
    } catch (err) {
      if (err instanceof ApiFault && err.status === 404) return undefined;
      throw err;
    }
  };
  if (kind.primaryKey === 'name' || !kind.named || isUuidLike(nameOrId)) {
    const found = await byId();
    if (found) return found;
    if (kind.primaryKey === 'name' || !kind.named) throw notFound(kind, nameOrId);
  }
  const matches = await client.list<Record<string, any>>(kind.collection(parentId), kind.listKey, { name: nameOrId });
  const named = matches.filter((m) => m.name === nameOrId);
  if (named.length > 1) {
    throw new CliError(`Found ${named.length} ${kind.label}s named '${nameOrId}': use the ID instead`);
  }
  if (named.length === 1) return named[0]!;
  if (!isUuidLike(nameOrId)) {
    const found = await byId();
    if (found) return found;
  }
  throw notFound(kind, nameOrId);
}

/** The ID (or, for availability zones, the name) of an object given by name or ID. */
export async function findId(
  session: Session,
  kind: ResourceKind,
  nameOrId: string,
  parentId?: string,
): Promise<string> {
  if (kind.network) return findNetworkId(session, kind, nameOrId);
  const found = await findObject(session, kind, nameOrId, parentId);
  return String(found[kind.primaryKey]);
}

/** Subnets, networks, ports and QoS policies: IDs pass as they are, names go to the network service. */
async function findNetworkId(session: Session, kind: ResourceKind, nameOrId: string): Promise<string> {
  if (isUuidLike(nameOrId)) return nameOrId;
  if (!session.network) {
    throw new CliError(
      `Cannot look up ${kind.label} '${nameOrId}' by name without a network service in the catalog: give its ID`,
    );
  }
  const matches = await session.network.list<Record<string, any>>(kind.collection(), kind.listKey, { name: nameOrId });
  if (matches.length > 1)
    throw new CliError(`Found ${matches.length} ${kind.label}s named '${nameOrId}': use the ID instead`);
  if (matches.length === 0) throw notFound(kind, nameOrId);
  return String(matches[0]!.id);
}

function notFound(kind: ResourceKind, nameOrId: string): CliError {
  const what = kind.named ? 'name or ID' : kind.primaryKey === 'name' ? 'name' : 'ID';
  return new CliError(`Unable to find ${kind.label} with ${what} '${nameOrId}'`);
}
