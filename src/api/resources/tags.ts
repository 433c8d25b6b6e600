import type { Tx } from '../../db/provisioning.js';
import { listOf, type Field } from '../validation/fields.js';

/** The `tags` attribute every resource has: a list of strings of at most 255 characters. */
export const tagsField = (): Field => listOf({ kind: 'string', max: 255 });

/** Replace the tags of a resource (a PUT with `tags` replaces the whole list, as Octavia). */
export async function writeTags(trx: Tx, resourceId: string, tags: unknown): Promise<void> {
  if (tags === undefined) return;
  await trx.deleteFrom('tag').where('resource_id', '=', resourceId).execute();
  const unique = [...new Set((tags as string[] | null) ?? [])];
  if (unique.length > 0)
    await trx
      .insertInto('tag')
      .values(unique.map((tag) => ({ resource_id: resourceId, tag })))
      .execute();
}
