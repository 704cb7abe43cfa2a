import type { Action } from '../../../functions/domain/model';
import { createExecutors } from '../../../functions/executors';
import { EXECUTOR_ERROR_CODES } from '../../../functions/ports';
import { TokenBucketLimiter } from '../../../functions/executors/rate-limiter';
import type { ProvisionedConcurrency } from '../../../functions/ports';
import {
  FakeApplicationAutoScaling,
  FakeAutoScaling,
  FakeClock,
  FakeProvisionedConcurrency,
  FakeWeightedRouting,
  instantRetry,
  lambdaTarget,
} from './fakes';
import { sdkErrors } from './sdk-errors';

const ACTION_ID = 'checkout-fn:7#0';

function setup(config?: ProvisionedConcurrency) {
  const clock = new FakeClock();
  const provisionedConcurrency = new FakeProvisionedConcurrency();
  if (config) provisionedConcurrency.configs.set('checkout:live', config);
  const executors = createExecutors(
    {
      autoScaling: new FakeAutoScaling(),
      applicationAutoScaling: new FakeApplicationAutoScaling(),
      provisionedConcurrency,
      weightedRouting: new FakeWeightedRouting(),
    },
    { retry: instantRetry(clock), route53Limiter: new TokenBucketLimiter({ ratePerSecond: 5, burst: 1, clock }) },
  );
  return { executor: executors['lambda-provisioned-concurrency'], port: provisionedConcurrency };
}

const units = (desired: number): Action => ({ type: 'set-capacity', desired, floor: 0 });
const ready = (n: number): ProvisionedConcurrency => ({ requested: n, allocated: n, status: 'READY' });

describe('lambda-provisioned-concurrency executor: apply', () => {
  it.each<[string, ProvisionedConcurrency | undefined, number, string[], 'applied' | 'unchanged', string]>([
    [
      'pre-warms a qualifier without a config',
      undefined,
      20,
      ['put checkout:live 20'],
      'applied',
      'PutProvisionedConcurrencyConfig checkout:live 0→20',
    ],
    [
      'raises an existing config',
      ready(20),
      50,
      ['put checkout:live 50'],
      'applied',
      'PutProvisionedConcurrencyConfig checkout:live 20→50',
    ],
    [
      'lowers an existing config',
      ready(50),
      20,
      ['put checkout:live 20'],
      'applied',
      'PutProvisionedConcurrencyConfig checkout:live 50→20',
    ],
    [
      'skips a config that already requests the number',
      ready(20),
      20,
      [],
      'unchanged',
      'checkout:live already requests 20 (READY, 20 allocated)',
    ],
    [
      'skips a config still allocating the same number (putting again would only conflict)',
      { requested: 20, allocated: 5, status: 'IN_PROGRESS' },
      20,
      [],
      'unchanged',
      'checkout:live already requests 20 (IN_PROGRESS, 5 allocated)',
    ],
    [
      'puts a FAILED config again, saying why it failed',
      { requested: 20, allocated: 0, status: 'FAILED', statusReason: 'Function initialization failed' },
      20,
      ['put checkout:live 20'],
      'applied',
      'PutProvisionedConcurrencyConfig checkout:live 20→20 (previous config FAILED: Function initialization failed)',
    ],
    [
      'removes the config when the window ends (0)',
      ready(20),
      0,
      ['remove checkout:live'],
      'applied',
      'DeleteProvisionedConcurrencyConfig checkout:live 20→0',
    ],
    [
      'has nothing to remove at 0 without a config',
      undefined,
      0,
      [],
      'unchanged',
      'checkout:live has no provisioned concurrency config',
    ],
  ])('%s', async (_case, config, desired, writes, status, detail) => {
    const { executor, port } = setup(config);
    await expect(executor.apply(lambdaTarget(), units(desired), ACTION_ID)).resolves.toEqual({ status, detail });
    expect(port.calls).toEqual(['get checkout:live', ...writes]);
  });

  it('never puts a config of 0 (Lambda rejects it): 0 always means delete', async () => {
    const { executor, port } = setup({ requested: 20, allocated: 3, status: 'IN_PROGRESS' });
    await executor.apply(lambdaTarget(), units(0), ACTION_ID);
    expect(port.calls.some((c) => c.startsWith('put'))).toBe(false);
    expect(port.configs.has('checkout:live')).toBe(false);
  });

  it('retries ResourceConflictException (an update in progress) and TooManyRequestsException', async () => {
    const { executor, port } = setup(ready(20));
    port.failures.add('put', sdkErrors.lambdaResourceConflict());
    port.failures.add('put', sdkErrors.lambdaTooManyRequests());
    await expect(executor.apply(lambdaTarget(), units(50), ACTION_ID)).resolves.toEqual({
      status: 'applied',
      detail: 'PutProvisionedConcurrencyConfig checkout:live 20→50 (attempt 3)',
    });
    expect(port.configs.get('checkout:live')?.requested).toBe(50);
  });

  it('converges when a delete timed out after Lambda applied it', async () => {
    const { executor, port } = setup(ready(20));
    port.failures.add('remove', sdkErrors.requestTimeout(), { landed: true });
    const result = await executor.apply(lambdaTarget(), units(0), ACTION_ID);
    expect(result.status).toBe('applied');
    expect(port.calls).toEqual(['get checkout:live', 'remove checkout:live', 'get checkout:live']);
  });

  it('fails permanently when the function or alias does not exist', async () => {
    const { executor, port } = setup();
    port.failures.add('get', sdkErrors.lambdaFunctionNotFound());
    await expect(executor.apply(lambdaTarget(), units(20), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: 'ResourceNotFoundException',
    });
    expect(port.calls).toEqual(['get checkout:live']);
  });

  it('fails permanently when the account cannot give the concurrency', async () => {
    const { executor, port } = setup();
    port.failures.add('put', sdkErrors.lambdaInvalidParameter());
    await expect(executor.apply(lambdaTarget(), units(20), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: 'InvalidParameterValueException',
    });
    expect(port.calls).toEqual(['get checkout:live', 'put checkout:live 20']);
  });

  it('rejects a set-weights action and a shadow target before touching Lambda', async () => {
    const { executor, port } = setup(ready(20));
    await expect(
      executor.apply(lambdaTarget(), { type: 'set-weights', weights: { a: 1 } }, ACTION_ID),
    ).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.wrongActionType,
    });
    await expect(executor.apply(lambdaTarget({ mode: 'shadow' }), units(50), ACTION_ID)).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.targetNotEnforced,
    });
    expect(port.calls).toEqual([]);
  });
});

describe('lambda-provisioned-concurrency executor: observe', () => {
  it('reports the requested units, 0 without a config', async () => {
    await expect(setup(ready(20)).executor.observe(lambdaTarget())).resolves.toEqual({
      kind: 'capacity',
      desired: 20,
      floor: 0,
    });
    await expect(setup().executor.observe(lambdaTarget())).resolves.toEqual({ kind: 'capacity', desired: 0, floor: 0 });
  });

  it('reports the floor the engine would compute: min(bounds.min, requested)', async () => {
    const target = lambdaTarget({
      policy: { version: 't', bounds: { min: 5, max: 200 }, fallback: { allocation: 5 } },
    });
    await expect(setup(ready(20)).executor.observe(target)).resolves.toEqual({
      kind: 'capacity',
      desired: 20,
      floor: 5,
    });
    await expect(setup(ready(3)).executor.observe(target)).resolves.toEqual({ kind: 'capacity', desired: 3, floor: 3 });
  });
});
