/** Helpers for fuzzing real event documents one value at a time (normalizer and handler fuzz tests). */
import type { LooseJson } from './loose-json';

/** Every path to a value inside a JSON document, the document itself first. */
export function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) for (const [i, item] of value.entries()) out.push(...paths(item, [...prefix, i]));
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
  return out;
}

/** A copy of `document` with the value at `path` replaced (or the key deleted when `value` is undefined). */
export function mutate(document: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as LooseJson;
  let node: LooseJson = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1]!;
  const parent: Record<string | number, unknown> = node;
  if (value === undefined && !Array.isArray(node)) delete parent[last];
  else parent[last] = value;
  return copy;
}
