/**
 * AWS SDK v3 errors built the way the SDK builds them: modeled errors through their exported classes,
 * unmodeled ones (Auto Scaling's Query-protocol `Throttling`, `ValidationError`) as the service's base
 * exception carrying the wire `Code`, and transport failures as the plain errors Node and the HTTP handler
 * throw. Messages are the ones AWS documents for each error.
 */
import {
  AutoScalingServiceException,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
} from '@aws-sdk/client-auto-scaling';
import {
  InvalidParameterValueException,
  ProvisionedConcurrencyConfigNotFoundException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException as LambdaServiceError,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import {
  InvalidChangeBatch,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  ThrottlingException,
} from '@aws-sdk/client-route-53';

const meta = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: '1b2c3d4e-0000-4000-8000-000000000000',
  attempts: 1,
  totalRetryDelay: 0,
});

/** How the SDK surfaces an error code it has no class for (Query protocol): base exception + wire Code. */
function unmodeledAutoScaling(
  code: string,
  message: string,
  httpStatusCode: number,
  fault: 'client' | 'server' = 'client',
) {
  return Object.assign(
    new AutoScalingServiceException({ name: code, $fault: fault, $metadata: meta(httpStatusCode), message }),
    {
      Code: code,
      Type: fault === 'client' ? 'Sender' : 'Receiver',
    },
  );
}

export const sdkErrors = {
  autoScalingThrottling: () => unmodeledAutoScaling('Throttling', 'Rate exceeded', 400),
  autoScalingValidation: () =>
    unmodeledAutoScaling(
      'ValidationError',
      'Desired capacity:50 must be between the specified min size:2 and max size:40',
      400,
    ),
  autoScalingAccessDenied: () =>
    unmodeledAutoScaling(
      'AccessDenied',
      'User: arn:aws:sts::111122223333:assumed-role/drivetrain-reconcile/fn is not authorized to perform: autoscaling:SetDesiredCapacity',
      403,
    ),
  scalingActivityInProgress: () =>
    new ScalingActivityInProgressFault({
      $metadata: meta(400),
      message: 'Scaling activity 3e5a2b90-0000-4000-8000-000000000000 is in progress and blocks this action.',
    }),
  resourceContention: () =>
    new ResourceContentionFault({
      $metadata: meta(500),
      message:
        'You already have a pending update to an Auto Scaling resource (for example, a group, instance, or load balancer).',
    }),
  route53Throttling: () => new ThrottlingException({ $metadata: meta(400), message: 'Rate exceeded' }),
  priorRequestNotComplete: () =>
    new PriorRequestNotComplete({
      $metadata: meta(400),
      message: 'The request was rejected because Route 53 was still processing a prior request.',
    }),
  invalidChangeBatch: () =>
    new InvalidChangeBatch({
      $metadata: meta(400),
      message:
        "[Tried to create resource record set [name='api.example.com.', type='CNAME', set-identifier='us-east-1'] but it already exists]",
      messages: [],
    }),
  noSuchHostedZone: () =>
    new NoSuchHostedZone({ $metadata: meta(404), message: 'No hosted zone found with ID: Z0123456789ABCDEFGHIJ' }),
  lambdaTooManyRequests: (retryAfterSeconds?: string) =>
    new TooManyRequestsException({
      $metadata: meta(429),
      message: 'Rate exceeded',
      Type: 'User',
      Reason: 'CallerRateLimitExceeded',
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    }),
  lambdaResourceConflict: () =>
    new ResourceConflictException({
      $metadata: meta(409),
      message:
        'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:111122223333:function:checkout:live',
      Type: 'User',
    }),
  lambdaService: () => new LambdaServiceError({ $metadata: meta(500), message: 'Internal error', Type: 'Service' }),
  lambdaInvalidParameter: () =>
    new InvalidParameterValueException({
      $metadata: meta(400),
      message:
        'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function',
      Type: 'User',
    }),
  lambdaFunctionNotFound: () =>
    new ResourceNotFoundException({
      $metadata: meta(404),
      message: 'Function not found: arn:aws:lambda:us-east-1:111122223333:function:checkout:live',
      Type: 'User',
    }),
  provisionedConcurrencyConfigNotFound: () =>
    new ProvisionedConcurrencyConfigNotFoundException({
      $metadata: meta(404),
      message: 'No Provisioned Concurrency Config found for this function',
      Type: 'User',
    }),
  /** NodeHttpHandler with throwOnRequestTimeout. */
  requestTimeout: () => Object.assign(new Error('Request did not complete within 5000 ms'), { name: 'TimeoutError' }),
  /** A socket reset below the SDK. */
  connectionReset: () =>
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }),
  /** A server error the SDK has no name for. */
  unknown503: () =>
    Object.assign(
      new AutoScalingServiceException({
        name: 'Unknown',
        $fault: 'server',
        $metadata: meta(503),
        message: 'Service Unavailable',
      }),
    ),
  /** A client error with no name at all: the classifier must not guess it transient. */
  unknown400: () =>
    Object.assign(
      new AutoScalingServiceException({
        name: 'Unknown',
        $fault: 'client',
        $metadata: meta(400),
        message: 'UnknownError',
      }),
    ),
  /** The SDK's retryable trait on an otherwise unknown error. */
  withRetryableTrait: () =>
    Object.assign(
      new AutoScalingServiceException({
        name: 'SomethingNew',
        $fault: 'client',
        $metadata: meta(400),
        message: 'try later',
      }),
      { $retryable: {} },
    ),
  bug: () => new TypeError("Cannot read properties of undefined (reading 'MinSize')"),
};
