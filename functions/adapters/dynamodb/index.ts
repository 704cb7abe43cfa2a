export { DynamoDriverStore, driverKey } from './driver-store';
export {
  DynamoDecisionStore,
  decisionId,
  decisionKey,
  decisionRecordSchema,
  storedTargetStateSchema,
} from './decision-store';
export type { StoreLogger } from './support';
export {
  readHistory,
  readLiveAt,
  recordHistory,
  historyKey,
  type DriverHistoryOptions,
  type HistoryRead,
} from './driver-history';
