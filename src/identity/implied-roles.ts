/**
 * Keystone's default role implications (set up by `keystone-manage bootstrap`): admin implies member,
 * member implies reader. A token carries the implied roles beside the assigned ones, and policy checks see both.
 */
const IMPLIES: Record<string, readonly string[]> = {
  admin: ['member'],
  member: ['reader'],
};

/** The names in `assigned` plus every name they imply, each once, assigned ones first. */
export function withImpliedRoleNames(assigned: readonly string[]): string[] {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const implied of IMPLIES[name] ?? []) visit(implied);
  };
  for (const name of assigned) visit(name);
  return [...out];
}
