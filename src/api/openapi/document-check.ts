/**
 * A structural check of an OpenAPI 3.1 document: the mistakes a generator can make that a client generator
 * would trip over. Not a full validator: every `$ref` resolves, every path template parameter is declared
 * on each operation (and nothing else is declared `in: path`), operation ids are unique, every operation has
 * responses, and every tag it uses is listed.
 */

type Json = unknown;

/** Follow a local `$ref` (`#/components/schemas/X`); undefined when it does not resolve. */
export function resolveRef(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Record<string, Json>)[key];
  }
  return node;
}

function collectRefs(node: Json, out: string[]): void {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, out);
  else if (typeof node === 'object' && node !== null)
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
    }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The problems found; an empty list for a sound document. */
export function findDocumentProblems(doc: Json): string[] {
  const problems: string[] = [];
  const d = doc as Record<string, any>;
  if (typeof d?.openapi !== 'string' || !d.openapi.startsWith('3.1.')) problems.push('openapi is not 3.1.x');
  if (typeof d?.info?.title !== 'string' || typeof d?.info?.version !== 'string') problems.push('info incomplete');
  if (typeof d?.paths !== 'object' || d.paths === null) return [...problems, 'no paths'];

  const refs: string[] = [];
  collectRefs(doc, refs);
  for (const ref of new Set(refs)) if (resolveRef(doc, ref) === undefined) problems.push(`unresolved $ref ${ref}`);

  const tags = new Set(((d.tags ?? []) as Array<{ name: string }>).map((t) => t.name));
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(d.paths as Record<string, Record<string, any>>)) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) {
      const op = item[method];
      const where = `${method.toUpperCase()} ${path}`;
      const params = ((op.parameters ?? []) as Json[]).map((p) => {
        const ref = (p as { $ref?: string }).$ref;
        return (ref ? resolveRef(doc, ref) : p) as { name?: string; in?: string; required?: boolean } | undefined;
      });
      const inPath = params.filter((p) => p?.in === 'path');
      for (const name of templated) {
        const declared = inPath.find((p) => p?.name === name);
        if (!declared) problems.push(`${where}: path parameter ${name} not declared`);
        else if (declared.required !== true) problems.push(`${where}: path parameter ${name} not required`);
      }
      for (const p of inPath)
        if (!templated.includes(p!.name ?? '')) problems.push(`${where}: ${p!.name} declared in path but not in it`);
      const seen = new Set<string>();
      for (const p of params) {
        const key = `${p?.in}:${p?.name}`;
        if (seen.has(key)) problems.push(`${where}: parameter ${key} declared twice`);
        seen.add(key);
      }
      if (typeof op.operationId !== 'string') problems.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
      else ids.add(op.operationId);
      if (typeof op.responses !== 'object' || Object.keys(op.responses).length === 0)
        problems.push(`${where}: no responses`);
      for (const tag of (op.tags ?? []) as string[])
        if (!tags.has(tag)) problems.push(`${where}: tag ${tag} not listed`);
    }
  }
  return problems;
}
