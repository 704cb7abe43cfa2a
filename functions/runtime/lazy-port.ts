/**
 * A port whose implementation (an SDK client and its adapter) is imported on the port's first call instead of
 * at cold start. The bundles are split (scripts/build-lambdas.ts), so such an implementation is a chunk of its
 * own: a deployment whose config has no Route 53 target never loads the Route 53 client, and one that has
 * loads it when a decision first needs it, not before every handler's first line.
 *
 * Only for ports whose every method is async (an AWS call already awaits, so the import adds one await).
 */
type AsyncMethods<P> = { [K in keyof P]: (...args: never[]) => Promise<unknown> };

/**
 * `methods` lists every method of the port (the mapped type makes a missing one a compile error), because
 * the wrapper must exist before the implementation does. A failed import is not remembered: the next call
 * tries again instead of failing every later call of a warm execution environment.
 */
export function loadedOnFirstUse<P extends AsyncMethods<P>>(
  load: () => Promise<P>,
  methods: { readonly [K in keyof P]-?: true },
): P {
  let loading: Promise<P> | undefined;
  const implementation = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  const port: Partial<Record<keyof P, unknown>> = {};
  for (const name of Object.keys(methods) as Array<keyof P>) {
    port[name] = async (...args: unknown[]) => {
      const target = await implementation();
      return Reflect.apply(target[name], target, args) as Promise<unknown>;
    };
  }
  return Object.freeze(port) as P;
}
