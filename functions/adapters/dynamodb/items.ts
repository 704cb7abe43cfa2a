/** Helpers shared by the DynamoDB stores. */
import type { Driver } from '../../domain/model';

/** Sort key of a driver instance in the drivers table: `${kind}#${name}#${id}`. */
export function driverKey(driver: Pick<Driver, 'kind' | 'name' | 'id'>): string {
  return `${driver.kind}#${driver.name}#${driver.id}`;
}

/**
 * Drops `undefined` values recursively. The document client rejects them unless it was built with
 * `removeUndefinedValues`, and the stores must not depend on how the caller built its client.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutUndefined(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
    return out as T;
  }
  return value;
}

export function isoSeconds(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString();
}
