/**
 * Classification of AWS SDK v3 errors into the port error contract (./errors): every adapter that calls AWS,
 * the executors' retry loop and the reconcile service map what an SDK call threw with this one function, so
 * "retryable" means the same thing everywhere.
 */
import { EXECUTOR_ERROR_CODES, ExecutorError, PermanentExecutorError, RetryableExecutorError } from './errors';

/**
 * Errors with which AWS refuses a request before acting on it: throttling and "another operation is in
 * progress". A write that failed with one of these did not happen. Server errors (5xx) and timeouts are not
 * among them: the request may have been applied before the failure.
 */
const REFUSED_NAMES_LIST = [
  // throttling (the SDK's own list, plus Auto Scaling's unmodeled `Throttling`)
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'KmsThrottled', // SQS: KMS throttled the encryption of a message to a queue with a customer key
  // another change is still being processed: wait and it clears
  'PriorRequestNotComplete', // Route 53, per hosted zone
  'ConcurrentModification', // Route 53
  'ScalingActivityInProgress',
  'ScalingActivityInProgressFault',
  'ResourceContention',
  'ResourceContentionFault',
  'ResourceConflictException', // Lambda: a provisioned concurrency update is in progress
  'ResourceNotReadyException', // Lambda: function still being created/updated
  'ConcurrentUpdateException', // Application Auto Scaling: another update of the scalable target
] as const;
const REFUSED_NAMES = new Set<string>(REFUSED_NAMES_LIST);

/**
 * Worth trying again: everything refused before acting, plus failures that may or may not have acted. The SDK
 * names a modeled error after its shape (`ScalingActivityInProgressFault`) and an unmodeled one after the wire
 * code (`Throttling` from the Query protocol), so both spellings are listed.
 */
const RETRYABLE_NAMES = new Set<string>([
  ...REFUSED_NAMES_LIST,
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException', // DynamoDB (the stores share this classification)
  'TransactionConflictException', // DynamoDB: the item is part of another transaction in progress
  // server side
  'ServiceException', // Lambda's 500
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServiceException', // Application Auto Scaling's 500
  // transport
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

/** Whether `error` (as thrown by an SDK call) says AWS refused the request without acting on it. */
export function refusedBeforeActing(error: unknown): boolean {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  for (const candidate of [shape.name, shape.Code])
    if (typeof candidate === 'string' && REFUSED_NAMES.has(candidate)) return true;
  return status === 429;
}

const PERMANENT_NAMES = new Set([
  'ValidationError', // Auto Scaling (e.g. desired outside [MinSize, MaxSize], unknown group)
  'ValidationException',
  'InvalidParameterValueException',
  'InvalidParameterException',
  'InvalidParameterCombination',
  'InvalidInput', // Route 53
  'InvalidChangeBatch', // Route 53
  'InvalidArgument',
  'NoSuchHostedZone',
  'ResourceNotFoundException',
  'RuleNotFoundException', // ELBv2: the listener rule is gone
  'RuleNotFound',
  'TargetGroupNotFoundException', // ELBv2: a target group of the forward action is gone
  'TargetGroupNotFound',
  'ListenerNotFoundException',
  'OperationNotPermittedException', // ELBv2: e.g. the default rule, or a target group of another load balancer type
  'ProvisionedConcurrencyConfigNotFoundException',
  'LimitExceededFault', // Auto Scaling quota, not a rate
  'ObjectNotFoundException', // Application Auto Scaling: the target or its resource is gone
  'LimitExceededException', // Application Auto Scaling quota, not a rate
  'ServiceLinkedRoleFailure',
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'NotAuthorizedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  // The caller cancelled (abort signal): retrying would defy it.
  'AbortError',
]);

/** Node.js socket errors that mean "the network hiccupped", not "the request was wrong". */
const RETRYABLE_SYSTEM_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  /** Route 53 InvalidChangeBatch: one reason per rejected change. */
  messages?: unknown;
  code?: unknown;
  Code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  retryAfterSeconds?: unknown;
}

/**
 * Maps anything thrown by an SDK call (or a port implementation that mimics one) to a typed ExecutorError.
 * An ExecutorError passes through untouched. `context` (e.g. `SetDesiredCapacity web-prod`) prefixes the
 * message so a log line says what was being attempted.
 *
 * Order matters: a known name decides first (a 400 `PriorRequestNotComplete` is retryable, a 400
 * `ValidationError` is not), then the SDK's `$retryable` trait, then the HTTP status (429/5xx retryable),
 * then socket codes and the "Rate exceeded" message throttled services send; anything else is permanent,
 * because an unknown error is more often a bug than a blip, and retrying a bug only delays the alert.
 */
export function classifyAwsError(error: unknown, context?: string): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : undefined;
  const wireCode = typeof shape.Code === 'string' ? shape.Code : undefined;
  const systemCode = typeof shape.code === 'string' ? shape.code : undefined;
  const rawMessage = withChangeReasons(
    typeof shape.message === 'string' ? shape.message : String(error),
    shape.messages,
  );
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const retryAfterMs = parseRetryAfter(shape.retryAfterSeconds);

  const awsName = name && name !== 'Error' ? name : (wireCode ?? systemCode);
  const code = awsName ?? EXECUTOR_ERROR_CODES.unexpected;
  const described = `${context ? `${context}: ` : ''}${awsName ? `${awsName}: ` : ''}${rawMessage}${status !== undefined ? ` (HTTP ${status})` : ''}`;
  const retryable = (why: string) =>
    new RetryableExecutorError(`${described} [retryable: ${why}]`, { cause: error, code, retryAfterMs });
  const permanent = (why: string) =>
    new PermanentExecutorError(`${described} [permanent: ${why}]`, { cause: error, code });

  for (const candidate of [name, wireCode]) {
    if (candidate === undefined) continue;
    if (RETRYABLE_NAMES.has(candidate)) return retryable(candidate);
    if (PERMANENT_NAMES.has(candidate)) return permanent(candidate);
  }
  if (shape.$retryable !== undefined && shape.$retryable !== null) return retryable('SDK marks it retryable');
  if (status === 429) return retryable('HTTP 429');
  if (status !== undefined && status >= 500) return retryable(`HTTP ${status}`);
  if (systemCode && RETRYABLE_SYSTEM_CODES.has(systemCode)) return retryable(`network ${systemCode}`);
  if (/rate exceeded|throttl/i.test(rawMessage)) return retryable('throttled');
  if (status !== undefined && status >= 400) return permanent(`HTTP ${status}`);
  return permanent('unrecognised error');
}

/** The message, followed by the per-change reasons it does not already carry (Route 53 InvalidChangeBatch). */
function withChangeReasons(message: string, reasons: unknown): string {
  if (!Array.isArray(reasons)) return message;
  const missing = reasons.filter((r): r is string => typeof r === 'string' && r !== '' && !message.includes(r));
  return missing.length ? `${message} [${missing.join(', ')}]` : message;
}

function parseRetryAfter(value: unknown): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
