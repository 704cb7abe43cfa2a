import {
  classifyAwsError,
  EXECUTOR_ERROR_CODES,
  ExecutorError,
  PermanentExecutorError,
  RetryableExecutorError,
  refusedBeforeActing,
} from '../../../functions/ports';
import { KmsAccessDenied, KmsThrottled } from '@aws-sdk/client-sqs';
import { InvalidChangeBatch } from '@aws-sdk/client-route-53';
import { sdkErrors } from '../executors/sdk-errors';

describe('classifyAwsError', () => {
  it.each([
    // [case, error, retryable, code]
    ['Auto Scaling Throttling (unmodeled, Query protocol)', sdkErrors.autoScalingThrottling(), true, 'Throttling'],
    [
      'Auto Scaling ScalingActivityInProgress',
      sdkErrors.scalingActivityInProgress(),
      true,
      'ScalingActivityInProgressFault',
    ],
    ['Auto Scaling ResourceContention', sdkErrors.resourceContention(), true, 'ResourceContentionFault'],
    ['Route 53 ThrottlingException', sdkErrors.route53Throttling(), true, 'ThrottlingException'],
    [
      'Route 53 PriorRequestNotComplete (HTTP 400)',
      sdkErrors.priorRequestNotComplete(),
      true,
      'PriorRequestNotComplete',
    ],
    ['Lambda TooManyRequestsException', sdkErrors.lambdaTooManyRequests(), true, 'TooManyRequestsException'],
    [
      'Lambda ResourceConflictException (update in progress)',
      sdkErrors.lambdaResourceConflict(),
      true,
      'ResourceConflictException',
    ],
    ['Lambda ServiceException (500)', sdkErrors.lambdaService(), true, 'ServiceException'],
    ['request timeout', sdkErrors.requestTimeout(), true, 'TimeoutError'],
    ['socket reset', sdkErrors.connectionReset(), true, 'ECONNRESET'],
    ['unknown 503', sdkErrors.unknown503(), true, 'Unknown'],
    ['SDK retryable trait', sdkErrors.withRetryableTrait(), true, 'SomethingNew'],
    ['Auto Scaling ValidationError', sdkErrors.autoScalingValidation(), false, 'ValidationError'],
    ['Auto Scaling AccessDenied', sdkErrors.autoScalingAccessDenied(), false, 'AccessDenied'],
    ['Route 53 InvalidChangeBatch', sdkErrors.invalidChangeBatch(), false, 'InvalidChangeBatch'],
    ['Route 53 NoSuchHostedZone', sdkErrors.noSuchHostedZone(), false, 'NoSuchHostedZone'],
    [
      'Lambda InvalidParameterValueException',
      sdkErrors.lambdaInvalidParameter(),
      false,
      'InvalidParameterValueException',
    ],
    ['Lambda function not found', sdkErrors.lambdaFunctionNotFound(), false, 'ResourceNotFoundException'],
    ['unknown 400', sdkErrors.unknown400(), false, 'Unknown'],
    ['a bug (TypeError)', sdkErrors.bug(), false, 'TypeError'],
    ['a thrown string', 'boom', false, EXECUTOR_ERROR_CODES.unexpected],
  ])('%s → retryable %s, code %s', (_case, error, retryable, code) => {
    const classified = classifyAwsError(error, 'SetDesiredCapacity web-prod');
    expect(classified).toBeInstanceOf(retryable ? RetryableExecutorError : PermanentExecutorError);
    expect(classified.retryable).toBe(retryable);
    expect(classified.code).toBe(code);
    expect(classified.cause).toBe(error);
    expect(classified.message).toMatch(/^SetDesiredCapacity web-prod: /);
  });

  it('SQS KmsThrottled (a queue encrypted with KMS) is refused before acting; the other KMS faults are permanent', () => {
    // The shard queue may be encrypted with a customer key: SQS then answers KMS's throttling with its own name.
    const throttled = new KmsThrottled({ $metadata: { httpStatusCode: 400 }, message: 'KMS throttled the request.' });
    expect(refusedBeforeActing(throttled)).toBe(true);
    expect(classifyAwsError(throttled, 'SendMessageBatch')).toMatchObject({ retryable: true, code: 'KmsThrottled' });
    const denied = new KmsAccessDenied({ $metadata: { httpStatusCode: 400 }, message: 'KMS access denied.' });
    expect(refusedBeforeActing(denied)).toBe(false);
    expect(classifyAwsError(denied, 'SendMessageBatch')).toMatchObject({ retryable: false, code: 'KmsAccessDenied' });
  });

  it('keeps the AWS message and status in its own message', () => {
    const classified = classifyAwsError(
      sdkErrors.priorRequestNotComplete(),
      'ChangeResourceRecordSets api.example.com',
    );
    expect(classified.message).toBe(
      'ChangeResourceRecordSets api.example.com: PriorRequestNotComplete: The request was rejected because Route 53 was still processing a prior request. (HTTP 400) [retryable: PriorRequestNotComplete]',
    );
  });

  it("keeps Route 53's per-change reasons (InvalidChangeBatch.messages) when the top-level message has none", () => {
    // The SDK can surface an InvalidChangeBatch whose message is only "UnknownError", the reasons being in
    // `messages` (one per rejected change).
    const error = new InvalidChangeBatch({
      $metadata: { httpStatusCode: 400, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 },
      message: 'UnknownError',
      messages: [
        "Tried to create resource record set [name='api.example.com.', type='A', set-identifier='blue'] but it already exists",
      ],
    });
    const classified = classifyAwsError(error, 'ChangeResourceRecordSets api.example.com');
    expect(classified.retryable).toBe(false);
    expect(classified.message).toContain(
      "Tried to create resource record set [name='api.example.com.', type='A', set-identifier='blue'] but it already exists",
    );
  });

  it('reads Lambda Retry-After into retryAfterMs', () => {
    expect(classifyAwsError(sdkErrors.lambdaTooManyRequests('2')).retryAfterMs).toBe(2000);
    expect(classifyAwsError(sdkErrors.lambdaTooManyRequests()).retryAfterMs).toBeUndefined();
  });

  it('classifies a throttling message even without a known name', () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'SomeNewThrottle' });
    expect(classifyAwsError(error).retryable).toBe(true);
  });

  it('passes an ExecutorError through untouched', () => {
    const own = new PermanentExecutorError('desired 50 exceeds MaxSize 40', {
      code: EXECUTOR_ERROR_CODES.desiredAboveMaxSize,
    });
    expect(classifyAwsError(own, 'ignored context')).toBe(own);
  });

  it('builds typed errors that keep cause and name', () => {
    const cause = sdkErrors.route53Throttling();
    const error = new RetryableExecutorError('gave up', { cause, code: 'ThrottlingException', attempts: 5 });
    expect(error).toBeInstanceOf(ExecutorError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RetryableExecutorError');
    expect(error.cause).toBe(cause);
    expect(error.attempts).toBe(5);
    expect(new PermanentExecutorError('no').name).toBe('PermanentExecutorError');
  });
});
