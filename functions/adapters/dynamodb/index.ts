export { DynamoDriverStore, driverKey } from './driver-store';
export {
  DynamoDecisionStore,
  decisionId,
  decisionKey,
  decisionRecordSchema,
  storedTargetStateSchema,
} from './decision-store';
export { ConcurrentDecisionError, CorruptItemError, UnknownTargetError, type StoreLogger } from './errors';
